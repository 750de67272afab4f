package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

const (
	tT = "4bf92f3577b34da6a3ce929d0e0e4736"
	tS = "00f067aa0ba902b7"
)

func TestDecide(t *testing.T) {
	t.Parallel()
	linkedOut := processorOutcome{Linked: true, Source: "id_label"}
	span := "projects/p/traces/" + tT + "/spans/" + tS
	tests := []struct {
		name string
		ev   evidence
		want verdict
	}{
		{"linked histogram", evidence{MetricType: typeHistogram, Processor: linkedOut, SpanName: span},
			verdict{Linked: true, ReferencesTrace: true, Judged: true}},
		{"linked exponential histogram", evidence{MetricType: typeExponentialHistogram, Processor: linkedOut, SpanName: span, StockSpanName: span},
			verdict{Linked: true, ReferencesTrace: true, Judged: true}},
		{"processor linked, exporter dropped: counter", evidence{MetricType: typeSum, Processor: linkedOut},
			verdict{Reason: ReasonNotHistogram, ReferencesTrace: true, Judged: true}},
		{"processor linked, exporter dropped: gauge", evidence{MetricType: typeGauge, Processor: linkedOut},
			verdict{Reason: ReasonNotHistogram, ReferencesTrace: true, Judged: true}},
		{"trace ID on a counter, no span ID: not_histogram comes first", evidence{MetricType: typeSum, Processor: processorOutcome{Reason: "missing_span_id"}},
			verdict{Reason: ReasonNotHistogram, ReferencesTrace: true, Judged: true}},
		{"processor's reason", evidence{MetricType: typeHistogram, Processor: processorOutcome{Reason: "missing_span_id"}},
			verdict{Reason: "missing_span_id", ReferencesTrace: true, Judged: true}},
		{"invalid value", evidence{MetricType: typeHistogram, Processor: processorOutcome{Reason: "invalid_value"}},
			verdict{Reason: "invalid_value", ReferencesTrace: true, Judged: true}},
		{"linked by the processor, no link received", evidence{MetricType: typeHistogram, Processor: linkedOut, MetricExported: true},
			verdict{Reason: ReasonNotDelivered, ReferencesTrace: true, Judged: true}},
		{"linked by the processor, the exporter wrote no point of the metric", evidence{MetricType: typeHistogram, Processor: linkedOut},
			verdict{Reason: ReasonPointNotExported, ReferencesTrace: true, Judged: true}},
		{"stock linked, processor pipeline not", evidence{MetricType: typeHistogram, StockSpanName: span, MetricExported: true},
			verdict{Reason: ReasonNotDelivered, ReferencesTrace: true, Judged: true}},
		{"no reference", evidence{MetricType: typeHistogram},
			verdict{Reason: ReasonNoTraceReference}.judged()},
		{"no reference on a counter", evidence{MetricType: typeSum},
			verdict{Reason: ReasonNoTraceReference}.judged()},
		{"new series, not linked", evidence{MetricType: typeHistogram, Processor: linkedOut, NewSeries: true},
			verdict{Reason: ReasonFirstScrape, ReferencesTrace: true}},
		{"new series, linked anyway", evidence{MetricType: typeHistogram, Processor: linkedOut, SpanName: span, NewSeries: true},
			verdict{Linked: true, ReferencesTrace: true}},
		{"--otlp: linked, the app exported the span", evidence{MetricType: typeHistogram, Processor: linkedOut, SpanName: span, SpansChecked: true, SpanExported: true},
			verdict{Linked: true, ReferencesTrace: true, Judged: true, Resolution: ResolutionResolved}},
		{"--otlp: linked, no such span came", evidence{MetricType: typeHistogram, Processor: linkedOut, SpanName: span, SpansChecked: true},
			verdict{Linked: true, ReferencesTrace: true, Judged: true, Resolution: ResolutionDangling}},
		{"--otlp: linked, no span, older than the receiver", evidence{MetricType: typeHistogram, Processor: linkedOut, SpanName: span, SpansChecked: true, BeforeReceiver: true},
			verdict{Linked: true, ReferencesTrace: true, Judged: true, Resolution: ResolutionBeforeReceiver}},
		{"--otlp: older than the receiver, span there", evidence{MetricType: typeHistogram, Processor: linkedOut, SpanName: span, SpansChecked: true, SpanExported: true, BeforeReceiver: true},
			verdict{Linked: true, ReferencesTrace: true, Judged: true, Resolution: ResolutionResolved}},
		{"--otlp: filled from traces", evidence{MetricType: typeHistogram, Processor: processorOutcome{Linked: true, Source: sourceTraces}, SpanName: span, SpansChecked: true, SpanExported: true},
			verdict{Linked: true, ReferencesTrace: true, Judged: true, Resolution: ResolutionResolved}},
		{"--otlp: trace-only, its trace never came", evidence{MetricType: typeHistogram, Processor: processorOutcome{Reason: "trace_not_seen"}, SpansChecked: true},
			verdict{Reason: "trace_not_seen", ReferencesTrace: true, Judged: true}},
		{"--otlp: trace-only, older than the receiver: not judged", evidence{MetricType: typeHistogram, Processor: processorOutcome{Reason: "trace_not_seen"}, SpansChecked: true, BeforeReceiver: true},
			verdict{Reason: ReasonBeforeReceiver, ReferencesTrace: true}},
		{"--otlp, link_only_exported_spans: left unlinked, its span never came", evidence{MetricType: typeHistogram, Processor: processorOutcome{Reason: "span_not_exported"}, SpansChecked: true},
			verdict{Reason: "span_not_exported", ReferencesTrace: true, Judged: true}},
		{"--otlp, link_only_exported_spans: the same, older than the receiver", evidence{MetricType: typeHistogram, Processor: processorOutcome{Reason: "span_not_exported"}, SpansChecked: true, BeforeReceiver: true},
			verdict{Reason: ReasonBeforeReceiver, ReferencesTrace: true}},
		{"--otlp: older than the receiver, but not about spans", evidence{MetricType: typeHistogram, Processor: processorOutcome{Reason: "invalid_value"}, SpansChecked: true, BeforeReceiver: true},
			verdict{Reason: "invalid_value", ReferencesTrace: true, Judged: true}},
		{"no --otlp: no resolution", evidence{MetricType: typeHistogram, Processor: linkedOut, SpanName: span, BeforeReceiver: true},
			verdict{Linked: true, ReferencesTrace: true, Judged: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, decide(tt.ev))
		})
	}
}

