package main

// Large expositions: the right verdict past gcpstandin's default cap on
// stored points, and a refusal naming --max-samples past that limit.

import (
	"bufio"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/monitoring/apiv3/v2/monitoringpb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/genproto/googleapis/api/distribution"
	metricpb "google.golang.org/genproto/googleapis/api/metric"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/exemplarlink/exemplarlinkprocessor/gcpstandin"
)

// writeLargeExposition writes n counter series and a histogram whose
// le="1" bucket carries a valid trace_id/span_id exemplar, the histogram
// first or last, as OpenMetrics.
func writeLargeExposition(t *testing.T, n int, histogramFirst bool) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "large.om")
	f, err := os.Create(path)
	require.NoError(t, err)
	w := bufio.NewWriter(f)
	histogram := "# TYPE h histogram\n" +
		`h_bucket{le="1"} 1 # {trace_id="4bf92f3577b34da6a3ce929d0e0e4736",span_id="00f067aa0ba902b7"} 0.5 1700000000.000` + "\n" +
		"h_bucket{le=\"+Inf\"} 1\nh_sum 0.5\nh_count 1\n"
	if histogramFirst {
		_, _ = w.WriteString(histogram)
	}
	_, _ = w.WriteString("# TYPE m counter\n")
	for k := range n {
		fmt.Fprintf(w, "m_total{i=\"%d\"} %d\n", k, k)
	}
	if !histogramFirst {
		_, _ = w.WriteString(histogram)
	}
	_, _ = w.WriteString("# EOF\n")
	require.NoError(t, w.Flush())
	require.NoError(t, f.Close())
	return path
}

// TestLargeExpositionHistogramFirst: two scrapes of 105,000 series write
// more points than gcpstandin keeps by default (200,000), so a check that
// read the stand-in's recorded requests by position lost the first writes
// of the last scrape, and with them the histogram (point_not_exported).
// It takes 20-80 s on a busy 2-core machine, so it runs only with
// EXEMPLAR_CHECK_LARGE=1; TestObservedStandinPastTheCap tests the same
// mechanism in a second.
func TestLargeExpositionHistogramFirst(t *testing.T) {
	if os.Getenv("EXEMPLAR_CHECK_LARGE") == "" {
		t.Skip("set EXEMPLAR_CHECK_LARGE=1 to check a 105,000-series exposition")
	}
	path := writeLargeExposition(t, 105_000, true)
	code, rep := checkJSON(t, append([]string{"--file", path}, fast...)...)
	assert.Equal(t, 0, code)
	assert.Equal(t, 1, rep.Summary.Linked)
	assert.Empty(t, rep.Summary.NotLinked)
}

// TestObservedStandinPastTheCap: one scrape's writes, more points than
// gcpstandin keeps by default, are digested whole, the first included.
func TestObservedStandinPastTheCap(t *testing.T) {
	t.Parallel()
	o, err := startObservedStandin()
	require.NoError(t, err)
	t.Cleanup(o.Stop)
	conn, err := grpc.NewClient(o.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	client := monitoringpb.NewMetricServiceClient(conn)

	const perRequest = 2000
	requests := gcpstandin.DefaultMaxPoints/perRequest + 2
	series := make([]*monitoringpb.TimeSeries, perRequest)
	for i := range series {
		series[i] = &monitoringpb.TimeSeries{
			Metric: &metricpb.Metric{Type: "prometheus.googleapis.com/m_total/counter"},
			Points: []*monitoringpb.Point{{Value: &monitoringpb.TypedValue{Value: &monitoringpb.TypedValue_DoubleValue{DoubleValue: 1}}}},
		}
	}
	first := &monitoringpb.CreateTimeSeriesRequest{Name: "projects/p", TimeSeries: []*monitoringpb.TimeSeries{{
		Metric: &metricpb.Metric{Type: "prometheus.googleapis.com/h/histogram"},
		Points: []*monitoringpb.Point{{Value: &monitoringpb.TypedValue{Value: &monitoringpb.TypedValue_DistributionValue{
			DistributionValue: &distribution.Distribution{Count: 1, Exemplars: []*distribution.Distribution_Exemplar{{Value: 0.5}}},
		}}}},
	}}}
	o.begin()
	_, err = client.CreateTimeSeries(t.Context(), first)
	require.NoError(t, err)
	for range requests {
		_, err := client.CreateTimeSeries(t.Context(), &monitoringpb.CreateTimeSeriesRequest{Name: "projects/p", TimeSeries: series})
		require.NoError(t, err)
	}
	d := o.end()
	assert.True(t, d.metrics["h"], "the first write of the scrape")
	assert.True(t, d.metrics["m_total"])
	assert.Len(t, d.exemplars, 1)
}

func TestMaxSamples(t *testing.T) {
	t.Parallel()
	path := writeLargeExposition(t, 2000, false)
	body, err := os.ReadFile(path)
	require.NoError(t, err)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", contentTypeOpenMetrics)
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)

	t.Run("file", func(t *testing.T) {
		t.Parallel()
		res := runCheck(t, append([]string{"--max-samples", "1000", "--file", path}, fast...)...)
		assertOneLineError(t, res, path+" has more than 1000 samples (--max-samples)")
	})
	t.Run("url", func(t *testing.T) {
		t.Parallel()
		res := runCheck(t, append([]string{"--max-samples", "1000", srv.URL + "/metrics"}, fast...)...)
		assertOneLineError(t, res, "the exposition has more than 1000 samples (--max-samples)")
	})
	t.Run("within the limit", func(t *testing.T) {
		t.Parallel()
		// 2000 counters and the histogram's 4 sample lines.
		code, rep := checkJSON(t, append([]string{"--max-samples", "2004", "--file", path}, fast...)...)
		assert.Equal(t, 0, code)
		assert.Equal(t, 1, rep.Summary.Linked)
	})
}

