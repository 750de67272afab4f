package cases

// byValue is the configuration of the detection-by-value cases.
var byValue = Config{DetectIDsByValue: true}

// ByValue is the README's detection-by-value table (detect_ids_by_value:
// true), row by row, and more.
func ByValue() []Case {
	same := func(name, outcome string, labels ...Label) Case {
		return Case{Name: name, Config: byValue, In: Labels(labels...), Out: Labels(labels...), Outcome: outcome}
	}
	return []Case{
		{Name: "by value: a trace ID and a span ID under other names", Config: byValue, In: Labels(L("request", T), L("route", "/cart"), L("parent", S)), Out: Linked(T, S, L("route", "/cart")), Outcome: "linked by_value"},
		{Name: "by value: a traceparent under another name", Config: byValue, In: Labels(L("x_ctx", "00-"+T+"-"+S+"-01")), Out: Linked(T, S), Outcome: "linked by_value"},
		{Name: "by value: a B3 value under another name", Config: byValue, In: Labels(L("x_b3", T+"-"+S+"-1"), L("pod", "a")), Out: Linked(T, S, L("pod", "a")), Outcome: "linked by_value"},
		same("by value: a lone 16-digit value", "unlinked ambiguous", L("sid", S)),
		same("by value: two trace IDs", "unlinked ambiguous", L("a", T), L("b", OtherTrace), L("c", S)),
		same("by value: two span IDs", "unlinked ambiguous", L("a", T), L("b", S), L("c", OtherSpan)),
		same("by value: a trace context beside a span ID", "unlinked ambiguous", L("ctx", "00-"+T+"-"+S+"-01"), L("b", OtherSpan)),
		same("by value: a trace ID alone", "unlinked missing_span_id", L("request", T)),
		same("by value: an unsampled traceparent", "unlinked unsampled", L("x_ctx", "00-"+T+"-"+S+"-00")),
		same("by value: short colon-separated values are no trace context", "", L("time", "12:30:00:1"), L("ref", "abc:def:0:1")),
		same("by value: a zero trace ID is no candidate", "", L("request", "00000000000000000000000000000000")),
		{
			Name: "by value: never when a named reference exists", Config: byValue,
			In: Labels(L("traceID", T), L("request", S)), Out: Labels(L("request", S), L("trace_id", T)), Outcome: "unlinked missing_span_id",
		},
		same("by value: never beside an invalid named reference", "unlinked invalid_value", L("traceID", "xyz"), L("request", T), L("parent", S)),
		{
			Name: "by value: never when the fields hold an ID", Config: byValue,
			In: Exemplar{Labels: []Label{L("request", T)}, SpanID: S}, Out: Exemplar{Labels: []Label{L("request", T)}, SpanID: S}, Outcome: "unlinked missing_trace_id",
		},
		{
			Name: "by value: linked beside named labels that are IDs already linked", Config: byValue,
			In: Linked(T, S, L("traceID", T), L("request", T)), Out: Linked(T, S, L("request", T)), Outcome: "linked exemplar_fields",
		},
		{
			Name: "by value: an unsampled traceparent with link_unsampled", Config: Config{DetectIDsByValue: true, LinkUnsampled: true},
			In: Labels(L("x_ctx", "00-"+T+"-"+S+"-00")), Out: Linked(T, S), Outcome: "linked by_value",
		},
		{Name: "by value is off by default", In: Labels(L("request", T), L("parent", S)), Out: Labels(L("request", T), L("parent", S)), Outcome: ""},
	}
}

// Sampling are the cases of the sampled flag.
func Sampling() []Case {
	same := func(name, outcome string, labels ...Label) Case {
		return Case{Name: name, In: Labels(labels...), Out: Labels(labels...), Outcome: outcome}
	}
	tp := "00-" + T + "-" + S + "-00"
	return []Case{
		same("traceparent flags 02 are not sampled", "unlinked unsampled", L("traceparent", "00-"+T+"-"+S+"-02")),
		same("B3 sampled 0", "unlinked unsampled", L("b3", T+"-"+S+"-0")),
		same("uber-trace-id flags 0", "unlinked unsampled", L("uber-trace-id", T+":"+S+":0:0")),
		same("unsampled traceparent beside agreeing ID labels", "unlinked unsampled", L("traceparent", tp), L("traceID", T), L("spanID", S)),
		same("unsampled traceparent disagreeing with a span label is a conflict", "unlinked conflict", L("traceparent", tp), L("spanID", OtherSpan)),
		{Name: "unsampled traceparent agreeing with IDs already in the fields", In: Linked(T, S, L("traceparent", tp)), Out: Linked(T, S), Outcome: "linked exemplar_fields"},
		{Name: "link_unsampled links an unsampled traceparent", Config: Config{LinkUnsampled: true}, In: Labels(L("traceparent", tp)), Out: Linked(T, S), Outcome: "linked traceparent"},
		{Name: "link_unsampled links B3 sampled 0", Config: Config{LinkUnsampled: true}, In: Labels(L("b3", T+"-"+S+"-0")), Out: Linked(T, S), Outcome: "linked b3"},
	}
}
