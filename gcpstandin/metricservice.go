// Package gcpstandin is a local stand-in for Google Cloud Monitoring's
// MetricService gRPC API, for tests, benchmarks and demos of collector
// pipelines that export to Cloud Monitoring (the googlemanagedprometheus and
// googlecloud exporters). It speaks the real protobuf API
// (cloud.google.com/go/monitoring/apiv3/v2/monitoringpb) over plaintext gRPC
// on a loopback address, so an exporter reaches it with
//
//	metric:
//	  endpoint: <Server.Addr()>
//	  use_insecure: true
//
// The server records every CreateTimeSeries and CreateServiceTimeSeries
// request it accepts, keeps metric descriptors created through
// CreateMetricDescriptor so GetMetricDescriptor can return them, and can be
// told to fail write calls with a chosen gRPC error. Every method is safe
// for concurrent use.
package gcpstandin // import "github.com/exemplarlink/exemplarlinkprocessor/gcpstandin"

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"time"

	"cloud.google.com/go/monitoring/apiv3/v2/monitoringpb"
	distributionpb "google.golang.org/genproto/googleapis/api/distribution"
	metricpb "google.golang.org/genproto/googleapis/api/metric"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
)

// DefaultAddr is where Start listens: a free port on the IPv4 loopback.
const DefaultAddr = "127.0.0.1:0"

// stopGrace is how long Stop lets in-flight calls finish before it closes
// the remaining connections.
const stopGrace = 2 * time.Second

// Server is a running fake MetricService.
type Server struct {
	monitoringpb.UnimplementedMetricServiceServer

	lis    net.Listener
	grpc   *grpc.Server
	served chan struct{}
	record bool

	stopOnce sync.Once

	mu          sync.Mutex
	requests    []*monitoringpb.CreateTimeSeriesRequest
	stats       Stats
	descriptors map[string]*metricpb.MetricDescriptor
	failLeft    int // calls still to fail; negative: until ResetFailures
	failErr     error
}

// Stats are running totals of what the server has seen. Counts cover every
// accepted write request, whether or not the server records them.
type Stats struct {
	// Requests is the number of CreateTimeSeries and
	// CreateServiceTimeSeries calls accepted.
	Requests int
	// Rejected is the number of write calls failed on purpose (FailNext).
	Rejected int
	// TimeSeries and Points count what the accepted requests carried.
	TimeSeries int
	Points     int
	// Exemplars counts the exemplars on distribution points, and
	// SpanContextExemplars those of them with a SpanContext attachment
	// (a link to a trace).
	Exemplars            int
	SpanContextExemplars int
}

// Option changes how Start sets a server up.
type Option func(*options)

type options struct {
	addr   string
	record bool
}

// WithAddr makes the server listen on addr instead of DefaultAddr.
func WithAddr(addr string) Option {
	return func(o *options) { o.addr = addr }
}

// CountOnly makes the server keep only its Stats, not the requests, so its
// memory stays flat in long runs (soak tests, benchmarks). Requests and
// TimeSeries then return nothing.
func CountOnly() Option {
	return func(o *options) { o.record = false }
}

// Start listens on DefaultAddr (or the WithAddr address) and serves the
// fake MetricService until Stop.
func Start(opts ...Option) (*Server, error) {
	o := options{addr: DefaultAddr, record: true}
	for _, opt := range opts {
		opt(&o)
	}
	lis, err := net.Listen("tcp", o.addr)
	if err != nil {
		return nil, err
	}
	s := &Server{
		lis:         lis,
		grpc:        grpc.NewServer(),
		served:      make(chan struct{}),
		record:      o.record,
		descriptors: make(map[string]*metricpb.MetricDescriptor),
	}
	monitoringpb.RegisterMetricServiceServer(s.grpc, s)
	go func() {
		defer close(s.served)
		_ = s.grpc.Serve(lis) // returns when Stop closes the listener
	}()
	return s, nil
}

// Addr is the host:port the server listens on.
func (s *Server) Addr() string { return s.lis.Addr().String() }

// Stop closes the listener, lets in-flight calls finish for a moment, then
// closes every connection and waits for the server to end. It is safe to
// call more than once.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		done := make(chan struct{})
		go func() {
			s.grpc.GracefulStop()
			close(done)
		}()
		timer := time.NewTimer(stopGrace)
		defer timer.Stop()
		select {
		case <-done:
		case <-timer.C:
			s.grpc.Stop()
			<-done
		}
		<-s.served
	})
}

// FailNext makes the next n write calls (CreateTimeSeries and
// CreateServiceTimeSeries) fail with err, which should be a gRPC status
// error such as status.Error(codes.Unavailable, "..."); other errors reach
// the client as codes.Unknown. A negative n fails every write call until
// ResetFailures; n == 0 is the same as ResetFailures. Failed calls are
// counted in Stats.Rejected and not recorded.
func (s *Server) FailNext(n int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		err = status.Error(codes.Unavailable, "gcpstandin: injected failure")
	}
	s.failLeft, s.failErr = n, err
}

// ResetFailures cancels FailNext.
func (s *Server) ResetFailures() { s.FailNext(0, nil) }

// Reset forgets the recorded requests and zeroes the Stats. Failures set
// by FailNext and created metric descriptors stay.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
	s.stats = Stats{}
}

