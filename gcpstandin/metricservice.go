package gcpstandin

import (
	"context"
	"fmt"
	"strconv"
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
// they arrived (within the caps on stored points); a request some of whose
// series were refused as out of order is held with the others only. The messages are shared with the server: read them, do not
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

// CreateTimeSeries records the request. As Cloud Monitoring does, it
// refuses a series whose point is not newer than the series' most recent
// point (an older or equal end time, or an older start time), writes the
// request's other series and answers InvalidArgument with a
// CreateTimeSeriesSummary detail. A series is its metric type and labels
// with its monitored resource type and labels.
func (s *Server) CreateTimeSeries(_ context.Context, req *monitoringpb.CreateTimeSeriesRequest) (*emptypb.Empty, error) {
	return s.write(req)
}

// CreateServiceTimeSeries records the request like CreateTimeSeries.
func (s *Server) CreateServiceTimeSeries(_ context.Context, req *monitoringpb.CreateTimeSeriesRequest) (*emptypb.Empty, error) {
	return s.write(req)
}

func (s *Server) write(req *monitoringpb.CreateTimeSeriesRequest) (*emptypb.Empty, error) {
	if _, err := parseProject(req.GetName()); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "gcpstandin: %v", err)
	}
	// The series' IDs are hashed before the lock: labels may be large.
	series := req.GetTimeSeries()
	ids := make([]seriesID, len(series))
	for i, ts := range series {
		ids[i] = hashSeries(ts)
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
	// Like Cloud Monitoring, write the series whose points are in order
	// and refuse the others.
	var bad refused
	accepted, acceptedIDs := series, ids
	for i, ts := range series {
		if reason := s.order.check(ids[i], ts.GetPoints()); reason != "" {
			if bad.points == 0 && len(bad.reasons) == 0 {
				accepted, acceptedIDs = append([]*monitoringpb.TimeSeries(nil), series[:i]...), append([]seriesID(nil), ids[:i]...)
			}
			bad.add(reason, i, len(ts.GetPoints()))
			continue
		}
		s.order.update(ids[i], ts.GetPoints())
		if len(bad.reasons) > 0 {
			accepted, acceptedIDs = append(accepted, ts), append(acceptedIDs, ids[i])
		}
	}
	if len(bad.reasons) > 0 {
		s.stats.OutOfOrderPoints += bad.points
		req = &monitoringpb.CreateTimeSeriesRequest{Name: req.GetName(), TimeSeries: accepted}
	}
	s.stats.Requests++
	for _, ts := range accepted {
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
	if s.record && len(accepted) > 0 {
		s.stats.DroppedPoints += s.points.add(req, acceptedIDs)
		s.version++
	}
	if len(bad.reasons) > 0 {
		return nil, bad.err(countPoints(series))
	}
	return &emptypb.Empty{}, nil
}

// maxProjectLen bounds a project ID (Cloud's are at most 30 characters;
// the stand-in allows more, for names tests make up).
const maxProjectLen = 100

// parseProject returns the PROJECT of projects/PROJECT, which must be a
// project ID or number: letters, digits, '-', '_', '.' or ':' (the
// domain-scoped legacy form), at most maxProjectLen of them.
func parseProject(name string) (string, error) {
	project, ok := strings.CutPrefix(name, "projects/")
	valid := ok && project != "" && len(project) <= maxProjectLen && project != "." && project != ".."
	for i := 0; valid && i < len(project); i++ {
		c := project[i]
		valid = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':'
	}
	if !valid {
		return "", fmt.Errorf("name %s is not projects/PROJECT", quoteCut(name))
	}
	return project, nil
}

// maxQuoted is how much of a name an error message quotes.
const maxQuoted = 120

// quoteCut quotes s for an error message, cut to maxQuoted bytes.
func quoteCut(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	return strconv.Quote(cut(s, maxQuoted))
}

// The most metric descriptors a server keeps, in number and in bytes
// (protobuf wire size): past them CreateMetricDescriptor answers
// ResourceExhausted, as a project past its descriptor quota would.
const (
	maxDescriptors     = 10_000
	maxDescriptorBytes = 16 << 20
)

// CreateMetricDescriptor stores the descriptor and returns it.
func (s *Server) CreateMetricDescriptor(_ context.Context, req *monitoringpb.CreateMetricDescriptorRequest) (*metricpb.MetricDescriptor, error) {
	md := req.GetMetricDescriptor()
	if md.GetType() == "" {
		return nil, status.Error(codes.InvalidArgument, "gcpstandin: metric descriptor without type")
	}
	size := proto.Size(md)
	s.mu.Lock()
	defer s.mu.Unlock()
	bytes := s.descriptorBytes + size
	count := len(s.descriptors) + 1
	if old, ok := s.descriptors[md.GetType()]; ok {
		bytes -= proto.Size(old)
		count--
	}
	if count > maxDescriptors || bytes > maxDescriptorBytes {
		return nil, status.Errorf(codes.ResourceExhausted, "gcpstandin: metric descriptor %s would pass the stand-in's quota of %d descriptors in %d MiB",
			quoteCut(md.GetType()), maxDescriptors, maxDescriptorBytes>>20)
	}
	s.descriptors[md.GetType()] = proto.Clone(md).(*metricpb.MetricDescriptor)
	s.descriptorBytes = bytes
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
	return nil, status.Errorf(codes.NotFound, "gcpstandin: no metric descriptor %s", quoteCut(req.GetName()))
}
