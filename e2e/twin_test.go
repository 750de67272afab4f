package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/googlecloudexporter"
	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/googlemanagedprometheusexporter"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"

	"github.com/exemplarlink/exemplarlinkprocessor"
	"github.com/exemplarlink/exemplarlinkprocessor/demo/proc"
	"github.com/exemplarlink/exemplarlinkprocessor/gcpstandin"
)

// The demo app's trace-only exemplars, linked through the real pipeline:
// the demo app (the guides' two trace-only styles and two styles that name
// both IDs, head sampling at 0.8, spans sent by the SDK's batch span
// processor every 5 s, its default) → the prometheus receiver and the otlp
// receiver → exemplar_link, one component in both pipelines →
// googlemanagedprometheus and googlecloud → the stand-in's Cloud
// Monitoring and Cloud Trace. The app's twin histogram gets every request
// again, its exemplar naming the server span's trace and span ID, whether
// the trace was sampled and the request's style: the ground truth each
// trace-only exemplar is compared with.

const (
	twinMetric = "prometheus.googleapis.com/http_server_request_duration_seconds/histogram"
	twinTwin   = "prometheus.googleapis.com/http_server_request_duration_twin_seconds/histogram"
	// twinScrape is the scrape interval: a fifth of a common 10 s, so
	// that the test runs in well under a minute; the spans' 5 s export
	// delay is the SDK's own.
	twinScrape = 2 * time.Second
	// twinRate is the app's request rate; twinSampleRatio its head
	// sampling ratio, as issue #26 has it.
	twinRate        = "40"
	twinSampleRatio = "0.8"
	// Below these the test would prove too little: compared pairs of
	// sampled trace-only exemplars and their twins (in all, and per
	// trace-only style), and exemplars of unsampled traces of each kind.
	twinMinPairs         = 30
	twinMinPairsPerStyle = 10
	twinMinUnsampled     = 3
	// twinRunTimeout bounds the wait for those; twinDrainTimeout the wait
	// for the batches exemplar_link holds to leave once scraping stopped
	// (max_wait is 6 s).
	twinRunTimeout   = 120 * time.Second
	twinDrainTimeout = 30 * time.Second
)

// twinStyles are the styles the app rotates through; trace-only ones name
// the trace ID alone.
var (
	twinStyles    = []string{"client-golang-trace-only", "prom-client-trace-only", "prom-client", "otel"}
	twinTraceOnly = map[string]bool{"client-golang-trace-only": true, "prom-client-trace-only": true}
)

// twinVariant is one exemplar_link configuration the same requests go
// through, to a stand-in of its own.
type twinVariant struct {
	name     string
	settings map[string]any
	// unsampledLinked: exemplars that name both IDs of a head-sampled-out
	// trace leave linked (to a span Cloud Trace never gets).
	unsampledLinked bool
}

// TestTraceOnlyLinksTheObservedSpan: every trace-only exemplar of a
// sampled trace leaves linked to the span the app observed it in (the
// span its twin names); trace-only exemplars of head-sampled-out traces
// leave unlinked, their trace ID kept; exemplars naming both IDs of such
// traces leave linked by default.
func TestTraceOnlyLinksTheObservedSpan(t *testing.T) {
	app := demoAppBinary(t)
	variants := []twinVariant{
		{name: "default", settings: map[string]any{}, unsampledLinked: true},
	}
	runs := runTwinPipelines(t, app, variants)
	for i, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			f := runs[i].facts
			t.Logf("%s: %s; stand-in: %s", v.name, f, runs[i].summary)
			f.check(t, v)
		})
	}
}

// twinRun is what one variant's stand-in received.
type twinRun struct {
	facts   twinFacts
	summary gcpstandin.Summary
}

// twinPipeline is one variant's components.
type twinPipeline struct {
	gcm             *gcpstandin.Server
	telemetry       *componenttest.Telemetry
	metrics         processor.Metrics
	traces          processor.Traces
	gmp             exporter.Metrics
	cloudTrace      exporter.Traces
	scraped, passed atomic.Int64 // batches into and out of exemplar_link
}

