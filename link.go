package exemplarlinkprocessor // import "github.com/exemplarlink/exemplarlinkprocessor"

// This file is the path of one exemplar, top to bottom: linkExemplars
// takes a data point's exemplars (with the fast path for those without
// labels), linkExemplar runs each through collect (read the references
// into linkplan.Evidence), linkplan.Decide (the rules, a pure function),
// lookUpSpan (the span index, for a trace-only exemplar when the
// component is also in a traces pipeline), checkExported (the same, for a
// link, with link_only_exported_spans), apply (write the plan) and count
// (telemetry and the log summary; a link leaving is noted for the link
// check, checks.go).

import (
	"encoding/hex"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.uber.org/zap"

	"github.com/exemplarlink/exemplarlinkprocessor/internal/linkplan"
	"github.com/exemplarlink/exemplarlinkprocessor/internal/linksummary"
	"github.com/exemplarlink/exemplarlinkprocessor/internal/spanindex"
	"github.com/exemplarlink/exemplarlinkprocessor/internal/traceref"
)

func (p *exemplarLinkProcessor) linkExemplars(metricName string, exemplars pmetric.ExemplarSlice, batch *batchState) {
	if batch.traces != nil {
		p.linkExemplarsNoting(metricName, exemplars, batch)
		return
	}
	for j := 0; j < exemplars.Len(); j++ {
		ex := exemplars.At(j)
		if ex.FilteredAttributes().Len() == 0 && !batch.debug {
			// Fast path, with the outcome linkExemplar would have: an
			// exemplar without labels is left alone (rule 9), or is linked
			// already when both fields are set. Other cases take the
			// general path. linkExemplarsNoting has the same with the link
			// noted; apart, this loop without a traces pipeline is 13%
			// faster (BenchmarkExemplarLink/batch=otlp_ids).
			switch noTrace, noSpan := ex.TraceID() == zeroTraceID, ex.SpanID() == zeroSpanID; {
			case linkplan.LeftAlone(0, noTrace, noSpan):
				continue
			case !noTrace && !noSpan:
				batch.counts.AddLinked(linkplan.SourceExemplarFields)
				continue
			}
		}
		batch.at.exemplar = j
		p.linkExemplar(metricName, ex, batch)
	}
}

// linkExemplarsNoting is linkExemplars when the component is also in a
// traces pipeline: a link that leaves is noted for the link check, and
// with link_only_exported_spans every link takes the general path.
func (p *exemplarLinkProcessor) linkExemplarsNoting(metricName string, exemplars pmetric.ExemplarSlice, batch *batchState) {
	for j := 0; j < exemplars.Len(); j++ {
		ex := exemplars.At(j)
		if ex.FilteredAttributes().Len() == 0 && !batch.debug {
			switch noTrace, noSpan := ex.TraceID() == zeroTraceID, ex.SpanID() == zeroSpanID; {
			case linkplan.LeftAlone(0, noTrace, noSpan):
				continue
			case !noTrace && !noSpan && !batch.exportedOnly:
				batch.counts.AddLinked(linkplan.SourceExemplarFields)
				p.noteLink(ex, ex.TraceID(), ex.SpanID(), batch)
				continue
			}
		}
		batch.at.exemplar = j
		p.linkExemplar(metricName, ex, batch)
	}
}

// linkExemplar collects what one exemplar carries, decides what to do with
// it, writes that and counts it.
func (p *exemplarLinkProcessor) linkExemplar(metricName string, ex pmetric.Exemplar, batch *batchState) {
	ev := &batch.evidence
	p.collect(ex, ev)
	if ev.ReferencesNoTrace() {
		return // most exemplars without ID labels: skip the rest
	}
	plan := &batch.plan
	linkplan.Decide(ev, p.settings, plan)
	if batch.traces != nil && p.askTraces(ex, ev, plan, batch) {
		return // left as it came, linked and counted when its batch leaves
	}
	p.apply(ex, ev, plan, batch)
	p.count(metricName, ex, plan, batch)
}

// askTraces asks the traces side about the plan when it needs it: the
// span of a trace-only exemplar (lookUpSpan), whether a link's span was
// exported (checkExported). It reports whether the exemplar waits.
func (p *exemplarLinkProcessor) askTraces(ex pmetric.Exemplar, ev *linkplan.Evidence, plan *linkplan.Plan, batch *batchState) bool {
	switch o := &plan.Outcome; {
	case o.Result == linkplan.Unlinked && o.Reason == linkplan.ReasonMissingSpanID:
		p.lookUpSpan(ex, ev, plan, batch)
		return p.holder != nil && p.wait(ex, ev, batch)
	case batch.exportedOnly && o.Result == linkplan.Linked && o.Source != linkplan.SourceTraces:
		return p.checkExported(ex, ev, plan, batch)
	}
	return false
}

