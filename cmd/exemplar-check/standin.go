package main

import (
	"context"
	"net"
	"sync"

	"cloud.google.com/go/monitoring/apiv3/v2/monitoringpb"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/exemplarlink/exemplarlinkprocessor/gcpstandin"
)

// observedStandin is the check's Cloud Monitoring: gcpstandin's
// MetricService (its validation and Stats), served on a gRPC server of the
// check's own that hands every write the stand-in accepts to the scrape
// being digested, instead of letting the stand-in record it. So what a
// scrape wrote is read whole, whatever its size, and not by its position in
// a store capped at gcpstandin.DefaultMaxPoints points, whose eviction
// would shift the positions; and memory holds one write at a time, not
// every scrape's.
type observedStandin struct {
	std  *gcpstandin.Server
	grpc *grpc.Server
	lis  net.Listener
	done chan struct{}

	mu  sync.Mutex
	idx *gcmDigest // nil between scrapes: writes then are only validated
}

func startObservedStandin() (*observedStandin, error) {
	// CountOnly: the stand-in keeps its Stats and nothing else. Its own
	// listener stays unused; the check's server below calls it in-process.
	std, err := gcpstandin.Start(gcpstandin.CountOnly())
	if err != nil {
		return nil, err
	}
	lis, err := net.Listen("tcp", gcpstandin.DefaultAddr)
	if err != nil {
		std.Stop()
		return nil, err
	}
	o := &observedStandin{std: std, grpc: grpc.NewServer(), lis: lis, done: make(chan struct{})}
	monitoringpb.RegisterMetricServiceServer(o.grpc, observedMetricService{Server: std, o: o})
	go func() {
		defer close(o.done)
		_ = o.grpc.Serve(lis) // returns when Stop closes the listener
	}()
	return o, nil
}

// Addr is where the exporter writes.
func (o *observedStandin) Addr() string { return o.lis.Addr().String() }

// Stop ends both servers.
func (o *observedStandin) Stop() {
	o.grpc.Stop()
	<-o.done
	o.std.Stop()
}

// begin starts digesting the writes of one scrape; end returns the digest.
func (o *observedStandin) begin() {
	o.mu.Lock()
	o.idx = newGCMDigest()
	o.mu.Unlock()
}

func (o *observedStandin) end() *gcmDigest {
	o.mu.Lock()
	defer o.mu.Unlock()
	d := o.idx
	o.idx = nil
	return d
}

func (o *observedStandin) accepted(req *monitoringpb.CreateTimeSeriesRequest) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.idx != nil {
		o.idx.add(req)
	}
}

// observedMetricService is the stand-in's MetricService with the write
// calls observed once the stand-in accepted them.
type observedMetricService struct {
	*gcpstandin.Server
	o *observedStandin
}

func (s observedMetricService) CreateTimeSeries(ctx context.Context, req *monitoringpb.CreateTimeSeriesRequest) (*emptypb.Empty, error) {
	resp, err := s.Server.CreateTimeSeries(ctx, req)
	if err == nil {
		s.o.accepted(req)
	}
	return resp, err
}

func (s observedMetricService) CreateServiceTimeSeries(ctx context.Context, req *monitoringpb.CreateTimeSeriesRequest) (*emptypb.Empty, error) {
	resp, err := s.Server.CreateServiceTimeSeries(ctx, req)
	if err == nil {
		s.o.accepted(req)
	}
	return resp, err
}
