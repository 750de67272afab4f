package cases

import "strings"

// Spellings are the label names and value shapes the README lists.
func Spellings() []Case {
	pair := func(name, traceKey, spanKey string) Case {
		return Case{Name: name, In: Labels(L(traceKey, T), L(spanKey, S)), Out: Linked(T, S), Outcome: "linked id_label"}
	}
	return []Case{
		pair("snake_case", "trace_id", "span_id"),
		pair("lower camelCase", "traceId", "spanId"),
		pair("PascalCase", "TraceID", "SpanID"),
		pair("upper snake", "TRACE_ID", "SPAN_ID"),
		pair("kebab", "trace-id", "span-id"),
		pair("dotted", "trace.id", "span.id"),
		pair("run together", "traceid", "spanid"),
		pair("mixed spellings", "traceID", "span_id"),
		{Name: "trace_parent", In: Labels(L("trace_parent", "00-"+T+"-"+S+"-01")), Out: Linked(T, S), Outcome: "linked traceparent"},
		{Name: "UberTraceId with dropped leading zeros", In: Labels(L("UberTraceId", "abc:"+S+":0:1")), Out: Linked(strings.Repeat("0", 29)+"abc", S), Outcome: "linked uber_trace_id"},
		{Name: "b3 without sampling state", In: Labels(L("b3", T+"-"+S)), Out: Linked(T, S), Outcome: "linked b3"},
		{Name: "traceparent agreeing with an ID label", In: Labels(L("traceparent", "00-"+T+"-"+S+"-01"), L("traceID", T)), Out: Linked(T, S), Outcome: "linked traceparent"},
		{Name: "0x prefix on both", In: Labels(L("traceID", "0x"+T), L("spanID", "0x"+S)), Out: Linked(T, S), Outcome: "linked id_label"},
		{Name: "other labels kept in order", In: Labels(L("route", "/cart"), L("traceID", T), L("pod", "a"), L("spanID", S), L("zone", "b")), Out: Linked(T, S, L("route", "/cart"), L("pod", "a"), L("zone", "b")), Outcome: "linked id_label"},
		{Name: "invalid label kept beside a linked pair", In: Labels(L("traceID", T), L("trace-id", "not-a-trace"), L("spanID", S)), Out: Linked(T, S, L("trace-id", "not-a-trace")), Outcome: "linked id_label"},
		{Name: "long trace ID is not truncated", In: Labels(L("traceID", T+"00"), L("spanID", S)), Out: Labels(L("traceID", T+"00"), L("spanID", S)), Outcome: "unlinked invalid_value"},
		{Name: "invalid trace ID alone", In: Labels(L("traceID", "xyz")), Out: Labels(L("traceID", "xyz")), Outcome: "unlinked invalid_value"},
		{Name: "no reference at all", In: Labels(L("route", "/")), Out: Labels(L("route", "/")), Outcome: ""},
		{Name: "no labels and no IDs", Outcome: ""},
	}
}

