package gcpstandin

import (
	"context"
	"fmt"
	"testing"
	"time"

	"cloud.google.com/go/trace/apiv2/tracepb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

const (
	testTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	testSpan  = "00f067aa0ba902b7"
)

func dialTrace(t *testing.T, s *Server) tracepb.TraceServiceClient {
	t.Helper()
	return tracepb.NewTraceServiceClient(clientConn(t, s))
}

func span(project, traceID, spanID, display string, start time.Time) *tracepb.Span {
	return &tracepb.Span{
		Name:        fmt.Sprintf("projects/%s/traces/%s/spans/%s", project, traceID, spanID),
		SpanId:      spanID,
		DisplayName: &tracepb.TruncatableString{Value: display},
		StartTime:   timestamppb.New(start),
		EndTime:     timestamppb.New(start.Add(15 * time.Millisecond)),
		SpanKind:    tracepb.Span_SERVER,
		Attributes: &tracepb.Span_Attributes{AttributeMap: map[string]*tracepb.AttributeValue{
			"url.path": {Value: &tracepb.AttributeValue_StringValue{StringValue: &tracepb.TruncatableString{Value: "/work"}}},
		}},
	}
}

func TestTraceServiceRecordsSpans(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	c := dialTrace(t, s)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()

	now := time.Now()
	if _, err := c.BatchWriteSpans(ctx, &tracepb.BatchWriteSpansRequest{Name: "projects/p", Spans: []*tracepb.Span{
		span("p", testTrace, testSpan, "GET /work", now),
		span("p", testTrace, "1111111111111111", "compute", now.Add(time.Millisecond)),
	}}); err != nil {
		t.Fatalf("BatchWriteSpans: %v", err)
	}
	if _, err := c.CreateSpan(ctx, span("p", "0000000000000000e8bbf837921e8a59", testSpan, "GET /checkout", now)); err != nil {
		t.Fatalf("CreateSpan: %v", err)
	}
	st := s.Stats()
	if st.SpanRequests != 2 || st.Spans != 3 || st.DroppedSpans != 0 {
		t.Errorf("Stats() = %+v, want 2 span requests, 3 spans", st)
	}
	if got := s.Trace(testTrace); len(got) != 2 || got[0].GetDisplayName().GetValue() != "GET /work" {
		t.Errorf("Trace(%s) = %v", testTrace, got)
	}
	if got := s.Trace("4BF92F3577B34DA6A3CE929D0E0E4736"); len(got) != 2 {
		t.Errorf("Trace in upper case found %d spans, want 2", len(got))
	}
	if sp := s.Span("projects/p/traces/" + testTrace + "/spans/" + testSpan); sp == nil || sp.GetDisplayName().GetValue() != "GET /work" {
		t.Errorf("Span by name = %v", sp)
	}
	if sp := s.Span("projects/other/traces/" + testTrace + "/spans/" + testSpan); sp != nil {
		t.Errorf("Span in another project = %v, want nil", sp)
	}
	if n := len(s.Spans()); n != 3 {
		t.Errorf("Spans() holds %d, want 3", n)
	}
}

func TestTraceServiceRejectsBadSpans(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	c := dialTrace(t, s)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	now := time.Now()
	noID := span("p", testTrace, testSpan, "x", now)
	noID.SpanId = ""
	for _, tc := range []struct {
		name string
		req  *tracepb.BatchWriteSpansRequest
		want string
	}{
		{"no project", &tracepb.BatchWriteSpansRequest{Name: "p"}, `gcpstandin: name "p" is not projects/PROJECT`},
		{"other project", &tracepb.BatchWriteSpansRequest{Name: "projects/p", Spans: []*tracepb.Span{span("q", testTrace, testSpan, "x", now)}},
			`gcpstandin: spans[0]: span "projects/q/traces/` + testTrace + `/spans/` + testSpan + `" is in project "q", not "p"`},
		{"short trace ID", &tracepb.BatchWriteSpansRequest{Name: "projects/p", Spans: []*tracepb.Span{span("p", "e8bbf837921e8a59", testSpan, "x", now)}},
			`gcpstandin: spans[0]: span "projects/p/traces/e8bbf837921e8a59/spans/` + testSpan + `": trace ID "e8bbf837921e8a59" is not 32 lower-case hex digits`},
		{"upper-case span ID", &tracepb.BatchWriteSpansRequest{Name: "projects/p", Spans: []*tracepb.Span{span("p", testTrace, "00F067AA0BA902B7", "x", now)}},
			`gcpstandin: spans[0]: span "projects/p/traces/` + testTrace + `/spans/00F067AA0BA902B7": span ID "00F067AA0BA902B7" is not 16 lower-case hex digits`},
		{"span_id differs", &tracepb.BatchWriteSpansRequest{Name: "projects/p", Spans: []*tracepb.Span{noID}},
			`gcpstandin: spans[0]: span "projects/p/traces/` + testTrace + `/spans/` + testSpan + `": span_id "" differs from the name's`},
		{"bad name", &tracepb.BatchWriteSpansRequest{Name: "projects/p", Spans: []*tracepb.Span{{Name: "spans/x"}}},
			`gcpstandin: spans[0]: ` + ErrNoSpanContext.Error()},
	} {
		_, err := c.BatchWriteSpans(ctx, tc.req)
		if status.Code(err) != codes.InvalidArgument || status.Convert(err).Message() != tc.want {
			t.Errorf("%s: err = %v, want InvalidArgument %q", tc.name, err, tc.want)
		}
	}
	if _, err := c.CreateSpan(ctx, &tracepb.Span{Name: "nonsense"}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("CreateSpan(nonsense): err = %v, want InvalidArgument", err)
	}
	if st := s.Stats(); st.SpanRequests != 0 || len(s.Spans()) != 0 {
		t.Errorf("after rejected calls: Stats() = %+v, %d spans held", st, len(s.Spans()))
	}
}
