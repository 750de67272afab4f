package gcpstandin

import (
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/monitoring/apiv3/v2/monitoringpb"
	"cloud.google.com/go/trace/apiv2/tracepb"
	distributionpb "google.golang.org/genproto/googleapis/api/distribution"
	metricpb "google.golang.org/genproto/googleapis/api/metric"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

const histogram = "prometheus.googleapis.com/http_server_request_duration_seconds/histogram"

func exemplar(t *testing.T, value float64, at time.Time, spanName string, dropped map[string]string) *distributionpb.Distribution_Exemplar {
	t.Helper()
	ex := &distributionpb.Distribution_Exemplar{Value: value, Timestamp: timestamppb.New(at)}
	if spanName != "" {
		a, err := anypb.New(&monitoringpb.SpanContext{SpanName: spanName})
		if err != nil {
			t.Fatal(err)
		}
		ex.Attachments = append(ex.Attachments, a)
	}
	if dropped != nil {
		a, err := anypb.New(&monitoringpb.DroppedLabels{Label: dropped})
		if err != nil {
			t.Fatal(err)
		}
		ex.Attachments = append(ex.Attachments, a)
	}
	return ex
}

// consoleServer holds one histogram series of two points whose exemplars
// are resolved, dangling and unlinked, and the span of the resolved one.
func consoleServer(t *testing.T) *httptest.Server {
	t.Helper()
	s := startServer(t)
	resolved := "projects/p/traces/" + testTrace + "/spans/" + testSpan
	dangling := "projects/p/traces/" + testTrace + "/spans/1111111111111111"
	p1 := cumulative(0, 10*time.Second, 1, 1, 0)
	p1.Value.GetDistributionValue().Exemplars = []*distributionpb.Distribution_Exemplar{
		exemplar(t, 0.005, t0.Add(5*time.Second), resolved, nil),
		exemplar(t, 0.05, t0.Add(6*time.Second), "", map[string]string{"traceID": testTrace}),
	}
	p2 := cumulative(0, 20*time.Second, 1, 2, 1)
	p2.Value.GetDistributionValue().Exemplars = []*distributionpb.Distribution_Exemplar{
		exemplar(t, 0.005, t0.Add(5*time.Second), resolved, nil), // the same exemplar again
		exemplar(t, 0.5, t0.Add(15*time.Second), dangling, nil),
	}
	for _, p := range []*monitoringpb.Point{p1, p2} {
		if _, err := s.write(&monitoringpb.CreateTimeSeriesRequest{Name: "projects/p", TimeSeries: []*monitoringpb.TimeSeries{{
			Metric: &metricpb.Metric{Type: histogram, Labels: map[string]string{"route": "/work"}},
			Points: []*monitoringpb.Point{p},
		}}}); err != nil {
			t.Fatal(err)
		}
	}
	s.addSpans([]*tracepb.Span{span("p", testTrace, testSpan, "GET /work", t0.Add(4*time.Second))})
	hs := httptest.NewServer(s.ConsoleHandler())
	t.Cleanup(hs.Close)
	return hs
}

func get(t *testing.T, url string, wantCode int, into any) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != wantCode {
		t.Fatalf("GET %s: %s %s, want %d", url, resp.Status, body, wantCode)
	}
	if into != nil {
		if err := json.Unmarshal(body, into); err != nil {
			t.Fatalf("GET %s: %v in %s", url, err, body)
		}
	}
	return string(body)
}

