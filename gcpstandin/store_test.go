package gcpstandin

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/monitoring/apiv3/v2/monitoringpb"
	"cloud.google.com/go/trace/apiv2/tracepb"
	distributionpb "google.golang.org/genproto/googleapis/api/distribution"
	metricpb "google.golang.org/genproto/googleapis/api/metric"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// seriesRequest is a CreateTimeSeries request of n one-point series of
// metric type typ.
func seriesRequest(typ string, n int) *monitoringpb.CreateTimeSeriesRequest {
	req := &monitoringpb.CreateTimeSeriesRequest{Name: "projects/p"}
	for i := range n {
		req.TimeSeries = append(req.TimeSeries, &monitoringpb.TimeSeries{
			Metric: &metricpb.Metric{Type: typ, Labels: map[string]string{"i": fmt.Sprint(i)}},
			Points: []*monitoringpb.Point{{Value: &monitoringpb.TypedValue{Value: &monitoringpb.TypedValue_DistributionValue{
				DistributionValue: &distributionpb.Distribution{Count: 1, Exemplars: []*distributionpb.Distribution_Exemplar{{Value: 1}}},
			}}}},
		})
	}
	return req
}

func spanBatch(prefix string, batch, n int) *tracepb.BatchWriteSpansRequest {
	req := &tracepb.BatchWriteSpansRequest{Name: "projects/p"}
	for i := range n {
		traceID := fmt.Sprintf("%s%08x%08x", prefix, batch, i)
		spanID := fmt.Sprintf("%08x%08x", batch, i)
		req.Spans = append(req.Spans, &tracepb.Span{
			Name:        "projects/p/traces/" + traceID + "/spans/" + spanID,
			SpanId:      spanID,
			DisplayName: &tracepb.TruncatableString{Value: prefix},
			StartTime:   timestamppb.Now(),
			EndTime:     timestamppb.Now(),
		})
	}
	return req
}

