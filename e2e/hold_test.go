package e2e

import (
	"context"
	"encoding/hex"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"

	"github.com/exemplarlink/exemplarlinkprocessor"
	"github.com/exemplarlink/exemplarlinkprocessor/gcpstandin"
)

// TestHeldBatchesReachCloudMonitoringInOrder: a scrape whose trace-only
// exemplar waits for its span is held, the next scrape of the same target
// queues behind it, and both reach Cloud Monitoring in order once the span
// arrives a moment later: the real googlemanagedprometheus exporter writes
// to the stand-in, which refuses a point older than the series' last one,
// as the real API does. Were the second scrape to overtake the first, the
// first point would be refused (OutOfOrderPoints) and its link lost.
func TestHeldBatchesReachCloudMonitoringInOrder(t *testing.T) {
	t.Parallel()
	gcm, err := gcpstandin.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gcm.Stop)
	exp := newFaultExporter(t, gcm.Addr())

	f := exemplarlinkprocessor.NewFactory()
	cfg := f.CreateDefaultConfig()
	unmarshal(t, cfg, map[string]any{"wait": map[string]any{"max_wait": "10s"}})
	set := processor.Settings{
		ID:                component.NewID(f.Type()),
		TelemetrySettings: componenttest.NewNopTelemetrySettings(),
		BuildInfo:         component.NewDefaultBuildInfo(),
	}
	ctx := context.Background()
	traces, err := f.CreateTraces(ctx, set, cfg, consumertest.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	metrics, err := f.CreateMetrics(ctx, set, cfg, exp)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []component.Component{exp, traces, metrics} {
		if err := c.Start(ctx, componenttest.NewNopHost()); err != nil {
			t.Fatal(err)
		}
	}
	stopped := false
	shutdown := func() {
		if stopped {
			return
		}
		stopped = true
		for _, c := range []component.Component{metrics, traces, exp} {
			if err := c.Shutdown(ctx); err != nil {
				t.Errorf("shutdown %T: %v", c, err)
			}
		}
	}
	t.Cleanup(shutdown)

	start := time.Now().Add(-time.Minute).Truncate(time.Second)
	trace, span := traceID(1), spanID(1)
	observed := start.Add(44 * time.Second)
	// Scrape 1: a trace-only exemplar, as client_golang's guide writes it,
	// whose span has not reached the collector yet. Scrape 2: the same
	// target 15 s later, nothing to wait for.
	if err := metrics.ConsumeMetrics(ctx, heldScrape(start, start.Add(45*time.Second), 1, map[string]string{"trace_id": trace}, observed)); err != nil {
		t.Fatal(err)
	}
	if err := metrics.ConsumeMetrics(ctx, heldScrape(start, start.Add(60*time.Second), 2, map[string]string{"trace_id": traceID(2), "span_id": spanID(2)}, start.Add(59*time.Second))); err != nil {
		t.Fatal(err)
	}
	if n := len(gcm.TimeSeries()); n != 0 {
		t.Fatalf("Cloud Monitoring received %d series before the span arrived; the first scrape should be held and the second queued behind it", n)
	}
	// The SDK exports the span a moment after the request.
	time.Sleep(300 * time.Millisecond)
	if err := traces.ConsumeTraces(ctx, serverSpan(t, trace, span, observed.Add(-40*time.Millisecond), observed.Add(time.Millisecond))); err != nil {
		t.Fatal(err)
	}

	deadline := time.Now().Add(20 * time.Second)
	for points(gcm) < 2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	shutdown()
	if st := gcm.Stats(); st.OutOfOrderPoints != 0 || points(gcm) != 2 {
		t.Fatalf("Cloud Monitoring holds %d points of the series and refused %d as out of order; want both scrapes' points, in order", points(gcm), st.OutOfOrderPoints)
	}
	want := "projects/" + project + "/traces/" + trace + "/spans/" + span
	found := false
	for _, ts := range gcm.TimeSeries() {
		for _, p := range ts.GetPoints() {
			for _, ex := range p.GetValue().GetDistributionValue().GetExemplars() {
				if gcpstandin.SpanName(ex) == want {
					found = true
				}
			}
		}
	}
	if !found {
		t.Errorf("no exemplar links %s: the held exemplar was not linked to the span that arrived after its scrape", want)
	}
}

// heldScrape is one scrape of the target checkout: a cumulative histogram
// point ending at end, whose first bucket carries one exemplar.
func heldScrape(start, end time.Time, count uint64, labels map[string]string, observed time.Time) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "checkout")
	rm.Resource().Attributes().PutStr("service.instance.id", "127.0.0.1:8080")
	m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("http_server_request_duration_seconds")
	h := m.SetEmptyHistogram()
	h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	dp := h.DataPoints().AppendEmpty()
	dp.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
	dp.SetTimestamp(pcommon.NewTimestampFromTime(end))
	dp.SetCount(count)
	dp.SetSum(0.05 * float64(count))
	dp.ExplicitBounds().FromRaw([]float64{0.1})
	dp.BucketCounts().FromRaw([]uint64{count, 0})
	ex := dp.Exemplars().AppendEmpty()
	ex.SetDoubleValue(0.05)
	ex.SetTimestamp(pcommon.NewTimestampFromTime(observed))
	for k, v := range labels {
		ex.FilteredAttributes().PutStr(k, v)
	}
	return md
}

// serverSpan is the request's server span.
func serverSpan(t *testing.T, trace, span string, start, end time.Time) ptrace.Traces {
	t.Helper()
	td := ptrace.NewTraces()
	s := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	var tid pcommon.TraceID
	var sid pcommon.SpanID
	if _, err := hex.Decode(tid[:], []byte(trace)); err != nil {
		t.Fatal(err)
	}
	if _, err := hex.Decode(sid[:], []byte(span)); err != nil {
		t.Fatal(err)
	}
	s.SetTraceID(tid)
	s.SetSpanID(sid)
	s.SetName("GET /cart")
	s.SetKind(ptrace.SpanKindServer)
	s.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
	s.SetEndTimestamp(pcommon.NewTimestampFromTime(end))
	return td
}

// points counts the points Cloud Monitoring holds for the histogram.
func points(gcm *gcpstandin.Server) int {
	n := 0
	for _, ts := range gcm.TimeSeries() {
		if ts.GetValueType().String() == "DISTRIBUTION" {
			n += len(ts.GetPoints())
		}
	}
	return n
}
