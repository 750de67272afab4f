package main

// The pipeline wiring: the real prometheus receiver scraping the target
// (through the pass-through), fanned out to the real exemplar_link in front
// of the real googlemanagedprometheus exporter, and to a second exporter
// with no processor (the stock pipeline); each exporter writes to its own
// in-process gcpstandin Cloud Monitoring. A second exemplar_link instance
// with the same settings replays each exemplar alone, so its telemetry
// tells why that one exemplar was or was not linked (replay.go).
//
// Memory: a scrape is not kept. Each one is digested as it goes through
// (its exemplars, a hash of each series key, and what Cloud Monitoring
// accepted for it, indexed), and only the last digest and the series
// hashes of the earlier scrapes stay. The stand-ins record nothing
// (standin.go hands each accepted write to the check instead), so no cap
// on stored points can evict what a scrape wrote.

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/googlemanagedprometheusexporter"
	"github.com/open-telemetry/opentelemetry-collector-contrib/receiver/prometheusreceiver"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/receiver"
	noopmetric "go.opentelemetry.io/otel/metric/noop"
	nooptrace "go.opentelemetry.io/otel/trace/noop"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/exemplarlink/exemplarlinkprocessor"
)

// scrapeFailedMessage is what the prometheus receiver logs (at Warn, with
// the scrape's error) when a scrape fails.
const scrapeFailedMessage = "Failed to scrape Prometheus endpoint"

const shutdownTimeout = 10 * time.Second

// pipelineSettings configure one run.
type pipelineSettings struct {
	ProcessorConfig component.Config
	Project         string
	Interval        time.Duration
	Timeout         time.Duration
	BodyLimit       int64
	Scrapes         int
	// Spans configures the traces side; nil without --otlp.
	Spans *spanSettings
	// SpanWait is --span-wait.
	SpanWait time.Duration
	// HoldLimit bounds how long the check waits for exemplar_link to let
	// a held batch go: its wait::max_wait and a margin.
	HoldLimit time.Duration
}

// fanout gives each scrape to both pipelines, in chunks (chunk.go), and
// digests it: the stock exporter reads a chunk, then exemplar_link (which
// moves labels in place) gets the same chunk, so a scrape is never copied. The
// exporters have no sending queue, so a scrape's writes through the stock
// pipeline are done when ConsumeMetrics returns. exemplar_link in a traces
// pipeline too may hold a batch for its spans (wait::max_wait) and send it
// on later, so the fanout waits until it let every chunk go.
type fanout struct {
	linked, stock       consumer.Metrics
	gcmLinked, gcmStock *observedStandin
	// max is the number of scrapes to take; the report describes the
	// last of them, whatever comes before the pipelines shut down.
	max int64

	// started and done count the scrapes that entered and left
	// ConsumeMetrics; the wait loop reads them without blocking on mu.
	started, done atomic.Int64
	notify        chan struct{}

	mu   sync.Mutex
	seen map[uint64]struct{} // series of the scrapes before last
	last *scrapeDigest
	// linkedErr and stockErr are the first export error of each pipeline.
	linkedErr, stockErr error

	// handed counts the chunks handed to exemplar_link, delivered those it
	// let go to the exporter (linkedOut); released is signalled on each.
	handed    int64
	delivered atomic.Int64
	released  chan struct{}
	holdLimit time.Duration
	// outErr is the exporter's first error on a batch exemplar_link let go.
	outErr atomic.Pointer[error]
	// heldTooLong: a chunk did not come out of exemplar_link within
	// holdLimit.
	heldTooLong bool
}

func newFanout(scrapes int, linked, stock consumer.Metrics, gcmLinked, gcmStock *observedStandin) *fanout {
	return &fanout{
		max:    int64(scrapes),
		linked: linked, stock: stock, gcmLinked: gcmLinked, gcmStock: gcmStock,
		notify:   make(chan struct{}, 1),
		seen:     map[uint64]struct{}{},
		released: make(chan struct{}, 1),
	}
}

// linkedOut is exemplar_link's next consumer: the exporter, counted.
func (f *fanout) linkedOut(exp consumer.Metrics) consumer.Metrics {
	next, _ := consumer.NewMetrics(func(ctx context.Context, md pmetric.Metrics) error {
		err := exp.ConsumeMetrics(ctx, md)
		if err != nil {
			f.outErr.CompareAndSwap(nil, &err)
		}
		f.delivered.Add(1)
		select {
		case f.released <- struct{}{}:
		default:
		}
		return err
	}, consumer.WithCapabilities(consumer.Capabilities{MutatesData: true}))
	return next
}

