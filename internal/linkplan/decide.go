package linkplan

import (
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/exemplarlink/exemplarlinkprocessor/internal/spanindex"
	"github.com/exemplarlink/exemplarlinkprocessor/internal/traceref"
)

// Decide writes into plan what happens to the exemplar described by ev
// (into the caller's Plan: returning the 170-byte Plan and copying it took
// a quarter of Decide's time in a profile of the mixed batch). The rules
// are numbered as README "What it writes" numbers them
// (TestRulesMatchREADME):
//  1. A valid ID goes into its field and the labels holding only IDs now in
//     the fields are removed; with both IDs the exemplar is linked. A
//     trace-context label goes only once both its IDs are in the fields.
//  2. A label that cannot be converted stays as it was; the first such
//     label is the fault counted (invalid_value, zero_id).
//  3. An ID already in a field wins unless OverwriteExistingIDs; a label
//     holding the same ID is removed, one holding another is a conflict.
//  4. References that disagree (two labels, or a label and a field) leave
//     the exemplar exactly as it came: conflict.
//  5. A trace ID without a span ID goes into the TraceID field
//     (TraceOnlyInField) or into the LoneTraceIDKey label, unless that
//     label holds anything else, in which case nothing changes: unlinked,
//     missing_span_id.
//  6. A span ID without a trace ID changes nothing: missing_trace_id.
//  7. Unless LinkUnsampled, references whose trace context says the span
//     was not sampled leave the exemplar as it came: unsampled.
//  8. An exemplar with no reference label and no ID, but by-value
//     candidates (DetectIDsByValue), is decided by decideByValue.
//  9. Nothing else changes, and an exemplar with no reference label and no
//     ID is not counted at all.
//  10. A trace-only exemplar whose trace the span index was asked about
//     (Evidence.Traces), with no label at fault, gets the span the index
//     chose: linked, source traces. If it chose none, its reason is counted
//     instead of missing_span_id. An exemplar naming a span ID never gets
//     another one.
//  11. With LinkOnlyExported, a link named by the exemplar whose span the
//     traces pipeline did not see (Evidence.Exported, asked once the wait
//     is over) is not made: both fields are emptied and the IDs written
//     as the LoneTraceIDKey and SpanIDKey labels, unless one of those
//     labels holds anything else (then nothing changes); span_not_exported.
func Decide(ev *Evidence, s Settings, plan *Plan) {
	*plan = Plan{}
	if ev.ReferencesNoTrace() {
		return
	}
	refs := ev.Refs()
	ids := labelIDs{traceFrom: -1, spanFrom: -1, problem: -1, conflict: -1, unsampled: -1}
	named := 0
	for i := range refs {
		if !refs[i].ByValue {
			ids.add(refs, i)
			named++
		}
	}
	if named == 0 && ev.TraceID == (pcommon.TraceID{}) && ev.SpanID == (pcommon.SpanID{}) {
		if s.DetectIDsByValue {
			decideByValue(ev, refs, s, plan)
		}
		return
	}
	trace, traceFromLabel, traceConflict := resolve(ev.TraceID, ids.trace, ids.traceFrom >= 0, s.OverwriteExistingIDs)
	span, spanFromLabel, spanConflict := resolve(ev.SpanID, ids.span, ids.spanFrom >= 0, s.OverwriteExistingIDs)
	if traceConflict {
		ids.noteConflict(ids.traceFrom)
	}
	if spanConflict {
		ids.noteConflict(ids.spanFrom)
	}
	plan.TraceID, plan.SpanID = trace, span
	plan.Outcome.TraceLabel, plan.Outcome.SpanLabel = ids.names(refs)
	if ids.conflict >= 0 {
		// Labels that disagree cannot be resolved without guessing: leave
		// the exemplar exactly as it came.
		plan.unlinked(ReasonConflict, refs, ids.conflict)
		return
	}
	if ids.unsampled >= 0 && !s.LinkUnsampled && (traceFromLabel || spanFromLabel) {
		// The span was not recorded: a link would open nothing.
		plan.unlinked(ReasonUnsampled, refs, ids.unsampled)
		return
	}

	hasTrace, hasSpan := trace != pcommon.TraceID{}, span != pcommon.SpanID{}
	switch {
	case hasTrace && hasSpan && s.LinkOnlyExported && ev.Exported == ExportedNotSeen:
		plan.unlinked(ReasonSpanNotExported, refs, ids.problemOr(ids.traceFrom, traceFromLabel))
		plan.notExported(ev, refs)
	case hasTrace && hasSpan:
		plan.SetTraceID, plan.SetSpanID = trace != ev.TraceID, span != ev.SpanID
		plan.removeConverted(refs, trace, span, false)
		plan.Outcome.Result, plan.Outcome.Source = Linked, sourceOf(traceFromLabel, refs, ids.traceFrom)
	case hasTrace:
		missing := ReasonMissingSpanID
		if ev.Traces.Done && ev.Traces.TraceID == trace && ids.problem < 0 {
			if r := &ev.Traces.Result; r.Outcome == spanindex.Found {
				plan.SpanID = r.SpanID
				plan.SetTraceID, plan.SetSpanID = trace != ev.TraceID, true
				plan.removeConverted(refs, trace, r.SpanID, false)
				plan.Outcome.Result, plan.Outcome.Source = Linked, SourceTraces
				return
			}
			missing = tracesReason[ev.Traces.Result.Outcome]
		}
		plan.unlinked(ids.reason(refs, missing), refs, ids.problemOr(ids.traceFrom, traceFromLabel))
		plan.keepTraceOnly(ev, refs, s, &ids)
	case hasSpan:
		plan.unlinked(ids.reason(refs, ReasonMissingTraceID), refs, ids.problemOr(ids.spanFrom, spanFromLabel))
	default:
		plan.unlinked(ids.reason(refs, ReasonInvalidValue), refs, ids.problem)
	}
}