// runTwinPipelines runs the app into one receiver pair whose batches every
// variant gets a copy of, until each variant has seen enough to judge or
// twinRunTimeout passes; then stops scraping, stops the app (its SDK sends
// the last spans), waits for held batches to leave and shuts down.
func runTwinPipelines(t *testing.T, app string, variants []twinVariant) []twinRun {
	t.Helper()
	ctx := context.Background()
	host := componenttest.NewNopHost()
	nop := componenttest.NewNopTelemetrySettings()
	buildInfo := component.NewDefaultBuildInfo()

	pipes := make([]*twinPipeline, len(variants))
	var toMetrics []consumer.Metrics
	var toTraces []consumer.Traces
	var started []component.Component
	stopped := false
	shutdown := func() {
		if stopped {
			return
		}
		stopped = true
		for i := len(started) - 1; i >= 0; i-- {
			sctx, cancel := context.WithTimeout(ctx, shutdownTimeout)
			if err := started[i].Shutdown(sctx); err != nil {
				t.Errorf("shutdown %T: %v", started[i], err)
			}
			cancel()
		}
		for _, p := range pipes {
			if p != nil && p.telemetry != nil {
				_ = p.telemetry.Shutdown(ctx)
			}
		}
	}
	defer shutdown()
	start := func(c component.Component) {
		t.Helper()
		started = append(started, c)
		if err := c.Start(ctx, host); err != nil {
			t.Fatalf("start %T: %v", c, err)
		}
	}

	for i, v := range variants {
		p := &twinPipeline{telemetry: componenttest.NewTelemetry()}
		pipes[i] = p
		var err error
		if p.gcm, err = gcpstandin.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.gcm.Stop)

		gmpF := googlemanagedprometheusexporter.NewFactory()
		gmpCfg := gmpF.CreateDefaultConfig()
		unmarshal(t, gmpCfg, map[string]any{
			"project":       project,
			"metric":        map[string]any{"endpoint": p.gcm.Addr(), "use_insecure": true},
			"sending_queue": map[string]any{"enabled": false},
		})
		if p.gmp, err = gmpF.CreateMetrics(ctx, exporter.Settings{
			ID: component.NewIDWithName(gmpF.Type(), v.name), TelemetrySettings: nop, BuildInfo: buildInfo,
		}, gmpCfg); err != nil {
			t.Fatal(err)
		}
		gcF := googlecloudexporter.NewFactory()
		gcCfg := gcF.CreateDefaultConfig()
		unmarshal(t, gcCfg, map[string]any{
			"project":       project,
			"trace":         map[string]any{"endpoint": p.gcm.Addr(), "use_insecure": true},
			"sending_queue": map[string]any{"enabled": false},
		})
		if p.cloudTrace, err = gcF.CreateTraces(ctx, exporter.Settings{
			ID: component.NewIDWithName(gcF.Type(), v.name), TelemetrySettings: nop, BuildInfo: buildInfo,
		}, gcCfg); err != nil {
			t.Fatal(err)
		}

		// One exemplar_link component in both pipelines: the same ID and
		// config for both instances, as the collector creates them.
		f := exemplarlinkprocessor.NewFactory()
		cfg := f.CreateDefaultConfig()
		unmarshal(t, cfg, v.settings)
		set := processor.Settings{
			ID:                component.NewIDWithName(f.Type(), v.name),
			TelemetrySettings: p.telemetry.NewTelemetrySettings(),
			BuildInfo:         buildInfo,
		}
		gmp := p.gmp
		out, _ := consumer.NewMetrics(func(ctx context.Context, md pmetric.Metrics) error {
			p.passed.Add(1)
			return gmp.ConsumeMetrics(ctx, md)
		})
		if p.metrics, err = f.CreateMetrics(ctx, set, cfg, out); err != nil {
			t.Fatal(err)
		}
		if p.traces, err = f.CreateTraces(ctx, set, cfg, p.cloudTrace); err != nil {
			t.Fatal(err)
		}
		for _, c := range []component.Component{p.gmp, p.cloudTrace, p.traces, p.metrics} {
			start(c)
		}
		toMetrics = append(toMetrics, p.metrics)
		toTraces = append(toTraces, p.traces)
	}

	// Every variant gets its own copy of each batch, as the collector's
	// fan-out gives one to each pipeline that mutates.
	fanMetrics, _ := consumer.NewMetrics(func(ctx context.Context, md pmetric.Metrics) error {
		for i, next := range toMetrics {
			pipes[i].scraped.Add(1)
			c := pmetric.NewMetrics()
			md.CopyTo(c)
			if err := next.ConsumeMetrics(ctx, c); err != nil {
				return err
			}
		}
		return nil
	})
	fanTraces, _ := consumer.NewTraces(func(ctx context.Context, td ptrace.Traces) error {
		for _, next := range toTraces {
			c := ptrace.NewTraces()
			td.CopyTo(c)
			if err := next.ConsumeTraces(ctx, c); err != nil {
				return err
			}
		}
		return nil
	})

	ports := freePorts(t, 2)
	appAddr, otlpAddr := proc.Addr(ports[0]), proc.Addr(ports[1])
	otlpF := otlpreceiver.NewFactory()
	otlpCfg := otlpF.CreateDefaultConfig()
	unmarshal(t, otlpCfg, map[string]any{"protocols": map[string]any{"http": map[string]any{"endpoint": otlpAddr}}})
	otlp, err := otlpF.CreateTraces(ctx, receiver.Settings{
		ID: component.NewID(otlpF.Type()), TelemetrySettings: nop, BuildInfo: buildInfo,
	}, otlpCfg, fanTraces)
	if err != nil {
		t.Fatal(err)
	}
	start(otlp)

	logPath := filepath.Join(t.TempDir(), "app.log")
	demo := startProcess(t, logPath, append(os.Environ(), "OTEL_BSP_SCHEDULE_DELAY=5000"), app,
		"-listen", appAddr, "-otlp-endpoint", otlpAddr, "-style", strings.Join(twinStyles, ","),
		"-rate", twinRate, "-sample-ratio", twinSampleRatio, "-twin", "-duration", "5m")
	defer demo.stop(t)
	readyCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := proc.WaitHTTP(readyCtx, "http://"+appAddr+"/healthz", demo.Child); err != nil {
		t.Fatalf("demo app: %v\n%s", err, demo.Tail(50))
	}

	scraper, err := newScrapeReceiverEvery(ctx, "twin", appAddr, twinScrape, nop, buildInfo, fanMetrics)
	if err != nil {
		t.Fatal(err)
	}
	start(scraper)

	began := time.Now()
	deadline := began.Add(twinRunTimeout)
	for !enough(pipes, variants) && time.Now().Before(deadline) && !demo.exited() {
		time.Sleep(time.Second)
	}
	// Scraping stops first, then the app, whose SDK sends its last spans
	// as it shuts down; the batches still held then find them or time out.
	sctx, cancelScraper := context.WithTimeout(ctx, shutdownTimeout)
	if err := scraper.Shutdown(sctx); err != nil {
		t.Errorf("shutdown prometheus receiver: %v", err)
	}
	cancelScraper()
	started = slices.DeleteFunc(started, func(c component.Component) bool { return c == scraper })
	demo.stop(t)
	drainDeadline := time.Now().Add(twinDrainTimeout)
	for !drained(pipes) && time.Now().Before(drainDeadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if !drained(pipes) {
		for i, p := range pipes {
			t.Errorf("%s: %d batches into exemplar_link, %d out after %v: held batches did not leave", variants[i].name, p.scraped.Load(), p.passed.Load(), twinDrainTimeout)
		}
	}
	shutdown()
	t.Logf("ran %.1f s; app: %s", time.Since(began).Seconds(), lastLine(demo.Tail(3)))

	runs := make([]twinRun, len(pipes))
	for i, p := range pipes {
		p.gcm.Stop()
		runs[i] = twinRun{facts: readTwinFacts(p.gcm), summary: p.gcm.Summary()}
	}
	return runs
}