// collect fills ev with what the exemplar carries, in one pass over its
// labels: its ID fields and its reference labels, decoded, in label order.
// ev is reused from the previous exemplar.
func (p *exemplarLinkProcessor) collect(ex pmetric.Exemplar, ev *linkplan.Evidence) {
	attrs := ex.FilteredAttributes()
	ev.Reset(attrs.Len())
	ev.TraceID, ev.SpanID = ex.TraceID(), ex.SpanID()
	i := 0
	attrs.Range(func(k string, v pcommon.Value) bool {
		// Most labels are no reference and are ruled out by Kind's inlined
		// length test; they cost one more test only when the configuration
		// asks to look at them (collectOther).
		if kind := p.reader.Kind(k); kind != traceref.NotReference {
			l := ev.Next()
			l.Index, l.Name, l.Value, l.ByValue = i, k, valueForLog(v), false
			p.reader.Decode(&l.Ref, kind, v.Str())
			switch {
			case k == linkplan.LoneTraceIDKey:
				p.noteIDKey(&ev.HasLoneTraceIDKey, &ev.LoneTraceIDKeyRef, traceref.TraceIDLabel, l.Ref, kind, v)
			case p.settings.LinkOnlyExported && k == linkplan.SpanIDKey:
				p.noteIDKey(&ev.HasSpanIDKey, &ev.SpanIDKeyRef, traceref.SpanIDLabel, l.Ref, kind, v)
			}
		} else if p.collectOthers {
			p.collectOther(ev, i, k, v)
		}
		i++
		return true
	})
}

// collectOther looks at a label that is no reference: the LoneTraceIDKey
// label when the reader does not recognise it, and by-value candidates.
func (p *exemplarLinkProcessor) collectOther(ev *linkplan.Evidence, i int, k string, v pcommon.Value) {
	if !p.loneTraceIDKeyIsRef && k == linkplan.LoneTraceIDKey {
		p.noteIDKey(&ev.HasLoneTraceIDKey, &ev.LoneTraceIDKeyRef, traceref.TraceIDLabel, traceref.Ref{}, traceref.NotReference, v)
	}
	if p.settings.LinkOnlyExported && k == linkplan.SpanIDKey {
		p.noteIDKey(&ev.HasSpanIDKey, &ev.SpanIDKeyRef, traceref.SpanIDLabel, traceref.Ref{}, traceref.NotReference, v)
	}
	if p.settings.DetectIDsByValue {
		if ref, ok := p.reader.DecodeByValue(v.Str()); ok {
			*ev.Next() = linkplan.Label{Index: i, Name: k, Value: v.Str(), Ref: ref, ByValue: true}
		}
	}
}

// noteIDKey records a label the processor may write, LoneTraceIDKey or
// SpanIDKey (rule 11), into has and into, read as want (ref is the label's
// reference when kind is want). A raw pdata map can hold the key twice:
// the second makes the label unusable (Problem Invalid), so Decide leaves
// the exemplar as it came rather than overwrite one of the two.
func (p *exemplarLinkProcessor) noteIDKey(has *bool, into *traceref.Ref, want traceref.Kind, ref traceref.Ref, kind traceref.Kind, v pcommon.Value) {
	if *has {
		into.Problem = traceref.Invalid
		return
	}
	*has = true
	if kind == want {
		*into = ref
		return
	}
	p.reader.Decode(into, want, v.Str())
}

// valueForLog returns a string value as it is (it is truncated when
// logged) and the type name of any other, so nothing is formatted on the
// hot path.
func valueForLog(v pcommon.Value) string {
	if v.Type() == pcommon.ValueTypeStr {
		return v.Str()
	}
	return v.Type().String()
}

// lookUpSpan asks the span index for the span of an exemplar that
// Decide left unlinked for lack of a span ID, then decides again with the
// answer. The resolution cache answers first, so that an exemplar a target
// re-exposes on every scrape stays linked after its spans were evicted.
func (p *exemplarLinkProcessor) lookUpSpan(ex pmetric.Exemplar, ev *linkplan.Evidence, plan *linkplan.Plan, batch *batchState) {
	key, hasTime := traceOnlyKey(ex, plan.TraceID, batch.pointTime)
	var res spanindex.Result
	res, batch.spans = batch.traces.resolve(&key, hasTime, batch.spans)
	ev.Traces = linkplan.TracesLookup{Done: true, TraceID: plan.TraceID, Result: res}
	linkplan.Decide(ev, p.settings, plan)
}

// checkExported asks the span index whether the span of a link passed the
// traces pipeline (link_only_exported_spans). If not, the exemplar waits
// for it (true: left as it came for now), or, once waiting is over,
// Decide is asked again knowing it was not exported.
func (p *exemplarLinkProcessor) checkExported(ex pmetric.Exemplar, ev *linkplan.Evidence, plan *linkplan.Plan, batch *batchState) bool {
	if batch.traces.index.Has(plan.TraceID, plan.SpanID) {
		return false
	}
	if p.holder != nil && p.waitForSpan(ex, plan.TraceID, plan.SpanID, batch) {
		return true
	}
	ev.Exported = linkplan.ExportedNotSeen
	linkplan.Decide(ev, p.settings, plan)
	return false
}

