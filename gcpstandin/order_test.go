package gcpstandin

import (
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/monitoring/apiv3/v2/monitoringpb"
	"cloud.google.com/go/trace/apiv2/tracepb"
	metricpb "google.golang.org/genproto/googleapis/api/metric"
	monitoredrespb "google.golang.org/genproto/googleapis/api/monitoredres"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// gaugeSeries is a one-point series of metric m with labels, on a
// prometheus_target of the given instance, with the interval start–end
// (offsets from t0; start < 0 leaves the start time out).
func gaugeSeries(m, instance string, start, end time.Duration, labels map[string]string) *monitoringpb.TimeSeries {
	iv := &monitoringpb.TimeInterval{EndTime: timestamppb.New(t0.Add(end))}
	if start >= 0 {
		iv.StartTime = timestamppb.New(t0.Add(start))
	}
	return &monitoringpb.TimeSeries{
		Metric:   &metricpb.Metric{Type: m, Labels: labels},
		Resource: &monitoredrespb.MonitoredResource{Type: "prometheus_target", Labels: map[string]string{"instance": instance}},
		Points: []*monitoringpb.Point{{
			Interval: iv,
			Value:    &monitoringpb.TypedValue{Value: &monitoringpb.TypedValue_DoubleValue{DoubleValue: 1}},
		}},
	}
}

// TestOutOfOrderPointsRefused writes points to series in and out of order
// and checks that, as Cloud Monitoring does, the stand-in writes the
// series whose point is newer than their most recent one and refuses the
// others with its InvalidArgument message and a CreateTimeSeriesSummary.
func TestOutOfOrderPointsRefused(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	c := dial(t, s)
	ctx := t.Context()
	const m = "prometheus.googleapis.com/up/gauge"
	sec := time.Second
	write := func(series ...*monitoringpb.TimeSeries) error {
		_, err := c.CreateTimeSeries(ctx, &monitoringpb.CreateTimeSeriesRequest{Name: "projects/p", TimeSeries: series})
		return err
	}
	a := map[string]string{"job": "a"}
	if err := write(gaugeSeries(m, "i1", 0, 10*sec, a)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		series []*monitoringpb.TimeSeries
		want   string // the status message; "" for none
		stored int    // series stored after the call, in all
	}{
		{"older end time", []*monitoringpb.TimeSeries{
			gaugeSeries(m, "i1", 0, 20*sec, map[string]string{"job": "b"}), // another series: metric labels differ
			gaugeSeries(m, "i1", 0, 5*sec, a),
			gaugeSeries(m, "i2", 0, 5*sec, a), // another series: resource labels differ
		}, "One or more TimeSeries could not be written: " + reasonOlderEnd + ": timeSeries[1]", 3},
		{"same end time", []*monitoringpb.TimeSeries{gaugeSeries(m, "i1", 0, 10*sec, a)},
			"One or more TimeSeries could not be written: " + reasonSameEnd + ": timeSeries[0]", 3},
		{"no start time", []*monitoringpb.TimeSeries{gaugeSeries(m, "i1", -1, 20*sec, a), gaugeSeries(m, "i1", 0, 0, nil)},
			"", 5},
		{"a start after the last end", []*monitoringpb.TimeSeries{gaugeSeries(m, "i1", 25*sec, 30*sec, a)},
			"", 6},
		{"start before the last start", []*monitoringpb.TimeSeries{gaugeSeries(m, "i1", 15*sec, 40*sec, a), gaugeSeries(m, "i2", 0, 4*sec, a)},
			"One or more TimeSeries could not be written: " + reasonOlderStart + ": timeSeries[0]; " + reasonOlderEnd + ": timeSeries[1]", 6},
		{"a reset, in order", []*monitoringpb.TimeSeries{gaugeSeries(m, "i1", 35*sec, 40*sec, a)}, "", 7},
	} {
		err := write(tc.series...)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: %v, want no error", tc.name, err)
			}
		} else if st := status.Convert(err); st.Code() != codes.InvalidArgument || st.Message() != tc.want {
			t.Errorf("%s: %v, want InvalidArgument %q", tc.name, err, tc.want)
		}
		if n := len(s.TimeSeries()); n != tc.stored {
			t.Errorf("%s: %d series stored, want %d", tc.name, n, tc.stored)
		}
	}

	// The detail says how many points were written.
	err := write(gaugeSeries(m, "i1", 0, 41*sec, nil), gaugeSeries(m, "i1", 35*sec, 40*sec, a))
	var summary *monitoringpb.CreateTimeSeriesSummary
	for _, d := range status.Convert(err).Details() {
		if sum, ok := d.(*monitoringpb.CreateTimeSeriesSummary); ok {
			summary = sum
		}
	}
	want := &monitoringpb.CreateTimeSeriesSummary{TotalPointCount: 2, SuccessPointCount: 1, Errors: []*monitoringpb.CreateTimeSeriesSummary_Error{{
		Status: status.New(codes.InvalidArgument, reasonSameEnd).Proto(), PointCount: 1,
	}}}
	if !proto.Equal(summary, want) {
		t.Errorf("details = %v, want %v", summary, want)
	}
	if st := s.Stats(); st.OutOfOrderPoints != 5 || st.Points != 8 || st.TimeSeries != 8 || st.Requests != 8 {
		t.Errorf("Stats() = %+v, want 5 points refused, 8 written in 8 requests", st)
	}

	// Reset forgets the series' most recent points.
	s.Reset()
	if err := write(gaugeSeries(m, "i1", 0, 10*sec, a)); err != nil {
		t.Errorf("after Reset: %v", err)
	}
}

