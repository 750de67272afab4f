package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/prometheusexporter"
	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/prometheusremotewriteexporter"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

const (
	// prometheusEnv names the Prometheus binary; without it, `prometheus`
	// on PATH (Debian's package installs /usr/bin/prometheus).
	prometheusEnv = "PROMETHEUS"
	// promStartTimeout bounds how long Prometheus may take to become ready
	// on a busy machine; promStopTimeout how long it may take to exit on
	// SIGTERM before it is killed.
	promStartTimeout = 60 * time.Second
	promStopTimeout  = 15 * time.Second
	// promScrapeInterval is how often Prometheus scrapes the collector's
	// prometheus exporter.
	promScrapeInterval = 250 * time.Millisecond
	// bucketSeries is the series the exemplars of the test histogram are
	// stored on in Prometheus.
	bucketSeries = histogramName + "_bucket"
	// maxExemplarRunes is Prometheus' (and OpenMetrics') limit on an
	// exemplar's label set: names and values together, in runes.
	maxExemplarRunes = 128
)

// Pipelines the Prometheus tests compare. The processor settings are over
// exemplar_link's defaults.
var promPipelines = []struct {
	name     string
	settings map[string]any // nil: no exemplar_link
}{
	{"stock", nil},
	{"label", map[string]any{}}, // the default, trace_only_exemplars: label
	{"field", map[string]any{"trace_only_exemplars": "field"}},
}

// promServer is a Prometheus process the test started.
type promServer struct {
	addr   string // host:port of its web API
	client *http.Client
	log    string // path of its log
}

// prometheusBinary finds the Prometheus binary. Without one the test is
// skipped, except in CI (CI=true), where a missing Prometheus is an error.
func prometheusBinary(t *testing.T) string {
	t.Helper()
	name := os.Getenv(prometheusEnv)
	if name == "" {
		name = "prometheus"
	}
	bin, err := exec.LookPath(name)
	switch {
	case err == nil:
	case os.Getenv(prometheusEnv) != "":
		t.Fatalf("%s=%s: %v", prometheusEnv, name, err)
	case os.Getenv("CI") == "true":
		t.Fatalf("no prometheus binary on PATH and CI=true: .ci/install-deps installs Debian's prometheus package")
	default:
		t.Skip("no prometheus binary (set PROMETHEUS, or apt-get install prometheus): the Prometheus tests are skipped")
	}
	return bin
}

// startPrometheus runs bin on a free loopback port with the remote-write
// receiver and exemplar storage on, a temporary storage path, and
// scrapeJobs (job name -> target host:port) scraped every
// promScrapeInterval. The test stops it.
func startPrometheus(t *testing.T, bin string, scrapeJobs map[string]string) *promServer {
	t.Helper()

	dir := t.TempDir()
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "global:\n  scrape_interval: %s\n  scrape_timeout: %s\nscrape_configs:\n", promScrapeInterval, promScrapeInterval)
	for _, job := range slices.Sorted(maps.Keys(scrapeJobs)) {
		fmt.Fprintf(&cfg, "  - job_name: %q\n    static_configs:\n      - targets: [%q]\n", job, scrapeJobs[job])
	}
	if len(scrapeJobs) == 0 {
		cfg.WriteString("  []\n")
	}
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	// The port is found free and then handed to Prometheus, which cannot
	// report a port it chose itself; another process may take it in
	// between, so a start that fails is retried on a new port.
	var lastErr error
	for attempt := range 3 {
		addr := freeAddr(t)
		p := &promServer{
			addr:   addr,
			client: &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second},
			log:    filepath.Join(dir, fmt.Sprintf("prometheus-%d.log", attempt)),
		}
		err := p.start(t, bin, cfgPath, filepath.Join(dir, fmt.Sprintf("data-%d", attempt)))
		if err == nil {
			return p
		}
		lastErr = err
		t.Logf("prometheus on %s: %v; retrying on another port", addr, err)
	}
	t.Fatalf("prometheus did not start: %v", lastErr)
	return nil
}