// tracesReason is why the span index chose no span, as counted.
var tracesReason = [...]Reason{
	spanindex.TraceNotSeen: ReasonTraceNotSeen,
	spanindex.NoSpan:       ReasonSpanNotFound,
	spanindex.NoEntrySpan:  ReasonNoEntrySpan,
	spanindex.Ambiguous:    ReasonAmbiguous,
}

// decideByValue decides an exemplar whose only references are by-value
// candidates: exactly one trace ID and at most one span ID, or one trace
// context alone, are linked and their labels removed; two candidates of a
// kind, a trace context beside a span ID, or a lone 16-digit value (a span
// ID or a 64-bit trace ID?) are ambiguous, and a trace ID alone is
// missing its span: the exemplar is left as it came.
func decideByValue(ev *Evidence, refs []Label, s Settings, plan *Plan) {
	trace, span, traces, spans := -1, -1, 0, 0
	for i := range refs {
		if refs[i].Ref.Kind == traceref.SpanIDLabel {
			span, spans = i, spans+1
		} else {
			trace, traces = i, traces+1
		}
	}
	switch {
	case traces != 1 || spans > 1 || spans == 1 && refs[trace].Ref.Kind == traceref.TraceContextLabel:
		plan.unlinked(ReasonAmbiguous, refs, 0)
		return
	case refs[trace].Ref.Unsampled && !s.LinkUnsampled:
		plan.unlinked(ReasonUnsampled, refs, trace)
		return
	case refs[trace].Ref.Kind == traceref.TraceContextLabel:
		span = trace
	case spans == 0:
		plan.unlinked(ReasonMissingSpanID, refs, trace)
		return
	}
	plan.TraceID, plan.SpanID = refs[trace].Ref.TraceID, refs[span].Ref.SpanID
	if s.LinkOnlyExported && ev.Exported == ExportedNotSeen {
		plan.unlinked(ReasonSpanNotExported, refs, trace)
		plan.byValue = true
		plan.notExported(ev, refs)
		return
	}
	plan.SetTraceID, plan.SetSpanID = true, true
	plan.removeConverted(refs, plan.TraceID, plan.SpanID, false)
	plan.byValue = true
	plan.Outcome = Outcome{Result: Linked, Source: SourceByValue, TraceLabel: refs[trace].Name, SpanLabel: refs[span].Name}
}

// notExported writes the IDs of a link whose span was not exported as
// labels, from plan.TraceID and plan.SpanID, and empties the fields: the
// IDs stay visible, and no link opens nothing. A LoneTraceIDKey or
// SpanIDKey label that holds anything else is the sender's data: then the
// exemplar is left as it came rather than replace it.
func (p *Plan) notExported(ev *Evidence, refs []Label) {
	if ev.HasLoneTraceIDKey && (ev.LoneTraceIDKeyRef.Problem != traceref.OK || ev.LoneTraceIDKeyRef.TraceID != p.TraceID) ||
		ev.HasSpanIDKey && (ev.SpanIDKeyRef.Problem != traceref.OK || ev.SpanIDKeyRef.SpanID != p.SpanID) {
		return
	}
	p.removeConverted(refs, p.TraceID, p.SpanID, false)
	p.ClearTraceID, p.ClearSpanID = ev.TraceID != pcommon.TraceID{}, ev.SpanID != pcommon.SpanID{}
	p.WriteIDLabels = true
}

// keepTraceOnly places the trace ID of an exemplar without a span ID.
func (p *Plan) keepTraceOnly(ev *Evidence, refs []Label, s Settings, ids *labelIDs) {
	if s.TraceOnlyInField {
		p.SetTraceID = p.TraceID != ev.TraceID
		p.removeConverted(refs, p.TraceID, pcommon.SpanID{}, false)
		return
	}
	// A LoneTraceIDKey label that holds anything but this trace ID is the
	// sender's data: leave the whole exemplar as it is rather than replace
	// it.
	if ev.HasLoneTraceIDKey && (ev.LoneTraceIDKeyRef.Problem != traceref.OK || ev.LoneTraceIDKeyRef.TraceID != p.TraceID) {
		return
	}
	p.removeConverted(refs, p.TraceID, pcommon.SpanID{}, true)
	p.WriteLoneTraceID, p.ClearTraceID = true, true
	if from := ids.traceFrom; !ev.HasLoneTraceIDKey && from >= 0 && p.Removes(&refs[from]) {
		p.MoveValue, p.ValueFrom = true, from
	}
}