func enough(pipes []*twinPipeline, variants []twinVariant) bool {
	for i, p := range pipes {
		if !readTwinFacts(p.gcm).enough(variants[i]) {
			return false
		}
	}
	return true
}

func drained(pipes []*twinPipeline) bool {
	for _, p := range pipes {
		if p.passed.Load() != p.scraped.Load() {
			return false
		}
	}
	return true
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndexByte(s, '\n')+1:]
}

// twinTruth is what a twin exemplar says of its request.
type twinTruth struct {
	spanID  string
	sampled bool
	style   string
}

// twinFacts is what the stand-in shows of the demo histogram's distinct
// exemplars, judged against the twins and Cloud Trace.
type twinFacts struct {
	// pairs are sampled trace-only exemplars compared with their twin,
	// by style; matched those whose span ID is the twin's.
	pairs, matched map[string]int
	// unsampledTraceOnly: trace-only exemplars of head-sampled-out traces
	// (by their twin); unsampledBoth those naming both IDs.
	unsampledTraceOnly, unsampledBoth int
	// exemplars are all distinct exemplars of the demo histogram; twins
	// those of the twin histogram.
	exemplars, twins int
	// results remember each judged exemplar for check.
	results []twinResult
}

// twinResult is one exemplar of the demo histogram, with its twin.
type twinResult struct {
	traceID, spanID string // spanID "" when not linked
	linked, dangles bool
	dropped         map[string]string
	truth           twinTruth
	// opened says which span the link opens and where the exemplar's
	// timestamp falls in it, for the failure message.
	opened string
}

