package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/exemplarlink/exemplarlinkprocessor/demo/proc"
	"github.com/exemplarlink/exemplarlinkprocessor/gcpstandin"
)

// The production pipeline against the stand-in: the demo app (every
// exemplar label style, spans over OTLP) → the built collector running
// examples/googlecloud.yaml (googlemanagedprometheus for the metrics,
// googlecloud for the spans) → gcpstandin's Cloud Monitoring and Cloud
// Trace, with a fixed project and no credentials. `make standin-e2e` runs
// it with the binaries it builds.

const (
	standinProject = "standin-e2e"
	// demoRate is the demo app's request rate: enough requests between
	// two 10 s scrapes that every style leaves exemplars.
	demoRate = "20"
	// pipelineTimeout bounds the wait for every style's exemplar.
	pipelineTimeout = 150 * time.Second
	// stopTimeout bounds each process's exit after SIGTERM.
	stopTimeout = 15 * time.Second
)

// linkStyles are the demo app's styles whose exemplars exemplar_link (or the
// prometheus receiver, for otel) links, the trace-only ones from the spans
// it sees in the traces pipeline (the app samples every trace here);
// unlinkedStyles those it must leave unlinked, with their labels kept as
// dropped labels.
var (
	linkStyles = []string{"prom-client", "otel", "client-golang-trace-only", "prom-client-trace-only",
		"64bit", "traceparent", "uber-trace-id", "b3", "upper-hex"}
	unlinkedStyles = map[string]func(dropped map[string]string) bool{
		// The 31-digit traceID and its spanID, left exactly as they came.
		"invalid": func(d map[string]string) bool {
			return hex31.MatchString(d["traceID"]) && d["spanID"] != ""
		},
	}
	hex31 = regexp.MustCompile(`^[0-9a-f]{31}$`)
)

