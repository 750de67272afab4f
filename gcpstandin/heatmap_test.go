package gcpstandin

import (
	"slices"
	"testing"
	"time"

	"cloud.google.com/go/monitoring/apiv3/v2/monitoringpb"
	distributionpb "google.golang.org/genproto/googleapis/api/distribution"
	"google.golang.org/protobuf/types/known/timestamppb"
)

var t0 = time.Date(2026, 12, 2, 17, 0, 0, 0, time.UTC)

// cumulative is a distribution point with bounds 0.01, 0.1 (three
// buckets), counted since start, ending at end.
func cumulative(start, end time.Duration, counts ...int64) *monitoringpb.Point {
	var total int64
	for _, c := range counts {
		total += c
	}
	return &monitoringpb.Point{
		Interval: &monitoringpb.TimeInterval{StartTime: timestamppb.New(t0.Add(start)), EndTime: timestamppb.New(t0.Add(end))},
		Value: &monitoringpb.TypedValue{Value: &monitoringpb.TypedValue_DistributionValue{DistributionValue: &distributionpb.Distribution{
			Count: total,
			BucketOptions: &distributionpb.Distribution_BucketOptions{Options: &distributionpb.Distribution_BucketOptions_ExplicitBuckets{
				ExplicitBuckets: &distributionpb.Distribution_BucketOptions_Explicit{Bounds: []float64{0.01, 0.1}},
			}},
			BucketCounts: counts,
		}}},
	}
}

func TestBuildHeatmap(t *testing.T) {
	t.Parallel()
	s := time.Second
	points := []seriesPoint{
		// Series a: 10 s scrapes; the third point comes first (order
		// must not matter); the fourth went down: a reset.
		{seriesID{1}, cumulative(0, 30*s, 2, 5, 1)},
		{seriesID{1}, cumulative(0, 10*s, 1, 1)}, // trailing zero bucket left out
		{seriesID{1}, cumulative(0, 20*s, 1, 3, 1)},
		{seriesID{1}, cumulative(35*s, 40*s, 0, 1, 0)},
		// Series b on the same scrapes, then its start time changes.
		{seriesID{2}, cumulative(0, 10*s, 0, 0, 4)},
		{seriesID{2}, cumulative(0, 20*s, 0, 0, 6)},
		{seriesID{2}, cumulative(25*s, 30*s, 1, 0, 0)},
		// Not a distribution with these bounds: skipped.
		{seriesID{3}, &monitoringpb.Point{Value: &monitoringpb.TypedValue{Value: &monitoringpb.TypedValue_DoubleValue{DoubleValue: 1}}}},
	}
	h := buildHeatmap("m", points)
	if !slices.Equal(h.Bounds, []float64{0.01, 0.1}) || h.Series != 2 || h.Skipped != 1 {
		t.Fatalf("bounds %v, series %d, skipped %d", h.Bounds, h.Series, h.Skipped)
	}
	want := []Column{
		{Start: t0, End: t0.Add(10 * s), Counts: []int64{1, 1, 4}},                 // first points: their own counts
		{Start: t0.Add(10 * s), End: t0.Add(20 * s), Counts: []int64{0, 2, 3}},     // a: +0,+2,+1; b: +0,+0,+2
		{Start: t0.Add(20 * s), End: t0.Add(30 * s), Counts: []int64{1 + 1, 2, 0}}, // a: +1,+2,+0; b restarted: 1,0,0
		{Start: t0.Add(30 * s), End: t0.Add(40 * s), Counts: []int64{0, 1, 0}},     // a reset: its own counts
	}
	if len(h.Columns) != len(want) {
		t.Fatalf("%d columns, want %d: %+v", len(h.Columns), len(want), h.Columns)
	}
	for i, c := range h.Columns {
		if !c.Start.Equal(want[i].Start) || !c.End.Equal(want[i].End) || !slices.Equal(c.Counts, want[i].Counts) {
			t.Errorf("column %d = %v–%v %v, want %v–%v %v", i, c.Start, c.End, c.Counts, want[i].Start, want[i].End, want[i].Counts)
		}
	}
	if h.MaxCount != 4 {
		t.Errorf("MaxCount = %d, want 4", h.MaxCount)
	}
}

func TestBuildHeatmapMergesColumns(t *testing.T) {
	t.Parallel()
	var points []seriesPoint
	n := 3*maxColumns + 1
	for i := 1; i <= n; i++ {
		points = append(points, seriesPoint{seriesID{1}, cumulative(0, time.Duration(i)*time.Second, int64(i), 0, 0)})
	}
	h := buildHeatmap("m", points)
	if len(h.Columns) > maxColumns {
		t.Fatalf("%d columns, want at most %d", len(h.Columns), maxColumns)
	}
	var total int64
	for _, c := range h.Columns {
		total += c.Counts[0]
	}
	if total != int64(n) {
		t.Errorf("merged columns count %d values, want %d (none lost)", total, n)
	}
}

func TestBuildHeatmapEmpty(t *testing.T) {
	t.Parallel()
	h := buildHeatmap("m", nil)
	if h.Bounds == nil || h.Columns == nil || len(h.Columns) != 0 {
		t.Errorf("empty heatmap = %+v, want empty (not nil) slices", h)
	}
}
