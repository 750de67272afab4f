// Package cases is the table of exemplar cases that the processor's tests
// share: each case is an exemplar in, the configuration, the exemplar
// out, and the outcome counted. linkplan's test runs every case through
// Decide; the processor's test runs every case through the factory and
// checks the output and the telemetry counters. The rows of the README's
// before/after, detection-by-value and hostile-input tables are all here
// (BeforeAfter, ByValue, Hostile), under the README's wording.
package cases

import "strings"

// The IDs of the README's tables, and others.
const (
	T          = "4bf92f3577b34da6a3ce929d0e0e4736"
	S          = "00f067aa0ba902b7"
	OtherTrace = "0af7651916cd43dd8448eb211c80319c"
	OtherSpan  = "b7ad6b7169203331"
	Trace64    = "a3ce929d0e0e4736"
)

// Label is one exemplar label. Int makes it an int64 label (OTLP input)
// whose value is 42; Value is then ignored.
type Label struct {
	Key, Value string
	Int        bool
}

// L is a string label.
func L(key, value string) Label { return Label{Key: key, Value: value} }

// Exemplar is an exemplar's labels, in order, and its ID fields as hex
// ("" for unset).
type Exemplar struct {
	Labels          []Label
	TraceID, SpanID string
}

// Config is the part of the configuration a case changes; the zero value
// is the default configuration.
type Config struct {
	BuiltinNamesOff                                 bool
	TraceIDLabels, SpanIDLabels, TraceContextLabels []string
	NoPad64BitTraceIDs                              bool
	OverwriteExistingIDs                            bool
	TraceOnlyInField                                bool
	DetectIDsByValue                                bool
	LinkUnsampled                                   bool
}

// Case is one exemplar through the processor.
type Case struct {
	Name   string
	Config Config
	In     Exemplar
	Out    Exemplar
	// Outcome is what is counted: "linked <source>", "unlinked <reason>",
	// or "" for an exemplar that references no trace.
	Outcome string
}

// All returns every case. Some hold values of 1 MiB: call it once per test.
func All() []Case {
	all := BeforeAfter()
	all = append(all, Hostile()...)
	all = append(all, Spellings()...)
	all = append(all, Settings()...)
	all = append(all, ByValue()...)
	return append(all, Sampling()...)
}

// Labels is a shorthand for an exemplar with labels only.
func Labels(labels ...Label) Exemplar { return Exemplar{Labels: labels} }

// Linked is a shorthand for an exemplar with both IDs and the given labels.
func Linked(trace, span string, labels ...Label) Exemplar {
	return Exemplar{Labels: labels, TraceID: trace, SpanID: span}
}

// BeforeAfter is the README's before/after table, row by row.
func BeforeAfter() []Case {
	upper := strings.ToUpper
	return []Case{
		{Name: "receiver already converted them", In: Linked(T, S), Out: Linked(T, S), Outcome: "linked exemplar_fields"},
		{Name: "traceID spanID", In: Labels(L("traceID", T), L("spanID", S)), Out: Linked(T, S), Outcome: "linked id_label"},
		{Name: "TraceId SpanId route", In: Labels(L("TraceId", T), L("SpanId", S), L("route", "/cart")), Out: Linked(T, S, L("route", "/cart")), Outcome: "linked id_label"},
		{Name: "upper-case hex and 0x span", In: Labels(L("traceID", upper(T)), L("spanID", "0x"+upper(S))), Out: Linked(T, S), Outcome: "linked id_label"},
		{Name: "64-bit traceID", In: Labels(L("traceID", Trace64), L("spanID", S)), Out: Linked(strings.Repeat("0", 16)+Trace64, S), Outcome: "linked id_label"},
		{Name: "traceparent", In: Labels(L("traceparent", "00-"+T+"-"+S+"-01")), Out: Linked(T, S), Outcome: "linked traceparent"},
		{Name: "uber-trace-id", In: Labels(L("uber-trace-id", T+":"+S+":0:1")), Out: Linked(T, S), Outcome: "linked uber_trace_id"},
		{Name: "b3", In: Labels(L("b3", T+"-"+S+"-1")), Out: Linked(T, S), Outcome: "linked b3"},
		{Name: "trace-only traceID", In: Labels(L("traceID", T)), Out: Labels(L("trace_id", T)), Outcome: "unlinked missing_span_id"},
		{Name: "span-only spanID", In: Labels(L("spanID", S)), Out: Labels(L("spanID", S)), Outcome: "unlinked missing_trace_id"},
		{Name: "15-digit spanID", In: Labels(L("traceID", T), L("spanID", S[1:])), Out: Labels(L("spanID", S[1:]), L("trace_id", T)), Outcome: "unlinked invalid_value"},
		{Name: "all-zero traceID", In: Labels(L("traceID", strings.Repeat("0", 32)), L("spanID", S)), Out: Labels(L("traceID", strings.Repeat("0", 32)), L("spanID", S)), Outcome: "unlinked zero_id"},
		{Name: "traceparent version ff", In: Labels(L("traceparent", "ff-"+T+"-"+S+"-01")), Out: Labels(L("traceparent", "ff-"+T+"-"+S+"-01")), Outcome: "unlinked invalid_value"},
		{Name: "unsampled traceparent", In: Labels(L("traceparent", "00-"+T+"-"+S+"-00")), Out: Labels(L("traceparent", "00-"+T+"-"+S+"-00")), Outcome: "unlinked unsampled"},
		{Name: "two trace IDs disagree", In: Labels(L("traceID", T), L("trace_id", OtherTrace), L("spanID", S)), Out: Labels(L("traceID", T), L("trace_id", OtherTrace), L("spanID", S)), Outcome: "unlinked conflict"},
	}
}
