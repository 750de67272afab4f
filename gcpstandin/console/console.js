// The gcpstandin console: draws /api/heatmap as an SVG heatmap with the
// exemplars as circles, and opens an exemplar's span from /api/traces.
// Plain JavaScript, no libraries, nothing fetched from outside the stand-in.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const M = { left: 78, right: 34, top: 12, bottom: 42 };
// The JSON lists come in pages; the console draws at most MAX_EXEMPLARS
// exemplars and MAX_SPANS spans of a trace, and says when there are more.
const PAGE = 1000, MAX_EXEMPLARS = 5000, MAX_SPANS = 2000;
let heatmap = null;
let series = {}; // series ID → {metric, labels, ...}, from the exemplar pages
let selectedKey = null;

function el(tag, attrs, text) {
  const e = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function fmtValue(v, metric) {
  if (!isFinite(v)) return String(v);
  if (/_seconds\//.test(metric)) {
    if (v === 0) return "0";
    if (Math.abs(v) < 1) return +(v * 1000).toPrecision(3) + " ms";
    return +v.toPrecision(3) + " s";
  }
  return String(+v.toPrecision(3));
}

function fmtTime(d) {
  return d.toISOString().slice(11, 19);
}

// cellColour: light to dark blue, by the square root of the share of the
// largest count.
function cellColour(c, max) {
  const t = max > 0 ? Math.sqrt(c / max) : 0;
  const lo = [232, 240, 254], hi = [23, 78, 166];
  const rgb = lo.map((l, i) => Math.round(l + (hi[i] - l) * t));
  return `rgb(${rgb.join(",")})`;
}

// bucketPosition: the row (bucket index plus the fraction within it) where
// value v is drawn.
function bucketPosition(v, bounds) {
  const n = bounds.length + 1;
  let b = 0;
  while (b < bounds.length && v >= bounds[b]) b++;
  let frac = 0.5;
  if (b < n - 1) {
    const lo = b === 0 ? Math.min(0, bounds[0]) : bounds[b - 1];
    const hi = bounds[b];
    if (hi > lo) frac = (v - lo) / (hi - lo);
  }
  return b + Math.min(0.9, Math.max(0.1, frac));
}

function exemplarKind(ex) {
  if (ex.span_name === null) return "unlinked";
  return ex.resolved ? "resolved" : "dangling";
}

function exemplarKey(ex) {
  return [ex.time, ex.value, ex.span_name, ex.series].join("|");
}

// getPages follows next_page_token from url (which has a query) and
// returns the pages' items under key, at most max of them, with the
// pages' series merged into into.
async function getPages(url, key, max, into) {
  const items = [];
  let token = "";
  do {
    const page = await getJSON(`${url}&limit=${PAGE}&page_token=${encodeURIComponent(token)}`);
    items.push(...page[key]);
    if (into && page.series) Object.assign(into, page.series);
    token = page.next_page_token;
  } while (token && items.length < max);
  return { items: items.slice(0, max), more: Boolean(token) || items.length > max };
}

function draw(h) {
  const svg = document.getElementById("heatmap");
  svg.replaceChildren();
  const W = +svg.getAttribute("width"), H = +svg.getAttribute("height");
  const pw = W - M.left - M.right, ph = H - M.top - M.bottom;
  if (!h || h.columns.length === 0) {
    svg.append(el("svg:text", { x: M.left, y: M.top + 20 }, "No points of this metric with explicit buckets yet."));
    return;
  }
  const n = h.bounds.length + 1;
  const rh = ph / n;
  // The time axis spans the columns and every exemplar (one may predate
  // the first point that could be differenced).
  let t0 = Date.parse(h.columns[0].start), t1 = Date.parse(h.columns[h.columns.length - 1].end);
  for (const ex of h.exemplars) {
    const t = Date.parse(ex.time);
    t0 = Math.min(t0, t);
    t1 = Math.max(t1, t);
  }
  if (t1 <= t0) t1 = t0 + 1000;
  const x = (t) => M.left + ((t - t0) / (t1 - t0)) * pw;
  const y = (row) => M.top + ph - row * rh;

  // Cells.
  const cells = el("svg:g", { id: "cells" });
  for (const col of h.columns) {
    const xa = x(Date.parse(col.start)), xb = x(Date.parse(col.end));
    col.counts.forEach((c, b) => {
      if (c <= 0) return;
      const r = el("svg:rect", {
        class: "cell", x: xa.toFixed(1), y: y(b + 1).toFixed(1),
        width: Math.max(1, xb - xa).toFixed(1), height: rh.toFixed(1), fill: cellColour(c, h.max_count),
      });
      const lo = b === 0 ? "" : fmtValue(h.bounds[b - 1], h.metric);
      const hi = b === n - 1 ? "∞" : fmtValue(h.bounds[b], h.metric);
      r.append(el("svg:title", {}, `${c} values in [${lo || "−∞"}, ${hi}) from ${fmtTime(new Date(col.start))} to ${fmtTime(new Date(col.end))} UTC`));
      cells.append(r);
    });
  }
  svg.append(cells);

  // Axes.
  const axes = el("svg:g", { id: "axes" });
  axes.append(el("svg:rect", { x: M.left, y: M.top, width: pw, height: ph, fill: "none", stroke: "#dadce0" }));
  h.bounds.forEach((bound, i) => {
    const yy = y(i + 1);
    axes.append(el("svg:line", { x1: M.left - 4, x2: M.left, y1: yy, y2: yy, stroke: "#9aa0a6" }));
    axes.append(el("svg:text", { x: M.left - 7, y: yy + 4, "text-anchor": "end" }, fmtValue(bound, h.metric)));
  });
  const ticks = 6;
  for (let i = 0; i <= ticks; i++) {
    const t = t0 + ((t1 - t0) * i) / ticks;
    const xx = x(t);
    axes.append(el("svg:line", { x1: xx, x2: xx, y1: M.top + ph, y2: M.top + ph + 4, stroke: "#9aa0a6" }));
    axes.append(el("svg:text", { x: xx, y: M.top + ph + 17, "text-anchor": "middle" }, fmtTime(new Date(t))));
  }
  axes.append(el("svg:text", { x: M.left + pw / 2, y: H - 6, "text-anchor": "middle" }, "time (UTC)"));
  svg.append(axes);

  // Exemplars: unlinked first, resolved on top.
  const dots = el("svg:g", { id: "exemplars" });
  const order = { unlinked: 0, dangling: 1, resolved: 2 };
  const exs = h.exemplars.map((ex, i) => ({ ex, i, kind: exemplarKind(ex) }))
    .sort((a, b) => order[a.kind] - order[b.kind]);
  for (const { ex, i, kind } of exs) {
    if (ex.value === null) continue; // NaN or ±Inf: no place on the axis
    const t = Math.min(t1, Math.max(t0, Date.parse(ex.time)));
    const c = el("svg:circle", {
      class: `exemplar ${kind}`, cx: x(t).toFixed(1), cy: y(bucketPosition(ex.value, h.bounds)).toFixed(1), r: 5,
      "data-index": i, "data-span-name": ex.span_name || "",
    });
    if (exemplarKey(ex) === selectedKey) c.classList.add("selected");
    c.append(el("svg:title", {}, `${fmtValue(ex.value, h.metric)} at ${fmtTime(new Date(ex.time))} UTC — ${kind === "unlinked" ? "no link" : ex.span_name}`));
    c.addEventListener("click", () => showExemplar(ex, c));
    dots.append(c);
  }
  svg.append(dots);
}

async function getJSON(url) {
  const r = await fetch(url, { cache: "no-store" });
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}

function labelsTable(title, labels) {
  const keys = Object.keys(labels || {}).sort();
  const box = el("div");
  if (keys.length === 0) return box;
  box.append(el("p", { class: "muted" }, title));
  const t = el("table", { class: "waterfall" });
  for (const k of keys) {
    const tr = el("tr");
    tr.append(el("td", {}, k), el("td", { class: "attrs" }, labels[k]));
    t.append(tr);
  }
  box.append(t);
  return box;
}

// treeOrder: the spans as a tree (children after their parent, by start),
// each with its depth.
function treeOrder(spans) {
  const ids = new Set(spans.map((s) => s.span_id));
  const kids = new Map();
  for (const s of spans) {
    const p = ids.has(s.parent_span_id) ? s.parent_span_id : "";
    if (!kids.has(p)) kids.set(p, []);
    kids.get(p).push(s);
  }
  const out = [];
  const walk = (p, depth) => {
    for (const s of (kids.get(p) || []).sort((a, b) => Date.parse(a.start) - Date.parse(b.start))) {
      out.push({ s, depth });
      walk(s.span_id, depth + 1);
    }
  };
  walk("", 0);
  return out;
}

function waterfall(spans, linkedName) {
  const t0 = Math.min(...spans.map((s) => Date.parse(s.start)));
  const t1 = Math.max(...spans.map((s) => Date.parse(s.end)));
  const span = Math.max(1, t1 - t0);
  const t = el("table", { class: "waterfall", id: "waterfall" });
  const head = el("tr");
  for (const h of ["Span", "Start", "Duration", "", "Attributes"]) head.append(el("th", {}, h));
  t.append(head);
  for (const { s, depth } of treeOrder(spans)) {
    const tr = el("tr", { class: s.name === linkedName ? "linked" : "", "data-span-id": s.span_id });
    const name = el("td", { class: "span-name nowrap", style: `padding-left: ${6 + depth * 16}px` }, s.display_name);
    const start = el("td", { class: "nowrap" }, `+${(Date.parse(s.start) - t0).toFixed(0)} ms`);
    const dur = el("td", { class: "nowrap" }, `${s.duration_ms.toFixed(2)} ms`);
    const track = el("div", { class: "bar-track" });
    const left = ((Date.parse(s.start) - t0) / span) * 100, width = ((Date.parse(s.end) - Date.parse(s.start)) / span) * 100;
    track.append(el("div", { class: "bar", style: `left: ${left.toFixed(2)}%; width: ${width.toFixed(2)}%` }));
    const bar = el("td");
    bar.append(track);
    const attrs = Object.keys(s.attributes).sort().map((k) => `${k}=${s.attributes[k]}`);
    if (s.kind && s.kind !== "UNSPECIFIED") attrs.unshift(`kind=${s.kind}`);
    if (s.status_code) attrs.push(`status=${s.status_code} ${s.status_message || ""}`);
    const at = el("td", { class: "attrs" });
    attrs.forEach((a, i) => { if (i) at.append(el("br")); at.append(document.createTextNode(a)); });
    tr.append(name, start, dur, bar, at);
    t.append(tr);
  }
  return t;
}

async function showExemplar(ex, circle) {
  document.querySelectorAll("#heatmap .exemplar.selected").forEach((c) => c.classList.remove("selected"));
  if (circle) circle.classList.add("selected");
  selectedKey = exemplarKey(ex);
  const box = document.getElementById("trace");
  box.replaceChildren();
  const metric = heatmap ? heatmap.metric : "";
  const labels = (series[ex.series] || {}).labels || {};
  box.append(el("p", { class: "ex-head" }, `Value ${fmtValue(ex.value, metric)} at ${new Date(ex.time).toISOString()} (point ending ${new Date(ex.point_end_time).toISOString()}), series ${Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(", ")}`));
  if (ex.span_name === null) {
    box.append(el("p", { class: "verdict bad", id: "verdict" }, "No link: this exemplar carries no SpanContext, so there is no span to open."));
    box.append(labelsTable("Its dropped labels (kept on the exemplar as it came):", ex.dropped_labels));
    return;
  }
  box.append(el("p", { class: "link" }, ex.span_name));
  let trace;
  try {
    const got = await getPages(`/api/traces/${encodeURIComponent(ex.trace_id)}?`, "spans", MAX_SPANS);
    trace = { spans: got.items, more: got.more };
  } catch (e) {
    box.append(el("p", { class: "verdict bad", id: "verdict" }, `Could not load the trace: ${e.message}`));
    return;
  }
  const linked = trace.spans.find((s) => s.name === ex.span_name);
  if (!linked) {
    box.append(el("p", { class: "verdict bad", id: "verdict" },
      `The link dangles: Cloud Trace received no span ${ex.span_name}` +
      (trace.spans.length ? ` (it holds ${trace.spans.length} other spans of trace ${ex.trace_id}).` : ` (nor any span of trace ${ex.trace_id}).`)));
  } else {
    box.append(el("p", { class: "verdict good", id: "verdict" },
      `The link opens span “${linked.display_name}” (${linked.span_id}) of trace ${linked.trace_id}, one of ${trace.spans.length} spans received for it:`));
  }
  if (trace.more) box.append(el("p", { class: "muted" }, `The trace has more spans than the ${MAX_SPANS} shown (the earliest by start time).`));
  if (trace.spans.length) box.append(waterfall(trace.spans, ex.span_name));
  box.append(labelsTable("Dropped labels:", ex.dropped_labels));
}

async function refresh() {
  const metric = document.getElementById("metric").value;
  try {
    const s = await getJSON("/api/summary");
    for (const k of ["exemplars", "occurrences", "linked", "resolved", "dangling", "spans"]) document.getElementById(`s-${k}`).textContent = s[k];
    document.getElementById("s-dropped-points").textContent = s.dropped_points;
    document.getElementById("s-dropped-spans").textContent = s.dropped_spans;
    if (!metric) return;
    const h = await getJSON(`/api/heatmap?metric=${encodeURIComponent(metric)}`);
    const fresh = {};
    const got = await getPages(`/api/exemplars?metric=${encodeURIComponent(metric)}&distinct=true`, "exemplars", MAX_EXEMPLARS, fresh);
    series = fresh;
    h.exemplars = got.items;
    heatmap = h;
    document.getElementById("chart-title").textContent = got.more
      ? `${metric} (drawing the first ${got.items.length} of ${h.exemplar_count} exemplars)`
      : metric;
    draw(heatmap);
    document.body.setAttribute("data-drawn", "true");
  } catch (e) {
    document.getElementById("chart-title").textContent = `${metric}: ${e.message}`;
  }
}

document.getElementById("metric").addEventListener("change", (e) => {
  history.replaceState(null, "", `?metric=${encodeURIComponent(e.target.value)}`);
  selectedKey = null;
  refresh();
});
setInterval(() => { if (document.getElementById("refresh").checked) refresh(); }, 5000);
refresh();
