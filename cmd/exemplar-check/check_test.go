package main

// The command end to end: the real prometheus receiver, exemplar_link and
// googlemanagedprometheus exporter in-process against gcpstandin, scraping
// the demo app in every label style, client_golang endpoints, bad targets
// and saved (hostile) expositions on 127.0.0.1.

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

var update = flag.Bool("update", false, "rewrite the golden terminal report in testdata")

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "exemplar-check-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// As main does: the googlecloud exporter's library logs a deprecation
	// notice with the standard logger.
	log.SetOutput(io.Discard)
	if demoApp, err = buildDemoApp(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goroutines left behind: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// fast are the scrape settings of most tests: two scrapes (the least the
// check accepts) a second apart, with a timeout that a busy 2-core CI
// machine still meets.
var fast = []string{"--interval", "1s", "--timeout", "1s", "--scrapes", "2"}

type result struct {
	code           int
	stdout, stderr string
	took           time.Duration
}

// runCheck runs the command in-process.
func runCheck(t *testing.T, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	begin := time.Now()
	code := run(ctx, args, &stdout, &stderr, false)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String(), took: time.Since(begin)}
}

// checkJSON runs the command with --format json and decodes the report,
// refusing fields the README does not document.
func checkJSON(t *testing.T, args ...string) (int, jsonReport) {
	t.Helper()
	res := runCheck(t, append([]string{"--format", "json"}, args...)...)
	require.Contains(t, []int{0, 1}, res.code, "stderr: %s", res.stderr)
	dec := json.NewDecoder(strings.NewReader(res.stdout))
	dec.DisallowUnknownFields()
	var rep jsonReport
	require.NoError(t, dec.Decode(&rep), res.stdout)
	assert.Equal(t, res.code, rep.Summary.ExitStatus)
	t.Logf("%s: exit %d in %v", strings.Join(args, " "), res.code, res.took.Round(time.Millisecond))
	return res.code, rep
}

// jsonReport is the JSON format as README.md documents it.
type jsonReport struct {
	Summary struct {
		Target          string         `json:"target"`
		ContentType     string         `json:"content_type"`
		Protocol        string         `json:"protocol"`
		Scrapes         int            `json:"scrapes"`
		Destination     string         `json:"destination"`
		Prometheus      *PromCounts    `json:"prometheus"`
		OTLP            *OTLPSummary   `json:"otlp"`
		FromTraces      int            `json:"from_traces"`
		Resolved        int            `json:"resolved"`
		Dangling        int            `json:"dangling"`
		Exemplars       int            `json:"exemplars"`
		ReferencesTrace int            `json:"references_trace"`
		Linked          int            `json:"linked"`
		StockLinked     int            `json:"stock_linked"`
		NotLinked       map[string]int `json:"not_linked"`
		Listed          int            `json:"listed"`
		NotListed       int            `json:"not_listed"`
		Groups          []struct {
			Metric          string            `json:"metric"`
			MetricType      string            `json:"metric_type"`
			LabelStyle      string            `json:"label_style"`
			Exemplars       int               `json:"exemplars"`
			Linked          int               `json:"linked"`
			StockLinked     int               `json:"stock_linked"`
			NotLinked       map[string]int    `json:"not_linked"`
			FromTraces      int               `json:"from_traces"`
			Resolved        int               `json:"resolved"`
			Dangling        int               `json:"dangling"`
			ExampleSpanName string            `json:"example_span_name"`
			ExampleLabelsIn map[string]string `json:"example_labels_in"`
			Prometheus      *PromCounts       `json:"prometheus"`
			ExampleProm     map[string]string `json:"example_prometheus_labels"`
		} `json:"groups"`
		Pitfalls []struct {
			ID      string `json:"id"`
			Count   int    `json:"count"`
			Message string `json:"message"`
			Fix     string `json:"fix"`
		} `json:"pitfalls"`
		Notes      []string `json:"notes"`
		ExitStatus int      `json:"exit_status"`
	} `json:"summary"`
	Exemplars []jsonRecord `json:"exemplars"`
}

