package gcpstandin

import (
	"context"
	"fmt"
	"strings"

	"cloud.google.com/go/trace/apiv2/tracepb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

// This file is Cloud Trace's TraceService v2, which the googlecloud
// exporter writes spans to.

// traceService is the Server seen as a TraceServiceServer (a type of its
// own: Server already embeds the MetricService's Unimplemented type).
type traceService struct {
	tracepb.UnimplementedTraceServiceServer
	s *Server
}

// BatchWriteSpans records the spans. Like the real API it rejects the whole
// call if the name is not projects/PROJECT or a span's name is not
// projects/PROJECT/traces/TRACE_ID/spans/SPAN_ID in that project, with a
// 32-digit trace ID and a 16-digit span ID in lower-case hex.
func (t traceService) BatchWriteSpans(_ context.Context, req *tracepb.BatchWriteSpansRequest) (*emptypb.Empty, error) {
	project, err := parseProject(req.GetName())
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "gcpstandin: %v", err)
	}
	for i, sp := range req.GetSpans() {
		if err := checkSpan(project, sp); err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "gcpstandin: spans[%d]: %v", i, err)
		}
	}
	t.s.addSpans(req.GetSpans())
	return &emptypb.Empty{}, nil
}

// CreateSpan records one span, checked as BatchWriteSpans checks each.
func (t traceService) CreateSpan(_ context.Context, sp *tracepb.Span) (*tracepb.Span, error) {
	project, _, _, err := ParseSpanName(sp.GetName())
	if err == nil {
		_, err = parseProject("projects/" + project)
	}
	if err == nil {
		err = checkSpan(project, sp)
	}
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "gcpstandin: %v", err)
	}
	t.s.addSpans([]*tracepb.Span{sp})
	return sp, nil
}

func checkSpan(project string, sp *tracepb.Span) error {
	p, traceID, spanID, err := ParseSpanName(sp.GetName())
	switch {
	case err != nil:
		return err
	case p != project:
		return fmt.Errorf("span %s is in project %s, not %q", quoteCut(sp.GetName()), quoteCut(p), project)
	case !isLowerHex(traceID, 32):
		return fmt.Errorf("span %s: trace ID %s is not 32 lower-case hex digits", quoteCut(sp.GetName()), quoteCut(traceID))
	case !isLowerHex(spanID, 16):
		return fmt.Errorf("span %s: span ID %s is not 16 lower-case hex digits", quoteCut(sp.GetName()), quoteCut(spanID))
	case sp.GetSpanId() != spanID:
		return fmt.Errorf("span %s: span_id %s differs from the name's", quoteCut(sp.GetName()), quoteCut(sp.GetSpanId()))
	}
	return nil
}

func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func (s *Server) addSpans(spans []*tracepb.Span) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.SpanRequests++
	s.stats.Spans += len(spans)
	if !s.record {
		return
	}
	for _, sp := range spans {
		s.stats.DroppedSpans += s.spans.add(sp)
	}
	s.version++
}

// Spans returns the recorded spans (within the cap on stored spans) in the
// order they arrived. The messages are shared with the server: read them,
// do not modify them.
func (s *Server) Spans() []*tracepb.Span {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.spans.spans()
}

// Span returns the recorded span with the given name
// (projects/P/traces/T/spans/S), or nil.
func (s *Server) Span(name string) *tracepb.Span {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.spans.byName[name]
}

// Trace returns the recorded spans of a trace (32 hex digits, any case),
// in the order they arrived, whatever their project.
func (s *Server) Trace(traceID string) []*tracepb.Span {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*tracepb.Span(nil), s.spans.byTrace[strings.ToLower(traceID)]...)
}