func (v verdict) judged() verdict { v.Judged = true; return v }

func TestExitStatus(t *testing.T) {
	t.Parallel()
	linked := verdict{Linked: true, ReferencesTrace: true, Judged: true}
	unlinked := verdict{Reason: "missing_span_id", ReferencesTrace: true, Judged: true}
	noRef := verdict{Reason: ReasonNoTraceReference, Judged: true}
	firstScrape := verdict{Reason: ReasonFirstScrape, ReferencesTrace: true}
	tests := []struct {
		name     string
		verdicts []verdict
		want     int
	}{
		{"all linked", []verdict{linked, linked, noRef}, 0},
		{"one not linked", []verdict{linked, unlinked, linked}, 1},
		{"no exemplars", nil, 1},
		{"none references a trace", []verdict{noRef, noRef}, 1},
		{"unjudged ones do not count", []verdict{linked, firstScrape}, 0},
		{"only unjudged ones", []verdict{firstScrape}, 1},
		{"a dangling link fails", []verdict{linked, {Linked: true, ReferencesTrace: true, Judged: true, Resolution: ResolutionDangling}}, 1},
		{"resolved and before the receiver pass", []verdict{
			{Linked: true, ReferencesTrace: true, Judged: true, Resolution: ResolutionResolved},
			{Linked: true, ReferencesTrace: true, Judged: true, Resolution: ResolutionBeforeReceiver},
			{Reason: ReasonBeforeReceiver, ReferencesTrace: true},
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, exitStatus(tt.verdicts))
		})
	}
}

func TestLabelStyle(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "(none)", labelStyle(nil))
	assert.Equal(t, "traceID+spanID", labelStyle([]label{{"traceID", tT}, {"spanID", tS}}))
	assert.Equal(t, "traceparent", labelStyle([]label{{"traceparent", "00-" + tT + "-" + tS + "-01"}}))
}

func TestProtocolOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		contentType string
		want        string
		ok          bool
	}{
		{"application/openmetrics-text; version=1.0.0; charset=utf-8", ProtocolOpenMetrics1, true},
		{"application/openmetrics-text; version=0.0.1; charset=utf-8", ProtocolOpenMetrics001, true},
		{"application/openmetrics-text", ProtocolOpenMetrics1, true},
		{"text/plain; version=0.0.4; charset=utf-8; escaping=underscores", ProtocolPromText, true},
		{"text/plain", ProtocolPromText, true},
		{"application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited", ProtocolPromProto, true},
		{"application/vnd.google.protobuf", "", false},
		{"text/html; charset=utf-8", "", false},
		{"application/json", "", false},
		{"", "", false},
		{";;;", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.contentType, func(t *testing.T) {
			t.Parallel()
			got, ok := protocolOf(tt.contentType)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.ok, ok)
		})
	}
}

func TestUnsampledContext(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		labels []label
		extra  []string
		want   string
	}{
		{"traceparent sampled", []label{{"traceparent", "00-" + tT + "-" + tS + "-01"}}, nil, ""},
		{"traceparent not sampled", []label{{"traceparent", "00-" + tT + "-" + tS + "-00"}}, nil, "traceparent"},
		{"traceparent other flags, not sampled", []label{{"traceparent", "00-" + tT + "-" + tS + "-02"}}, nil, "traceparent"},
		{"trace_parent spelling, upper case", []label{{"TRACE_PARENT", "00-" + tT + "-" + tS + "-00"}}, nil, "TRACE_PARENT"},
		{"traceparent without flags", []label{{"traceparent", "00-" + tT + "-" + tS}}, nil, ""},
		{"traceparent bad flags", []label{{"traceparent", "00-" + tT + "-" + tS + "-zz"}}, nil, ""},
		{"uber-trace-id sampled", []label{{"uber_trace_id", "abc:def:0:1"}}, nil, ""},
		{"uber-trace-id not sampled", []label{{"uber_trace_id", "abc:def:0:0"}}, nil, "uber_trace_id"},
		{"b3 sampled", []label{{"b3", tT + "-" + tS + "-1"}}, nil, ""},
		{"b3 debug", []label{{"b3", tT + "-" + tS + "-d"}}, nil, ""},
		{"b3 not sampled", []label{{"b3", tT + "-" + tS + "-0"}}, nil, "b3"},
		{"b3 without sampling state", []label{{"b3", tT + "-" + tS}}, nil, ""},
		{"configured label, traceparent value", []label{{"ctx", "00-" + tT + "-" + tS + "-00"}}, []string{"ctx"}, "ctx"},
		{"configured label, uber value", []label{{"ctx", "abc:def:0:0"}}, []string{"ctx"}, "ctx"},
		{"configured label, b3 value", []label{{"ctx", tT + "-" + tS + "-0"}}, []string{"ctx"}, "ctx"},
		{"unconfigured label is not read", []label{{"ctx", "00-" + tT + "-" + tS + "-00"}}, nil, ""},
		{"ID labels have no flags", []label{{"trace_id", tT}, {"span_id", tS}}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, unsampledContext(tt.labels, tt.extra))
		})
	}
}

func ids(ls ...Pitfall) []string {
	out := []string{}
	for _, p := range ls {
		out = append(out, p.ID)
	}
	return out
}

