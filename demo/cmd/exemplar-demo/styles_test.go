package main

import (
	"maps"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
)

func spanContext(t *testing.T, sampled bool) trace.SpanContext {
	t.Helper()
	tid, err := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	if err != nil {
		t.Fatal(err)
	}
	sid, err := trace.SpanIDFromHex("00f067aa0ba902b7")
	if err != nil {
		t.Fatal(err)
	}
	var flags trace.TraceFlags
	if sampled {
		flags = trace.FlagsSampled
	}
	return trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: flags})
}

// TestStylesLabelUnsampledSpans: every style gives an exemplar for a
// head-sampled-out span too, as the guides' code does; the guides'
// trace-only styles exactly their one label; the trace-context styles the
// sampled flag as the SDK decided it.
func TestStylesLabelUnsampledSpans(t *testing.T) {
	t.Parallel()
	const T, S = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	want := map[string][2]prometheus.Labels{ // sampled, unsampled
		"client-golang-trace-only": {{"trace_id": T}, {"trace_id": T}},
		"prom-client-trace-only":   {{"traceID": T}, {"traceID": T}},
		"prom-client":              {{"traceID": T, "spanID": S}, {"traceID": T, "spanID": S}},
		"traceparent":              {{"traceparent": "00-" + T + "-" + S + "-01"}, {"traceparent": "00-" + T + "-" + S + "-00"}},
		"b3":                       {{"b3": T + "-" + S + "-1"}, {"b3": T + "-" + S + "-0"}},
		"uber-trace-id":            {{"uber_trace_id": T + ":f067aa0ba902b7:0:1"}, {"uber_trace_id": T + ":f067aa0ba902b7:0:0"}},
	}
	for _, s := range styles {
		for i, sampled := range []bool{true, false} {
			got := s.labels(spanContext(t, sampled))
			if got == nil {
				t.Errorf("%s, sampled %v: no exemplar", s.name, sampled)
				continue
			}
			if w, ok := want[s.name]; ok && !maps.Equal(got, w[i]) {
				t.Errorf("%s, sampled %v: labels %v, want %v", s.name, sampled, got, w[i])
			}
		}
		if got := s.labels(trace.SpanContext{}); got != nil {
			t.Errorf("%s: labels %v for a context without IDs, want no exemplar", s.name, got)
		}
	}
}

func TestNewLabeler(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		arg, name, styles, err string
	}{
		{arg: "trace-only", name: "prom-client-trace-only", styles: "prom-client-trace-only"},
		{arg: "b3", name: "b3", styles: "b3"},
		{arg: "client-golang-trace-only,trace-only,otel", name: "client-golang-trace-only,trace-only,otel",
			styles: "client-golang-trace-only,prom-client-trace-only,otel"},
		{arg: "mixed", name: "mixed", styles: strings.Join(styleNames()[:len(styles)], ",")},
		{arg: "b3,nope", err: `unknown -style "nope"`},
	} {
		l, err := newLabeler(tt.arg)
		if tt.err != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tt.err) {
				t.Errorf("newLabeler(%q): error %v, want %s...", tt.arg, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("newLabeler(%q): %v", tt.arg, err)
		}
		var names []string
		for _, s := range l.styles {
			names = append(names, s.name)
		}
		if l.name != tt.name || strings.Join(names, ",") != tt.styles {
			t.Errorf("newLabeler(%q) = %s [%s], want %s [%s]", tt.arg, l.name, strings.Join(names, ","), tt.name, tt.styles)
		}
	}
}
