'use strict';
// Measures how far prom-client exemplar timestamps fall outside the server
// span of the OpenTelemetry JS http instrumentation (exemplarlink issue 23:
// exemplar_link's ToleranceBefore and ToleranceAfter).
//
// An Express app, traced by sdk-trace-node + instrumentation-http/express
// (spans kept by an in-memory exporter), observes a prom-client 15 histogram
// with exemplars in res.on('finish'), with exemplarLabels {traceID}, as the
// guides write. Requests go one at a time over 127.0.0.1; after each, the
// OpenMetrics exposition is scraped, that request's exemplar read, its
// timestamp converted as the Prometheus scraper does (seconds ->
// trunc(ts*1000) ms) and compared with the SERVER span's start and end.
//
// Usage: node measure.js [requests] [event]
//   requests: default 2000, at most 100000
//   event: the response event the histogram is observed in, 'finish'
//   (default, as the guides write) or 'close' (after the http
//   instrumentation, which ends the server span in its own 'close'
//   listener, registered before this one)

const { NodeTracerProvider, SimpleSpanProcessor, InMemorySpanExporter } = require('@opentelemetry/sdk-trace-node');
const { registerInstrumentations } = require('@opentelemetry/instrumentation');
const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
const { ExpressInstrumentation } = require('@opentelemetry/instrumentation-express');
const api = require('@opentelemetry/api');

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
provider.register();
registerInstrumentations({
  instrumentations: [
    new HttpInstrumentation({
      // Only the app's server spans: not the scrapes, not this script's
      // own client requests.
      ignoreIncomingRequestHook: (req) => req.url === '/metrics',
      ignoreOutgoingRequestHook: () => true,
    }),
    new ExpressInstrumentation(),
  ],
});

// Required after the instrumentations are registered, so they get patched.
const http = require('http');
const express = require('express');
const client = require('prom-client');

const n = Number(process.argv[2] || 2000);
if (!Number.isInteger(n) || n < 1 || n > 100000) {
  console.error('requests must be an integer in 1..100000');
  process.exit(2);
}
const event = process.argv[3] || 'finish';
if (event !== 'finish' && event !== 'close') {
  console.error("event must be 'finish' or 'close'");
  process.exit(2);
}

const registry = new client.Registry();
registry.setContentType(client.Registry.OPENMETRICS_CONTENT_TYPE);
const hist = new client.Histogram({
  name: 'request_duration_seconds',
  help: 'Request duration.',
  // One finite bucket that every observation falls in: its exemplar is
  // always the latest request's.
  buckets: [10],
  enableExemplars: true,
  registers: [registry],
});

const app = express();
app.use((req, res, next) => {
  const began = process.hrtime.bigint();
  const span = api.trace.getActiveSpan();
  if (!span) return next(); // the scrapes are not traced
  res.on(event, () => {
    const seconds = Number(process.hrtime.bigint() - began) / 1e9;
    hist.observe({ value: seconds, labels: {}, exemplarLabels: { traceID: span.spanContext().traceId } });
  });
  next();
});
app.get('/work', (req, res) => {
  res.type('text/plain').send(api.trace.getActiveSpan().spanContext().traceId);
});
app.get('/metrics', async (req, res) => {
  res.set('Content-Type', registry.contentType);
  res.end(await registry.metrics());
});

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function get(port, path) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent, timeout: 5000,
      headers: { Accept: 'application/openmetrics-text;version=1.0.0;q=0.9,text/plain;q=0.1' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${path}: status ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error(`${path}: timeout`)));
    req.on('error', reject);
  });
}

const hrNs = (t) => BigInt(t[0]) * 1000000000n + BigInt(t[1]);

// The server span ends in the response's 'finish', which can come after the
// client read the answer: wait for it, bounded.
async function serverSpan(traceId) {
  const deadline = Date.now() + 2000;
  for (;;) {
    const s = exporter.getFinishedSpans().find((x) => x.spanContext().traceId === traceId && x.kind === api.SpanKind.SERVER);
    if (s) { exporter.reset(); return s; }
    if (Date.now() > deadline) throw new Error(`server span of trace ${traceId} not exported within 2s`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

function classify(ts, start, end, acc) {
  if (ts < start) acc.before.push(Number(start - ts) / 1e6);
  else if (ts > end) acc.after.push(Number(ts - end) / 1e6);
  else acc.inside++;
}

function dist(v) {
  if (v.length === 0) return '(none)';
  const s = [...v].sort((a, b) => a - b);
  const q = (p) => s[Math.max(Math.ceil(p * s.length) - 1, 0)];
  const f = (x) => x.toFixed(3);
  return `min ${f(s[0])} ms, p50 ${f(q(0.5))} ms, p99 ${f(q(0.99))} ms, max ${f(s[s.length - 1])} ms`;
}

function report(label, acc) {
  console.log(label);
  console.log(`  inside [start, end]: ${acc.inside} of ${n}`);
  console.log(`  before the start:    ${acc.before.length} of ${n}  ${dist(acc.before)}`);
  console.log(`  after the end:       ${acc.after.length} of ${n}  ${dist(acc.after)}`);
}

async function main() {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address();
  const scraped = { inside: 0, before: [], after: [] };
  const exposed = { inside: 0, before: [], after: [] };
  const re = /# \{traceID="([0-9a-f]{32})"\} \S+ (\S+)/g;
  for (let i = 0; i < n; i++) {
    const traceId = (await get(port, '/work')).slice(0, 32);
    const expo = await get(port, '/metrics');
    let tsText = '';
    for (const m of expo.matchAll(re)) if (m[1] === traceId) tsText = m[2];
    if (!tsText) throw new Error(`request ${i}: no exemplar for trace ${traceId} in the exposition`);
    const ts = Number(tsText);
    if (!Number.isFinite(ts)) throw new Error(`request ${i}: exemplar timestamp ${tsText}`);
    const span = await serverSpan(traceId);
    const start = hrNs(span.startTime);
    const end = hrNs(span.endTime);
    // As the Prometheus OpenMetrics parser does: int64(ts*1000) ms.
    classify(BigInt(Math.trunc(ts * 1000)) * 1000000n, start, end, scraped);
    classify(BigInt(Math.round(ts * 1000)) * 1000000n, start, end, exposed);
  }
  console.log(`prom-client ${require('prom-client/package.json').version} + express ${require('express/package.json').version}` +
    ` + sdk-trace-node ${require('@opentelemetry/sdk-trace-node/package.json').version}` +
    ` + instrumentation-http ${require('@opentelemetry/instrumentation-http/package.json').version}, node ${process.version},` +
    ` ${n} requests; observed in res.on('${event}'), compared with the http instrumentation's SERVER span`);
  report('timestamp as scraped (Prometheus parser: int64(ts*1000) ms):', scraped);
  report('timestamp as exposed (prom-client: Date.now()/1000, ms):', exposed);
  agent.destroy();
  server.close();
  await provider.shutdown();
}

main().catch((e) => { console.error(e); process.exit(1); });
