package e2e

import (
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

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

// Outcomes of an exemplar at Cloud Monitoring, compared with its twin.
const (
	linkedObserved = "linked to the span it was observed in"
	linkedDangling = "linked to the span it was observed in, which Cloud Trace never got (dangling)"
	traceLost      = "no link, no labels: trace ID lost"
)

// dropped is the outcome of an unlinked exemplar that keeps these labels.
func dropped(keys ...string) string { return "not linked, dropped labels " + strings.Join(keys, " ") }

// twinVariant is one pipeline the same requests go through, to a stand-in
// of its own.
type twinVariant struct {
	name string
	// settings configure exemplar_link, in both pipelines; nil is the
	// stock pipeline, without it.
	settings map[string]any
	// want is the outcome for an exemplar of a style, of a sampled trace
	// or not.
	want func(style string, sampled bool) string
	// minPairs: this variant proves nothing until it compared that many
	// sampled trace-only exemplars with their twins.
	minPairs bool
	// checkRun, if set, checks the run's totals: the stand-in's and
	// exemplar_link's counts.
	checkRun func(t *testing.T, r twinRun)
}

var (
	stockVariant = twinVariant{name: "stock", want: func(style string, sampled bool) string {
		switch style {
		case "client-golang-trace-only":
			return traceLost // the receiver moves it into the field, the exporter writes a link only with both IDs
		case "prom-client-trace-only":
			return dropped("traceID")
		case "prom-client":
			return dropped("spanID", "traceID")
		}
		if sampled {
			return linkedObserved
		}
		return linkedDangling
	}}
	defaultVariant = twinVariant{name: "exemplar_link", settings: map[string]any{}, minPairs: true,
		want: func(style string, sampled bool) string {
			switch {
			case sampled:
				return linkedObserved
			case twinTraceOnly[style]:
				return dropped("trace_id") // no span exists
			}
			return linkedDangling
		},
		// Links to the spans of sampled-out traces are counted dangling.
		// (The counts are logged beside the stand-in's; on 2026-12-04
		// they disagreed, 27 against 34 dangling, 94 against 180
		// resolved: not asserted equal until that is understood.)
		checkRun: func(t *testing.T, r twinRun) {
			t.Logf("links_checked: resolved %d, dangling %d; the stand-in holds %d links resolving, %d dangling (distinct exemplars)",
				r.counters["links_checked{result=resolved}"], r.counters["links_checked{result=dangling}"], r.summary.Resolved, r.summary.Dangling)
			if r.counters["links_checked{result=dangling}"] == 0 {
				t.Errorf("links_checked{result=dangling} = 0; want the links naming spans of sampled-out traces counted dangling")
			}
		}}
	linkOnlyVariant = twinVariant{name: "link_only_exported_spans", settings: map[string]any{"link_only_exported_spans": true}, minPairs: true,
		want: func(style string, sampled bool) string {
			switch {
			case sampled:
				return linkedObserved
			case twinTraceOnly[style]:
				return dropped("trace_id")
			}
			return dropped("span_id", "trace_id") // its span never reached the traces side
		},
		checkRun: func(t *testing.T, r twinRun) {
			if r.summary.Dangling != 0 || r.counters["links_checked{result=dangling}"] != 0 {
				t.Errorf("stand-in: %s; links_checked{result=dangling} = %d; want no dangling link", r.summary, r.counters["links_checked{result=dangling}"])
			}
			if r.counters["exemplars_unlinked{reason=span_not_exported}"] == 0 {
				t.Errorf("exemplars_unlinked{reason=span_not_exported} = 0; want the exemplars of sampled-out traces naming both IDs counted")
			}
		}}
)

// TestTraceOnlyLinksTheObservedSpan: every trace-only exemplar of a
// sampled trace leaves linked to the span the app observed it in (the
// span its twin names); trace-only exemplars of head-sampled-out traces
// leave unlinked, their trace ID kept; exemplars naming both IDs of such
// traces leave linked by default. The stock pipeline, fed the same
// batches, is measured beside it. It logs a table of the outcomes, and
// writes it to the file E2E_TWIN_TABLE_OUT names, if set.
func TestTraceOnlyLinksTheObservedSpan(t *testing.T) {
	app := demoAppBinary(t)
	variants := []twinVariant{stockVariant, defaultVariant, linkOnlyVariant}
	runs := runTwinPipelines(t, app, variants)
	var table strings.Builder
	table.WriteString("| pipeline | style | trace | outcome | distinct exemplars |\n| --- | --- | --- | --- | --- |\n")
	for i, v := range variants {
		f := runs[i].facts
		t.Logf("%s: %s; stand-in: %s; exemplar_link's counters: %v", v.name, f, runs[i].summary, runs[i].counters)
		f.table(&table, v.name)
		t.Run(v.name, func(t *testing.T) {
			f.check(t, v)
			if v.checkRun != nil {
				v.checkRun(t, runs[i])
			}
		})
	}
	t.Logf("outcomes, compared with the twins:\n%s", table.String())
	if out := os.Getenv("E2E_TWIN_TABLE_OUT"); out != "" {
		if err := os.WriteFile(out, []byte(table.String()), 0o600); err != nil {
			t.Error(err)
		}
	}
}

// twinRun is what one variant's stand-in received, and exemplar_link's
// counters after the run ("name{attribute=value}": sum).
type twinRun struct {
	facts    twinFacts
	summary  gcpstandin.Summary
	counters map[string]int64
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
	}
	defer shutdown()
	defer func() {
		for _, p := range pipes {
			if p != nil && p.telemetry != nil {
				_ = p.telemetry.Shutdown(ctx)
			}
		}
	}()
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

		gmp := p.gmp
		out, _ := consumer.NewMetrics(func(ctx context.Context, md pmetric.Metrics) error {
			p.passed.Add(1)
			return gmp.ConsumeMetrics(ctx, md)
		})
		start(p.gmp)
		start(p.cloudTrace)
		if v.settings == nil { // stock: the receivers' batches straight to the exporters
			toMetrics = append(toMetrics, out)
			toTraces = append(toTraces, p.cloudTrace)
			continue
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
		if p.metrics, err = f.CreateMetrics(ctx, set, cfg, out); err != nil {
			t.Fatal(err)
		}
		if p.traces, err = f.CreateTraces(ctx, set, cfg, p.cloudTrace); err != nil {
			t.Fatal(err)
		}
		start(p.traces)
		start(p.metrics)
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
	// A link counts dangling dangling_after (10 s, the default) after it
	// left, and one still within it at shutdown is not judged: the last
	// links' grace must end before exemplar_link stops.
	graceEnd := time.Now().Add(10*time.Second + time.Second)
	for time.Now().Before(graceEnd) {
		time.Sleep(200 * time.Millisecond)
	}
	shutdown()
	t.Logf("ran %.1f s; app: %s", time.Since(began).Seconds(), lastLine(demo.Tail(3)))

	runs := make([]twinRun, len(pipes))
	for i, p := range pipes {
		p.gcm.Stop()
		runs[i] = twinRun{facts: readTwinFacts(p.gcm), summary: p.gcm.Summary(), counters: readCounters(p.telemetry)}
	}
	return runs
}

// readCounters reads exemplar_link's int64 counters, by attribute set.
func readCounters(tel *componenttest.Telemetry) map[string]int64 {
	out := make(map[string]int64)
	var rm metricdata.ResourceMetrics
	if err := tel.Reader.Collect(context.Background(), &rm); err != nil {
		return out
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			sum, ok := m.Data.(metricdata.Sum[int64])
			name, ours := strings.CutPrefix(m.Name, "otelcol_processor_exemplar_link_")
			if !ok || !ours {
				continue
			}
			for _, dp := range sum.DataPoints {
				var attrs []string
				for _, kv := range dp.Attributes.ToSlice() {
					attrs = append(attrs, string(kv.Key)+"="+kv.Value.String())
				}
				out[name+"{"+strings.Join(attrs, ",")+"}"] += dp.Value
			}
		}
	}
	return out
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
	traceID, spanID string
	sampled         bool
	style           string
}