// awaitReleased waits until exemplar_link let go every chunk handed to it,
// at most f.holdLimit.
func (f *fanout) awaitReleased(ctx context.Context) {
	if f.delivered.Load() >= f.handed {
		return
	}
	deadline := time.NewTimer(f.holdLimit)
	defer deadline.Stop()
	for f.delivered.Load() < f.handed {
		select {
		case <-f.released:
		case <-deadline.C:
			f.heldTooLong = true
			return
		case <-ctx.Done():
			return
		}
	}
}

// Capabilities: the fanout owns what the receiver hands it, so that
// exemplar_link may change it in place after the stock exporter read it.
func (f *fanout) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: true}
}

func (f *fanout) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	if f.done.Load() >= f.max {
		return nil
	}
	f.started.Add(1)
	// Scrapes go through one at a time; the receiver makes them one at a
	// time anyway.
	f.mu.Lock()
	defer f.mu.Unlock()
	defer func() { // before the unlock: done counts f.last
		f.done.Add(1)
		select {
		case f.notify <- struct{}{}:
		default:
		}
	}()

	if f.last != nil {
		for _, h := range f.last.series {
			f.seen[h] = struct{}{}
		}
		f.last.series = nil
	}
	d := &scrapeDigest{}
	d.readScrape(md, f.seen)
	f.gcmStock.begin()
	f.gcmLinked.begin()
	var stockErr, linkedErr error
	_ = forEachChunk(md, chunkPoints, func(chunk pmetric.Metrics) error {
		// The stock exporter gets a copy, as the collector's fan-out gives
		// each consumer that mutates data its own: the
		// googlemanagedprometheus exporter appends target_info and
		// otel_scope_info to the batch it is handed, and the linked
		// pipeline would then write them twice, which Cloud Monitoring
		// refuses (TestTerminalReport and TestDemoStyles fail without the copy).
		stockCopy := pmetric.NewMetrics()
		chunk.CopyTo(stockCopy)
		stockErr = errors.Join(stockErr, f.stock.ConsumeMetrics(ctx, stockCopy))
		f.handed++
		linkedErr = errors.Join(linkedErr, f.linked.ConsumeMetrics(ctx, chunk))
		return nil
	})
	f.awaitReleased(ctx)
	if p := f.outErr.Load(); p != nil && linkedErr == nil {
		linkedErr = *p
	}
	d.stock = f.gcmStock.end()
	d.linked = f.gcmLinked.end()

	f.last = d
	if f.stockErr == nil {
		f.stockErr = stockErr
	}
	if f.linkedErr == nil {
		f.linkedErr = linkedErr
	}
	return errors.Join(stockErr, linkedErr)
}

// pipelineResult is what a run gathered.
type pipelineResult struct {
	// Batches is the number of scrapes that went through both pipelines.
	Batches int
	// Last is the digest of the last of them (nil for none).
	Last *scrapeDigest
	// LinkedErr and StockErr are the first errors of the exporter after
	// exemplar_link and of the stock pipeline's exporter.
	LinkedErr, StockErr error
	Scrapes             []scrapeRecord
	// Failure is the one-line reason the scrapes failed, "" if they did not.
	Failure string
	// HeldTooLong: exemplar_link held a batch past HoldLimit; what it
	// wrote later is not in the report.
	HeldTooLong bool

	// With --otlp: Spans is how many spans the app sent, TraceErr the
	// googlecloud exporter's first error, ReceiverStart when the OTLP
	// receiver started listening, DroppedSpans what the Cloud Trace
	// stand-in let go to stay within its cap.
	Spans         int64
	TraceErr      error
	ReceiverStart time.Time
	DroppedSpans  int
}

type nopHost struct{}

func (nopHost) GetExtensions() map[component.ID]component.Component { return nil }

func telemetrySettings(logger *zap.Logger) component.TelemetrySettings {
	return component.TelemetrySettings{
		Logger:         logger,
		TracerProvider: nooptrace.NewTracerProvider(),
		MeterProvider:  noopmetric.NewMeterProvider(),
		Resource:       pcommon.NewResource(),
	}
}

// unmarshalInto fills cfg from a YAML-shaped map, as the collector fills a
// component's config from its file, and validates it.
func unmarshalInto(cfg component.Config, m map[string]any) error {
	if err := confmap.NewFromStringMap(m).Unmarshal(cfg); err != nil {
		return err
	}
	return confmap.Validate(cfg)
}