func (f twinFacts) String() string {
	return fmt.Sprintf("%d distinct exemplars (%d twins); sampled trace-only compared with their twin %v, of which the same span %v; unsampled: %d trace-only, %d naming both IDs",
		f.exemplars, f.twins, f.pairs, f.matched, f.unsampledTraceOnly, f.unsampledBoth)
}

func (f twinFacts) enough(twinVariant) bool {
	total := 0
	for s := range twinTraceOnly {
		if f.pairs[s] < twinMinPairsPerStyle {
			return false
		}
		total += f.pairs[s]
	}
	return total >= twinMinPairs && f.unsampledTraceOnly >= twinMinUnsampled && f.unsampledBoth >= twinMinUnsampled
}

// readTwinFacts pairs the demo histogram's exemplars with the twins of
// the same trace.
func readTwinFacts(gcm *gcpstandin.Server) twinFacts {
	truth := make(map[string]twinTruth)
	seen := make(map[string]bool)
	f := twinFacts{pairs: map[string]int{}, matched: map[string]int{}}
	for _, ex := range gcm.Exemplars(twinTwin) {
		tid, sid := ex.TraceID, ex.SpanID
		if ex.SpanName == nil { // left unlinked: its IDs kept as labels
			tid, sid = ex.DroppedLabels["trace_id"], ex.DroppedLabels["span_id"]
		}
		if tid == "" || seen[tid] {
			continue
		}
		seen[tid] = true
		f.twins++
		truth[tid] = twinTruth{spanID: sid, sampled: ex.DroppedLabels["sampled"] == "true", style: ex.DroppedLabels["style"]}
	}
	clear(seen)
	for _, ex := range gcm.Exemplars(twinMetric) {
		r := twinResult{linked: ex.SpanName != nil, dangles: ex.SpanName != nil && !ex.Resolved, dropped: ex.DroppedLabels}
		if r.linked {
			r.traceID, r.spanID = ex.TraceID, ex.SpanID
			if sp := gcm.Span(*ex.SpanName); sp != nil {
				r.opened = fmt.Sprintf("%q, the exemplar at %v from its start, %v from its end", sp.GetDisplayName().GetValue(),
					ex.Time.Sub(sp.GetStartTime().AsTime()), ex.Time.Sub(sp.GetEndTime().AsTime()))
			}
		} else {
			r.traceID = ex.DroppedLabels["trace_id"]
		}
		key := r.traceID + "@" + ex.Time.String()
		if r.traceID == "" || seen[key] {
			continue
		}
		seen[key] = true
		f.exemplars++
		tr, ok := truth[r.traceID]
		if !ok {
			continue // its twin's bucket holds another request
		}
		r.truth = tr
		f.results = append(f.results, r)
		switch {
		case twinTraceOnly[tr.style] && tr.sampled:
			f.pairs[tr.style]++
			if r.spanID == tr.spanID {
				f.matched[tr.style]++
			}
		case twinTraceOnly[tr.style]:
			f.unsampledTraceOnly++
		case !tr.sampled:
			f.unsampledBoth++
		}
	}
	return f
}