func TestSampleCounter(t *testing.T) {
	t.Parallel()
	body := "# HELP m a counter\n# TYPE m counter\nm_total 1\n\n  \nm_total{a=\"#\"} 2\n# EOF\n"
	for _, tt := range []struct {
		max  int64
		over bool
	}{{2, false}, {1, true}} {
		var out strings.Builder
		c := &sampleCounter{w: &out, max: tt.max}
		// Byte by byte: a line split over writes counts once.
		var err error
		for i := 0; i < len(body) && err == nil; i++ {
			_, err = c.Write([]byte{body[i]})
		}
		assert.Equal(t, tt.over, c.over, "max %d", tt.max)
		assert.Equal(t, tt.over, err != nil, "max %d", tt.max)
		if !tt.over {
			assert.Equal(t, int64(2), c.n)
			assert.Equal(t, body, out.String())
		}
	}
}

// TestForEachChunk: every point in order, no piece over the size, each
// piece's metrics with their type settings.
func TestForEachChunk(t *testing.T) {
	t.Parallel()
	md := pmetric.NewMetrics()
	ms := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics()
	want := []string{}
	for i, points := range []int{3, 0, 9, 1, 5} {
		m := ms.AppendEmpty()
		m.SetName(fmt.Sprintf("m%d", i))
		s := m.SetEmptySum()
		s.SetIsMonotonic(true)
		s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		for p := range points {
			s.DataPoints().AppendEmpty().SetIntValue(int64(p))
			want = append(want, fmt.Sprintf("m%d/%d", i, p))
		}
	}
	var got []string
	var sizes []int
	require.NoError(t, forEachChunk(md, 4, func(chunk pmetric.Metrics) error {
		sizes = append(sizes, chunk.DataPointCount())
		cms := chunk.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics()
		for i := range cms.Len() {
			m := cms.At(i)
			assert.True(t, m.Sum().IsMonotonic())
			assert.Equal(t, pmetric.AggregationTemporalityCumulative, m.Sum().AggregationTemporality())
			for p := range m.Sum().DataPoints().Len() {
				got = append(got, fmt.Sprintf("%s/%d", m.Name(), m.Sum().DataPoints().At(p).IntValue()))
			}
		}
		return nil
	}))
	assert.Equal(t, want, got)
	assert.Equal(t, []int{4, 4, 4, 4, 2}, sizes)
}

// TestWaitForScrapes: a scrape still in the pipelines when the deadline
// passes is waited for, and a failure's counts agree with themselves (it
// said "no 3 scrapes within the deadline (got 3)").
func TestWaitForScrapes(t *testing.T) {
	t.Parallel()
	set := pipelineSettings{Scrapes: 3, Interval: time.Second, Timeout: time.Second}
	_, logs := observer.New(zapcore.WarnLevel)
	pt := newPassThrough("http://127.0.0.1:1/metrics", time.Second, 1, 1)

	t.Run("the last scrape finishes after the deadline", func(t *testing.T) {
		t.Parallel()
		fan := newFanout(3, nil, nil, nil, nil)
		fan.started.Store(3)
		fan.done.Store(2)
		finish := time.AfterFunc(300*time.Millisecond, func() {
			fan.done.Store(3)
			fan.notify <- struct{}{}
		})
		t.Cleanup(func() { finish.Stop() })
		assert.Empty(t, waitForScrapes(t.Context(), set, 20*time.Millisecond, fan, pt, logs))
	})
	t.Run("no next scrape", func(t *testing.T) {
		t.Parallel()
		fan := newFanout(3, nil, nil, nil, nil)
		fan.started.Store(2)
		fan.done.Store(2)
		assert.Equal(t, "2 of 3 scrapes went through the pipelines; the next did not come within 20ms (--interval 1s, --timeout 1s)",
			waitForScrapes(t.Context(), set, 20*time.Millisecond, fan, pt, logs))
	})
}

// TestForEachChunkOneResourcePerChunk: the scopes of one resource share the
// chunk's one copy of it, since an exporter writes target_info once per
// ResourceMetrics and a second write of it at the same time is refused.
func TestForEachChunkOneResourcePerChunk(t *testing.T) {
	t.Parallel()
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "app")
	for _, scope := range []string{"a", "b"} {
		sm := rm.ScopeMetrics().AppendEmpty()
		sm.Scope().SetName(scope)
		sm.Metrics().AppendEmpty().SetEmptyGauge().DataPoints().AppendEmpty().SetIntValue(1)
	}
	chunks := 0
	require.NoError(t, forEachChunk(md, 10, func(chunk pmetric.Metrics) error {
		chunks++
		require.Equal(t, 1, chunk.ResourceMetrics().Len())
		assert.Equal(t, 2, chunk.ResourceMetrics().At(0).ScopeMetrics().Len())
		return nil
	}))
	assert.Equal(t, 1, chunks)
}
