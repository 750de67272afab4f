package linkplan

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/exemplarlink/exemplarlinkprocessor/internal/spanindex"
	"github.com/exemplarlink/exemplarlinkprocessor/internal/testing/cases"
)

// TestDecideFromTraces: the rules for what the span index said
// (Evidence.Traces), on the exemplars the guides' clients write.
func TestDecideFromTraces(t *testing.T) {
	t.Parallel()
	const (
		tr    = cases.T
		other = "0af7651916cd43dd8448eb211c80319c"
		found = "1111111111111111"
	)
	var foundID pcommon.SpanID
	copy(foundID[:], []byte{0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11})
	lookup := func(trace string, o spanindex.Outcome) func(*testing.T) TracesLookup {
		return func(t *testing.T) TracesLookup {
			r := spanindex.Result{Outcome: o}
			if o == spanindex.Found {
				r.SpanID = foundID
			}
			return TracesLookup{Done: true, TraceID: traceID(t, trace), Result: r}
		}
	}
	for _, tc := range []struct {
		name    string
		in      cases.Exemplar
		inField bool
		traces  func(*testing.T) TracesLookup
		out     cases.Exemplar
		outcome string
	}{
		{
			name:    "trace_id label, span found: linked from traces, label gone",
			in:      cases.Exemplar{Labels: ls(cases.L("trace_id", tr))},
			traces:  lookup(tr, spanindex.Found),
			out:     cases.Exemplar{TraceID: tr, SpanID: found},
			outcome: "linked traces",
		},
		{
			name:    "traceID label beside other labels, span found",
			in:      cases.Exemplar{Labels: ls(cases.L("route", "/a"), cases.L("traceID", tr))},
			traces:  lookup(tr, spanindex.Found),
			out:     cases.Exemplar{TraceID: tr, SpanID: found, Labels: ls(cases.L("route", "/a"))},
			outcome: "linked traces",
		},
		{
			name:    "trace ID in the field only (OTLP), span found",
			in:      cases.Exemplar{TraceID: tr},
			traces:  lookup(tr, spanindex.Found),
			out:     cases.Exemplar{TraceID: tr, SpanID: found},
			outcome: "linked traces",
		},
		{
			name:    "not asked: unlinked, missing span ID, as without traces",
			in:      cases.Exemplar{Labels: ls(cases.L("trace_id", tr))},
			out:     cases.Exemplar{Labels: ls(cases.L("trace_id", tr))},
			outcome: "unlinked missing_span_id",
		},
		{
			name:    "asked about another trace: ignored",
			in:      cases.Exemplar{Labels: ls(cases.L("trace_id", tr))},
			traces:  lookup(other, spanindex.Found),
			out:     cases.Exemplar{Labels: ls(cases.L("trace_id", tr))},
			outcome: "unlinked missing_span_id",
		},
		{
			name:    "trace never seen: trace ID kept as before, counted",
			in:      cases.Exemplar{Labels: ls(cases.L("traceId", tr))},
			traces:  lookup(tr, spanindex.TraceNotSeen),
			out:     cases.Exemplar{Labels: ls(cases.L("trace_id", tr))},
			outcome: "unlinked trace_not_seen",
		},
		{
			name:    "no span at the time",
			in:      cases.Exemplar{Labels: ls(cases.L("trace_id", tr))},
			traces:  lookup(tr, spanindex.NoSpan),
			out:     cases.Exemplar{Labels: ls(cases.L("trace_id", tr))},
			outcome: "unlinked span_not_found",
		},
		{
			name:    "no timestamp, no entry span",
			in:      cases.Exemplar{Labels: ls(cases.L("trace_id", tr))},
			traces:  lookup(tr, spanindex.NoEntrySpan),
			out:     cases.Exemplar{Labels: ls(cases.L("trace_id", tr))},
			outcome: "unlinked no_entry_span",
		},
		{
			name:    "ambiguous, trace ID kept in the field when configured",
			in:      cases.Exemplar{Labels: ls(cases.L("trace_id", tr))},
			inField: true,
			traces:  lookup(tr, spanindex.Ambiguous),
			out:     cases.Exemplar{TraceID: tr},
			outcome: "unlinked ambiguous",
		},
		{
			name:    "names both IDs: its own span, never the index's",
			in:      cases.Exemplar{Labels: ls(cases.L("trace_id", tr), cases.L("span_id", cases.S))},
			traces:  lookup(tr, spanindex.Found),
			out:     cases.Exemplar{TraceID: tr, SpanID: cases.S},
			outcome: "linked id_label",
		},
		{
			name:    "an invalid span_id label: its fault is counted, no span from traces",
			in:      cases.Exemplar{Labels: ls(cases.L("trace_id", tr), cases.L("span_id", "zz"))},
			traces:  lookup(tr, spanindex.Found),
			out:     cases.Exemplar{Labels: ls(cases.L("trace_id", tr), cases.L("span_id", "zz"))},
			outcome: "unlinked invalid_value",
		},
	} {
		reader, settings := fromConfig(cases.Config{TraceOnlyInField: tc.inField})
		ev := evidence(t, reader, settings, tc.in)
		if tc.traces != nil {
			ev.Traces = tc.traces(t)
		}
		var plan Plan
		Decide(&ev, settings, &plan)
		assert.Equal(t, tc.out, applyPlan(t, tc.in, &ev, &plan), tc.name)
		assert.Equal(t, tc.outcome, outcomeString(plan.Outcome), tc.name)
	}
}

// TestResetForgetsTraces: a lookup made for one exemplar never applies to
// the next.
func TestResetForgetsTraces(t *testing.T) {
	t.Parallel()
	var ev Evidence
	ev.Traces.Done = true
	ev.Reset(0)
	assert.False(t, ev.Traces.Done)
}

func ls(labels ...cases.Label) []cases.Label { return labels }