func TestConsoleAPI(t *testing.T) {
	t.Parallel()
	hs := consoleServer(t)

	var page struct {
		Exemplars []map[string]any      `json:"exemplars"`
		Series    map[string]SeriesJSON `json:"series"`
		Next      string                `json:"next_page_token"`
	}
	get(t, hs.URL+"/api/exemplars", http.StatusOK, &page)
	exemplars := page.Exemplars
	if len(exemplars) != 4 {
		t.Fatalf("/api/exemplars: %d entries, want 4 (one per point it came on)", len(exemplars))
	}
	// The JSON keys are the documented ones.
	first := exemplars[0]
	for _, k := range []string{"metric", "series", "point_end_time", "value", "span_name", "dropped_labels", "resolved"} {
		if _, ok := first[k]; !ok {
			t.Errorf("/api/exemplars entry has no %q: %v", k, first)
		}
	}
	// The series' labels come once, not on each exemplar.
	if _, ok := first["labels"]; ok {
		t.Errorf("/api/exemplars entry repeats its series' labels: %v", first)
	}
	if len(page.Series) != 1 || page.Series[first["series"].(string)].Labels["route"] != "/work" || page.Next != "" {
		t.Errorf("/api/exemplars: series %+v, next page %q; want the one series with route=/work and no next page", page.Series, page.Next)
	}
	if first["metric"] != histogram || first["resolved"] != true || first["point_end_time"] != "2026-12-02T17:00:10Z" {
		t.Errorf("first exemplar = %v", first)
	}
	if second := exemplars[1]; second["span_name"] != nil || second["resolved"] != false ||
		second["dropped_labels"].(map[string]any)["traceID"] != testTrace {
		t.Errorf("unlinked exemplar = %v", second)
	}
	if last := exemplars[3]; last["resolved"] != false || last["span_name"] == nil {
		t.Errorf("dangling exemplar = %v", last)
	}
	page.Exemplars = nil
	get(t, hs.URL+"/api/exemplars?metric=other", http.StatusOK, &page)
	if len(page.Exemplars) != 0 {
		t.Errorf("/api/exemplars?metric=other: %d entries, want 0", len(page.Exemplars))
	}

	var sum ConsoleSummary
	get(t, hs.URL+"/api/summary", http.StatusOK, &sum)
	if want := (Summary{Exemplars: 3, Occurrences: 4, Linked: 2, Resolved: 1, Dangling: 1, Unlinked: 1, Spans: 1}); sum.Summary != want {
		t.Errorf("/api/summary = %+v, want %+v", sum.Summary, want)
	}
	if sum.Stored.Points != 2 || sum.Stored.MaxPointBytes != DefaultMaxPointBytes || sum.Stored.PointBytes == 0 || sum.Stored.Spans != 1 || sum.Stored.SpanBytes == 0 {
		t.Errorf("/api/summary stored = %+v", sum.Stored)
	}

	var trace TraceSpans
	get(t, hs.URL+"/api/traces/"+strings.ToUpper(testTrace), http.StatusOK, &trace)
	if trace.TraceID != testTrace || len(trace.Spans) != 1 {
		t.Fatalf("/api/traces = %+v", trace)
	}
	if sp := trace.Spans[0]; sp.Name != "projects/p/traces/"+testTrace+"/spans/"+testSpan || sp.DisplayName != "GET /work" ||
		sp.SpanID != testSpan || sp.Kind != "SERVER" || sp.DurationMS != 15 || sp.Attributes["url.path"] != "/work" {
		t.Errorf("span = %+v", sp)
	}
	get(t, hs.URL+"/api/traces/0123456789abcdef0123456789abcdef", http.StatusOK, &trace)
	if len(trace.Spans) != 0 || trace.Spans == nil {
		t.Errorf("unknown trace: %+v, want an empty list", trace)
	}

	var h Heatmap
	get(t, hs.URL+"/api/heatmap?metric="+histogram, http.StatusOK, &h)
	if len(h.Columns) != 2 || h.ExemplarCount != 3 || h.Series != 1 {
		t.Errorf("/api/heatmap: %d columns, %d exemplars, %d series; want 2, 3, 1", len(h.Columns), h.ExemplarCount, h.Series)
	}
	// The metric menu counts exemplars as the summary does: distinct.
	var metrics MetricPage
	get(t, hs.URL+"/api/metrics", http.StatusOK, &metrics)
	if len(metrics.Metrics) != 1 || metrics.Metrics[0] != (Metric{Type: histogram, Distribution: true, Series: 1, Points: 2, Exemplars: 3, Occurrences: 4}) {
		t.Errorf("/api/metrics = %+v", metrics)
	}
}

func TestExemplarJSONWithoutNumber(t *testing.T) {
	t.Parallel()
	for _, v := range []float64{math.NaN(), math.Inf(1)} {
		b, err := json.Marshal([]Exemplar{{Metric: "m", Value: v}})
		if err != nil {
			t.Fatalf("Marshal value %g: %v", v, err)
		}
		var back []map[string]any
		if err := json.Unmarshal(b, &back); err != nil || back[0]["value"] != nil || back[0]["metric"] != "m" {
			t.Errorf("value %g: %s, want value null", v, b)
		}
	}
	b, err := json.Marshal(Exemplar{Value: 0.25})
	if err != nil || !strings.Contains(string(b), `"value":0.25`) {
		t.Errorf("finite value: %s %v", b, err)
	}
}

func TestConsoleErrors(t *testing.T) {
	t.Parallel()
	hs := consoleServer(t)
	for _, tc := range []struct {
		path string
		code int
		want string
	}{
		{"/api/traces/xyz", http.StatusBadRequest, "trace_id: xyz is not 32 hex digits"},
		{"/api/traces/" + testTrace + "00", http.StatusBadRequest, "trace_id: " + testTrace + "00 is not 32 hex digits"},
		{"/api/heatmap", http.StatusBadRequest, "metric: a metric type is required, e.g. ?metric=prometheus.googleapis.com/NAME/histogram"},
		{"/api/heatmap?metric=nope", http.StatusNotFound, "metric: no points of nope were received"},
		{"/nonsense", http.StatusNotFound, "no such page: /nonsense"},
	} {
		var e map[string]string
		get(t, hs.URL+tc.path, tc.code, &e)
		if e["error"] != tc.want {
			t.Errorf("GET %s: error %q, want %q", tc.path, e["error"], tc.want)
		}
	}
	resp, err := http.Post(hs.URL+"/api/summary", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /api/summary: %s, want 405", resp.Status)
	}
}

func TestConsolePage(t *testing.T) {
	t.Parallel()
	hs := consoleServer(t)
	page := get(t, hs.URL+"/", http.StatusOK, nil)
	for _, want := range []string{
		"not Google's console",
		`<option value="` + histogram + `" selected>`,
		`Exemplars received: <b id="s-exemplars">3</b>`,
		`links that resolve: <b id="s-resolved">1</b> · dangling: <b id="s-dangling">1</b>`,
		`<script src="/static/console.js">`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "http://") || strings.Contains(page, "https://") {
		t.Error("page refers to another site; it must load nothing from outside the stand-in")
	}
	for _, f := range []string{"/static/console.js", "/static/console.css"} {
		body := get(t, hs.URL+f, http.StatusOK, nil)
		if len(body) < 500 || strings.Contains(body, "https://") {
			t.Errorf("%s: %d bytes, or refers to another site", f, len(body))
		}
	}
	// html/template escapes what the exporters sent.
	if page := get(t, hs.URL+"/?metric=<script>x</script>", http.StatusOK, nil); strings.Contains(page, "<script>x") {
		t.Error("the metric parameter reached the page unescaped")
	}
}