type jsonRecord struct {
	Metric        string            `json:"metric"`
	MetricType    string            `json:"metric_type"`
	LabelsIn      map[string]string `json:"labels_in"`
	TraceID       string            `json:"trace_id"`
	SpanID        string            `json:"span_id"`
	Linked        bool              `json:"linked"`
	SpanName      string            `json:"span_name"`
	Reason        string            `json:"reason"`
	StockLinked   bool              `json:"stock_linked"`
	DroppedLabels map[string]string `json:"dropped_labels"`
	Resolution    string            `json:"resolution"`
	FromTraces    bool              `json:"from_traces"`
	Prometheus    *struct {
		Labels             map[string]string `json:"labels"`
		Result             string            `json:"result"`
		OverRuneLimit      bool              `json:"over_rune_limit"`
		DroppedLabels      []string          `json:"dropped_labels"`
		Stock              string            `json:"stock_result"`
		StockOverRuneLimit bool              `json:"stock_over_rune_limit"`
	} `json:"prometheus"`
}

func (r jsonReport) pitfalls() []string {
	out := []string{}
	for _, p := range r.Summary.Pitfalls {
		out = append(out, p.ID)
	}
	return out
}

// TestDemoStyles checks the demo app in every label style against the
// README's before/after table (section "Why"): what the stock pipeline
// links, what exemplar_link links, and why the rest do not. The app samples
// every trace, or none (sampledOut): the trace-context styles then carry
// the sampled flag off, as a real SDK writes it.
func TestDemoStyles(t *testing.T) {
	t.Parallel()
	const metric = "http_server_request_duration_seconds"
	unsampled := func(label, suffix string) func(t *testing.T, r jsonRecord) {
		return func(t *testing.T, r jsonRecord) {
			assert.True(t, strings.HasSuffix(r.LabelsIn[label], suffix), "%s flags unsampled: %+v", label, r.LabelsIn)
		}
	}
	tests := []struct {
		style       string
		sampledOut  bool
		linked      bool
		stockLinked bool
		reason      string
		pitfall     string
		check       func(t *testing.T, r jsonRecord)
	}{
		{style: "prom-client", linked: true},
		{style: "otel", linked: true, stockLinked: true},
		{style: "upper-hex", linked: true},
		{style: "64bit", linked: true, check: func(t *testing.T, r jsonRecord) {
			assert.True(t, strings.HasPrefix(r.TraceID, "0000000000000000"), "padded to 128 bits: %s", r.TraceID)
		}},
		{style: "traceparent", linked: true},
		{style: "uber-trace-id", linked: true},
		{style: "b3", linked: true},
		{style: "traceparent", sampledOut: true, reason: "unsampled", pitfall: PitfallUnsampled, check: unsampled("traceparent", "-00")},
		{style: "uber-trace-id", sampledOut: true, reason: "unsampled", pitfall: PitfallUnsampled, check: unsampled("uber_trace_id", ":0")},
		{style: "b3", sampledOut: true, reason: "unsampled", pitfall: PitfallUnsampled, check: unsampled("b3", "-0")},
		{style: "trace-only", reason: "missing_span_id", pitfall: PitfallTraceWithoutSpan, check: func(t *testing.T, r jsonRecord) {
			assert.Equal(t, r.LabelsIn["traceID"], r.DroppedLabels["trace_id"], "kept as dropped trace_id")
		}},
		{style: "invalid", reason: "invalid_value", check: func(t *testing.T, r jsonRecord) {
			assert.Len(t, r.LabelsIn["traceID"], 31)
			assert.Equal(t, r.LabelsIn["spanID"], r.DroppedLabels["spanID"], "spanID unchanged")
		}},
	}
	for _, tt := range tests {
		name, ratio := tt.style, "1"
		if tt.sampledOut {
			name, ratio = tt.style+" sampled out", "0"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			url := startDemo(t, tt.style, "", "-sample-ratio", ratio)
			code, rep := checkJSON(t, append([]string{"--max-exemplars", "1000", url}, fast...)...)
			assert.Equal(t, ProtocolOpenMetrics1, rep.Summary.Protocol)
			assert.Equal(t, 2, rep.Summary.Scrapes)
			judged := 0
			for _, r := range rep.Exemplars {
				require.Equal(t, metric, r.Metric)
				require.Equal(t, typeHistogram, r.MetricType)
				if r.Reason == ReasonFirstScrape {
					continue
				}
				judged++
				assert.Equal(t, tt.linked, r.Linked, "linked: %+v", r)
				assert.Equal(t, tt.stockLinked, r.StockLinked, "stock_linked: %+v", r)
				assert.Equal(t, tt.reason, r.Reason, "reason: %+v", r)
				if tt.linked {
					p, tid, sid, err := parseSpanName(r.SpanName)
					require.NoError(t, err)
					assert.Equal(t, "exemplar-check", p)
					assert.Equal(t, r.TraceID, tid)
					assert.Equal(t, r.SpanID, sid)
				}
				if tt.check != nil {
					tt.check(t, r)
				}
			}
			require.Positive(t, judged, "no judged exemplar: %+v", rep.Summary)
			wantCode := 1
			if tt.linked {
				wantCode = 0
			}
			assert.Equal(t, wantCode, code)
			if tt.pitfall != "" {
				assert.Contains(t, rep.pitfalls(), tt.pitfall)
			}
		})
	}
}