// twinKey groups outcomes: a style, sampled or not, and the outcome.
type twinKey struct {
	style   string
	sampled bool
	outcome string
}

// twinFacts is what the stand-in shows of the demo histogram's distinct
// exemplars, each judged against the twin of the same request.
type twinFacts struct {
	// outcomes counts the judged exemplars.
	outcomes map[twinKey]int
	// pairs are sampled trace-only exemplars compared with their twin, by
	// style.
	pairs map[string]int
	// exemplars are all distinct exemplars of the demo histogram; judged
	// those with a twin; twins the distinct twins.
	exemplars, judged, twins int
	// wrong describes exemplars whose link names another span or trace.
	wrong []string
}

func (f twinFacts) String() string {
	return fmt.Sprintf("%d distinct exemplars, %d judged against their twin (%d twins); sampled trace-only ones compared %v",
		f.exemplars, f.judged, f.twins, f.pairs)
}

// unsampled is how many judged exemplars of sampled-out traces, of the
// trace-only styles or the others, had any outcome.
func (f twinFacts) unsampled(traceOnly bool) int {
	n := 0
	for k, c := range f.outcomes {
		if twinTraceOnly[k.style] == traceOnly && !k.sampled {
			n += c
		}
	}
	return n
}

func (f twinFacts) enough(v twinVariant) bool {
	if v.minPairs {
		total := 0
		for s := range twinTraceOnly {
			if f.pairs[s] < twinMinPairsPerStyle {
				return false
			}
			total += f.pairs[s]
		}
		if total < twinMinPairs {
			return false
		}
	}
	return f.unsampled(true) >= twinMinUnsampled && f.unsampled(false) >= twinMinUnsampled
}

