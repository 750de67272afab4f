package gcpstandin

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/monitoring/apiv3/v2/monitoringpb"
	"cloud.google.com/go/trace/apiv2/tracepb"
	distributionpb "google.golang.org/genproto/googleapis/api/distribution"
	metricpb "google.golang.org/genproto/googleapis/api/metric"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// exemplarRequest is one histogram point of series labelled i at end,
// with n exemplars valued first, first+1, ...
func exemplarRequest(i string, labelSize int, end time.Duration, first, n int) *monitoringpb.CreateTimeSeriesRequest {
	d := &distributionpb.Distribution{Count: int64(n)}
	for k := range n {
		d.Exemplars = append(d.Exemplars, &distributionpb.Distribution_Exemplar{Value: float64(first + k), Timestamp: timestamppb.New(t0)})
	}
	labels := map[string]string{"i": i}
	if labelSize > 0 {
		labels["big"] = strings.Repeat("l", labelSize)
	}
	return &monitoringpb.CreateTimeSeriesRequest{Name: "projects/p", TimeSeries: []*monitoringpb.TimeSeries{{
		Metric: &metricpb.Metric{Type: histogram, Labels: labels},
		Points: []*monitoringpb.Point{{
			Interval: &monitoringpb.TimeInterval{EndTime: timestamppb.New(t0.Add(end))},
			Value:    &monitoringpb.TypedValue{Value: &monitoringpb.TypedValue_DistributionValue{DistributionValue: d}},
		}},
	}}}
}

// allPages follows next_page_token from url and returns the exemplars'
// values and the number of pages.
func allPages(t *testing.T, url string) (values []float64, pages int) {
	t.Helper()
	token := ""
	for {
		var page ExemplarPage
		get(t, url+"&page_token="+token, http.StatusOK, &page)
		pages++
		for _, ex := range page.Exemplars {
			values = append(values, ex.Value)
			if _, ok := page.Series[ex.Series]; !ok {
				t.Fatalf("exemplar of series %s, which the page does not give", ex.Series)
			}
		}
		if token = page.NextPageToken; token == "" {
			return values, pages
		}
		if pages > 100 {
			t.Fatal("more than 100 pages")
		}
	}
}

// TestExemplarPages: /api/exemplars answers in pages of ?limit= (default
// DefaultPageSize) that together give every exemplar once, in order; with
// distinct=true, an exemplar that came on several points once.
func TestExemplarPages(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	hs := httptest.NewServer(s.ConsoleHandler())
	t.Cleanup(hs.Close)
	// 12 series × 100 exemplars, each written on two points.
	for round := range 2 {
		for i := range 12 {
			if _, err := s.write(exemplarRequest(fmt.Sprint(i), 0, time.Duration(round+1)*time.Second, i*100, 100)); err != nil {
				t.Fatal(err)
			}
		}
	}
	var first ExemplarPage
	get(t, hs.URL+"/api/exemplars", http.StatusOK, &first)
	if len(first.Exemplars) != DefaultPageSize || first.NextPageToken == "" || len(first.Series) != 5 {
		t.Errorf("first page: %d exemplars of %d series, next %q; want %d of 5 and a next page", len(first.Exemplars), len(first.Series), first.NextPageToken, DefaultPageSize)
	}
	values, pages := allPages(t, hs.URL+"/api/exemplars?limit=700")
	if len(values) != 2400 || pages != 4 {
		t.Fatalf("all pages: %d exemplars in %d pages, want 2400 in 4", len(values), pages)
	}
	for k, v := range values {
		if v != float64(k%1200) {
			t.Fatalf("exemplar %d has value %g, want %d: out of order or repeated", k, v, k%1200)
		}
	}
	distinct, pages := allPages(t, hs.URL+"/api/exemplars?distinct=true&limit=500")
	if len(distinct) != 1200 || pages != 3 || distinct[1199] != 1199 {
		t.Errorf("distinct pages: %d exemplars in %d pages, want 1200 in 3", len(distinct), pages)
	}
	// A page token stays valid while the points before it go.
	var page ExemplarPage
	get(t, hs.URL+"/api/exemplars?limit=1000", http.StatusOK, &page)
	s.mu.Lock()
	s.points.max = 12 // the next write drops all but the newest 11 points
	s.mu.Unlock()
	if _, err := s.write(exemplarRequest("new", 0, time.Second, 5000, 1)); err != nil {
		t.Fatal(err)
	}
	get(t, hs.URL+"/api/exemplars?limit=1&page_token="+page.NextPageToken, http.StatusOK, &page)
	if len(page.Exemplars) != 1 || page.Exemplars[0].Value != 100 {
		t.Errorf("after older points went: %+v, want the oldest held (value 100)", page.Exemplars)
	}
	// What the scans found is kept only while nothing changes.
	distinct, _ = allPages(t, hs.URL+"/api/exemplars?distinct=true&limit=5000")
	if len(distinct) != 1101 || distinct[1100] != 5000 || s.Summary().Exemplars != 1101 {
		t.Errorf("after a new write: %d distinct exemplars, summary %s; want 1101 ending with 5000", len(distinct), s.Summary())
	}
	if _, err := s.write(exemplarRequest("newer", 0, time.Second, 6000, 1)); err != nil {
		t.Fatal(err)
	}
	if distinct, _ = allPages(t, hs.URL+"/api/exemplars?distinct=true&limit=5000"); distinct[len(distinct)-1] != 6000 || s.Summary().Exemplars != len(distinct) {
		t.Errorf("after another write: distinct pages end with %g, summary %s; want 6000", distinct[len(distinct)-1], s.Summary())
	}

	for _, q := range []string{"limit=0", "limit=x", fmt.Sprintf("limit=%d", MaxPageSize+1), "page_token=zz", "page_token=99999999", "distinct=maybe"} {
		var e map[string]string
		get(t, hs.URL+"/api/exemplars?"+q, http.StatusBadRequest, &e)
		if e["error"] == "" {
			t.Errorf("?%s: no error message", q)
		}
	}
}