// TestCapsHoldUnderFlood floods the server from 8 clients at once with 20
// times its caps, then checks that it holds exactly its caps, counted every
// drop, and kept the newest (a last, sequential batch of each).
func TestCapsHoldUnderFlood(t *testing.T) {
	t.Parallel()
	const (
		maxPoints, maxSpans = 1000, 500
		clients, calls      = 8, 50
		seriesPerCall       = 50 // 8*50*50 = 20,000 points
		spansPerCall        = 25 // 8*50*25 = 10,000 spans
	)
	s := startServer(t, WithMaxPoints(maxPoints), WithMaxSpans(maxSpans))
	mc, tc := dial(t, s), dialTrace(t, s)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()

	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 2*clients)
	for c := range clients {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for range calls {
				if _, err := mc.CreateTimeSeries(ctx, seriesRequest("flood", seriesPerCall)); err != nil {
					errs <- err
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			for i := range calls {
				// Trace IDs start with "f": 32 hex digits with the counters.
				if _, err := tc.BatchWriteSpans(ctx, spanBatch(fmt.Sprintf("f%015x", c), i, spansPerCall)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("flood: %v", err)
	}
	flood := time.Since(start)
	if st := s.Stored(); st.Points != maxPoints || st.Spans != maxSpans {
		t.Errorf("after the flood: Stored() = %+v, want %d points and %d spans", st, maxPoints, maxSpans)
	}

	// The newest are kept: a last request of the cap's size replaces all.
	if _, err := mc.CreateTimeSeries(ctx, seriesRequest("last", maxPoints)); err != nil {
		t.Fatal(err)
	}
	for i := range maxSpans / spansPerCall {
		if _, err := tc.BatchWriteSpans(ctx, spanBatch("a000000000000000", i, spansPerCall)); err != nil {
			t.Fatal(err)
		}
	}
	for _, ts := range s.TimeSeries() {
		if ts.GetMetric().GetType() != "last" {
			t.Fatalf("a flood series outlived the newest %d points", maxPoints)
		}
	}
	for _, sp := range s.Spans() {
		if sp.GetDisplayName().GetValue() != "a000000000000000" {
			t.Fatalf("span %s outlived the newest %d spans", sp.GetName(), maxSpans)
		}
	}

	// A request larger than the cap keeps its last series.
	if _, err := mc.CreateTimeSeries(ctx, seriesRequest("big", maxPoints+500)); err != nil {
		t.Fatal(err)
	}
	ts := s.TimeSeries()
	if len(ts) != maxPoints || ts[0].GetMetric().GetLabels()["i"] != "500" {
		t.Errorf("after a request of %d points: %d series held, the first %v", maxPoints+500, len(ts), ts[0].GetMetric().GetLabels())
	}

	totalPoints := clients*calls*seriesPerCall + maxPoints + maxPoints + 500
	totalSpans := clients*calls*spansPerCall + maxSpans
	st := s.Stats()
	if st.Points != totalPoints || st.DroppedPoints != totalPoints-maxPoints {
		t.Errorf("points: received %d, dropped %d; want %d and %d", st.Points, st.DroppedPoints, totalPoints, totalPoints-maxPoints)
	}
	if st.Spans != totalSpans || st.DroppedSpans != totalSpans-maxSpans {
		t.Errorf("spans: received %d, dropped %d; want %d and %d", st.Spans, st.DroppedSpans, totalSpans, totalSpans-maxSpans)
	}
	// The indexes shrink with the queue.
	s.mu.Lock()
	inTraces := 0
	for _, spans := range s.spans.byTrace {
		inTraces += len(spans)
	}
	byName, points := len(s.spans.byName), countStored(s.points)
	s.mu.Unlock()
	if byName != maxSpans || inTraces != maxSpans || points != maxPoints {
		t.Errorf("indexes: %d spans by name, %d by trace, %d points in the requests; want %d, %d, %d", byName, inTraces, points, maxSpans, maxSpans, maxPoints)
	}
	if sum := s.Summary(); sum.Exemplars != maxPoints || sum.Spans != maxSpans {
		t.Errorf("Summary() = %s, want %d exemplars and %d spans", sum, maxPoints, maxSpans)
	}
	t.Logf("flood of %d points and %d spans from %d clients in %s; held %+v", totalPoints, totalSpans, clients, flood.Round(time.Millisecond), s.Stored())
}

func countStored(p pointStore) int {
	n := 0
	for _, r := range p.reqs {
		n += countPoints(r.req.GetTimeSeries())
	}
	return n
}

func TestStartRejectsBadCaps(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		opt  Option
		want string
	}{
		{WithMaxPoints(0), "gcpstandin: the cap on stored points must be positive, not 0"},
		{WithMaxSpans(-1), "gcpstandin: the cap on stored spans must be positive, not -1"},
	} {
		s, err := Start(tc.opt)
		if err == nil {
			s.Stop()
			t.Errorf("Start: no error, want %q", tc.want)
		} else if err.Error() != tc.want {
			t.Errorf("Start: %q, want %q", err, tc.want)
		}
	}
}

// A span written twice under one name is held twice; dropping the older
// copy keeps the newer one findable by name.
func TestSpanStoreDuplicateNames(t *testing.T) {
	t.Parallel()
	st := newSpanStore(2, DefaultMaxSpanBytes)
	a := span("p", testTrace, testSpan, "first", time.Now())
	b := span("p", testTrace, testSpan, "again", time.Now())
	st.add(a)
	st.add(b)
	if dropped := st.add(span("p", testTrace, "2222222222222222", "other", time.Now())); dropped != 1 {
		t.Errorf("add past the cap dropped %d, want 1", dropped)
	}
	if got := st.byName[a.GetName()]; got != b {
		t.Errorf("byName after dropping the older copy = %v, want the newer", got)
	}
	if n := len(st.byTrace[testTrace]); n != 2 {
		t.Errorf("byTrace holds %d, want 2", n)
	}
}

// TestSummaryTellsEvictedSpans: a link whose span the caps dropped counts
// as dangling, and also in DanglingEvicted, unlike a link whose span never
// came; a span of that name received again resolves it.
func TestSummaryTellsEvictedSpans(t *testing.T) {
	t.Parallel()
	s := startServer(t, WithMaxSpans(2))
	name := func(spanID string) string { return "projects/p/traces/" + testTrace + "/spans/" + spanID }
	ids := []string{"000000000000000a", "000000000000000b", "000000000000000c", "000000000000000d"}
	p := cumulative(0, 10*time.Second, 1, 4, 0)
	for i, id := range ids {
		p.Value.GetDistributionValue().Exemplars = append(p.Value.GetDistributionValue().Exemplars,
			exemplar(t, 0.001*float64(i+1), t0.Add(time.Duration(i)*time.Second), name(id), nil))
	}
	if _, err := s.write(&monitoringpb.CreateTimeSeriesRequest{Name: "projects/p", TimeSeries: []*monitoringpb.TimeSeries{{
		Metric: &metricpb.Metric{Type: histogram}, Points: []*monitoringpb.Point{p},
	}}}); err != nil {
		t.Fatal(err)
	}
	// a, b, c arrive; the cap of 2 drops a; d never arrives.
	for _, id := range ids[:3] {
		s.addSpans([]*tracepb.Span{span("p", testTrace, id, "GET /work", t0)})
	}
	if got, want := s.Summary(), (Summary{Exemplars: 4, Occurrences: 4, Linked: 4, Resolved: 2, Dangling: 2, DanglingEvicted: 1, Spans: 2}); got != want {
		t.Errorf("after a was dropped: Summary() = %s, want %s", got, want)
	}
	var evicted []bool
	for _, ex := range s.Exemplars("") {
		evicted = append(evicted, ex.Evicted)
	}
	if want := []bool{true, false, false, false}; !slices.Equal(evicted, want) {
		t.Errorf("Exemplars' Evicted = %v, want %v (a dropped, d never came)", evicted, want)
	}
	// a again: held (resolved) now, and b dropped in its place.
	s.addSpans([]*tracepb.Span{span("p", testTrace, ids[0], "GET /work", t0)})
	if got, want := s.Summary(), (Summary{Exemplars: 4, Occurrences: 4, Linked: 4, Resolved: 2, Dangling: 2, DanglingEvicted: 1, Spans: 2}); got != want {
		t.Errorf("after a came again: Summary() = %s, want %s", got, want)
	}
	if s.spans.wasEvicted(name(ids[0])) || !s.spans.wasEvicted(name(ids[1])) || s.spans.wasEvicted(name(ids[3])) {
		t.Errorf("wasEvicted a, b, d = %v, %v, %v; want false, true, false",
			s.spans.wasEvicted(name(ids[0])), s.spans.wasEvicted(name(ids[1])), s.spans.wasEvicted(name(ids[3])))
	}
}

// TestEvictedNamesBounded: the store remembers the names of at most as
// many dropped spans as its cap, the newest, so memory stays bounded.
func TestEvictedNamesBounded(t *testing.T) {
	t.Parallel()
	st := newSpanStore(2, DefaultMaxSpanBytes)
	var names []string
	for i := range 10 {
		sp := span("p", testTrace, fmt.Sprintf("%016x", i+1), "x", t0)
		names = append(names, sp.GetName())
		st.add(sp)
	}
	// Held: 9, 10; dropped: 1..8, of which 7 and 8 are remembered.
	if len(st.evictedOrder) != 2 || len(st.evicted) != 2 {
		t.Errorf("remembers %d names (%d in the map), want 2", len(st.evictedOrder), len(st.evicted))
	}
	for i, n := range names {
		if want := i == 6 || i == 7; st.wasEvicted(n) != want {
			t.Errorf("wasEvicted(span %d) = %v, want %v", i+1, !want, want)
		}
	}
	// A name dropped twice stays remembered until both are forgotten.
	st = newSpanStore(1, DefaultMaxSpanBytes)
	a, b := span("p", testTrace, "000000000000000a", "x", t0), span("p", testTrace, "000000000000000b", "x", t0)
	for _, sp := range []*tracepb.Span{a, b, a, b} {
		st.add(sp)
	}
	// Dropped in order: a, b, a; remembered: the last one, a.
	if !st.wasEvicted(a.GetName()) || st.wasEvicted(b.GetName()) || len(st.evicted) != 1 {
		t.Errorf("after a, b, a, b with a cap of 1: wasEvicted a=%v b=%v, %d names; want true, false (held), 1",
			st.wasEvicted(a.GetName()), st.wasEvicted(b.GetName()), len(st.evicted))
	}
}
