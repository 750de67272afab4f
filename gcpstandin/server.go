// Package gcpstandin is a local stand-in for the two Google Cloud APIs that
// a collector exporting to Google Cloud writes to: Cloud Monitoring's
// MetricService (googlemanagedprometheus and googlecloud exporters) and
// Cloud Trace's TraceService v2 (googlecloud exporter). It is for tests,
// benchmarks and demos, and needs no Google Cloud project or credentials.
//
// It speaks the real protobuf APIs
// (cloud.google.com/go/monitoring/apiv3/v2/monitoringpb and
// cloud.google.com/go/trace/apiv2/tracepb) over plaintext gRPC on a
// loopback address; both services share one address, so the exporters
// reach it with
//
//	googlemanagedprometheus:
//	  project: my-project
//	  metric: {endpoint: <Server.Addr()>, use_insecure: true}
//	googlecloud:
//	  project: my-project
//	  trace: {endpoint: <Server.Addr()>, use_insecure: true}
//
// The server records what it accepts, up to caps on stored points and
// spans, in number and in bytes (WithMaxPoints, WithMaxPointBytes,
// WithMaxSpans, WithMaxSpanBytes): when a cap is reached the oldest
// requests' points, or the oldest spans, are dropped first and counted in
// Stats. Like Cloud Monitoring it refuses a point that is not newer than
// the most recent point of its time series (InvalidArgument, "Points must
// be written in order..."), writing the request's other series. It keeps
// metric descriptors created through CreateMetricDescriptor (within a
// quota) so GetMetricDescriptor can return them, and can be told to fail
// metric write calls with a chosen gRPC error.
//
// WithConsole also serves a console page on 127.0.0.1 that draws what
// Cloud Monitoring received the way Metrics Explorer would (a heatmap of a
// distribution metric with its exemplars) and opens the Cloud Trace span an
// exemplar links to, with JSON endpoints beside it (see console.go).
//
// Every method is safe for concurrent use.
package gcpstandin // import "github.com/exemplarlink/exemplarlinkprocessor/gcpstandin"

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"cloud.google.com/go/monitoring/apiv3/v2/monitoringpb"
	"cloud.google.com/go/trace/apiv2/tracepb"
	metricpb "google.golang.org/genproto/googleapis/api/metric"
	"google.golang.org/grpc"
)

const (
	// DefaultAddr is where Start listens: a free port on the IPv4 loopback.
	DefaultAddr = "127.0.0.1:0"
	// DefaultMaxPoints is how many metric points a recording server keeps
	// at most (WithMaxPoints).
	DefaultMaxPoints = 200_000
	// DefaultMaxSpans is how many spans a recording server keeps at most
	// (WithMaxSpans).
	DefaultMaxSpans = 100_000
	// DefaultMaxPointBytes caps the stored requests' size (protobuf wire
	// size; WithMaxPointBytes): 128 MiB, about 200,000 typical
	// distribution points with exemplars, or 32 requests of one 4 MiB
	// label.
	DefaultMaxPointBytes = 128 << 20
	// DefaultMaxSpanBytes caps the stored spans' size (WithMaxSpanBytes):
	// 64 MiB, about 100,000 typical spans.
	DefaultMaxSpanBytes = 64 << 20
)

// The console's HTTP timeouts: a client that sends its headers slowly, or
// keeps an idle connection open, cannot hold it for long.
const (
	consoleReadHeaderTimeout = 5 * time.Second
	consoleReadTimeout       = 10 * time.Second
	consoleIdleTimeout       = 60 * time.Second
)

// stopGrace is how long Stop lets in-flight calls finish before it closes
// the remaining connections.
const stopGrace = 2 * time.Second

// Server is a running stand-in for Cloud Monitoring's MetricService and
// Cloud Trace's TraceService.
type Server struct {
	monitoringpb.UnimplementedMetricServiceServer

	lis    net.Listener
	grpc   *grpc.Server
	served chan struct{}
	record bool

	console       *http.Server
	consoleLis    net.Listener
	consoleServed chan struct{}

	stopOnce sync.Once

	mu          sync.Mutex
	points      pointStore
	spans       spanStore
	order       orderIndex
	version     uint64    // changes with what is held: points, spans
	cache       scanCache // what scans of the held points found, at version
	stats       Stats
	descriptors map[string]*metricpb.MetricDescriptor
	// descriptorBytes is the descriptors' size (protobuf wire size).
	descriptorBytes int
	failLeft        int // calls still to fail; negative: until ResetFailures
	failErr         error
}

