package exemplarlinkprocessor

import (
	"strings"
	"testing"

	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/exemplarlink/exemplarlinkprocessor/internal/metadata"
	"github.com/exemplarlink/exemplarlinkprocessor/internal/traceref"
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
		labels = append(labels, label{key, value})
	}
	return labels
}

// FuzzProcessor runs random exemplar label sets, random pre-set IDs and
// random settings through the processor and checks the invariants users
// rely on: no panic; no metric, point or exemplar added, removed or moved;
// every input label either still present byte for byte or converted into
// an ID it decodes to; IDs already set are kept (a lone trace ID may move
// to the trace_id label, rule 7); and a second run changes nothing.
func FuzzProcessor(f *testing.F) {
	f.Add("1="+traceHex+"\n4="+spanHex, []byte{}, []byte{}, false, false, true)
	f.Add("0="+strings.ToUpper(traceHex)+"\n9=/cart", []byte{}, []byte{}, false, false, true)
	f.Add("6=00-"+traceHex+"-"+spanHex+"-01", []byte{}, []byte{}, false, false, true)
	f.Add("7="+trace64+":"+spanHex+":0:1", []byte{}, []byte{}, true, false, true)
	f.Add("8="+traceHex+"-"+spanHex+"-1", []byte{}, []byte{}, false, true, false)
	f.Add("1="+otherTrace+"\n4="+spanHex, []byte(strings.Repeat("\x01", 16)), []byte{}, false, false, true)
	f.Add("1="+traceHex+"\n0=junk", []byte{}, []byte{}, false, false, true)
	f.Add("3="+spanHex, []byte(strings.Repeat("\x02", 16)), []byte{}, false, true, true)
	f.Add("", []byte(strings.Repeat("\x03", 16)), []byte{}, false, false, true)
	f.Add("1=0x\n4= "+spanHex+"\n2=\xff\x00", []byte{}, []byte(strings.Repeat("\x04", 8)), true, false, false)

	f.Fuzz(func(t *testing.T, labelText string, presetTrace, presetSpan []byte, fieldMode, overwrite, pad64 bool) {
		cfg := defaultConfig()
		cfg.OverwriteExistingIDs = overwrite
		cfg.Pad64BitTraceIDs = pad64
		if fieldMode {
			cfg.TraceOnlyExemplars = TraceOnlyField
		}
		cfg.SummaryInterval = 0
		sink := new(consumertest.MetricsSink)
		proc, err := NewFactory().CreateMetrics(t.Context(), processortest.NewNopSettings(metadata.Type), cfg, sink)
		if err != nil {
			t.Fatal(err)
		}

		inLabels := parseFuzzLabels(labelText)
		var inTrace pcommon.TraceID
		var inSpan pcommon.SpanID
		if len(presetTrace) >= len(inTrace) {
			copy(inTrace[:], presetTrace)
		}
		if len(presetSpan) >= len(inSpan) {
			copy(inSpan[:], presetSpan)
		}
		build := func() pmetric.Metrics {
			md := histogramWithExemplar(t, exemplar{labels: inLabels})
			ex := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Histogram().DataPoints().At(0).Exemplars().At(0)
			ex.SetTraceID(inTrace)
			ex.SetSpanID(inSpan)
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
		if got := labelsOf(exs.At(1).FilteredAttributes()); len(got) != 1 || got[0] != (label{"route", "/other"}) {
			t.Fatalf("an exemplar without references changed: %q", got)
		}
		checkExemplar(t, cfg, inLabels, inTrace, inSpan, exs.At(0))

		// Idempotence: the processor's output is a fixed point.
		once := pmetric.NewMetrics()
		out.CopyTo(once)
		if err := proc.ConsumeMetrics(t.Context(), out); err != nil {
			t.Fatal(err)
		}
		twice := sink.AllMetrics()[1]
		a := once.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Histogram().DataPoints().At(0).Exemplars().At(0)
		b := twice.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Histogram().DataPoints().At(0).Exemplars().At(0)
		if a.TraceID() != b.TraceID() || a.SpanID() != b.SpanID() || !equalLabels(labelsOf(a.FilteredAttributes()), labelsOf(b.FilteredAttributes())) {
			t.Fatalf("second run changed the exemplar:\nfirst:  %s %s %q\nsecond: %s %s %q",
				a.TraceID(), a.SpanID(), labelsOf(a.FilteredAttributes()), b.TraceID(), b.SpanID(), labelsOf(b.FilteredAttributes()))
		}
		if err := proc.Shutdown(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
}

// checkExemplar asserts the per-exemplar invariants of FuzzProcessor.
func checkExemplar(t *testing.T, cfg *Config, in []label, inTrace pcommon.TraceID, inSpan pcommon.SpanID, ex pmetric.Exemplar) {
	t.Helper()
	out := make(map[string]string)
	for _, l := range labelsOf(ex.FilteredAttributes()) {
		out[l.key] = l.value
	}
	outTrace, outSpan := ex.TraceID(), ex.SpanID()

	// The trace ID as it leaves: in the field, or in a trace_id label.
	finalTrace := traceref.TraceID(outTrace)
	if v, ok := out[traceOnlyLabel]; ok && outTrace.IsEmpty() {
		if id, p := traceref.ParseTraceID(v, cfg.Pad64BitTraceIDs); p == traceref.OK {
			finalTrace = id
		}
	}

	// Pre-set IDs are kept unless overwrite is on; a lone trace ID may move
	// from the field to the trace_id label.
	if !cfg.OverwriteExistingIDs {
		if !inSpan.IsEmpty() && outSpan != inSpan {
			t.Fatalf("pre-set span ID %s changed to %s", inSpan, outSpan)
		}
		if !inTrace.IsEmpty() && finalTrace != traceref.TraceID(inTrace) {
			t.Fatalf("pre-set trace ID %s lost (field %s, labels %q)", inTrace, outTrace, out)
		}
	}
	if !outSpan.IsEmpty() && outTrace.IsEmpty() && inTrace.IsEmpty() && outSpan != inSpan {
		t.Fatalf("span ID %s written without a trace ID", outSpan)
	}

	p := &exemplarLinkProcessor{cfg: cfg}
	inKeys := make(map[string]bool)
	for _, l := range in {
		inKeys[l.key] = true
		if v, ok := out[l.key]; ok && v == l.value {
			continue // still present byte for byte
		}
		// Gone or rewritten: it must have decoded to the IDs that left.
		kind := p.labelKind(l.key)
		var ref labelRef
		p.decodeLabel(&ref, kind, pcommon.NewValueStr(l.value))
		if kind == traceref.NotReference || ref.problem != traceref.OK {
			t.Fatalf("label %q=%q was not convertible but changed (out: %q)", l.key, l.value, out)
		}
		if ref.kind != traceref.SpanIDLabel && ref.trace != finalTrace {
			t.Fatalf("label %q=%q removed but trace ID left as %x", l.key, l.value, finalTrace)
		}
		if ref.kind != traceref.TraceIDLabel && ref.span != traceref.SpanID(outSpan) {
			t.Fatalf("label %q=%q removed but span ID left as %s", l.key, l.value, outSpan)
		}
	}
	for key := range out {
		if !inKeys[key] && key != traceOnlyLabel {
			t.Fatalf("label %q appeared from nowhere", key)
		}
	}
}

func equalLabels(a, b []label) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