// removeConverted has Removes drop the labels that hold only trace or span,
// keeping the LoneTraceIDKey label when keepLone.
func (p *Plan) removeConverted(refs []Label, trace pcommon.TraceID, span pcommon.SpanID, keepLone bool) {
	if len(refs) > 0 {
		p.remove, p.removeTrace, p.removeSpan, p.keepLone = true, trace, span, keepLone
	}
}

// unlinked counts the exemplar as unlinked for r, with refs[at] as the
// label to name (none when at is -1, the exemplar's fields when at is
// inFields).
func (p *Plan) unlinked(r Reason, refs []Label, at int) {
	p.Outcome.Result, p.Outcome.Reason = Unlinked, r
	switch {
	case at == inFields:
		p.Outcome.Label = ExemplarFieldsLabel
	case at >= 0:
		p.Outcome.Label, p.Outcome.Value = refs[at].Name, refs[at].Value
	}
}

// inFields, as a label index, names the exemplar's ID fields.
const inFields = -2

// labelIDs gathers what the reference labels of one exemplar say. Labels
// are named by their place in Evidence.Refs(), -1 for none: pointers
// stored here would make Go's escape analysis move Evidence to the heap.
type labelIDs struct {
	trace pcommon.TraceID
	span  pcommon.SpanID
	// traceFrom and spanFrom are the first labels that held a trace and a
	// span ID.
	traceFrom, spanFrom int
	// problem is the first label that could not be converted, conflict the
	// first that disagreed with another reference, unsampled the first
	// whose trace context says the span was not sampled.
	problem, conflict, unsampled int
}

// add takes in refs[i].
func (g *labelIDs) add(refs []Label, i int) {
	ref := &refs[i].Ref
	if ref.Problem != traceref.OK {
		if g.problem < 0 {
			g.problem = i
		}
		return
	}
	if ref.Unsampled && g.unsampled < 0 {
		g.unsampled = i
	}
	if ref.Kind != traceref.SpanIDLabel {
		switch {
		case g.traceFrom < 0:
			g.trace, g.traceFrom = ref.TraceID, i
		case g.trace != ref.TraceID:
			g.noteConflict(i)
		}
	}
	if ref.Kind != traceref.TraceIDLabel {
		switch {
		case g.spanFrom < 0:
			g.span, g.spanFrom = ref.SpanID, i
		case g.span != ref.SpanID:
			g.noteConflict(i)
		}
	}
}

// problemOr names the label at fault if there is one, else the label the
// ID the exemplar does have came from (from), or its fields when the ID
// came from there (fromLabel false): for a missing ID, the log then says
// where the ID that is there was found.
func (g *labelIDs) problemOr(from int, fromLabel bool) int {
	switch {
	case g.problem >= 0:
		return g.problem
	case !fromLabel:
		return inFields
	}
	return from
}

func (g *labelIDs) noteConflict(i int) {
	if g.conflict < 0 {
		g.conflict = i
	}
}

func (g *labelIDs) names(refs []Label) (trace, span string) {
	if g.traceFrom >= 0 {
		trace = refs[g.traceFrom].Name
	}
	if g.spanFrom >= 0 {
		span = refs[g.spanFrom].Name
	}
	return trace, span
}

// reason prefers the concrete fault of a label (an invalid or zero value)
// over the generic missing-ID reason it caused.
func (g *labelIDs) reason(refs []Label, missing Reason) Reason {
	if g.problem >= 0 {
		switch refs[g.problem].Ref.Problem {
		case traceref.Invalid:
			return ReasonInvalidValue
		case traceref.ZeroID:
			return ReasonZeroID
		}
	}
	return missing
}

// resolve decides an ID from the exemplar's field and its labels. A field
// that is set wins unless overwrite is on; a label that disagrees with it
// is a conflict.
func resolve[ID pcommon.TraceID | pcommon.SpanID](field, label ID, hasLabel, overwrite bool) (id ID, fromLabel, conflict bool) {
	var zero ID
	switch {
	case !hasLabel:
		return field, false, false
	case field == zero || overwrite:
		return label, true, false
	case field == label:
		return field, false, false
	default:
		return field, false, true
	}
}

func sourceOf(fromLabel bool, refs []Label, from int) Source {
	if !fromLabel {
		return SourceExemplarFields
	}
	switch refs[from].Ref.Format {
	case traceref.FormatTraceparent:
		return SourceTraceparent
	case traceref.FormatUberTraceID:
		return SourceUberTraceID
	case traceref.FormatB3:
		return SourceB3
	}
	return SourceIDLabel
}