// TestTerminalReport is the terminal format, with the default three
// scrapes, against a saved exposition with one exemplar per label style of
// the demo app (and an unsampled traceparent), in fixed buckets with fixed
// IDs: the whole output is compared with testdata/all-styles.txt. (The demo
// app in its mixed style is no fit here: which styles the last scrape holds
// depends on where its random durations fall.) go test -run
// TestTerminalReport -update rewrites the file.
func TestTerminalReport(t *testing.T) {
	t.Parallel()
	res := runCheck(t, "--interval", "1s", "--timeout", "1s", "--file", "testdata/all-styles.om")
	t.Logf("default scrapes (3) at 1s: exit %d in %v", res.code, res.took.Round(time.Millisecond))
	assert.Equal(t, 1, res.code, "trace-only, invalid and unsampled exemplars stay unlinked: %s", res.stderr)
	assert.Empty(t, res.stderr)
	const golden = "testdata/all-styles.txt"
	if *update {
		require.NoError(t, os.WriteFile(golden, []byte(res.stdout), 0o600))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), res.stdout)
}

func parseSpanName(name string) (project, traceID, spanID string, err error) {
	parts := strings.Split(name, "/")
	if len(parts) != 6 || parts[0] != "projects" || parts[2] != "traces" || parts[4] != "spans" {
		return "", "", "", fmt.Errorf("not a span name: %q", name)
	}
	return parts[1], parts[3], parts[5], nil
}

// clientGolangEndpoint serves a client_golang registry with one histogram
// observed with an exemplar, with or without OpenMetrics.
func clientGolangEndpoint(t *testing.T, openMetrics bool) string {
	t.Helper()
	reg := prometheus.NewRegistry()
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "app_request_duration_seconds", Help: "Requests."})
	reg.MustRegister(h)
	h.(prometheus.ExemplarObserver).ObserveWithExemplar(0.02, prometheus.Labels{"traceID": tT, "spanID": tS})
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: openMetrics}))
	t.Cleanup(srv.Close)
	return srv.URL + "/metrics"
}

func TestClientGolangWithoutOpenMetrics(t *testing.T) {
	t.Parallel()
	code, rep := checkJSON(t, append([]string{clientGolangEndpoint(t, false)}, fast...)...)
	assert.Equal(t, 1, code)
	assert.Equal(t, ProtocolPromText, rep.Summary.Protocol)
	assert.True(t, strings.HasPrefix(rep.Summary.ContentType, "text/plain; version=0.0.4"), rep.Summary.ContentType)
	assert.Zero(t, rep.Summary.Exemplars)
	assert.Equal(t, []string{PitfallPrometheusText}, rep.pitfalls())
	assert.Contains(t, rep.Summary.Pitfalls[0].Fix, "promhttp.HandlerOpts{EnableOpenMetrics: true}")
}

