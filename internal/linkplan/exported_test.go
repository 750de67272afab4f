package linkplan

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/exemplarlink/exemplarlinkprocessor/internal/testing/cases"
)

// TestDecideNotExported: rule 11, a link whose span the traces pipeline did
// not see, with link_only_exported_spans.
func TestDecideNotExported(t *testing.T) {
	t.Parallel()
	const (
		tr    = cases.T
		sp    = cases.S
		other = "1111111111111111"
	)
	ids := []cases.Label{cases.L("trace_id", tr), cases.L("span_id", sp)}
	for _, tc := range []struct {
		name     string
		in       cases.Exemplar
		exported Exported
		off      bool
		byValue  bool
		out      cases.Exemplar
		outcome  string
	}{
		{
			name:     "labels: unlinked, IDs as trace_id and span_id labels",
			in:       cases.Labels(cases.L("route", "/a"), cases.L("traceID", tr), cases.L("spanID", sp)),
			exported: ExportedNotSeen,
			out:      cases.Labels(cases.L("route", "/a"), ids[0], ids[1]),
			outcome:  "unlinked span_not_exported",
		},
		{
			name:     "fields (OTLP, or the receiver converted them): emptied, IDs as labels",
			in:       cases.Exemplar{TraceID: tr, SpanID: sp},
			exported: ExportedNotSeen,
			out:      cases.Labels(ids...),
			outcome:  "unlinked span_not_exported",
		},
		{
			name:     "traceparent: its IDs as labels, the header gone",
			in:       cases.Labels(cases.L("traceparent", "00-"+tr+"-"+sp+"-01")),
			exported: ExportedNotSeen,
			out:      cases.Labels(ids...),
			outcome:  "unlinked span_not_exported",
		},
		{
			name:     "trace_id and span_id labels already: the same labels, no link",
			in:       cases.Labels(ids...),
			exported: ExportedNotSeen,
			out:      cases.Labels(ids...),
			outcome:  "unlinked span_not_exported",
		},
		{
			name:     "a span_id label holding something else is the sender's: left as it came",
			in:       cases.Labels(cases.L("traceID", tr), cases.L("spanID", sp), cases.L("span_id", "nonsense")),
			exported: ExportedNotSeen,
			out:      cases.Labels(cases.L("traceID", tr), cases.L("spanID", sp), cases.L("span_id", "nonsense")),
			outcome:  "unlinked span_not_exported",
		},
		{
			name:     "a span_id label naming another span: a conflict, as without the setting",
			in:       cases.Labels(cases.L("traceID", tr), cases.L("spanID", sp), cases.L("span_id", other)),
			exported: ExportedNotSeen,
			out:      cases.Labels(cases.L("traceID", tr), cases.L("spanID", sp), cases.L("span_id", other)),
			outcome:  "unlinked conflict",
		},
		{
			name:     "seen: linked as always",
			in:       cases.Labels(cases.L("traceID", tr), cases.L("spanID", sp)),
			exported: ExportedSeen,
			out:      cases.Exemplar{TraceID: tr, SpanID: sp},
			outcome:  "linked id_label",
		},
		{
			name:     "not asked yet: linked (the processor asks before it writes)",
			in:       cases.Labels(cases.L("traceID", tr), cases.L("spanID", sp)),
			exported: ExportedNotAsked,
			out:      cases.Exemplar{TraceID: tr, SpanID: sp},
			outcome:  "linked id_label",
		},
		{
			name:     "setting off: the answer is ignored",
			in:       cases.Labels(cases.L("traceID", tr), cases.L("spanID", sp)),
			exported: ExportedNotSeen,
			off:      true,
			out:      cases.Exemplar{TraceID: tr, SpanID: sp},
			outcome:  "linked id_label",
		},
		{
			name:     "by value: the candidates go, the IDs as labels",
			in:       cases.Labels(cases.L("req", tr), cases.L("op", sp), cases.L("route", "/a")),
			exported: ExportedNotSeen,
			byValue:  true,
			out:      cases.Labels(cases.L("route", "/a"), ids[0], ids[1]),
			outcome:  "unlinked span_not_exported",
		},
		{
			name:    "trace only: rule 5 as before, nothing to check",
			in:      cases.Labels(cases.L("traceID", tr)),
			out:     cases.Labels(cases.L("trace_id", tr)),
			outcome: "unlinked missing_span_id",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			reader, settings := fromConfig(cases.Config{DetectIDsByValue: tc.byValue})
			settings.LinkOnlyExported = !tc.off
			ev := evidence(t, reader, settings, tc.in)
			ev.Exported = tc.exported
			var plan Plan
			Decide(&ev, settings, &plan)
			assert.Equal(t, tc.outcome, outcomeString(plan.Outcome))
			assert.Equal(t, tc.out, applyPlan(t, tc.in, &ev, &plan))
		})
	}
}
