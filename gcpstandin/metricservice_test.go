package gcpstandin

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/monitoring/apiv3/v2/monitoringpb"
	"go.uber.org/goleak"
	distributionpb "google.golang.org/genproto/googleapis/api/distribution"
	metricpb "google.golang.org/genproto/googleapis/api/metric"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/anypb"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// startServer starts a server that the test stops at its end.
func startServer(t *testing.T, opts ...Option) *Server {
	t.Helper()
	s, err := Start(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// clientConn is a plaintext gRPC connection to s, closed at the test's end.
func clientConn(t *testing.T, s *Server) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(s.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

func dial(t *testing.T, s *Server) monitoringpb.MetricServiceClient {
	t.Helper()
	return monitoringpb.NewMetricServiceClient(clientConn(t, s))
}

func request(t *testing.T, linked bool) *monitoringpb.CreateTimeSeriesRequest {
	t.Helper()
	var attachments []*anypb.Any
	if linked {
		sc, err := anypb.New(&monitoringpb.SpanContext{SpanName: "projects/p/traces/4bf92f3577b34da6a3ce929d0e0e4736/spans/00f067aa0ba902b7"})
		if err != nil {
			t.Fatal(err)
		}
		attachments = append(attachments, sc)
	}
	dl, err := anypb.New(&monitoringpb.DroppedLabels{Label: map[string]string{"route": "/cart"}})
	if err != nil {
		t.Fatal(err)
	}
	attachments = append(attachments, dl)
	return &monitoringpb.CreateTimeSeriesRequest{
		Name: "projects/p",
		TimeSeries: []*monitoringpb.TimeSeries{{
			Metric: &metricpb.Metric{Type: "prometheus.googleapis.com/x/histogram"},
			Points: []*monitoringpb.Point{{
				Value: &monitoringpb.TypedValue{Value: &monitoringpb.TypedValue_DistributionValue{
					DistributionValue: &distributionpb.Distribution{
						Count:     1,
						Exemplars: []*distributionpb.Distribution_Exemplar{{Value: 1, Attachments: attachments}},
					},
				}},
			}},
		}},
	}
}

func TestRecordsAndFails(t *testing.T) {
	s := startServer(t)
	c := dial(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	if _, err := c.CreateTimeSeries(ctx, request(t, true)); err != nil {
		t.Fatalf("CreateTimeSeries: %v", err)
	}
	if _, err := c.CreateServiceTimeSeries(ctx, request(t, false)); err != nil {
		t.Fatalf("CreateServiceTimeSeries: %v", err)
	}
	if got, want := s.Stats(), (Stats{Requests: 2, TimeSeries: 2, Points: 2, Exemplars: 2, SpanContextExemplars: 1}); got != want {
		t.Errorf("Stats() = %+v, want %+v", got, want)
	}
	ts := s.TimeSeries()
	if len(ts) != 2 || s.Requests() != 2 || len(s.CreateTimeSeriesRequests()) != 2 {
		t.Fatalf("recorded %d time series, %d requests", len(ts), s.Requests())
	}
	ex := ts[0].GetPoints()[0].GetValue().GetDistributionValue().GetExemplars()[0]
	_, trace, span, err := ParseSpanName(SpanName(ex))
	if err != nil || trace != "4bf92f3577b34da6a3ce929d0e0e4736" || span != "00f067aa0ba902b7" {
		t.Errorf("ParseSpanName(SpanName) = %q, %q, %v", trace, span, err)
	}
	if got := DroppedLabels(ex)["route"]; got != "/cart" {
		t.Errorf("DroppedLabels route = %q", got)
	}
	if name := SpanName(ts[1].GetPoints()[0].GetValue().GetDistributionValue().GetExemplars()[0]); name != "" {
		t.Errorf("SpanName of an exemplar without SpanContext = %q", name)
	}

	// Two failures with the chosen code, then success again.
	s.FailNext(2, status.Error(codes.ResourceExhausted, "quota"))
	for i := 0; i < 2; i++ {
		if _, err := c.CreateTimeSeries(ctx, request(t, true)); status.Code(err) != codes.ResourceExhausted {
			t.Fatalf("call %d while failing: err = %v, want ResourceExhausted", i, err)
		}
	}
	if _, err := c.CreateTimeSeries(ctx, request(t, true)); err != nil {
		t.Fatalf("call after the failures: %v", err)
	}
	// Failing until reset.
	s.FailNext(-1, nil)
	for i := 0; i < 3; i++ {
		if _, err := c.CreateTimeSeries(ctx, request(t, true)); status.Code(err) != codes.Unavailable {
			t.Fatalf("call %d while failing until reset: err = %v, want Unavailable", i, err)
		}
	}
	s.ResetFailures()
	if _, err := c.CreateTimeSeries(ctx, request(t, true)); err != nil {
		t.Fatalf("call after ResetFailures: %v", err)
	}
	if st := s.Stats(); st.Requests != 4 || st.Rejected != 5 {
		t.Errorf("Stats() = %+v, want 4 requests and 5 rejected", st)
	}

	s.Reset()
	if st := s.Stats(); st != (Stats{}) || len(s.TimeSeries()) != 0 {
		t.Errorf("after Reset: Stats() = %+v, %d time series", st, len(s.TimeSeries()))
	}
}

func TestMetricDescriptors(t *testing.T) {
	s := startServer(t)
	c := dial(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	const typ = "prometheus.googleapis.com/x/histogram"
	name := "projects/p/metricDescriptors/" + typ
	if _, err := c.GetMetricDescriptor(ctx, &monitoringpb.GetMetricDescriptorRequest{Name: name}); status.Code(err) != codes.NotFound {
		t.Fatalf("GetMetricDescriptor before create: err = %v, want NotFound", err)
	}
	if _, err := c.CreateMetricDescriptor(ctx, &monitoringpb.CreateMetricDescriptorRequest{
		Name:             "projects/p",
		MetricDescriptor: &metricpb.MetricDescriptor{Type: typ, Unit: "s"},
	}); err != nil {
		t.Fatalf("CreateMetricDescriptor: %v", err)
	}
	md, err := c.GetMetricDescriptor(ctx, &monitoringpb.GetMetricDescriptorRequest{Name: name})
	if err != nil || md.GetUnit() != "s" {
		t.Fatalf("GetMetricDescriptor = %v, %v", md, err)
	}
}

func TestCountOnlyAndStop(t *testing.T) {
	s, err := Start(CountOnly(), WithAddr("127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.CreateTimeSeries(ctx, request(t, true)); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Requests != 1 || st.SpanContextExemplars != 1 || len(s.TimeSeries()) != 0 {
		t.Errorf("CountOnly: Stats() = %+v, %d time series recorded", st, len(s.TimeSeries()))
	}

	done := make(chan struct{})
	go func() {
		s.Stop()
		s.Stop() // a second Stop is harmless
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Stop did not return while a client connection was open")
	}
	short, cancelShort := context.WithTimeout(ctx, 2*time.Second)
	defer cancelShort()
	if _, err := c.CreateTimeSeries(short, request(t, true)); err == nil {
		t.Error("CreateTimeSeries succeeded after Stop")
	}
}

// TestMetricDescriptorsBounded: descriptors are kept within a quota in
// number and bytes; writing one again under its type replaces it.
func TestMetricDescriptorsBounded(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	desc := strings.Repeat("d", 3_900_000)
	create := func(typ string) error {
		_, err := s.CreateMetricDescriptor(t.Context(), &monitoringpb.CreateMetricDescriptorRequest{
			Name: "projects/p", MetricDescriptor: &metricpb.MetricDescriptor{Type: typ, Description: desc},
		})
		return err
	}
	for i := range 4 { // 15.6 MB
		for range 2 { // again under the same type: replaced, not added
			if err := create(fmt.Sprint("m", i)); err != nil {
				t.Fatalf("descriptor %d: %v", i, err)
			}
		}
	}
	err := create("m4")
	if status.Code(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), "quota of 10000 descriptors in 16 MiB") {
		t.Errorf("a fifth 3.9 MB descriptor: %v, want ResourceExhausted", err)
	}
	if len(s.descriptors) != 4 || s.descriptorBytes > maxDescriptorBytes {
		t.Errorf("%d descriptors in %d bytes held, want 4 within %d", len(s.descriptors), s.descriptorBytes, maxDescriptorBytes)
	}
}