// TestAnswersBounded: one 0.2 MB write (a 100 KB series label, 2,000
// exemplars) once made /api/exemplars and /api/heatmap answer 200 MB
// each. The series' labels now come once per page, cut to 1 KiB.
func TestAnswersBounded(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	hs := httptest.NewServer(s.ConsoleHandler())
	t.Cleanup(hs.Close)
	if _, err := s.write(exemplarRequest("0", 100<<10, time.Second, 0, 2000)); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/exemplars", "/api/exemplars?distinct=true&limit=" + fmt.Sprint(MaxPageSize), "/api/heatmap?metric=" + histogram, "/api/metrics", "/api/summary", "/"} {
		body := get(t, hs.URL+path, http.StatusOK, nil)
		limit := 400 << 10
		if strings.Contains(path, "limit=") {
			limit = 2 << 20
		}
		if len(body) > limit {
			t.Errorf("GET %s: %d bytes, want at most %d", path, len(body), limit)
		}
		t.Logf("GET %s: %d bytes", path, len(body))
	}
}

func TestMetricAndTracePages(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	hs := httptest.NewServer(s.ConsoleHandler())
	t.Cleanup(hs.Close)
	for _, m := range []string{"a", "b", "c"} {
		if _, err := s.write(seriesRequest(m, 1)); err != nil {
			t.Fatal(err)
		}
	}
	var mp MetricPage
	get(t, hs.URL+"/api/metrics?limit=2", http.StatusOK, &mp)
	if len(mp.Metrics) != 2 || mp.Total != 3 || mp.NextPageToken == "" {
		t.Fatalf("first metric page: %+v", mp)
	}
	get(t, hs.URL+"/api/metrics?limit=2&page_token="+mp.NextPageToken, http.StatusOK, &mp)
	if len(mp.Metrics) != 1 || mp.Metrics[0].Type != "c" || mp.NextPageToken != "" {
		t.Errorf("last metric page: %+v", mp)
	}

	var spans []*tracepb.Span
	for i := range 5 {
		spans = append(spans, span("p", testTrace, fmt.Sprintf("%016x", 5-i), fmt.Sprint("s", 4-i), t0.Add(time.Duration(4-i)*time.Second)))
	}
	s.addSpans(spans)
	var names []string
	token := ""
	for range 4 {
		var tp TraceSpans
		get(t, hs.URL+"/api/traces/"+testTrace+"?limit=2&page_token="+token, http.StatusOK, &tp)
		if tp.Total != 5 {
			t.Errorf("trace page total %d, want 5", tp.Total)
		}
		for _, sp := range tp.Spans {
			names = append(names, sp.DisplayName)
		}
		if token = tp.NextPageToken; token == "" {
			break
		}
	}
	if strings.Join(names, ",") != "s0,s1,s2,s3,s4" {
		t.Errorf("trace pages gave %v, want s0..s4 by start time", names)
	}
}