// freeAddr returns a loopback host:port that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// start runs Prometheus in a process group of its own and waits until it
// is ready. On success the test's cleanup stops the group; on failure it is
// already stopped.
func (p *promServer) start(t *testing.T, bin, cfgPath, dataDir string) error {
	logFile, err := os.Create(p.log)
	if err != nil {
		return err
	}
	defer logFile.Close() // the child has its own descriptor
	cmd := exec.Command(bin,
		"--config.file="+cfgPath,
		"--storage.tsdb.path="+dataDir,
		"--web.listen-address="+p.addr,
		"--web.enable-remote-write-receiver",
		"--enable-feature=exemplar-storage",
	)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		// Prometheus starts no children, but the group is killed so that
		// nothing it might start outlives the test.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(promStopTimeout):
			t.Errorf("prometheus did not exit within %v of SIGTERM; killing it", promStopTimeout)
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		p.client.CloseIdleConnections()
	}

	deadline := time.Now().Add(promStartTimeout)
	for {
		select {
		case err := <-exited:
			p.client.CloseIdleConnections()
			return fmt.Errorf("exited before it was ready (%w); log:\n%s", err, p.tail())
		default:
		}
		if resp, err := p.client.Get("http://" + p.addr + "/-/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				t.Cleanup(stop)
				return nil
			}
		}
		if time.Now().After(deadline) {
			stop()
			return fmt.Errorf("not ready after %v; log:\n%s", promStartTimeout, p.tail())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// tail returns the end of Prometheus' log, for failure messages.
func (p *promServer) tail() string {
	b, _ := os.ReadFile(p.log)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// promExemplar is one exemplar as /api/v1/query_exemplars returns it.
type promExemplar struct {
	Labels map[string]string `json:"labels"`
	Value  string            `json:"value"`
}

// errMalformed marks an answer that waiting will not mend.
var errMalformed = errors.New("malformed answer")

// queryExemplars returns the exemplars of the series matching selector, by
// the series' style label.
func (p *promServer) queryExemplars(selector string) (map[string][]promExemplar, error) {
	q := url.Values{
		"query": {selector},
		"start": {fmt.Sprint(time.Now().Add(-time.Hour).Unix())},
		"end":   {fmt.Sprint(time.Now().Add(time.Hour).Unix())},
	}
	resp, err := p.client.Get("http://" + p.addr + "/api/v1/query_exemplars?" + q.Encode())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   []struct {
			SeriesLabels map[string]string `json:"seriesLabels"`
			Exemplars    []promExemplar    `json:"exemplars"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("query_exemplars %s: HTTP %d: %w: %w", selector, resp.StatusCode, errMalformed, err)
	}
	if body.Status != "success" {
		return nil, fmt.Errorf("query_exemplars %s: %s", selector, body.Error)
	}
	out := make(map[string][]promExemplar)
	for _, s := range body.Data {
		style := s.SeriesLabels[styleLabel]
		out[style] = append(out[style], s.Exemplars...)
	}
	return out, nil
}

// waitExemplars polls query_exemplars until every style in want has an
// exemplar, bounded by waitTimeout. Every style is served in the same
// scrape, so once those have arrived, a style without one has none coming.
func (p *promServer) waitExemplars(t *testing.T, selector string, want []string) map[string][]promExemplar {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		got, err := p.queryExemplars(selector)
		if errors.Is(err, errMalformed) {
			t.Fatal(err)
		}
		var missing []string
		if err == nil {
			for _, s := range want {
				if len(got[s]) == 0 {
					missing = append(missing, s)
				}
			}
			if len(missing) == 0 {
				return got
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v, %s: error %v, no exemplar for styles %q; prometheus log:\n%s",
				waitTimeout, selector, err, missing, p.tail())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// startPromPipeline builds prometheus receiver [→ exemplar_link] → exporter
// from the components' factories, starts it, and stops it when the test
// ends (upstream first, as the collector's service does).
func startPromPipeline(t *testing.T, name, target string, processorSettings map[string]any,
	expFactory exporter.Factory, expSettings map[string]any,
) {
	t.Helper()
	ctx := context.Background()
	telemetry := componenttest.NewNopTelemetrySettings()
	host := componenttest.NewNopHost()
	buildInfo := component.NewDefaultBuildInfo()

	expCfg := expFactory.CreateDefaultConfig()
	unmarshal(t, expCfg, expSettings)
	exp, err := expFactory.CreateMetrics(ctx, exporter.Settings{
		ID:                component.NewIDWithName(expFactory.Type(), name),
		TelemetrySettings: telemetry,
		BuildInfo:         buildInfo,
	}, expCfg)
	if err != nil {
		t.Fatalf("create exporter: %v", err)
	}
	started := []component.Component{exp}

	// Prometheus answers query_exemplars from a map, so a label the
	// exporter writes twice shows up once: catch it on the way in.
	next := consumer.Metrics(&duplicateIDCheck{t: t, name: name, next: exp})
	if processorSettings != nil {
		proc := newExemplarLink(ctx, t, name, processorSettings, telemetry, buildInfo, next)
		next = proc
		started = append(started, proc)
	}

	rcv, err := newScrapeReceiver(ctx, name, target, telemetry, buildInfo, next)
	if err != nil {
		t.Fatalf("create receiver: %v", err)
	}
	started = append(started, rcv)

	shutdown := func() {
		for i := len(started) - 1; i >= 0; i-- {
			sctx, cancel := context.WithTimeout(ctx, shutdownTimeout)
			if err := started[i].Shutdown(sctx); err != nil {
				t.Errorf("%s: shutdown %T: %v", name, started[i], err)
			}
			cancel()
		}
	}
	for i, c := range started {
		if err := c.Start(ctx, host); err != nil {
			started = started[:i+1]
			shutdown()
			t.Fatalf("%s: start %T: %v", name, c, err)
		}
	}
	t.Cleanup(shutdown)
}

// promCases are the e2e styles plus two that probe the 128-rune limit.
func promCases() []exemplarCase {
	cases := exemplarCases()
	i := len(cases) + 1
	route := strings.Repeat("r", 60) // 61 + 5 + 60 runes scraped; 63 + 5 + 60 = 128 linked
	cases = append(cases, exemplarCase{style: "traceID/spanID + route at the limit",
		labels: prometheus.Labels{"traceID": traceID(i), "spanID": spanID(i), "route": route}, value: 0.001 * float64(i)})
	i++
	route = strings.Repeat("r", 62) // 128 runes scraped; 130 linked
	cases = append(cases, exemplarCase{style: "traceID/spanID + route past the limit once linked",
		labels: prometheus.Labels{"traceID": traceID(i), "spanID": spanID(i), "route": route}, value: 0.001 * float64(i)})
	return cases
}

// promWant is what Prometheus' query_exemplars should return for one style,
// per pipeline: the exemplar's label set, or nil for no exemplar at all.
type promWant struct {
	// Remote write: exemplar_link gives the same with either
	// trace_only_exemplars mode, since the translator writes the TraceID
	// field and a trace_id attribute alike as a trace_id label.
	rwStock, rwLinked map[string]string
	// Scrape (prometheus exporter): it writes only the ID fields, and
	// Prometheus stores no exemplar whose label set is empty.
	scrapeStock, scrapeLabel, scrapeField map[string]string
	// kind counts the style in the summary: "linkable" (a trace and a span
	// ID), "trace-only" (a usable trace ID only) or "unusable".
	kind string
}

// promWants gives, for each of promCases (by position), what Prometheus
// should store.
func promWants(cases []exemplarCase) []promWant {
	wants := make([]promWant, 0, len(cases))
	for n, c := range cases {
		i := n + 1 // the case's IDs are traceID(i), spanID(i)
		raw := map[string]string(c.labels)
		ids := map[string]string{"trace_id": traceID(i), "span_id": spanID(i)}
		tonly := map[string]string{"trace_id": traceID(i)}
		with := func(m map[string]string, k, v string) map[string]string {
			m = maps.Clone(m)
			m[k] = v
			return m
		}
		linkable := promWant{rwStock: raw, rwLinked: ids, scrapeLabel: ids, scrapeField: ids, kind: "linkable"}
		var w promWant
		switch c.style {
		case "traceID/spanID", "TraceID/SpanID, upper-case hex, 0x span", "traceparent", "uber-trace-id", "b3":
			w = linkable
		case "trace_id/span_id", "TRACE_ID/SPAN_ID, upper-case hex":
			// The receiver itself moves these into the ID fields.
			w = linkable
			w.rwStock, w.scrapeStock = ids, ids
		case "traceId/spanId + route":
			w = linkable
			w.rwLinked = with(ids, "route", "/cart")
		case "64-bit traceID":
			padded := map[string]string{"trace_id": "0000000000000000" + traceID64(i), "span_id": spanID(i)}
			w = promWant{rwStock: raw, rwLinked: padded, scrapeLabel: padded, scrapeField: padded, kind: "linkable"}
		case "traceID/spanID + route at the limit":
			// trace_id, span_id and route come to exactly 128 runes.
			w = linkable
			w.rwLinked = with(ids, "route", c.labels["route"])
		case "traceID/spanID + route past the limit once linked":
			// 130 runes once linked: the translator keeps its own
			// trace_id and span_id and drops every other label.
			w = linkable
		case "trace-only traceID":
			// In label mode the prometheus exporter loses the trace ID.
			w = promWant{rwStock: raw, rwLinked: tonly, scrapeField: tonly, kind: "trace-only"}
		case "trace-only trace_id":
			// The receiver moves it into the TraceID field, where the
			// prometheus exporter finds it; label mode moves it out.
			w = promWant{rwStock: tonly, rwLinked: tonly, scrapeStock: tonly, scrapeField: tonly, kind: "trace-only"}
		case "invalid: 15-digit spanID":
			// The trace ID is usable, the span ID is not and stays as it came.
			w = promWant{rwStock: raw, rwLinked: with(tonly, "spanID", spanID(i)[1:]), scrapeField: tonly, kind: "trace-only"}
		case "invalid: traceparent version ff", "traceparent, not sampled", "IDs under other names":
			w = promWant{rwStock: raw, rwLinked: raw, kind: "unusable"}
		default:
			panic("promWants: no expectation for style " + c.style)
		}
		wants = append(wants, w)
	}
	return wants
}

// TestPrometheusExemplars sends one exemplar per label style to a real
// Prometheus two ways, each without exemplar_link and with it in both
// trace_only_exemplars modes:
//   - remote write: prometheus receiver [→ exemplar_link] →
//     prometheus_remote_write → Prometheus' remote-write receiver;
//   - scrape: prometheus receiver [→ exemplar_link] → prometheus exporter
//     (OpenMetrics), scraped by Prometheus.
//
// It checks every exemplar /api/v1/query_exemplars returns against
// promWants and logs the per-style and summary tables the README shows.
func TestPrometheusExemplars(t *testing.T) {
	bin := prometheusBinary(t)
	cases := promCases()
	wants := promWants(cases)
	target := startTarget(t, newTarget(t, cases))

	// The scraped pipelines first: Prometheus' config names their ports.
	jobs := map[string]string{}
	for _, p := range promPipelines {
		addr := freeAddr(t)
		jobs["scrape_"+p.name] = addr
		startPromPipeline(t, "scrape_"+p.name, target, p.settings, prometheusexporter.NewFactory(), map[string]any{
			"endpoint":            addr,
			"enable_open_metrics": true,
		})
	}
	prom := startPrometheus(t, bin, jobs)
	for _, p := range promPipelines {
		startPromPipeline(t, "rw_"+p.name, target, p.settings, prometheusremotewriteexporter.NewFactory(), map[string]any{
			"http":            map[string]any{"endpoint": "http://" + prom.addr + "/api/v1/write"},
			"external_labels": map[string]any{"pipeline": p.name},
		})
	}

	runs := []struct {
		path, pipeline, selector string
		want                     func(promWant) map[string]string
	}{
		{"remote write", "stock", `pipeline="stock"`, func(w promWant) map[string]string { return w.rwStock }},
		{"remote write", "label", `pipeline="label"`, func(w promWant) map[string]string { return w.rwLinked }},
		{"remote write", "field", `pipeline="field"`, func(w promWant) map[string]string { return w.rwLinked }},
		{"scrape", "stock", `job="scrape_stock"`, func(w promWant) map[string]string { return w.scrapeStock }},
		{"scrape", "label", `job="scrape_label"`, func(w promWant) map[string]string { return w.scrapeLabel }},
		{"scrape", "field", `job="scrape_field"`, func(w promWant) map[string]string { return w.scrapeField }},
	}
	observed := make([][]map[string]string, len(runs)) // [run][case]
	cols := make([]string, len(runs))
	for r, run := range runs {
		cols[r] = run.path + ", " + run.pipeline
		var expected []string
		for n, c := range cases {
			if run.want(wants[n]) != nil {
				expected = append(expected, c.style)
			}
		}
		got := prom.waitExemplars(t, fmt.Sprintf("%s{%s}", bucketSeries, run.selector), expected)
		observed[r] = make([]map[string]string, len(cases))
		for n, c := range cases {
			want := run.want(wants[n])
			exs := got[c.style]
			switch {
			case want == nil && len(exs) > 0:
				t.Errorf("%s %s, %s: got exemplars %v, want none", run.path, run.pipeline, c.style, exs)
			case want != nil && len(exs) != 1:
				t.Errorf("%s %s, %s: got %d exemplars %v, want one with labels %v", run.path, run.pipeline, c.style, len(exs), exs, want)
			}
			for _, ex := range exs {
				if ex.Value != fmt.Sprint(c.value) {
					t.Errorf("%s %s, %s: exemplar value %s, want %v", run.path, run.pipeline, c.style, ex.Value, c.value)
				}
				if !maps.Equal(ex.Labels, want) {
					t.Errorf("%s %s, %s: exemplar labels\n got: %v\nwant: %v", run.path, run.pipeline, c.style, ex.Labels, want)
				}
				if n := labelRunes(ex.Labels); n > maxExemplarRunes {
					t.Errorf("%s %s, %s: exemplar labels are %d runes, over Prometheus' %d", run.path, run.pipeline, c.style, n, maxExemplarRunes)
				}
				observed[r][n] = ex.Labels
			}
		}
	}
	t.Logf("per style (what query_exemplars returned):\n%s", promStyleTable(cases, cols, observed))
	t.Logf("summary:\n%s", promSummary(cases, wants, cols, observed))
}

func labelRunes(l map[string]string) int {
	n := 0
	for k, v := range l {
		n += len([]rune(k)) + len([]rune(v))
	}
	return n
}

// promStyleTable is the markdown table of what Prometheus stored per style.
func promStyleTable(cases []exemplarCase, cols []string, observed [][]map[string]string) string {
	var b strings.Builder
	b.WriteString("| style | " + strings.Join(cols, " | ") + " |\n|---" + strings.Repeat("|---", len(cols)) + "|\n")
	for n, c := range cases {
		b.WriteString("| " + c.style)
		for r := range cols {
			cell := "no exemplar"
			if l := observed[r][n]; l != nil {
				cell = strings.Join(slices.Sorted(maps.Keys(l)), ", ")
			}
			b.WriteString(" | " + cell)
		}
		b.WriteString(" |\n")
	}
	return b.String()
}

// promSummary counts, per path and pipeline, the linkable styles stored
// with exactly trace_id and span_id and the trace-only ones stored with a
// trace_id label.
func promSummary(cases []exemplarCase, wants []promWant, cols []string, observed [][]map[string]string) string {
	var b strings.Builder
	b.WriteString("| path, pipeline | linkable styles with trace_id + span_id | trace-only styles with trace_id |\n|---|---|---|\n")
	for r, col := range cols {
		var linkable, linked, traceOnly, kept int
		for n := range cases {
			l := observed[r][n]
			switch wants[n].kind {
			case "linkable":
				linkable++
				if _, ok := l["trace_id"]; ok && l["span_id"] != "" && !hasOtherIDLabel(l) {
					linked++
				}
			case "trace-only":
				traceOnly++
				if l["trace_id"] != "" && !hasOtherIDLabel(l) {
					kept++
				}
			}
		}
		fmt.Fprintf(&b, "| %s | %d of %d | %d of %d |\n", col, linked, linkable, kept, traceOnly)
	}
	return b.String()
}

// hasOtherIDLabel reports a trace reference under a name other than
// trace_id/span_id, which Grafana's one trace_id link would miss.
func hasOtherIDLabel(l map[string]string) bool {
	for k := range l {
		switch strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(k)) {
		case "traceid", "traceparent", "ubertraceid", "b3":
			if k != "trace_id" {
				return true
			}
		}
	}
	return false
}

// duplicateIDCheck fails the test when an exemplar reaching the exporter
// has a trace (span) ID in its field and also a trace_id (span_id) label:
// both Prometheus exporters write the field as that label, and the
// remote-write translator then adds the label again without de-duplicating.
// Each offending exemplar is reported once, not on every scrape.
type duplicateIDCheck struct {
	t    *testing.T
	name string
	next consumer.Metrics

	mu       sync.Mutex
	reported map[pcommon.TraceID]bool
}

func (d *duplicateIDCheck) reportOnce(id pcommon.TraceID) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.reported[id] {
		return false
	}
	if d.reported == nil {
		d.reported = make(map[pcommon.TraceID]bool)
	}
	d.reported[id] = true
	return true
}

func (d *duplicateIDCheck) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (d *duplicateIDCheck) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	check := func(metric string, exs pmetric.ExemplarSlice) {
		for _, ex := range exs.All() {
			_, traceLabel := ex.FilteredAttributes().Get("trace_id")
			_, spanLabel := ex.FilteredAttributes().Get("span_id")
			if ((!ex.TraceID().IsEmpty() && traceLabel) || (!ex.SpanID().IsEmpty() && spanLabel)) && d.reportOnce(ex.TraceID()) {
				d.t.Errorf("%s: %s: exemplar has an ID both in its field and as a label, which the exporter would write twice: trace %s span %s labels %v",
					d.name, metric, ex.TraceID(), ex.SpanID(), ex.FilteredAttributes().AsRaw())
			}
		}
	}
	for _, rm := range md.ResourceMetrics().All() {
		for _, sm := range rm.ScopeMetrics().All() {
			for _, m := range sm.Metrics().All() {
				switch m.Type() {
				case pmetric.MetricTypeGauge:
					for _, dp := range m.Gauge().DataPoints().All() {
						check(m.Name(), dp.Exemplars())
					}
				case pmetric.MetricTypeSum:
					for _, dp := range m.Sum().DataPoints().All() {
						check(m.Name(), dp.Exemplars())
					}
				case pmetric.MetricTypeHistogram:
					for _, dp := range m.Histogram().DataPoints().All() {
						check(m.Name(), dp.Exemplars())
					}
				case pmetric.MetricTypeExponentialHistogram:
					for _, dp := range m.ExponentialHistogram().DataPoints().All() {
						check(m.Name(), dp.Exemplars())
					}
				case pmetric.MetricTypeSummary, pmetric.MetricTypeEmpty:
					// no exemplars
				}
			}
		}
	}
	return d.next.ConsumeMetrics(ctx, md)
}