// TestStandinPipeline runs the pipeline until exemplars of every style have
// arrived, stops it, and checks that every linked exemplar opens a span
// that Cloud Trace received, with the span's own IDs; then (subtest
// Console) that headless Chromium draws the console and opens a span.
func TestStandinPipeline(t *testing.T) {
	collector, app := os.Getenv("EXEMPLARLINK_COLLECTOR"), os.Getenv("EXEMPLARLINK_DEMO_APP")
	if collector == "" || app == "" {
		t.Skip("EXEMPLARLINK_COLLECTOR and EXEMPLARLINK_DEMO_APP are not set: run `make standin-e2e`, which builds the collector and the demo app")
	}
	for _, f := range []string{collector, app} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("binary: %v", err)
		}
	}
	config, err := filepath.Abs("../examples/googlecloud.yaml")
	if err != nil {
		t.Fatal(err)
	}
	artefacts := os.Getenv("EXEMPLARLINK_ARTEFACTS")
	if artefacts == "" {
		artefacts = t.TempDir()
	}

	srv, err := gcpstandin.Start(gcpstandin.WithConsole("127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()

	ports := freePorts(t, 5)
	appAddr := fmt.Sprintf("127.0.0.1:%d", ports[0])
	otlpHTTP := fmt.Sprintf("127.0.0.1:%d", ports[2])
	env := append(os.Environ(),
		"EL_APP_ADDR="+appAddr,
		fmt.Sprintf("EL_OTLP_GRPC_ADDR=127.0.0.1:%d", ports[1]),
		"EL_OTLP_HTTP_ADDR="+otlpHTTP,
		fmt.Sprintf("EL_HEALTH_ADDR=127.0.0.1:%d", ports[3]),
		fmt.Sprintf("EL_TELEMETRY_PORT=%d", ports[4]),
		"GOOGLE_CLOUD_PROJECT="+standinProject,
		"GCP_MONITORING_ENDPOINT="+srv.Addr(),
		"GCP_TRACE_ENDPOINT="+srv.Addr(),
		"GCP_USE_INSECURE=true",
		"GOOGLE_APPLICATION_CREDENTIALS=/nonexistent/no-credentials.json", // none must be needed
	)

	start := time.Now()
	col := startProcess(t, filepath.Join(artefacts, "collector.log"), env, collector, "--config="+config)
	defer col.stop(t)
	waitHealthy(t, fmt.Sprintf("http://127.0.0.1:%d/", ports[3]), col)
	demo := startProcess(t, filepath.Join(artefacts, "app.log"), env, app,
		"-listen", appAddr, "-otlp-endpoint", otlpHTTP, "-style", "mixed", "-rate", demoRate, "-sample-ratio", "1", "-duration", "5m")
	defer demo.stop(t)

	// Wait until every style has a resolved exemplar and the unlinked
	// styles have shown up too, and at least EXEMPLARLINK_STANDIN_RUN (a
	// Go duration; a longer run draws a wider heatmap for the README's
	// screenshot).
	var minRun time.Duration
	if v := os.Getenv("EXEMPLARLINK_STANDIN_RUN"); v != "" {
		if minRun, err = time.ParseDuration(v); err != nil || minRun < 0 || minRun > 10*time.Minute {
			t.Fatalf("EXEMPLARLINK_STANDIN_RUN=%q: want a duration up to 10m", v)
		}
	}
	deadline := time.Now().Add(max(pipelineTimeout, minRun+30*time.Second))
	var missing []string
	for {
		missing = unseenStyles(srv)
		if (len(missing) == 0 && time.Since(start) >= minRun) || time.Now().After(deadline) || col.exited() || demo.exited() {
			break
		}
		time.Sleep(2 * time.Second)
	}
	// The app first, so its last spans reach the collector; then the
	// collector, which flushes both pipelines to the stand-in.
	demo.stop(t)
	col.stop(t)
	t.Logf("pipeline ran %.1f s; stand-in: %+v", time.Since(start).Seconds(), srv.Stats())
	if len(missing) > 0 {
		t.Fatalf("after %s, no exemplars of styles %v reached the stand-in as they should (collector log: %s)", time.Since(start).Round(time.Second), missing, col.log)
	}

	sum := srv.Summary()
	t.Logf("summary: %s", sum)
	if sum.Linked == 0 || sum.Dangling != 0 || sum.Resolved != sum.Linked {
		t.Errorf("summary %s: want every linked exemplar resolved, none dangling", sum)
	}
	checkLinks(t, srv)

	t.Run("Console", func(t *testing.T) { testConsole(t, srv, artefacts) })
}

// styleOf is the demo app's exemplar style of the span an exemplar opens.
func styleOf(srv *gcpstandin.Server, ex gcpstandin.Exemplar) string {
	if ex.SpanName == nil {
		return ""
	}
	sp := srv.Span(*ex.SpanName)
	if sp == nil {
		return ""
	}
	return sp.GetAttributes().GetAttributeMap()["demo.exemplar_style"].GetStringValue().GetValue()
}

// unseenStyles are the styles not seen yet: linked ones without a
// resolved exemplar, unlinked ones without an exemplar whose dropped
// labels are theirs.
func unseenStyles(srv *gcpstandin.Server) []string {
	seen := make(map[string]bool)
	for _, ex := range srv.Exemplars("") {
		if ex.Resolved {
			seen[styleOf(srv, ex)] = true
			continue
		}
		if ex.SpanName == nil {
			for style, match := range unlinkedStyles {
				if match(ex.DroppedLabels) {
					seen[style] = true
				}
			}
		}
	}
	var missing []string
	for _, s := range linkStyles {
		if !seen[s] {
			missing = append(missing, s)
		}
	}
	for s := range unlinkedStyles {
		if !seen[s] {
			missing = append(missing, s)
		}
	}
	return missing
}

// checkLinks: every linked exemplar names a span Cloud Trace received in
// the same project, and that span carries the same trace and span ID in
// its own fields; the 64-bit style's trace ID is the app's own, upper half
// zero (padded as the tracer exported it, not as a guess).
func checkLinks(t *testing.T, srv *gcpstandin.Server) {
	t.Helper()
	exemplars := srv.Exemplars("prometheus.googleapis.com/http_server_request_duration_seconds/histogram")
	if len(exemplars) == 0 {
		t.Fatal("no exemplars of the demo histogram were received")
	}
	byStyle := make(map[string]int)
	for _, ex := range exemplars {
		if ex.SpanName == nil {
			if len(ex.DroppedLabels) == 0 {
				t.Errorf("exemplar %g at %s: no link and no dropped labels", ex.Value, ex.Time)
			}
			continue
		}
		sp := srv.Span(*ex.SpanName)
		if sp == nil {
			t.Errorf("exemplar %g at %s links to %s, which Cloud Trace never received (dangling)", ex.Value, ex.Time, *ex.SpanName)
			continue
		}
		project, traceID, spanID, err := gcpstandin.ParseSpanName(sp.GetName())
		if err != nil || project != standinProject || ex.Project != standinProject ||
			traceID != ex.TraceID || spanID != ex.SpanID || sp.GetSpanId() != ex.SpanID {
			t.Errorf("exemplar link %s (project %s) and span %s (span_id %s) disagree", *ex.SpanName, ex.Project, sp.GetName(), sp.GetSpanId())
		}
		style := styleOf(srv, ex)
		byStyle[style]++
		if style == "64bit" && !strings.HasPrefix(traceID, "0000000000000000") {
			t.Errorf("64bit exemplar %s: the span's trace ID %s has a non-zero upper half", *ex.SpanName, traceID)
		}
		if sp.GetSpanKind().String() != "SERVER" || !strings.HasPrefix(sp.GetDisplayName().GetValue(), "GET /") {
			t.Errorf("exemplar %s opens span %q of kind %s, want the request's server span", *ex.SpanName, sp.GetDisplayName().GetValue(), sp.GetSpanKind())
		}
	}
	t.Logf("resolved exemplars by style (occurrences on points): %v", byStyle)
}

// child is a binary the test runs (package demo/proc, which `make demo`
// shares), its output going to a log file.
type child struct {
	*proc.Child
	log string
}

// startProcess keeps the child in the test's process group: a Ctrl-C of
// the test ends it too.
func startProcess(t *testing.T, logPath string, env []string, bin string, args ...string) *child {
	t.Helper()
	c, err := proc.StartAttached(filepath.Base(bin), logPath, env, bin, args...)
	if err != nil {
		t.Fatal(err)
	}
	return &child{Child: c, log: logPath}
}

func (p *child) exited() bool { return p.Exited() }

// stop sends SIGTERM and waits up to stopTimeout, then kills.
func (p *child) stop(t *testing.T) {
	t.Helper()
	if err := p.Stop(stopTimeout); err != nil {
		t.Error(err)
	}
}

// waitHealthy waits up to 60 s for the collector's health_check.
func waitHealthy(t *testing.T, url string, col *child) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := proc.WaitHTTP(ctx, url, col.Child); err != nil {
		t.Fatalf("the collector did not become healthy: %v\ncollector log:\n%s", err, col.Tail(100))
	}
}

func freePorts(t *testing.T, n int) []int {
	t.Helper()
	ports, err := proc.FreePorts(n)
	if err != nil {
		t.Fatal(err)
	}
	return ports
}