// Requests is the number of accepted CreateTimeSeries and
// CreateServiceTimeSeries calls (Stats().Requests).
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats.Requests
}

// Stats returns the running totals.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// CreateTimeSeriesRequests returns the recorded write requests in the order
// they arrived. The messages are shared with the server: read them, do not
// modify them.
func (s *Server) CreateTimeSeriesRequests() []*monitoringpb.CreateTimeSeriesRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*monitoringpb.CreateTimeSeriesRequest(nil), s.requests...)
}

// TimeSeries returns every time series of the recorded write requests, in
// the order they arrived. The messages are shared with the server: read
// them, do not modify them.
func (s *Server) TimeSeries() []*monitoringpb.TimeSeries {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*monitoringpb.TimeSeries
	for _, r := range s.requests {
		out = append(out, r.GetTimeSeries()...)
	}
	return out
}

// CreateTimeSeries records the request.
func (s *Server) CreateTimeSeries(_ context.Context, req *monitoringpb.CreateTimeSeriesRequest) (*emptypb.Empty, error) {
	return s.write(req)
}

// CreateServiceTimeSeries records the request like CreateTimeSeries.
func (s *Server) CreateServiceTimeSeries(_ context.Context, req *monitoringpb.CreateTimeSeriesRequest) (*emptypb.Empty, error) {
	return s.write(req)
}

func (s *Server) write(req *monitoringpb.CreateTimeSeriesRequest) (*emptypb.Empty, error) {
	if !strings.HasPrefix(req.GetName(), "projects/") {
		return nil, status.Errorf(codes.InvalidArgument, "gcpstandin: name %q is not projects/PROJECT", req.GetName())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failLeft != 0 {
		if s.failLeft > 0 {
			s.failLeft--
		}
		s.stats.Rejected++
		return nil, s.failErr
	}
	s.stats.Requests++
	for _, ts := range req.GetTimeSeries() {
		s.stats.TimeSeries++
		for _, p := range ts.GetPoints() {
			s.stats.Points++
			for _, ex := range p.GetValue().GetDistributionValue().GetExemplars() {
				s.stats.Exemplars++
				if SpanName(ex) != "" {
					s.stats.SpanContextExemplars++
				}
			}
		}
	}
	if s.record {
		s.requests = append(s.requests, req)
	}
	return &emptypb.Empty{}, nil
}

// CreateMetricDescriptor stores the descriptor and returns it.
func (s *Server) CreateMetricDescriptor(_ context.Context, req *monitoringpb.CreateMetricDescriptorRequest) (*metricpb.MetricDescriptor, error) {
	md := req.GetMetricDescriptor()
	if md.GetType() == "" {
		return nil, status.Error(codes.InvalidArgument, "gcpstandin: metric descriptor without type")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.descriptors[md.GetType()] = proto.Clone(md).(*metricpb.MetricDescriptor)
	return md, nil
}

// GetMetricDescriptor returns a descriptor created before, looked up by
// the METRIC_TYPE part of projects/P/metricDescriptors/METRIC_TYPE.
func (s *Server) GetMetricDescriptor(_ context.Context, req *monitoringpb.GetMetricDescriptorRequest) (*metricpb.MetricDescriptor, error) {
	_, metricType, ok := strings.Cut(req.GetName(), "/metricDescriptors/")
	s.mu.Lock()
	defer s.mu.Unlock()
	if md, found := s.descriptors[metricType]; ok && found {
		return proto.Clone(md).(*metricpb.MetricDescriptor), nil
	}
	return nil, status.Errorf(codes.NotFound, "gcpstandin: no metric descriptor %q", req.GetName())
}

// SpanName returns the span_name of the exemplar's SpanContext attachment
// (projects/P/traces/T/spans/S), or "" if it has none.
func SpanName(ex *distributionpb.Distribution_Exemplar) string {
	for _, a := range ex.GetAttachments() {
		if !a.MessageIs(&monitoringpb.SpanContext{}) {
			continue
		}
		var sc monitoringpb.SpanContext
		if err := a.UnmarshalTo(&sc); err == nil {
			return sc.GetSpanName()
		}
	}
	return ""
}

// DroppedLabels returns the labels of the exemplar's DroppedLabels
// attachment, or nil if it has none.
func DroppedLabels(ex *distributionpb.Distribution_Exemplar) map[string]string {
	for _, a := range ex.GetAttachments() {
		if !a.MessageIs(&monitoringpb.DroppedLabels{}) {
			continue
		}
		var dl monitoringpb.DroppedLabels
		if err := a.UnmarshalTo(&dl); err == nil {
			return dl.GetLabel()
		}
	}
	return nil
}

// ErrNoSpanContext is returned by ParseSpanName for a name that is not
// projects/P/traces/T/spans/S.
var ErrNoSpanContext = errors.New("gcpstandin: not a span name of the form projects/P/traces/T/spans/S")

// ParseSpanName splits projects/P/traces/T/spans/S into its parts.
func ParseSpanName(name string) (project, traceID, spanID string, err error) {
	parts := strings.Split(name, "/")
	if len(parts) != 6 || parts[0] != "projects" || parts[2] != "traces" || parts[4] != "spans" ||
		parts[1] == "" || parts[3] == "" || parts[5] == "" {
		return "", "", "", ErrNoSpanContext
	}
	return parts[1], parts[3], parts[5], nil
}