// Stats are running totals of what the server has seen. Counts cover every
// accepted write request, whether or not the server records them.
type Stats struct {
	// Requests is the number of CreateTimeSeries and
	// CreateServiceTimeSeries calls accepted, in whole or in part (some
	// series refused as out of order).
	Requests int
	// Rejected is the number of metric write calls failed on purpose
	// (FailNext).
	Rejected int
	// TimeSeries and Points count what the accepted requests carried,
	// without the series refused as out of order.
	TimeSeries int
	Points     int
	// Exemplars counts the exemplars on distribution points, and
	// SpanContextExemplars those of them with a SpanContext attachment
	// (a link to a trace).
	Exemplars            int
	SpanContextExemplars int
	// SpanRequests is the number of BatchWriteSpans and CreateSpan calls
	// accepted, Spans the spans they carried.
	SpanRequests int
	Spans        int
	// DroppedPoints and DroppedSpans count what a recording server let go
	// to stay within its caps (oldest first).
	DroppedPoints int
	DroppedSpans  int
	// OutOfOrderPoints counts the points refused because they were not
	// newer than their series' most recent point; they are not in the
	// counts above.
	OutOfOrderPoints int
}

// Option changes how Start sets a server up.
type Option func(*options)

type options struct {
	addr        string
	record      bool
	maxPoints   int
	maxSpans    int
	maxPBytes   int
	maxSBytes   int
	consoleAddr string
}

// WithAddr makes the server listen on addr instead of DefaultAddr.
func WithAddr(addr string) Option {
	return func(o *options) { o.addr = addr }
}

// CountOnly makes the server keep only its Stats, not the requests or
// spans, so its memory stays flat in long runs (soak tests, benchmarks).
// Requests, TimeSeries, Spans and the console then show nothing.
func CountOnly() Option {
	return func(o *options) { o.record = false }
}

// WithMaxPoints caps the metric points a recording server keeps (default
// DefaultMaxPoints). Past it, the oldest requests are dropped first; a
// single request larger than the cap keeps its last time series that fit.
// n must be positive.
func WithMaxPoints(n int) Option {
	return func(o *options) { o.maxPoints = n }
}

// WithMaxSpans caps the spans a recording server keeps (default
// DefaultMaxSpans); past it the oldest spans are dropped first. n must be
// positive.
func WithMaxSpans(n int) Option {
	return func(o *options) { o.maxSpans = n }
}

// WithMaxPointBytes caps the size of the stored requests, counted as
// their protobuf wire size (default DefaultMaxPointBytes), beside the cap
// on their points; the oldest go first. n must be positive.
func WithMaxPointBytes(n int) Option {
	return func(o *options) { o.maxPBytes = n }
}

// WithMaxSpanBytes caps the size of the stored spans, counted as their
// protobuf wire size (default DefaultMaxSpanBytes), beside the cap on
// their number; the oldest go first. n must be positive.
func WithMaxSpanBytes(n int) Option {
	return func(o *options) { o.maxSBytes = n }
}

// WithConsole makes Start also serve the console page and its JSON API
// (ConsoleHandler) over HTTP on addr, e.g. "127.0.0.1:0".
func WithConsole(addr string) Option {
	return func(o *options) { o.consoleAddr = addr }
}

