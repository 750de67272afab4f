package gcpstandin

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/monitoring/apiv3/v2/monitoringpb"
	"cloud.google.com/go/trace/apiv2/tracepb"
)

// bigRequest is a one-series request whose metric label holds size bytes.
func bigRequest(i, size int) *monitoringpb.CreateTimeSeriesRequest {
	req := seriesRequest(fmt.Sprintf("big%d", i), 1)
	req.TimeSeries[0].Metric.Labels["big"] = strings.Repeat("x", size)
	return req
}

// bigSpan is a span with an attribute of size bytes.
func bigSpan(i, size int) *tracepb.Span {
	sp := spanBatch("d000000000000000", i, 1).Spans[0]
	sp.Attributes = &tracepb.Span_Attributes{AttributeMap: map[string]*tracepb.AttributeValue{
		"big": {Value: &tracepb.AttributeValue_StringValue{StringValue: &tracepb.TruncatableString{Value: strings.Repeat("y", size)}}},
	}}
	return sp
}

// TestByteCaps writes points and spans far larger than the byte caps,
// with the item caps far away: the server holds at most its byte caps,
// the newest, and counts what it dropped.
func TestByteCaps(t *testing.T) {
	t.Parallel()
	const capBytes, item, n = 1 << 20, 200 << 10, 20 // 20 writes of 200 KiB into 1 MiB
	s := startServer(t, WithMaxPointBytes(capBytes), WithMaxSpanBytes(capBytes))
	for i := range n {
		if _, err := s.write(bigRequest(i, item)); err != nil {
			t.Fatal(err)
		}
		s.addSpans([]*tracepb.Span{bigSpan(i, item)})
	}
	st, stats := s.Stored(), s.Stats()
	if st.PointBytes > capBytes || st.SpanBytes > capBytes || st.Points != 5 || st.Spans != 5 {
		t.Errorf("Stored() = %+v, want 5 points and 5 spans within %d bytes each", st, capBytes)
	}
	if stats.DroppedPoints != n-5 || stats.DroppedSpans != n-5 {
		t.Errorf("dropped %d points and %d spans, want %d each", stats.DroppedPoints, stats.DroppedSpans, n-5)
	}
	if first := s.TimeSeries()[0].GetMetric().GetType(); first != fmt.Sprint("big", n-5) {
		t.Errorf("oldest series held is %s, want big%d", first, n-5)
	}
	// One request over the cap on its own keeps its last series that fit.
	req := seriesRequest("many", 8)
	for _, ts := range req.TimeSeries {
		ts.Metric.Labels["big"] = strings.Repeat("z", 300<<10)
	}
	if _, err := s.write(req); err != nil {
		t.Fatal(err)
	}
	if ts := s.TimeSeries(); len(ts) != 3 || ts[0].GetMetric().GetLabels()["i"] != "5" {
		t.Errorf("after a request of 8 × 300 KiB: %d series held, want the last 3", len(ts))
	}
	// A span larger than the cap on its own is dropped and counted.
	s.addSpans([]*tracepb.Span{bigSpan(99, capBytes+1)})
	if got := s.Stats().DroppedSpans; got != n-5+1 {
		t.Errorf("a span over the byte cap: dropped %d, want %d", got, n-5+1)
	}
	if err := func() error { _, err := Start(WithMaxSpanBytes(0)); return err }(); err == nil || err.Error() != "gcpstandin: the cap on stored span bytes must be positive, not 0" {
		t.Errorf("Start(WithMaxSpanBytes(0)): %v", err)
	}
}

// TestSpanEvictionConstant fills the span cap with one trace, then pushes
// as many spans again through it: each eviction must cost a constant
// amount, not a copy of the trace's spans (which, at 10,000 spans,
// allocates 80 KB per eviction).
// Not parallel: it reads the process's allocation counter.
func TestSpanEvictionConstant(t *testing.T) {
	const spans = 10_000
	st := newSpanStore(spans, DefaultMaxSpanBytes)
	mk := func(i int) *tracepb.Span {
		id := fmt.Sprintf("%016x", i+1)
		return &tracepb.Span{Name: "projects/p/traces/" + testTrace + "/spans/" + id, SpanId: id}
	}
	batch := make([]*tracepb.Span, 2*spans)
	for i := range batch {
		batch[i] = mk(i)
	}
	for _, sp := range batch[:spans] {
		st.add(sp)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	dropped := 0
	for _, sp := range batch[spans:] {
		dropped += st.add(sp)
	}
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	perEviction := (after.TotalAlloc - before.TotalAlloc) / spans
	if dropped != spans || len(st.byTrace[testTrace]) != spans || st.byTrace[testTrace][0] != batch[spans] {
		t.Fatalf("dropped %d, trace holds %d; want %d and the newest", dropped, len(st.byTrace[testTrace]), spans)
	}
	// The bound leaves room for the name parsing and the slices' growth.
	if perEviction > 2048 {
		t.Errorf("%d bytes allocated per eviction, want at most 2048 (no copy of the trace)", perEviction)
	}
	t.Logf("%d evictions from one trace of %d spans: %s, %d bytes allocated each", spans, spans, elapsed.Round(time.Millisecond), perEviction)
}