// check holds the judged exemplars to the rules.
func (f twinFacts) check(t *testing.T, v twinVariant) {
	t.Helper()
	if !f.enough(v) {
		t.Errorf("too few exemplars to judge: %s; want at least %d compared pairs (%d per trace-only style) and %d unsampled of each kind",
			f, twinMinPairs, twinMinPairsPerStyle, twinMinUnsampled)
	}
	var bad []string
	for _, r := range f.results {
		tr := r.truth
		var want string
		switch {
		case twinTraceOnly[tr.style] && tr.sampled:
			if !r.linked || r.spanID != tr.spanID || r.dangles {
				want = fmt.Sprintf("linked to span %s, which the app observed it in, resolving", tr.spanID)
			}
		case twinTraceOnly[tr.style]:
			if r.linked || len(r.dropped) != 1 || r.dropped["trace_id"] != r.traceID {
				want = "unlinked (no span exists), only its trace ID kept as a trace_id label"
			}
		case tr.sampled:
			if !r.linked || r.spanID != tr.spanID || r.dangles {
				want = fmt.Sprintf("linked to span %s, resolving", tr.spanID)
			}
		case v.unsampledLinked:
			if !r.linked || r.spanID != tr.spanID {
				want = fmt.Sprintf("linked to span %s (a span never exported)", tr.spanID)
			}
		default:
			if r.linked || r.dropped["trace_id"] != r.traceID || r.dropped["span_id"] != tr.spanID {
				want = "unlinked, its IDs kept as trace_id and span_id labels"
			}
		}
		if want != "" {
			bad = append(bad, fmt.Sprintf("%s exemplar of trace %s (sampled %v): linked %v to span %q %s(dangling %v), dropped labels %v; want %s",
				tr.style, r.traceID, tr.sampled, r.linked, r.spanID, r.opened, r.dangles, r.dropped, want))
		}
	}
	sort.Strings(bad)
	for i, b := range bad {
		if i == 20 {
			t.Errorf("... and %d more", len(bad)-20)
			break
		}
		t.Error(b)
	}
}

// demoAppBinary is the demo app: EXEMPLARLINK_DEMO_APP, or built from
// ../demo into the test's temporary directory.
func demoAppBinary(t *testing.T) string {
	t.Helper()
	if app := os.Getenv("EXEMPLARLINK_DEMO_APP"); app != "" {
		return app
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("EXEMPLARLINK_DEMO_APP is not set and no go command is on PATH to build the demo app")
	}
	out := filepath.Join(t.TempDir(), "exemplar-demo")
	cmd := exec.Command(goBin, "build", "-o", out, "./cmd/exemplar-demo")
	cmd.Dir = "../demo"
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the demo app: %v\n%s", err, b)
	}
	return out
}