func TestClientGolangWithOpenMetrics(t *testing.T) {
	t.Parallel()
	code, rep := checkJSON(t, append([]string{clientGolangEndpoint(t, true)}, fast...)...)
	assert.Equal(t, 0, code)
	assert.Equal(t, ProtocolOpenMetrics1, rep.Summary.Protocol)
	require.Len(t, rep.Exemplars, 1)
	r := rep.Exemplars[0]
	assert.Equal(t, jsonRecord{
		Metric: "app_request_duration_seconds", MetricType: typeHistogram,
		LabelsIn: map[string]string{"traceID": tT, "spanID": tS},
		TraceID:  tT, SpanID: tS, Linked: true,
		SpanName: "projects/exemplar-check/traces/" + tT + "/spans/" + tS,
	}, r)
	assert.Equal(t, []string{}, rep.pitfalls())
	require.Len(t, rep.Summary.Groups, 1)
	assert.Equal(t, "spanID+traceID", rep.Summary.Groups[0].LabelStyle, "client_golang sorts exemplar labels by name")
}

// assertOneLineError checks a bad target's outcome: exit 2 and one line
// on stderr, nothing on stdout.
func assertOneLineError(t *testing.T, res result, want string) {
	t.Helper()
	assert.Equal(t, 2, res.code)
	assert.Empty(t, res.stdout)
	assert.Equal(t, 1, strings.Count(res.stderr, "\n"), "one line: %q", res.stderr)
	assert.True(t, strings.HasPrefix(res.stderr, "exemplar-check: "), res.stderr)
	assert.Contains(t, res.stderr, want)
	assert.NotContains(t, res.stderr, "goroutine")
	t.Logf("%q in %v", strings.TrimSpace(res.stderr), res.took.Round(time.Millisecond))
}

func TestBadTargets(t *testing.T) {
	t.Parallel()
	notFound := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(notFound.Close)
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<!DOCTYPE html><html><body>Hello</body></html>"))
	}))
	t.Cleanup(html.Close)
	huge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", contentTypeOpenMetrics)
		for i := range 2000 {
			fmt.Fprintf(w, "# TYPE m%d counter\nm%d_total 1\n", i, i)
		}
		_, _ = w.Write([]byte("# EOF\n"))
	}))
	t.Cleanup(huge.Close)
	silent := newSilentServer(t)

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"connection refused", []string{"http://" + freePort(t) + "/metrics"}, "connection refused"},
		{"404", []string{notFound.URL + "/metrics"}, "HTTP status 404 Not Found"},
		{"html page", []string{html.URL + "/"}, `not an exposition format: Content-Type "text/html; charset=utf-8"`},
		{"never answers", []string{"http://" + silent + "/metrics"}, "timeout: no complete answer within 1s (--timeout)"},
		{"body too large", []string{"--max-body", "1000", huge.URL + "/metrics"}, "the body is larger than 1000 bytes (--max-body)"},
		{"html saved as a file", []string{"--file", "testdata/not-metrics.txt"}, "the prometheus receiver could not use the answer: "},
		{"missing file", []string{"--file", "testdata/nonexistent.om"}, "no such file or directory"},
		{"file too large", []string{"--max-body", "100", "--file", "testdata/pitfalls.om"}, "testdata/pitfalls.om is larger than 100 bytes (--max-body)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assertOneLineError(t, runCheck(t, append(tt.args, fast...)...), tt.want)
		})
	}
}

// newSilentServer accepts connections and never answers.
func newSilentServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return l.Addr().String()
}