// readTwinFacts pairs the demo histogram's exemplars with the twins of the
// same trace; one that names no trace (the stock pipeline loses a lone
// trace_id) with the twin of the same value, the same observation.
func readTwinFacts(gcm *gcpstandin.Server) twinFacts {
	byTrace := make(map[string]twinTruth)
	byValue := make(map[float64]twinTruth)
	for _, ex := range gcm.Exemplars(twinTwin) {
		tid, sid := ex.TraceID, ex.SpanID
		if ex.SpanName == nil { // left unlinked: its IDs kept as labels
			tid, sid = ex.DroppedLabels["trace_id"], ex.DroppedLabels["span_id"]
		}
		if _, dup := byTrace[tid]; tid == "" || dup {
			continue
		}
		tr := twinTruth{traceID: tid, spanID: sid, sampled: ex.DroppedLabels["sampled"] == "true", style: ex.DroppedLabels["style"]}
		byTrace[tid] = tr
		byValue[ex.Value] = tr
	}
	f := twinFacts{outcomes: map[twinKey]int{}, pairs: map[string]int{}, twins: len(byTrace)}
	seen := make(map[string]bool)
	for _, ex := range gcm.Exemplars(twinMetric) {
		key := fmt.Sprint(ex.Value, "@", ex.Time)
		if seen[key] {
			continue // a bucket's exemplar on a later point
		}
		seen[key] = true
		f.exemplars++
		tid := ex.TraceID
		if ex.SpanName == nil {
			tid = ex.DroppedLabels["trace_id"]
			if tid == "" {
				tid = ex.DroppedLabels["traceID"]
			}
		}
		tr, ok := byTrace[tid]
		if tid == "" {
			tr, ok = byValue[ex.Value]
		}
		if !ok {
			continue // its twin's bucket holds another request
		}
		f.judged++
		var outcome string
		switch {
		case ex.SpanName != nil && (ex.TraceID != tr.traceID || ex.SpanID != tr.spanID):
			outcome = "linked to another span"
			opened := ""
			if sp := gcm.Span(*ex.SpanName); sp != nil {
				opened = fmt.Sprintf(" (%q, the exemplar %v after its start, %v after its end)", sp.GetDisplayName().GetValue(),
					ex.Time.Sub(sp.GetStartTime().AsTime()), ex.Time.Sub(sp.GetEndTime().AsTime()))
			}
			f.wrong = append(f.wrong, fmt.Sprintf("%s exemplar of trace %s (sampled %v) linked to %s/%s%s; the app observed it in span %s",
				tr.style, tr.traceID, tr.sampled, ex.TraceID, ex.SpanID, opened, tr.spanID))
		case ex.SpanName != nil && ex.Resolved:
			outcome = linkedObserved
		case ex.SpanName != nil:
			outcome = linkedDangling
		case len(ex.DroppedLabels) == 0:
			outcome = traceLost
		default:
			keys := slices.Sorted(maps.Keys(ex.DroppedLabels))
			outcome = dropped(keys...)
			for _, k := range keys {
				if v := ex.DroppedLabels[k]; v != tr.traceID && v != tr.spanID {
					outcome += fmt.Sprintf(" (%s=%q, not the request's IDs)", k, v)
				}
			}
		}
		f.outcomes[twinKey{tr.style, tr.sampled, outcome}]++
		if twinTraceOnly[tr.style] && tr.sampled {
			f.pairs[tr.style]++
		}
	}
	return f
}

// check holds every judged exemplar to the variant's rules.
func (f twinFacts) check(t *testing.T, v twinVariant) {
	t.Helper()
	if !f.enough(v) {
		t.Errorf("too few exemplars to judge: %s; %d unsampled trace-only, %d unsampled naming both IDs; want at least %d compared pairs (%d per trace-only style) and %d unsampled of each kind",
			f, f.unsampled(true), f.unsampled(false), twinMinPairs, twinMinPairsPerStyle, twinMinUnsampled)
	}
	for _, k := range slices.SortedFunc(maps.Keys(f.outcomes), compareTwinKeys) {
		if want := v.want(k.style, k.sampled); k.outcome != want {
			t.Errorf("%d %s exemplars of %s traces: %s; want %s", f.outcomes[k], k.style, sampledWord(k.sampled), k.outcome, want)
		}
	}
	for i, w := range f.wrong {
		if i == 10 {
			t.Errorf("... and %d more linked to another span", len(f.wrong)-10)
			break
		}
		t.Error(w)
	}
}

// table writes the variant's outcomes as markdown rows.
func (f twinFacts) table(b *strings.Builder, pipeline string) {
	for _, k := range slices.SortedFunc(maps.Keys(f.outcomes), compareTwinKeys) {
		fmt.Fprintf(b, "| %s | %s | %s | %s | %d |\n", pipeline, k.style, sampledWord(k.sampled), k.outcome, f.outcomes[k])
	}
}

func compareTwinKeys(a, b twinKey) int {
	ia, ib := slices.Index(twinStyles, a.style), slices.Index(twinStyles, b.style)
	switch {
	case ia != ib:
		return ia - ib
	case a.sampled != b.sampled:
		if a.sampled {
			return -1
		}
		return 1
	}
	return strings.Compare(a.outcome, b.outcome)
}

func sampledWord(sampled bool) string {
	if sampled {
		return "sampled"
	}
	return "sampled out"
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