// TestOrderIndexBounded: the index of most recent points holds at most
// its cap of series, forgetting those first seen longest ago.
func TestOrderIndexBounded(t *testing.T) {
	t.Parallel()
	o := newOrderIndex(3)
	for i := range 10 {
		ts := gaugeSeries("m", string(rune('a'+i)), 0, time.Second, nil)
		o.update(hashSeries(ts), ts.GetPoints())
	}
	if len(o.last) != 3 || len(o.fifo) != 3 {
		t.Errorf("index holds %d series (%d in order), want 3", len(o.last), len(o.fifo))
	}
	newest := gaugeSeries("m", "j", 0, time.Second, nil)
	if r := o.check(hashSeries(newest), newest.GetPoints()); r != reasonSameEnd {
		t.Errorf("the newest series was forgotten: check = %q", r)
	}
}

// TestNamesValidated: CreateTimeSeries refuses names that are not
// projects/PROJECT, as BatchWriteSpans does, and an error quotes a long
// name once, cut.
func TestNamesValidated(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	c, tc := dial(t, s), dialTrace(t, s)
	long := "projects/" + strings.Repeat("x", 1<<20)
	for _, name := range []string{"", "p", "projects/", "projects/../../etc/passwd", "projects/<script>", "projects/a/b", "projects/..", long} {
		req := seriesRequest("m", 1)
		req.Name = name
		_, err := c.CreateTimeSeries(t.Context(), req)
		msg := status.Convert(err).Message()
		if status.Code(err) != codes.InvalidArgument || !strings.HasSuffix(msg, "is not projects/PROJECT") || len(msg) > 300 {
			t.Errorf("CreateTimeSeries(name %.40q): %.300v, want InvalidArgument, at most 300 bytes", name, err)
		}
		if _, err := tc.BatchWriteSpans(t.Context(), spanBatchIn(name)); status.Code(err) != codes.InvalidArgument || len(status.Convert(err).Message()) > 300 {
			t.Errorf("BatchWriteSpans(name %.40q): %.300v, want InvalidArgument, at most 300 bytes", name, err)
		}
	}
	for _, name := range []string{"projects/p", "projects/my-project-123", "projects/123456789", "projects/example.com:my-project"} {
		req := seriesRequest("m", 1)
		req.Name = name
		if _, err := c.CreateTimeSeries(t.Context(), req); err != nil {
			t.Errorf("CreateTimeSeries(%q): %v", name, err)
		}
	}
	// A span whose 1 MiB name is bad is quoted once, cut.
	bad := spanBatch("b000000000000000", 0, 1)
	bad.Spans[0].Name = "projects/p/traces/" + strings.Repeat("A", 1<<20) + "/spans/0000000000000001"
	_, err := tc.BatchWriteSpans(t.Context(), bad)
	if msg := status.Convert(err).Message(); status.Code(err) != codes.InvalidArgument || len(msg) > 600 {
		t.Errorf("a span with a 1 MiB name: %d bytes of error, want InvalidArgument, at most 600: %.600s", len(msg), msg)
	}
	if st := s.Stats(); st.Requests != 4 || st.SpanRequests != 0 {
		t.Errorf("Stats() = %+v, want only the 4 valid requests", st)
	}
}

func spanBatchIn(name string) *tracepb.BatchWriteSpansRequest {
	req := spanBatch("c000000000000000", 0, 1)
	req.Name = name
	return req
}

// TestConsoleTimeouts: a slow or idle console client cannot hold a
// connection open for long.
func TestConsoleTimeouts(t *testing.T) {
	t.Parallel()
	s := startServer(t, WithConsole("127.0.0.1:0"))
	if s.console.ReadHeaderTimeout <= 0 || s.console.IdleTimeout <= 0 || s.console.ReadTimeout <= 0 {
		t.Errorf("console timeouts: read header %v, read %v, idle %v; want all set", s.console.ReadHeaderTimeout, s.console.ReadTimeout, s.console.IdleTimeout)
	}
}

func TestSeriesIDString(t *testing.T) {
	t.Parallel()
	if got := (seriesID{0x0123456789abcdef, 0xfedcba9876543210}).String(); got != "0123456789abcdeffedcba9876543210" {
		t.Errorf("String() = %s", got)
	}
}