func TestHelp(t *testing.T) {
	t.Parallel()
	res := runCheck(t, "-h")
	assert.Equal(t, 0, res.code)
	assert.Contains(t, res.stderr, "usage: exemplar-check [flags] URL")
	assert.Contains(t, res.stderr, "-max-exemplars")
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{nil, "no URL (or --file) to check"},
		{[]string{"a", "b"}, "one URL at most, got 2"},
		{[]string{"--file", "x", "http://127.0.0.1:1/"}, "give a URL or --file, not both"},
		{[]string{"ftp://example.com/metrics"}, `"ftp://example.com/metrics" is not an http:// or https:// URL`},
		{[]string{"127.0.0.1:9464"}, "is not an http:// or https:// URL"},
		{[]string{"--format", "xml", "http://127.0.0.1:1/"}, `--format "xml": want table or json`},
		{[]string{"--scrapes", "1", "http://127.0.0.1:1/"}, "--scrapes 1: want 2 to 100"},
		{[]string{"--interval", "1s", "--timeout", "2s", "http://127.0.0.1:1/"}, "--interval 1s is shorter than --timeout 2s"},
		{[]string{"--no-such-flag"}, "flag provided but not defined: -no-such-flag"},
		{[]string{"--span-wait", "0s", "http://127.0.0.1:1/"}, "--span-wait 0s: want more than 0s and at most 2m0s"},
		{[]string{"--otlp", "127.0.0.1:1", "--otlp-http", "127.0.0.1:1", "http://127.0.0.1:1/"}, "--otlp and --otlp-http need different addresses"},
		{[]string{"--otlp", "127.0.0.1:0", "http://127.0.0.1:1/"}, `--otlp "127.0.0.1:0": want HOST:PORT with a fixed port the app can send to`},
		{[]string{"--otlp-http", "14318", "http://127.0.0.1:1/"}, `--otlp-http "14318": want HOST:PORT`},
		{[]string{"--destination", "mimir", "http://127.0.0.1:1/"}, `--destination "mimir": want one of googlemanagedprometheus, prometheus_remote_write, prometheus`},
		{[]string{"--config", "testdata/invalid-collector.yaml", "--file", "testdata/pitfalls.om"},
			`processors::exemplar_link: trace_only_exemplars: "somewhere" is not one of "label", "field"`},
		{[]string{"--config", "testdata/invalid-collector.yaml", "--processor", "exemplar_link/other", "--file", "testdata/pitfalls.om"},
			"no processors::exemplar_link/other section"},
		{[]string{"--config", "testdata/invalid-collector.yaml", "--processor", "batch", "--file", "testdata/pitfalls.om"},
			`--processor "batch" is not an exemplar_link processor`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			res := runCheck(t, tt.args...)
			assert.Equal(t, 2, res.code)
			assert.Contains(t, res.stderr, tt.want)
			assert.True(t, strings.HasPrefix(res.stderr, "exemplar-check: "), res.stderr)
			assert.Equal(t, 1, strings.Count(res.stderr, "\n"), res.stderr)
		})
	}
}