func newExporter(ctx context.Context, name, project, endpoint string, logger *zap.Logger) (exporter.Metrics, error) {
	f := googlemanagedprometheusexporter.NewFactory()
	cfg := f.CreateDefaultConfig()
	// use_insecure with an endpoint: plaintext gRPC to the stand-in, and
	// with the project set no lookup of Google credentials. No sending
	// queue, so an export is done when ConsumeMetrics returns.
	if err := unmarshalInto(cfg, map[string]any{
		"project":       project,
		"metric":        map[string]any{"endpoint": endpoint, "use_insecure": true},
		"sending_queue": map[string]any{"enabled": false},
	}); err != nil {
		return nil, fmt.Errorf("googlemanagedprometheus config: %w", err)
	}
	return f.CreateMetrics(ctx, exporter.Settings{
		ID:                component.NewIDWithName(f.Type(), name),
		TelemetrySettings: telemetrySettings(logger),
		BuildInfo:         component.NewDefaultBuildInfo(),
	}, cfg)
}

func receiverConfig(set pipelineSettings, addr string) map[string]any {
	protocols := make([]any, len(scrapeProtocols))
	for i, p := range scrapeProtocols {
		protocols[i] = p
	}
	return map[string]any{
		"config": map[string]any{
			"scrape_configs": []any{map[string]any{
				"job_name":         "exemplar-check",
				"scrape_interval":  set.Interval.String(),
				"scrape_timeout":   set.Timeout.String(),
				"scrape_protocols": protocols,
				"body_size_limit":  strconv.FormatInt(set.BodyLimit, 10) + "B",
				"metrics_path":     "/metrics",
				"static_configs":   []any{map[string]any{"targets": []any{addr}}},
			}},
		},
		// Hand the static target to the scrape manager at once, not after
		// the discovery manager's 5 s update tick.
		"discovery_reload_on_startup": true,
	}
}

// runPipeline scrapes addr (the pass-through pt) set.Scrapes times, or
// until a scrape fails, through both pipelines.
func runPipeline(ctx context.Context, set pipelineSettings, addr string, pt *passThrough) (*pipelineResult, error) {
	warnCore, logs := observer.New(zapcore.WarnLevel)
	rcvLogger := zap.New(warnCore)
	nop := zap.NewNop()

	gcmLinked, err := startObservedStandin()
	if err != nil {
		return nil, fmt.Errorf("start the Cloud Monitoring stand-in: %w", err)
	}
	defer gcmLinked.Stop()
	gcmStock, err := startObservedStandin()
	if err != nil {
		return nil, fmt.Errorf("start the Cloud Monitoring stand-in: %w", err)
	}
	defer gcmStock.Stop()

	expLinked, err := newExporter(ctx, "linked", set.Project, gcmLinked.Addr(), nop)
	if err != nil {
		return nil, err
	}
	expStock, err := newExporter(ctx, "stock", set.Project, gcmStock.Addr(), nop)
	if err != nil {
		return nil, err
	}
	pf := exemplarlinkprocessor.NewFactory()
	procID := component.NewID(pf.Type())
	fan := newFanout(set.Scrapes, nil, expStock, gcmLinked, gcmStock)
	fan.holdLimit = set.HoldLimit
	proc, err := pf.CreateMetrics(ctx, processor.Settings{
		ID:                procID,
		TelemetrySettings: telemetrySettings(nop),
		BuildInfo:         component.NewDefaultBuildInfo(),
	}, set.ProcessorConfig, fan.linkedOut(expLinked))
	if err != nil {
		return nil, fmt.Errorf("exemplar_link: %w", err)
	}
	var traces *tracesSide
	if set.Spans != nil {
		// The same factory and component ID: the collector gives one
		// exemplar_link in a metrics and a traces pipeline one span index.
		traces, err = newTracesSide(ctx, *set.Spans, pf, procID, set.ProcessorConfig)
		if err != nil {
			return nil, err
		}
		defer traces.stop()
	}
	fan.linked = proc

	rf := prometheusreceiver.NewFactory()
	rcfg := rf.CreateDefaultConfig()
	if err := unmarshalInto(rcfg, receiverConfig(set, addr)); err != nil {
		return nil, fmt.Errorf("prometheus receiver config: %w", err)
	}
	rcv, err := rf.CreateMetrics(ctx, receiver.Settings{
		ID:                component.NewID(rf.Type()),
		TelemetrySettings: telemetrySettings(rcvLogger),
		BuildInfo:         component.NewDefaultBuildInfo(),
	}, rcfg, fan)
	if err != nil {
		return nil, fmt.Errorf("prometheus receiver: %w", err)
	}

	// Start downstream first, shut down upstream first, as the collector does.
	started := []component.Component{}
	shutdown := func() error {
		var errs error
		for i := len(started) - 1; i >= 0; i-- {
			sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
			errs = errors.Join(errs, started[i].Shutdown(sctx))
			cancel()
		}
		return errs
	}
	order := []component.Component{expLinked, expStock, proc, rcv}
	if traces != nil {
		order = append(traces.components(), order...)
	}
	for _, c := range order {
		started = append(started, c)
		if err := c.Start(ctx, nopHost{}); err != nil {
			_ = shutdown()
			if traces != nil && c == traces.rcv {
				return nil, fmt.Errorf("the OTLP receiver: %w", err)
			}
			return nil, fmt.Errorf("start %T: %w", c, err)
		}
		if traces != nil && c == traces.rcv {
			traces.startedAt = time.Now()
		}
	}

	patience := 2*set.Interval + set.Timeout + 10*time.Second
	res := &pipelineResult{Failure: waitForScrapes(ctx, set, patience, fan, pt, logs)}
	res.Scrapes = pt.Records()
	fan.mu.Lock()
	res.Batches, res.Last = int(fan.done.Load()), fan.last
	res.LinkedErr, res.StockErr = fan.linkedErr, fan.stockErr
	res.HeldTooLong = fan.heldTooLong
	fan.mu.Unlock()
	if traces != nil && res.Failure == "" && res.Last != nil {
		checkSpans(ctx, traces, res.Last.linked, set.SpanWait)
		res.Spans, res.TraceErr, res.ReceiverStart = traces.spans.Load(), traces.exportErr(), traces.startedAt
		res.DroppedSpans = traces.cloudTrace.Stats().DroppedSpans
	}
	if err := shutdown(); err != nil && res.Failure == "" {
		return nil, fmt.Errorf("shutdown: %w", err)
	}
	return res, nil
}

