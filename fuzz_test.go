package exemplarlinkprocessor

import (
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/exemplarlink/exemplarlinkprocessor/internal/metadata"
	"github.com/exemplarlink/exemplarlinkprocessor/internal/testing/cases"
	"github.com/exemplarlink/exemplarlinkprocessor/internal/testing/oracle"
)

// fuzzKeys are the label names a one-character key in the fuzz input stands
// for, so the fuzzer reaches the recognised spellings quickly.
var fuzzKeys = []string{
	"trace_id", "traceID", "TRACE-ID", "span_id", "spanId", "SpanID",
	"traceparent", "uber-trace-id", "b3", "route",
}

// parseFuzzLabels turns "key=value" lines into labels; a key of one digit
// stands for fuzzKeys[digit]. Later duplicates of a key are dropped, as a
// map holds each key once.
func parseFuzzLabels(s string) []label {
	var labels []label
	seen := make(map[string]bool)
	for line := range strings.SplitSeq(s, "\n") {
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		if len(key) == 1 && key[0] >= '0' && key[0] <= '9' {
			key = fuzzKeys[key[0]-'0']
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		labels = append(labels, l(key, value))
	}
	return labels
}

// FuzzProcessor runs random exemplar label sets, random pre-set IDs and
// random settings through the processor and judges the exemplar that
// leaves by the oracle package, a plain reading of the README's rules that
// shares no code with the processor (expectExemplar). It also checks that
// nothing panics, no metric, point or exemplar is added, removed or moved,
// an exemplar without references is left alone, and a second run changes
// nothing.
func FuzzProcessor(f *testing.F) {
	f.Add("1="+traceHex+"\n4="+spanHex, []byte{}, []byte{}, false, false, true, false, false)
	f.Add("0="+strings.ToUpper(traceHex)+"\n9=/cart", []byte{}, []byte{}, false, false, true, false, false)
	f.Add("6=00-"+traceHex+"-"+spanHex+"-01", []byte{}, []byte{}, false, false, true, false, false)
	f.Add("7="+cases.Trace64+":"+spanHex+":0:1", []byte{}, []byte{}, true, false, true, false, false)
	f.Add("8="+traceHex+"-"+spanHex+"-1", []byte{}, []byte{}, false, true, false, false, false)
	f.Add("1="+cases.OtherTrace+"\n4="+spanHex, []byte(strings.Repeat("\x01", 16)), []byte{}, false, false, true, false, false)
	f.Add("1="+traceHex+"\n0=junk", []byte{}, []byte{}, false, false, true, false, false)
	f.Add("3="+spanHex, []byte(strings.Repeat("\x02", 16)), []byte{}, false, true, true, false, false)
	f.Add("", []byte(strings.Repeat("\x03", 16)), []byte{}, false, false, true, false, false)
	f.Add("1=0x\n4= "+spanHex+"\n2=\xff\x00", []byte{}, []byte(strings.Repeat("\x04", 8)), true, false, false, false, false)

	f.Add("9="+traceHex+"\nparent="+spanHex, []byte{}, []byte{}, false, false, true, true, false)
	f.Add("ctx=00-"+traceHex+"-"+spanHex+"-00", []byte{}, []byte{}, false, false, true, true, false)
	f.Add("6=00-"+traceHex+"-"+spanHex+"-00", []byte{}, []byte{}, false, false, true, false, true)

	f.Fuzz(func(t *testing.T, labelText string, presetTrace, presetSpan []byte, fieldMode, overwrite, pad64, byValue, linkUnsampled bool) {
		cfg := defaultConfig()
		cfg.OverwriteExistingIDs = overwrite
		cfg.Pad64BitTraceIDs = pad64
		cfg.DetectIDsByValue = byValue
		cfg.LinkUnsampled = linkUnsampled
		if fieldMode {
			cfg.TraceOnlyExemplars = TraceOnlyField
		}
		cfg.SummaryInterval = 0
		sink := new(consumertest.MetricsSink)
		proc, err := NewFactory().CreateMetrics(t.Context(), processortest.NewNopSettings(metadata.Type), cfg, sink)
		if err != nil {
			t.Fatal(err)
		}

		in := exemplar{Labels: parseFuzzLabels(labelText)}
		if len(presetTrace) >= 16 && !allZero(presetTrace[:16]) {
			in.TraceID = hex.EncodeToString(presetTrace[:16])
		}
		if len(presetSpan) >= 8 && !allZero(presetSpan[:8]) {
			in.SpanID = hex.EncodeToString(presetSpan[:8])
		}
		build := func() pmetric.Metrics {
			md := histogramWithExemplar(t, in)
			// A second exemplar with no references must come out unchanged.
			other := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Histogram().DataPoints().At(0).Exemplars().AppendEmpty()
			other.FilteredAttributes().PutStr("route", "/other")
			return md
		}

		if err := proc.ConsumeMetrics(t.Context(), build()); err != nil {
			t.Fatal(err)
		}
		out := sink.AllMetrics()[0]
		if out.MetricCount() != 1 || out.DataPointCount() != 1 {
			t.Fatalf("metric or data point count changed: %d metrics, %d points", out.MetricCount(), out.DataPointCount())
		}
		exs := out.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Histogram().DataPoints().At(0).Exemplars()
		if exs.Len() != 2 {
			t.Fatalf("exemplar count changed to %d", exs.Len())
		}
		if got := labelsOf(exs.At(1).FilteredAttributes()); len(got) != 1 || got[0] != l("route", "/other") {
			t.Fatalf("an exemplar without references changed: %v", got)
		}
		got := exemplarOf(exs.At(0))
		if want := expectExemplar(in, cfg); !equalExemplar(got, want) {
			t.Fatalf("exemplar %+v\nleft as   %+v\nrules say %+v", in, got, want)
		}

		// Idempotence: the processor's output is a fixed point.
		once := pmetric.NewMetrics()
		out.CopyTo(once)
		if err := proc.ConsumeMetrics(t.Context(), out); err != nil {
			t.Fatal(err)
		}
		a, b := firstExemplar(once), firstExemplar(sink.AllMetrics()[1])
		if !equalExemplar(exemplarOf(a), exemplarOf(b)) {
			t.Fatalf("second run changed the exemplar:\nfirst:  %+v\nsecond: %+v", exemplarOf(a), exemplarOf(b))
		}
		if err := proc.Shutdown(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
}

// expectExemplar is what the README's rules make of exemplar in under cfg
// (built-in names only), with every label read by the oracle package:
//   - references that disagree with each other, or with an ID already in
//     the fields (unless overwrite is on), leave the exemplar as it came;
//   - a valid trace ID and span ID, from labels or fields, link it: both
//     in the fields, the labels holding only those IDs removed, the others
//     kept in their order;
//   - a trace ID alone goes into the TraceID field (field mode) or into a
//     trace_id label with the field emptied, unless a trace_id label holds
//     anything else; the labels holding only it are removed;
//   - unless link_unsampled, references whose trace context says the span
//     was not sampled leave the exemplar as it came, when the link would
//     come from them;
//   - anything else leaves the exemplar as it came;
//   - with detect_ids_by_value, an exemplar without reference labels and
//     IDs is read by its values (expectByValue).
func expectExemplar(in exemplar, cfg *Config) exemplar {
	type reading struct {
		label
		kind string
		oracle.Reading
	}
	var refs []reading
	var traces, spans []string
	for _, lb := range in.Labels {
		kind := oracle.Kind(lb.Key)
		if kind == "" {
			continue
		}
		r := reading{lb, kind, oracle.Read(kind, lb.Value, cfg.Pad64BitTraceIDs)}
		refs = append(refs, r)
		if r.OK() && r.Trace != "" && !slices.Contains(traces, r.Trace) {
			traces = append(traces, r.Trace)
		}
		if r.OK() && r.Span != "" && !slices.Contains(spans, r.Span) {
			spans = append(spans, r.Span)
		}
	}
	if len(refs) == 0 && in.TraceID == "" && in.SpanID == "" && cfg.DetectIDsByValue {
		return expectByValue(in, cfg)
	}
	if len(traces) > 1 || len(spans) > 1 {
		return in
	}
	resolve := func(field string, labels []string) (string, bool) {
		switch {
		case len(labels) == 0:
			return field, true
		case field == "" || cfg.OverwriteExistingIDs || field == labels[0]:
			return labels[0], true
		}
		return field, false
	}
	trace, okTrace := resolve(in.TraceID, traces)
	span, okSpan := resolve(in.SpanID, spans)
	if !okTrace || !okSpan || trace == "" {
		return in
	}
	fromLabels := len(traces) > 0 && (in.TraceID == "" || cfg.OverwriteExistingIDs) || len(spans) > 0 && (in.SpanID == "" || cfg.OverwriteExistingIDs)
	if !cfg.LinkUnsampled && fromLabels && slices.ContainsFunc(refs, func(r reading) bool { return r.OK() && r.Unsampled }) {
		return in
	}
	// without returns the labels but those whose every ID is trace or span.
	without := func(span, keep string) []label {
		var kept []label
		for _, lb := range in.Labels {
			i := slices.IndexFunc(refs, func(r reading) bool { return r.Key == lb.Key })
			if i >= 0 && lb.Key != keep && refs[i].OK() && (refs[i].Trace == "" || refs[i].Trace == trace) && (refs[i].Span == "" || refs[i].Span == span) {
				continue
			}
			kept = append(kept, lb)
		}
		return kept
	}
	switch {
	case span != "":
		return exemplar{Labels: without(span, ""), TraceID: trace, SpanID: span}
	case cfg.TraceOnlyExemplars == TraceOnlyField:
		return exemplar{Labels: without("-", ""), TraceID: trace}
	}
	out := exemplar{Labels: without("-", "trace_id")}
	if i := slices.IndexFunc(out.Labels, func(lb label) bool { return lb.Key == "trace_id" }); i >= 0 {
		if r := oracle.Read(oracle.TraceID, out.Labels[i].Value, cfg.Pad64BitTraceIDs); !r.OK() || r.Trace != trace {
			return in // the sender's own trace_id label is not replaced
		}
		out.Labels[i].Value = trace
		return out
	}
	out.Labels = append(out.Labels, l("trace_id", trace))
	return out
}

// expectByValue is what detection by value makes of an exemplar without
// reference labels: one trace ID and one span ID, or one trace context
// alone, linked and their labels removed; anything else as it came.
func expectByValue(in exemplar, cfg *Config) exemplar {
	var traceKeys, spanKeys []string
	var trace, span oracle.Reading
	for _, lb := range in.Labels {
		switch r, kind := oracle.ByValue(lb.Value); kind {
		case oracle.SpanID:
			spanKeys, span = append(spanKeys, lb.Key), r
		case oracle.TraceID, oracle.TraceContext:
			traceKeys, trace = append(traceKeys, lb.Key), r
		}
	}
	if len(traceKeys) != 1 || len(spanKeys) > 1 || trace.Span != "" && len(spanKeys) == 1 || trace.Unsampled && !cfg.LinkUnsampled {
		return in
	}
	if trace.Span == "" {
		if len(spanKeys) == 0 {
			return in
		}
		trace.Span = span.Span
	}
	out := exemplar{TraceID: trace.Trace, SpanID: trace.Span}
	for _, lb := range in.Labels {
		if lb.Key != traceKeys[0] && !slices.Contains(spanKeys, lb.Key) {
			out.Labels = append(out.Labels, lb)
		}
	}
	return out
}

func exemplarOf(ex pmetric.Exemplar) exemplar {
	out := exemplar{Labels: labelsOf(ex.FilteredAttributes())}
	if id := ex.TraceID(); !id.IsEmpty() {
		out.TraceID = hex.EncodeToString(id[:])
	}
	if id := ex.SpanID(); !id.IsEmpty() {
		out.SpanID = hex.EncodeToString(id[:])
	}
	return out
}

func equalExemplar(a, b exemplar) bool {
	return a.TraceID == b.TraceID && a.SpanID == b.SpanID && slices.Equal(a.Labels, b.Labels)
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