func TestDetectPitfalls(t *testing.T) {
	t.Parallel()
	linked := Record{MetricType: typeHistogram, LabelsIn: Labels{{"traceID", tT}, {"spanID", tS}}, Linked: true}
	traceOnly := Record{MetricType: typeHistogram, LabelsIn: Labels{{"traceID", tT}}, Reason: "missing_span_id"}
	unsampled := Record{MetricType: typeHistogram, LabelsIn: Labels{{"traceparent", "00-" + tT + "-" + tS + "-00"}}, Linked: true}
	withProject := Record{MetricType: typeHistogram, LabelsIn: Labels{{"trace_id", tT}, {"span_id", tS}, {"project_id", "other"}}, Linked: true}
	onCounter := Record{MetricType: typeSum, LabelsIn: Labels{{"trace_id", tT}, {"span_id", tS}}, Reason: ReasonNotHistogram}
	onGauge := Record{MetricType: typeGauge, LabelsIn: Labels{{"trace_id", tT}, {"span_id", tS}}, Reason: ReasonNotHistogram}
	dangling := Record{MetricType: typeHistogram, LabelsIn: Labels{{"traceID", tT}, {"spanID", tS}}, Linked: true, Resolution: ResolutionDangling}
	notSeen := Record{MetricType: typeHistogram, LabelsIn: Labels{{"traceID", tT}}, Reason: "trace_not_seen", verdict: verdict{Judged: true}}
	notExported := Record{MetricType: typeHistogram, LabelsIn: Labels{{"traceID", tT}, {"spanID", tS}}, Reason: "span_not_exported", verdict: verdict{Judged: true}}
	notSeenOld := Record{MetricType: typeHistogram, LabelsIn: Labels{{"traceID", tT}}, Reason: ReasonBeforeReceiver}
	tests := []struct {
		name  string
		facts pitfallFacts
		want  []string
	}{
		{"clean", pitfallFacts{Protocol: ProtocolOpenMetrics1, Records: []Record{linked}}, []string{}},
		{"prometheus text, no exemplars: one pitfall, not two", pitfallFacts{Protocol: ProtocolPromText}, []string{PitfallPrometheusText}},
		{"openmetrics without exemplars", pitfallFacts{Protocol: ProtocolOpenMetrics1}, []string{PitfallNoExemplars}},
		{"only on counters and gauges", pitfallFacts{Protocol: ProtocolOpenMetrics1, Records: []Record{onCounter, onGauge}}, []string{PitfallNotOnHistograms}},
		{"trace ID without span ID", pitfallFacts{Protocol: ProtocolOpenMetrics1, Records: []Record{linked, traceOnly}}, []string{PitfallTraceWithoutSpan}},
		{"unsampled traceparent", pitfallFacts{Protocol: ProtocolOpenMetrics1, Records: []Record{unsampled}}, []string{PitfallUnsampled}},
		{"project_id label", pitfallFacts{Protocol: ProtocolOpenMetrics1, Records: []Record{withProject}}, []string{PitfallProjectIDLabel}},
		{"all at once, in order", pitfallFacts{Protocol: ProtocolOpenMetrics1, Records: []Record{withProject, unsampled, dangling, traceOnly, onCounter, linked}},
			[]string{PitfallNotOnHistograms, PitfallTraceWithoutSpan, PitfallSpanNotExported, PitfallUnsampled, PitfallProjectIDLabel}},
		{"--otlp: dangling links and traces that never came", pitfallFacts{Protocol: ProtocolOpenMetrics1, Records: []Record{dangling, notSeen, notSeenOld, linked}}, []string{PitfallSpanNotExported}},
		{"prometheus destination: no Cloud Monitoring pitfalls", pitfallFacts{Protocol: ProtocolOpenMetrics1, Destination: destRemoteWrite, Records: []Record{withProject, traceOnly, onCounter}}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, ids(detectPitfalls(tt.facts)...))
		})
	}

	t.Run("counts and wording", func(t *testing.T) {
		t.Parallel()
		only := detectPitfalls(pitfallFacts{Protocol: ProtocolOpenMetrics1, Records: []Record{onCounter, onGauge}})
		assert.Equal(t, 2, only[0].Count)
		assert.Contains(t, only[0].Message, "only on counters or gauges")
		some := detectPitfalls(pitfallFacts{Protocol: ProtocolOpenMetrics1, Records: []Record{linked, onCounter}})
		assert.Equal(t, 1, some[0].Count)
		assert.Contains(t, some[0].Message, "1 exemplars are on counters or gauges")
		text := detectPitfalls(pitfallFacts{Protocol: ProtocolPromText})
		assert.Contains(t, text[0].Fix, "promhttp.HandlerOpts{EnableOpenMetrics: true}")
		// Without --otlp, a trace-only exemplar's fix says how the
		// collector links it, not only "add the span ID".
		tOnly := detectPitfalls(pitfallFacts{Protocol: ProtocolOpenMetrics1, Records: []Record{traceOnly, traceOnly}})
		assert.Equal(t, 2, tOnly[0].Count)
		assert.Contains(t, tOnly[0].Fix, "exemplar_link in the traces pipeline as well")
		assert.Contains(t, tOnly[0].Fix, "--otlp")
		gone := detectPitfalls(pitfallFacts{Protocol: ProtocolOpenMetrics1, Records: []Record{dangling, notSeen, notSeenOld, notExported}})
		assert.Equal(t, 3, gone[0].Count, "the exemplar older than the receiver is not counted")
		assert.Contains(t, gone[0].Fix, "link_only_exported_spans")
	})
}