// waitForScrapes waits until set.Scrapes scrapes went through both
// pipelines, and returns "" then, or the one-line reason they did not.
//
// The deadline is for progress, not for the whole run: the first scrape
// comes within one interval (Prometheus spreads targets over it) and takes
// at most the timeout, and so does each next one after the one before went
// through: patience is that, with room to spare. A scrape still going
// through the pipelines is waited for: a large exposition takes a while,
// and how long is bounded by --max-samples.
func waitForScrapes(ctx context.Context, set pipelineSettings, patience time.Duration, fan *fanout, pt *passThrough, logs *observer.ObservedLogs) string {
	deadline := time.NewTimer(patience)
	defer deadline.Stop()
	progress := -1
	for {
		for _, rec := range pt.Records() {
			if msg := scrapeFailure(rec, set.Timeout, set.BodyLimit); msg != "" {
				return msg
			}
		}
		if failed := logs.FilterMessage(scrapeFailedMessage).All(); len(failed) > 0 {
			return receiverError(failed[0])
		}
		done := fan.done.Load()
		if done >= int64(set.Scrapes) {
			return ""
		}
		// Progress: a fetch by the pass-through, a scrape entering or
		// leaving the pipelines.
		if p := len(pt.Records()) + int(fan.started.Load()+done); p != progress {
			progress = p
			deadline.Reset(patience)
		}
		select {
		case <-fan.notify:
		case <-pt.notify:
		case <-deadline.C:
			// done and started are read once, so the message cannot
			// contradict itself; a scrape in the pipelines is waited for.
			done, started := fan.done.Load(), fan.started.Load()
			switch {
			case done >= int64(set.Scrapes):
				return ""
			case started > done:
				deadline.Reset(patience)
				continue
			}
			return fmt.Sprintf("%d of %d scrapes went through the pipelines; the next did not come within %s (--interval %s, --timeout %s)",
				done, set.Scrapes, patience, set.Interval, set.Timeout)
		case <-ctx.Done():
			return "interrupted"
		}
	}
}

// receiverError is the one-line error of the receiver's scrape-failure log.
func receiverError(e observer.LoggedEntry) string {
	if v, ok := e.ContextMap()["error"]; ok {
		return "the prometheus receiver could not use the answer: " + oneLine(fmt.Sprint(v))
	}
	return "the prometheus receiver reports the scrape failed"
}

// checkSpans waits (at most wait) for the spans of the links Cloud
// Monitoring received in d, and marks each link whose span Cloud Trace
// received. Links of exemplars older than the OTLP receiver are not waited
// for: the app may have sent their spans before the check listened.
func checkSpans(ctx context.Context, traces *tracesSide, d *gcmDigest, wait time.Duration) {
	var names []string
	since := traces.startedAt.UnixNano()
	for k, exs := range d.exemplars {
		for _, e := range exs {
			if e.spanName != "" && k.TimeNs >= since {
				names = append(names, e.spanName)
			}
		}
	}
	got := traces.awaitSpans(ctx, names, wait)
	for _, exs := range d.exemplars {
		for _, e := range exs {
			if e.spanName == "" {
				continue
			}
			e.spansChecked = true
			e.exported = got[e.spanName] || traces.exported(e.spanName)
		}
	}
}
