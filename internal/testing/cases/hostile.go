package cases

import (
	"fmt"
	"strings"
)

const mib = 1 << 20

// ManyLabels returns n unrelated labels, with extra appended after them.
func ManyLabels(n int, extra ...Label) []Label {
	labels := make([]Label, 0, n+len(extra))
	for i := range n {
		labels = append(labels, L(fmt.Sprintf("label_%04d", i), fmt.Sprintf("value_%d", i)))
	}
	return append(labels, extra...)
}

// traceIDSpellings returns n distinct built-in spellings of "trace id"
// (trace_id, trace-id, ..., TRACE_ID, ...), each with value.
func traceIDSpellings(n int, value string) []Label {
	var labels []Label
	for _, c := range []func(string) string{strings.ToLower, strings.ToUpper, func(s string) string { return strings.ToUpper(s[:1]) + s[1:] }} {
		for _, sep := range []string{"_", "-", ".", ""} {
			for _, id := range []string{"id", "ID"} {
				if len(labels) == n {
					return labels
				}
				labels = append(labels, L(c("trace")+sep+id, value))
			}
		}
	}
	panic("not enough spellings")
}

// Hostile is the README's hostile-input table, row by row (some rows are
// several cases).
func Hostile() []Case {
	huge := strings.Repeat("a", mib)
	traceID, spanID := L("traceID", T), L("spanID", S)
	tp := "00-" + T + "-" + S + "-01"
	same := func(name string, outcome string, labels ...Label) Case {
		return Case{Name: name, In: Labels(labels...), Out: Labels(labels...), Outcome: outcome}
	}
	return []Case{
		same("1 MiB value in a trace-ID label", "unlinked invalid_value", L("traceID", huge), spanID),
		{Name: "1 MiB value in an unrelated label beside a valid pair", In: Labels(L("payload", huge), traceID, spanID), Out: Linked(T, S, L("payload", huge)), Outcome: "linked id_label"},
		same("1 MiB traceparent value", "unlinked invalid_value", L("traceparent", tp+strings.Repeat("-x", mib/2))),
		same("invalid UTF-8 in a value", "unlinked invalid_value", L("traceID", "\xff\xfe\xfd"+T[3:]), spanID),
		same("invalid UTF-8 in a key", "unlinked missing_trace_id", L("trace\xffid", T), spanID),
		same("NUL byte inside an ID", "unlinked invalid_value", L("traceID", T[:16]+"\x00"+T[17:]), spanID),
		same("NUL bytes after an ID", "unlinked invalid_value", L("traceID", T+"\x00\x00"), spanID),
		{Name: "1,000 labels on one exemplar, a valid pair among them", In: Labels(ManyLabels(998, traceID, spanID)...), Out: Linked(T, S, ManyLabels(998)...), Outcome: "linked id_label"},
		same("1,000 labels, none a reference", "", ManyLabels(1000)...),
		{
			Name:    "20 spellings of the same trace ID among other labels, and a span ID",
			In:      Labels(append(ManyLabels(3, traceIDSpellings(20, strings.ToUpper(T))...), spanID, L("pod", "p"))...),
			Out:     Linked(T, S, ManyLabels(3, L("pod", "p"))...),
			Outcome: "linked id_label",
		},
		{Name: "9 invalid trace-ID labels before a valid pair", In: Labels(append(traceIDSpellings(9, "0x"), L("TraceID", T), spanID)...), Out: Linked(T, S, traceIDSpellings(9, "0x")...), Outcome: "linked id_label"},
		{Name: "the same ID under several spellings, same value", In: Labels(traceID, L("trace_id", strings.ToUpper(T)), L("TRACE-ID", "0x"+T), spanID), Out: Linked(T, S), Outcome: "linked id_label"},
		same("the same ID under several spellings, different values", "unlinked conflict", traceID, L("trace_id", OtherTrace), spanID),
		same("traceparent disagreeing with a spanID label", "unlinked conflict", L("traceparent", tp), L("spanID", OtherSpan)),
		same("traceparent version ff", "unlinked invalid_value", L("traceparent", "ff"+tp[2:])),
		same("traceparent with a short trace field", "unlinked invalid_value", L("traceparent", "00-"+T[2:]+"-"+S+"-01")),
		same("traceparent with a long span field", "unlinked invalid_value", L("traceparent", "00-"+T+"-"+S+"00-01")),
		same("traceparent version 00 with a fifth field", "unlinked invalid_value", L("traceparent", tp+"-extra")),
		same("uber-trace-id with five fields", "unlinked invalid_value", L("uber-trace-id", T+":"+S+":0:1:9")),
		same("uber-trace-id with three fields", "unlinked invalid_value", L("uber-trace-id", T+":"+S+":0")),
		same("0x with nothing after it", "unlinked invalid_value", L("traceID", "0x"), spanID),
		same("leading space", "unlinked invalid_value", L("traceID", " "+T), spanID),
		{Name: "trailing space", In: Labels(traceID, L("spanID", S+" ")), Out: Labels(L("spanID", S+" "), L("trace_id", T)), Outcome: "unlinked invalid_value"},
		same("empty value", "unlinked invalid_value", L("traceID", ""), spanID),
		same("empty key", "unlinked missing_trace_id", L("", T), spanID),
		same("a non-string value under an ID label name", "unlinked invalid_value", Label{Key: "traceID", Int: true}, spanID),
	}
}
