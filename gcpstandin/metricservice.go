package gcpstandin

import (
	"context"
	"strings"

	"cloud.google.com/go/monitoring/apiv3/v2/monitoringpb"
	metricpb "google.golang.org/genproto/googleapis/api/metric"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
)

// This file is Cloud Monitoring's MetricService: the write calls the
// exporters make, and the descriptor calls.

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

// Requests is the number of accepted CreateTimeSeries and
// CreateServiceTimeSeries calls (Stats().Requests).
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats.Requests
}

// CreateTimeSeriesRequests returns the recorded write requests in the order
// they arrived (within the cap on stored points). The messages are shared with the server: read them, do not
// modify them.
func (s *Server) CreateTimeSeriesRequests() []*monitoringpb.CreateTimeSeriesRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*monitoringpb.CreateTimeSeriesRequest, 0, len(s.points.reqs))
	for _, r := range s.points.reqs {
		out = append(out, r.req)
	}
	return out
}

// TimeSeries returns every time series of the recorded write requests, in
// the order they arrived. The messages are shared with the server: read
// them, do not modify them.
func (s *Server) TimeSeries() []*monitoringpb.TimeSeries {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*monitoringpb.TimeSeries
	for _, r := range s.points.reqs {
		out = append(out, r.req.GetTimeSeries()...)
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
		s.stats.DroppedPoints += s.points.add(req)
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