func TestScrapeFailure(t *testing.T) {
	t.Parallel()
	const om = "application/openmetrics-text; version=1.0.0; charset=utf-8"
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	tests := []struct {
		name string
		rec  scrapeRecord
		want string
	}{
		{"ok", scrapeRecord{Status: 200, ContentType: om}, ""},
		{"prometheus text is usable", scrapeRecord{Status: 200, ContentType: "text/plain; version=0.0.4"}, ""},
		{"connection refused", scrapeRecord{Err: fmt.Errorf("get: %w", refused)}, "connection refused"},
		{"deadline", scrapeRecord{Err: fmt.Errorf("get: %w", context.DeadlineExceeded)}, "timeout: no complete answer within 2s (--timeout)"},
		{"canceled by the receiver's timeout", scrapeRecord{Err: context.Canceled}, "timeout: no complete answer within 2s (--timeout)"},
		{"other error, first line only", scrapeRecord{Err: errors.New("tls: bad certificate\nmore")}, "tls: bad certificate"},
		{"404", scrapeRecord{Status: 404, ContentType: "text/plain"}, "HTTP status 404 Not Found"},
		{"500", scrapeRecord{Status: 500}, "HTTP status 500 Internal Server Error"},
		{"too large", scrapeRecord{Status: 200, ContentType: om, TooLarge: true}, "the body is larger than 1000 bytes (--max-body)"},
		{"html", scrapeRecord{Status: 200, ContentType: "text/html; charset=utf-8"}, `not an exposition format: Content-Type "text/html; charset=utf-8"`},
		{"no content type", scrapeRecord{Status: 200}, `not an exposition format: Content-Type ""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, scrapeFailure(tt.rec, 2*time.Second, 1000))
		})
	}
}

func TestDisplayValue(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "plain", displayValue("plain", 0))
	assert.Equal(t, `\x1b[31mred`, displayValue("\x1b[31mred", 0), "escape sequences must not reach the terminal")
	assert.Equal(t, `a\nb`, displayValue("a\nb", 0))
	assert.Equal(t, `\xff`, displayValue("\xff", 0))
	assert.Equal(t, "abc…", displayValue("abcdef", 3))
	cut := displayValue(strings.Repeat("é", 10), 5) // é is 2 bytes: never cut inside one
	assert.Equal(t, "éé…", cut)
}

func TestOneLine(t *testing.T) {
	t.Parallel()
	assert.Equal(t, `Content-Type "text/html"`, oneLine(`Content-Type "text/html"`), "quotes stay as they are")
	assert.Equal(t, "first", oneLine("first\nsecond"))
	assert.Equal(t, `a\x1b[2Jb`, oneLine("a\x1b[2Jb"))
	assert.Equal(t, `\xff`, oneLine("\xff"))
	assert.Equal(t, "\uFFFD", oneLine("\uFFFD"))
	long := oneLine(strings.Repeat("x", 400))
	assert.Equal(t, strings.Repeat("x", 300)+"…", long)
}

func TestGCMBaseName(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "http_server_request_duration_seconds", gcmBaseName("prometheus.googleapis.com/http_server_request_duration_seconds/histogram"))
	assert.Equal(t, "jobs_total", gcmBaseName("prometheus.googleapis.com/jobs_total/counter"))
	assert.Equal(t, "custom.googleapis.com/x", gcmBaseName("custom.googleapis.com/x"))
}

func TestFileContentType(t *testing.T) {
	t.Parallel()
	assert.Equal(t, contentTypeOpenMetrics, fileContentType([]byte("# TYPE a counter\na_total 1\n# EOF\n")))
	assert.Equal(t, contentTypeOpenMetrics, fileContentType([]byte("# EOF")))
	assert.Equal(t, contentTypePromText, fileContentType([]byte("# TYPE a counter\na 1\n")))
	assert.Equal(t, contentTypePromText, fileContentType([]byte("a 1 # EOF\n")))
}