// apply writes plan into the exemplar that collect read into ev.
func (p *exemplarLinkProcessor) apply(ex pmetric.Exemplar, ev *linkplan.Evidence, plan *linkplan.Plan, batch *batchState) {
	if plan.SetTraceID {
		ex.SetTraceID(plan.TraceID)
	}
	if plan.SetSpanID {
		ex.SetSpanID(plan.SpanID)
	}
	if plan.ClearTraceID {
		ex.SetTraceID(zeroTraceID)
	}
	if plan.ClearSpanID {
		ex.SetSpanID(zeroSpanID)
	}
	attrs := ex.FilteredAttributes()
	if plan.WriteIDLabels {
		// Rare (a span not exported): the strings are made here.
		removeLabels(attrs, ev, plan)
		attrs.PutStr(linkplan.LoneTraceIDKey, hex.EncodeToString(plan.TraceID[:]))
		attrs.PutStr(linkplan.SpanIDKey, hex.EncodeToString(plan.SpanID[:]))
		return
	}
	if !plan.WriteLoneTraceID {
		removeLabels(attrs, ev, plan)
		return
	}

	var digits [2 * len(pcommon.TraceID{})]byte
	hex.Encode(digits[:], plan.TraceID[:])
	// The label the trace ID came from goes. When its value already is
	// the digits (the common case), the new label takes that value as it
	// is instead of a new string: no allocation per exemplar.
	moved := false
	if plan.MoveValue {
		// Found by its place, not its key: a raw pdata map can hold a key
		// twice.
		if v, ok := valueAt(attrs, ev.Refs()[plan.ValueFrom].Index); ok && v.Str() == string(digits[:]) {
			if !batch.hasSpare {
				batch.spare, batch.hasSpare = pcommon.NewValueEmpty(), true
			}
			v.MoveTo(batch.spare)
			moved = true
		}
	}
	removeLabels(attrs, ev, plan)
	switch v, ok := attrs.Get(linkplan.LoneTraceIDKey); {
	case ok:
		if v.Str() != string(digits[:]) {
			v.SetStr(string(digits[:]))
		}
	case moved:
		batch.spare.MoveTo(attrs.PutEmpty(linkplan.LoneTraceIDKey))
	default:
		attrs.PutStr(linkplan.LoneTraceIDKey, string(digits[:]))
	}
}

// removeLabels drops the reference labels the plan removes, keeping the
// order of the others.
func removeLabels(attrs pcommon.Map, ev *linkplan.Evidence, plan *linkplan.Plan) {
	refs := ev.Refs()
	removed := 0
	for i := range refs {
		if plan.Removes(&refs[i]) {
			removed++
		}
	}
	switch removed {
	case 0:
		return
	case ev.NumLabels:
		// Every label was a reference now in the fields, the common case:
		// no need to visit the labels again. Not when a label is written
		// next: Clear drops the labels' storage, which writing would then
		// allocate again. benchcheck's "labels cleared" target fails
		// without this branch.
		if !plan.WriteLoneTraceID && !plan.WriteIDLabels {
			attrs.Clear()
			return
		}
	}
	i, next := 0, 0
	attrs.RemoveIf(func(string, pcommon.Value) bool {
		index := i
		i++
		if next == len(refs) || refs[next].Index != index {
			return false // not a reference label
		}
		next++
		return plan.Removes(&refs[next-1])
	})
}

// valueAt returns the value of the label at index among attrs' labels.
func valueAt(attrs pcommon.Map, index int) (value pcommon.Value, ok bool) {
	i := 0
	attrs.Range(func(_ string, v pcommon.Value) bool {
		if i == index {
			value, ok = v, true
			return false
		}
		i++
		return true
	})
	return value, ok
}

// count adds the plan's outcome to the batch's counts and, at debug level,
// logs it.
func (p *exemplarLinkProcessor) count(metricName string, ex pmetric.Exemplar, plan *linkplan.Plan, batch *batchState) {
	o := &plan.Outcome
	switch o.Result {
	case linkplan.Linked:
		batch.counts.AddLinked(o.Source)
		if batch.traces != nil {
			p.noteLink(ex, plan.TraceID, plan.SpanID, batch)
		}
		if batch.debug {
			p.logger.Debug("Exemplar linked",
				zap.String("metric", linksummary.Truncate(metricName, 2*linksummary.MaxValueLength)),
				zap.String("source", o.Source.String()),
				zap.String("trace_label", linksummary.Truncate(o.TraceLabel, linksummary.MaxValueLength)),
				zap.String("span_label", linksummary.Truncate(o.SpanLabel, linksummary.MaxValueLength)),
				zap.String("trace_id", plan.TraceID.String()),
				zap.String("span_id", plan.SpanID.String()))
		}
	case linkplan.Unlinked:
		batch.counts.AddUnlinked(o.Reason, metricName, o.Label, o.Value)
		if batch.debug && plan.WriteLoneTraceID {
			p.logger.Debug("Exemplar has no span ID; trace ID kept as a label",
				zap.String("metric", linksummary.Truncate(metricName, 2*linksummary.MaxValueLength)),
				zap.String("label", linkplan.LoneTraceIDKey),
				zap.String("trace_id", plan.TraceID.String()))
		}
	}
}