// Settings are the rules about IDs already on the exemplar, trace-only
// exemplars, and every setting.
func Settings() []Case {
	upper := strings.ToUpper
	return []Case{
		{Name: "redundant labels removed", In: Linked(T, S, L("traceID", upper(T)), L("spanID", S)), Out: Linked(T, S), Outcome: "linked exemplar_fields"},
		{Name: "conflicting label kept, exemplar untouched", In: Linked(T, S, L("traceID", OtherTrace), L("spanID", S)), Out: Linked(T, S, L("traceID", OtherTrace), L("spanID", S)), Outcome: "unlinked conflict"},
		{Name: "span label completes a trace field", In: Exemplar{Labels: []Label{L("spanID", S)}, TraceID: T}, Out: Linked(T, S), Outcome: "linked exemplar_fields"},
		{Name: "trace label completes a span field", In: Exemplar{Labels: []Label{L("traceID", T)}, SpanID: S}, Out: Linked(T, S), Outcome: "linked id_label"},
		{Name: "trace-only label normalised into trace_id", In: Labels(L("route", "/"), L("traceID", upper(T))), Out: Labels(L("route", "/"), L("trace_id", T)), Outcome: "unlinked missing_span_id"},
		{Name: "trace-only trace_id label normalised in place", In: Labels(L("trace_id", upper(T)), L("route", "/")), Out: Labels(L("trace_id", T), L("route", "/")), Outcome: "unlinked missing_span_id"},
		{Name: "trace-only 64-bit label padded into trace_id", In: Labels(L("trace_id", Trace64)), Out: Labels(L("trace_id", strings.Repeat("0", 16)+Trace64)), Outcome: "unlinked missing_span_id"},
		{Name: "trace-only field moved into a trace_id label", In: Exemplar{TraceID: T}, Out: Labels(L("trace_id", T)), Outcome: "unlinked missing_span_id"},
		{Name: "trace-only with trace_id held by other data is untouched", In: Labels(L("trace_id", "abc"), L("traceID", T)), Out: Labels(L("trace_id", "abc"), L("traceID", T)), Outcome: "unlinked invalid_value"},
		{Name: "span field without a trace", In: Exemplar{SpanID: S}, Out: Exemplar{SpanID: S}, Outcome: "unlinked missing_trace_id"},
		{
			Name: "built-in spellings switched off", Config: Config{BuiltinNamesOff: true, TraceIDLabels: []string{"tid"}},
			In: Labels(L("traceID", T), L("spanID", S)), Out: Labels(L("traceID", T), L("spanID", S)), Outcome: "",
		},
		{
			Name: "built-in spellings off, trace_id not recognised but not overwritten", Config: Config{BuiltinNamesOff: true, TraceIDLabels: []string{"tid"}},
			In: Labels(L("trace_id", "abc"), L("tid", T)), Out: Labels(L("trace_id", "abc"), L("tid", T)), Outcome: "unlinked missing_span_id",
		},
		{
			Name: "configured label names", Config: Config{TraceIDLabels: []string{"tid"}, SpanIDLabels: []string{"sid"}},
			In: Labels(L("tid", T), L("sid", S)), Out: Linked(T, S), Outcome: "linked id_label",
		},
		{
			Name:   "configured names of 64 and 100 bytes",
			Config: Config{TraceIDLabels: []string{strings.Repeat("t", 64)}, SpanIDLabels: []string{strings.Repeat("s", 100)}},
			In:     Labels(L(strings.Repeat("t", 64), T), L(strings.Repeat("s", 100), S), L(strings.Repeat("x", 64), "kept")),
			Out:    Linked(T, S, L(strings.Repeat("x", 64), "kept")), Outcome: "linked id_label",
		},
		{
			Name: "configured name takes precedence over a built-in spelling", Config: Config{TraceContextLabels: []string{"trace_id"}},
			In: Labels(L("trace_id", T), L("span_id", S)), Out: Labels(L("trace_id", T), L("span_id", S)), Outcome: "unlinked invalid_value",
		},
		{
			Name: "configured trace-context label", Config: Config{TraceContextLabels: []string{"ctx"}},
			In: Labels(L("ctx", "00-"+T+"-"+S+"-01")), Out: Linked(T, S), Outcome: "linked traceparent",
		},
		{
			Name: "64-bit trace ID with padding off", Config: Config{NoPad64BitTraceIDs: true},
			In: Labels(L("traceID", Trace64), L("spanID", S)), Out: Labels(L("traceID", Trace64), L("spanID", S)), Outcome: "unlinked invalid_value",
		},
		{
			Name: "overwrite_existing_ids replaces fields", Config: Config{OverwriteExistingIDs: true},
			In: Linked(T, S, L("traceID", OtherTrace), L("spanID", OtherSpan)), Out: Linked(OtherTrace, OtherSpan), Outcome: "linked id_label",
		},
		{
			Name: "trace-only in field mode", Config: Config{TraceOnlyInField: true},
			In: Labels(L("traceID", upper(T))), Out: Exemplar{TraceID: T}, Outcome: "unlinked missing_span_id",
		},
		{
			Name: "trace-only field stays in field mode", Config: Config{TraceOnlyInField: true},
			In: Exemplar{TraceID: T}, Out: Exemplar{TraceID: T}, Outcome: "unlinked missing_span_id",
		},
	}
}