func TestPitfallsFile(t *testing.T) {
	t.Parallel()
	code, rep := checkJSON(t, append([]string{"--file", "testdata/pitfalls.om"}, fast...)...)
	assert.Equal(t, 1, code)
	assert.Equal(t, "testdata/pitfalls.om", rep.Summary.Target)
	assert.Equal(t, ProtocolOpenMetrics1, rep.Summary.Protocol)
	assert.Equal(t, []string{PitfallNotOnHistograms, PitfallTraceWithoutSpan, PitfallUnsampled, PitfallProjectIDLabel}, rep.pitfalls())
	byTrace := map[string]jsonRecord{}
	for _, r := range rep.Exemplars {
		ref := r.LabelsIn["traceID"] + r.LabelsIn["trace_id"] + r.LabelsIn["traceparent"]
		byTrace[ref[:min(len(ref), 35)]] = r
	}
	require.Len(t, byTrace, 5, "%+v", rep.Exemplars)
	assert.True(t, byTrace["4bf92f3577b34da6a3ce929d0e0e4736"].Linked)
	assert.False(t, byTrace["4bf92f3577b34da6a3ce929d0e0e4736"].StockLinked)
	assert.Equal(t, "missing_span_id", byTrace["5bf92f3577b34da6a3ce929d0e0e4736"].Reason)
	unsampled := byTrace["00-6bf92f3577b34da6a3ce929d0e0e4736"]
	assert.False(t, unsampled.Linked, "exemplar_link leaves an unsampled trace context unlinked by default")
	assert.Equal(t, "unsampled", unsampled.Reason)
	withProject := byTrace["7bf92f3577b34da6a3ce929d0e0e4736"]
	assert.True(t, withProject.Linked)
	assert.True(t, withProject.StockLinked, "trace_id/span_id: the receiver converts them itself")
	assert.Equal(t, "projects/exemplar-check/traces/7bf92f3577b34da6a3ce929d0e0e4736/spans/00f067aa0ba902b9", withProject.SpanName,
		"linked to the exporter's project, not project_id's")
	assert.Equal(t, map[string]string{"project_id": "other-project"}, withProject.DroppedLabels)
	counter := byTrace["8bf92f3577b34da6a3ce929d0e0e4736"]
	assert.Equal(t, typeSum, counter.MetricType)
	assert.Equal(t, ReasonNotHistogram, counter.Reason)
	assert.False(t, counter.Linked)
}

func TestCountersOnly(t *testing.T) {
	t.Parallel()
	code, rep := checkJSON(t, append([]string{"--file", "testdata/counters-only.om"}, fast...)...)
	assert.Equal(t, 1, code)
	assert.Equal(t, []string{PitfallNotOnHistograms}, rep.pitfalls())
	assert.Contains(t, rep.Summary.Pitfalls[0].Message, "only on counters or gauges")
	assert.Equal(t, map[string]int{ReasonNotHistogram: 2}, rep.Summary.NotLinked)
}

func TestNoExemplars(t *testing.T) {
	t.Parallel()
	code, rep := checkJSON(t, append([]string{"--file", "testdata/no-exemplars.om"}, fast...)...)
	assert.Equal(t, 1, code)
	assert.Equal(t, []string{PitfallNoExemplars}, rep.pitfalls())
	assert.Zero(t, rep.Summary.Exemplars)
}

// TestConfigFlag: labels only a configured processor knows.
func TestConfigFlag(t *testing.T) {
	t.Parallel()
	code, rep := checkJSON(t, append([]string{"--file", "testdata/custom-labels.om"}, fast...)...)
	assert.Equal(t, 1, code, "with the defaults, my_trace/my_span reference nothing")
	assert.Equal(t, map[string]int{ReasonNoTraceReference: 2}, rep.Summary.NotLinked)

	code, rep = checkJSON(t, append([]string{"--config", "testdata/custom-labels-collector.yaml", "--file", "testdata/custom-labels.om"}, fast...)...)
	assert.Equal(t, 0, code)
	assert.Equal(t, 2, rep.Summary.Linked)
	assert.Zero(t, rep.Summary.StockLinked)

	// The project's Google Cloud example (${env:...} without defaults
	// included) and a section with no settings both load.
	empty := filepath.Join(t.TempDir(), "empty.yaml")
	require.NoError(t, os.WriteFile(empty, []byte("processors:\n  exemplar_link:\n  batch:\n"), 0o600))
	for _, cfg := range []string{"../../examples/googlecloud.yaml", empty} {
		code, rep = checkJSON(t, append([]string{"--config", cfg, "--file", "testdata/pitfalls.om"}, fast...)...)
		assert.Equal(t, 1, code)
		assert.Equal(t, 2, rep.Summary.Linked, cfg)
	}
}