// Start listens on DefaultAddr (or the WithAddr address) and serves the
// stand-in MetricService and TraceService until Stop.
func Start(opts ...Option) (*Server, error) {
	o := options{addr: DefaultAddr, record: true, maxPoints: DefaultMaxPoints, maxSpans: DefaultMaxSpans,
		maxPBytes: DefaultMaxPointBytes, maxSBytes: DefaultMaxSpanBytes}
	for _, opt := range opts {
		opt(&o)
	}
	if o.maxPBytes <= 0 {
		return nil, fmt.Errorf("gcpstandin: the cap on stored point bytes must be positive, not %d", o.maxPBytes)
	}
	if o.maxSBytes <= 0 {
		return nil, fmt.Errorf("gcpstandin: the cap on stored span bytes must be positive, not %d", o.maxSBytes)
	}
	if o.maxPoints <= 0 {
		return nil, fmt.Errorf("gcpstandin: the cap on stored points must be positive, not %d", o.maxPoints)
	}
	if o.maxSpans <= 0 {
		return nil, fmt.Errorf("gcpstandin: the cap on stored spans must be positive, not %d", o.maxSpans)
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
		points:      newPointStore(o.maxPoints, o.maxPBytes),
		spans:       newSpanStore(o.maxSpans, o.maxSBytes),
		order:       newOrderIndex(o.maxPoints),
		descriptors: make(map[string]*metricpb.MetricDescriptor),
	}
	if o.consoleAddr != "" {
		clis, err := net.Listen("tcp", o.consoleAddr)
		if err != nil {
			_ = lis.Close()
			return nil, fmt.Errorf("gcpstandin: console: %w", err)
		}
		s.consoleLis = clis
		s.console = &http.Server{
			Handler:           s.ConsoleHandler(),
			ReadHeaderTimeout: consoleReadHeaderTimeout,
			ReadTimeout:       consoleReadTimeout,
			IdleTimeout:       consoleIdleTimeout,
		}
		s.consoleServed = make(chan struct{})
		go func() {
			defer close(s.consoleServed)
			_ = s.console.Serve(clis) // returns when Stop shuts it down
		}()
	}
	monitoringpb.RegisterMetricServiceServer(s.grpc, s)
	tracepb.RegisterTraceServiceServer(s.grpc, traceService{s: s})
	go func() {
		defer close(s.served)
		_ = s.grpc.Serve(lis) // returns when Stop closes the listener
	}()
	return s, nil
}

// Addr is the host:port the gRPC services listen on.
func (s *Server) Addr() string { return s.lis.Addr().String() }

// ConsoleURL is the console page's address (http://host:port/), or "" if
// the server was started without WithConsole.
func (s *Server) ConsoleURL() string {
	if s.consoleLis == nil {
		return ""
	}
	return "http://" + s.consoleLis.Addr().String() + "/"
}

// Stop closes the listeners, lets in-flight calls finish for a moment, then
// closes every connection and waits for the servers to end. It is safe to
// call more than once.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		if s.console != nil {
			ctx, cancel := context.WithTimeout(context.Background(), stopGrace)
			if err := s.console.Shutdown(ctx); errors.Is(err, context.DeadlineExceeded) {
				_ = s.console.Close()
			}
			cancel()
			<-s.consoleServed
		}
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

// Reset forgets the recorded requests and spans and each series' most
// recent point, and zeroes the Stats. Failures set by FailNext and created
// metric descriptors stay.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.points = newPointStore(s.points.max, s.points.maxBytes)
	s.spans = newSpanStore(s.spans.max, s.spans.maxBytes)
	s.order = newOrderIndex(s.order.max)
	s.version++
	s.stats = Stats{}
}

// Stats returns the running totals.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Stored is what a recording server holds right now, within its caps;
// bytes are protobuf wire sizes.
type Stored struct {
	Points        int `json:"points"`
	MaxPoints     int `json:"max_points"`
	PointBytes    int `json:"point_bytes"`
	MaxPointBytes int `json:"max_point_bytes"`
	Spans         int `json:"spans"`
	MaxSpans      int `json:"max_spans"`
	SpanBytes     int `json:"span_bytes"`
	MaxSpanBytes  int `json:"max_span_bytes"`
}

// Stored returns how many points and spans the server holds and its caps.
func (s *Server) Stored() Stored {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stored{
		Points: s.points.points, MaxPoints: s.points.max, PointBytes: s.points.bytes, MaxPointBytes: s.points.maxBytes,
		Spans: len(s.spans.queue), MaxSpans: s.spans.max, SpanBytes: s.spans.bytes, MaxSpanBytes: s.spans.maxBytes,
	}
}