func TestHostileExpositions(t *testing.T) {
	t.Parallel()
	t.Run("escape sequences in labels", func(t *testing.T) {
		t.Parallel()
		res := runCheck(t, append([]string{"--file", "testdata/hostile-escapes.om"}, fast...)...)
		assert.Equal(t, 1, res.code, res.stderr)
		assert.NotContains(t, res.stdout, "\x1b", "no raw escape from a label value reaches the terminal")
		assert.NotContains(t, res.stdout, "\a")
		assert.Contains(t, res.stdout, `traceID="\x1b[2J\x1b]0;pwned\a"`)
		code, rep := checkJSON(t, append([]string{"--file", "testdata/hostile-escapes.om"}, fast...)...)
		assert.Equal(t, 1, code)
		assert.Equal(t, map[string]int{"invalid_value": 1}, rep.Summary.NotLinked)
		assert.Equal(t, 1, rep.Summary.Linked)
	})
	t.Run("many exemplars, few listed", func(t *testing.T) {
		t.Parallel()
		var b strings.Builder
		b.WriteString("# TYPE wide histogram\n# HELP wide Many buckets.\n")
		for i := range 300 {
			fmt.Fprintf(&b, "wide_bucket{le=\"%d\"} %d # {traceID=\"%032x\",spanID=\"%016x\"} %d 1700000000.%03d\n", i+1, i+1, i+1, i+1, i, i%1000)
		}
		b.WriteString("wide_bucket{le=\"+Inf\"} 300\nwide_count 300\nwide_sum 45000\n# EOF\n")
		path := filepath.Join(t.TempDir(), "wide.om")
		require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o600))
		code, rep := checkJSON(t, append([]string{"--max-exemplars", "5", "--file", path}, fast...)...)
		assert.Equal(t, 0, code)
		assert.Equal(t, 300, rep.Summary.Exemplars)
		assert.Equal(t, 300, rep.Summary.Linked)
		assert.Equal(t, 5, rep.Summary.Listed)
		assert.Equal(t, 295, rep.Summary.NotListed)
		assert.Len(t, rep.Exemplars, 5)
	})
	t.Run("exemplar labels over the OpenMetrics limit", func(t *testing.T) {
		t.Parallel()
		// OpenMetrics allows 128 characters of exemplar labels; the
		// receiver and the exporter do not hold it against this one.
		junk := strings.Repeat("x", 200)
		body := "# TYPE big histogram\n# HELP big Too long.\nbig_bucket{le=\"1\"} 1 # {traceID=\"" + tT + "\",spanID=\"" + tS + "\",junk=\"" + junk + "\"} 1 1700000000.001\nbig_bucket{le=\"+Inf\"} 1\nbig_count 1\nbig_sum 1\n# EOF\n"
		path := filepath.Join(t.TempDir(), "big.om")
		require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
		code, rep := checkJSON(t, append([]string{"--file", path}, fast...)...)
		assert.Equal(t, 0, code)
		require.Len(t, rep.Exemplars, 1)
		assert.True(t, rep.Exemplars[0].Linked)
		assert.Equal(t, map[string]string{"junk": junk}, rep.Exemplars[0].DroppedLabels)
	})
	t.Run("histogram without a finite bucket", func(t *testing.T) {
		t.Parallel()
		// The exporter drops such a point, and its exemplars with it.
		body := "# TYPE inf histogram\n# HELP inf Only +Inf.\ninf_bucket{le=\"+Inf\"} 1 # {traceID=\"" + tT + "\",spanID=\"" + tS + "\"} 1 1700000000.001\ninf_count 1\ninf_sum 1\n# EOF\n"
		path := filepath.Join(t.TempDir(), "inf.om")
		require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
		code, rep := checkJSON(t, append([]string{"--file", path}, fast...)...)
		assert.Equal(t, 1, code)
		assert.Equal(t, map[string]int{ReasonPointNotExported: 1}, rep.Summary.NotLinked)
	})
	t.Run("garbage that claims to be OpenMetrics", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "garbage.om")
		require.NoError(t, os.WriteFile(path, []byte("\x00\x01\x02 not { metrics\n# EOF\n"), 0o600))
		assertOneLineError(t, runCheck(t, append([]string{"--file", path}, fast...)...), "the prometheus receiver could not use the answer")
	})
}
