package exemplarlinkprocessor // import "github.com/exemplarlink/exemplarlinkprocessor"

import (
	"context"
	"encoding/hex"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/exemplarlink/exemplarlinkprocessor/internal/linksummary"
	"github.com/exemplarlink/exemplarlinkprocessor/internal/metadata"
	"github.com/exemplarlink/exemplarlinkprocessor/internal/traceref"
)

// zeroTraceID and zeroSpanID are the empty IDs. Comparing an exemplar's ID
// with them reads the field directly; the IsEmpty methods copy the 16 bytes
// through the stack three times, which on a batch without ID labels cost
// as much as the rest of the walk.
var (
	zeroTraceID pcommon.TraceID
	zeroSpanID  pcommon.SpanID
)

// traceOnlyLabel is where TraceOnlyLabel mode keeps a trace ID: the
// OpenMetrics and OpenTelemetry name, so every backend reads it the same.
const traceOnlyLabel = "trace_id"

type exemplarLinkProcessor struct {
	cfg       *Config
	logger    *zap.Logger
	telemetry *metadata.TelemetryBuilder
	summary   *linksummary.Logger

	// configuredLabels maps the exact names from the config to their kind;
	// they take precedence over the built-in spellings. nil when the config
	// names none.
	configuredLabels map[string]traceref.LabelKind
	// nameLengths has bit n set when a name labelKind recognises is n
	// bytes long; longNames says that a configured name is 64 bytes or
	// longer, past what the mask holds. See mayBeReference.
	nameLengths uint64
	longNames   bool

	// Attribute sets are built once so recording a batch's counts does not
	// allocate them again.
	linkedOptions   [linksummary.NumSources]metric.AddOption
	unlinkedOptions [linksummary.NumReasons]metric.AddOption
}

func newExemplarLinkProcessor(cfg *Config, set component.TelemetrySettings) (*exemplarLinkProcessor, error) {
	telemetry, err := metadata.NewTelemetryBuilder(set)
	if err != nil {
		return nil, err
	}
	p := &exemplarLinkProcessor{
		cfg:       cfg,
		logger:    set.Logger,
		telemetry: telemetry,
		summary:   linksummary.NewLogger(set.Logger, cfg.SummaryInterval, time.Now),
	}
	for kind, names := range map[traceref.LabelKind][]string{
		traceref.TraceIDLabel:      cfg.TraceIDLabels,
		traceref.SpanIDLabel:       cfg.SpanIDLabels,
		traceref.TraceContextLabel: cfg.TraceContextLabels,
	} {
		for _, name := range names {
			if p.configuredLabels == nil {
				p.configuredLabels = make(map[string]traceref.LabelKind)
			}
			p.configuredLabels[name] = kind
		}
	}
	if cfg.BuiltinLabelNames {
		p.nameLengths = traceref.BuiltinLengths()
	}
	for name := range p.configuredLabels {
		if len(name) < 64 {
			p.nameLengths |= 1 << len(name)
		} else {
			p.longNames = true
		}
	}
	for s := range p.linkedOptions {
		p.linkedOptions[s] = metric.WithAttributeSet(attribute.NewSet(
			attribute.String(metadata.AttributeSource, linksummary.Source(s).String())))
	}
	for r := range p.unlinkedOptions {
		p.unlinkedOptions[r] = metric.WithAttributeSet(attribute.NewSet(
			attribute.String(metadata.AttributeReason, linksummary.Reason(r).String())))
	}
	return p, nil
}

func (p *exemplarLinkProcessor) start(context.Context, component.Host) error {
	p.logger.Info("Exemplar link processor started",
		zap.Bool("builtin_label_names", p.cfg.BuiltinLabelNames),
		zap.Strings("trace_id_labels", p.cfg.TraceIDLabels),
		zap.Strings("span_id_labels", p.cfg.SpanIDLabels),
		zap.Strings("trace_context_labels", p.cfg.TraceContextLabels),
		zap.Bool("pad_64bit_trace_ids", p.cfg.Pad64BitTraceIDs),
		zap.Bool("overwrite_existing_ids", p.cfg.OverwriteExistingIDs),
		zap.String("trace_only_exemplars", string(p.cfg.TraceOnlyExemplars)),
		zap.Duration("summary_interval", p.cfg.SummaryInterval),
	)
	return nil
}

func (p *exemplarLinkProcessor) shutdown(context.Context) error {
	p.summary.Flush()
	p.telemetry.Shutdown()
	return nil
}

// processMetrics walks resource → scope → metric → data point → exemplar
// once, changing exemplars in place.
func (p *exemplarLinkProcessor) processMetrics(ctx context.Context, md pmetric.Metrics) (pmetric.Metrics, error) {
	batch := batchState{debug: p.logger.Core().Enabled(zapcore.DebugLevel)}
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		sms := rms.At(i).ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			ms := sms.At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				p.processMetric(ms.At(k), &batch)
			}
		}
	}
	p.record(ctx, &batch.counts)
	p.summary.Add(&batch.counts)
	return md, nil
}

// cachedRefs is how many reference labels of one exemplar keep their
// decoded value in batchState.refs for the removal pass, so that it need not
// decode them again. Exemplars carry one to three; reference labels past it
// (hostile input only) are decoded twice.
const cachedRefs = 8

// batchState is what one call of processMetrics carries down the walk.
type batchState struct {
	counts linksummary.Counts
	debug  bool

	// refs[:numRefs] are the reference labels of the exemplar being
	// linked, in label order, as linkExemplar found and decoded them;
	// moreRefs says that more reference labels follow the last of them.
	// Valid until the exemplar's labels change. Labels that are no
	// reference are not kept: most labels are none, and skipping them must
	// cost next to nothing.
	refs     [cachedRefs]refLabel
	numRefs  int
	moreRefs bool
	// spare carries a label value from a label being removed to the
	// trace_id label that replaces it (see keepTraceOnly); made on first use.
	spare    pcommon.Value
	hasSpare bool
}

func (p *exemplarLinkProcessor) processMetric(m pmetric.Metric, batch *batchState) {
	// One loop per point type rather than one generic function: Go compiles
	// a generic loop over these slices to indirect calls that are not
	// inlined, which cost more than the walk itself on a batch without
	// exemplars.
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		dps := m.Gauge().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			if exs := dps.At(i).Exemplars(); exs.Len() > 0 {
				p.linkExemplars(m.Name(), exs, batch)
			}
		}
	case pmetric.MetricTypeSum:
		dps := m.Sum().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			if exs := dps.At(i).Exemplars(); exs.Len() > 0 {
				p.linkExemplars(m.Name(), exs, batch)
			}
		}
	case pmetric.MetricTypeHistogram:
		dps := m.Histogram().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			if exs := dps.At(i).Exemplars(); exs.Len() > 0 {
				p.linkExemplars(m.Name(), exs, batch)
			}
		}
	case pmetric.MetricTypeExponentialHistogram:
		dps := m.ExponentialHistogram().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			if exs := dps.At(i).Exemplars(); exs.Len() > 0 {
				p.linkExemplars(m.Name(), exs, batch)
			}
		}
	case pmetric.MetricTypeSummary, pmetric.MetricTypeEmpty:
		// Summaries carry no exemplars; an empty metric carries nothing.
	}
}

func (p *exemplarLinkProcessor) linkExemplars(metricName string, exemplars pmetric.ExemplarSlice, batch *batchState) {
	for j := 0; j < exemplars.Len(); j++ {
		ex := exemplars.At(j)
		if ex.FilteredAttributes().Len() == 0 && !batch.debug {
			// Fast path, with the outcome linkExemplar would have: without
			// labels an exemplar references no trace, or is linked already
			// when both fields are set. Other cases take the general path.
			switch noTrace, noSpan := ex.TraceID() == zeroTraceID, ex.SpanID() == zeroSpanID; {
			case noTrace && noSpan:
				continue
			case !noTrace && !noSpan:
				batch.counts.AddLinked(linksummary.SourceExemplarFields)
				continue
			}
		}
		p.linkExemplar(metricName, ex, batch)
	}
}

// labelRef is what one label says about the exemplar's trace.
type labelRef struct {
	kind    traceref.LabelKind
	trace   traceref.TraceID
	span    traceref.SpanID
	format  traceref.Format
	problem traceref.Problem
}

// mayBeReference rules out, without a call, the label names whose length
// no recognised name has: most labels.
func (p *exemplarLinkProcessor) mayBeReference(name string) bool {
	// A shift of 64 or more gives 0: such names depend on longNames.
	return p.nameLengths&(1<<len(name)) != 0 || p.longNames && len(name) >= 64
}

// labelKind says what a label name holds.
func (p *exemplarLinkProcessor) labelKind(name string) traceref.LabelKind {
	if p.configuredLabels != nil {
		if kind, ok := p.configuredLabels[name]; ok {
			return kind
		}
	}
	if p.cfg.BuiltinLabelNames {
		return traceref.BuiltinKind(name)
	}
	return traceref.NotReference
}

// refLabel is a reference label, its position among the exemplar's labels,
// and what it holds once decoded.
type refLabel struct {
	index int
	key   string
	value pcommon.Value
	labelRef
}

// decodeLabel decodes the value of a label of the given kind into ref,
// which it overwrites in place (a labelRef is too big to return cheaply
// per label). A value that is not a string cannot hold an ID: Str returns
// "" for it, which every format rejects as invalid.
func (p *exemplarLinkProcessor) decodeLabel(ref *labelRef, kind traceref.LabelKind, v pcommon.Value) {
	*ref = labelRef{kind: kind}
	switch value := v.Str(); kind {
	case traceref.TraceIDLabel:
		ref.trace, ref.problem = traceref.ParseTraceID(value, p.cfg.Pad64BitTraceIDs)
	case traceref.SpanIDLabel:
		ref.span, ref.problem = traceref.ParseSpanID(value)
	case traceref.TraceContextLabel:
		ref.trace, ref.span, ref.format, ref.problem = traceref.ParseTraceContext(value, p.cfg.Pad64BitTraceIDs)
	}
}

// exemplarRefs gathers every reference on one exemplar's labels.
type exemplarRefs struct {
	trace       traceref.TraceID
	hasTrace    bool
	traceFormat traceref.Format
	traceLabel  string
	// traceRef (its place in batchState.refs, or -1) and traceValue locate
	// the label the trace ID came from.
	traceRef   int
	traceValue pcommon.Value
	span       traceref.SpanID
	hasSpan    bool
	spanLabel  string

	// The first label that could not be converted, and the first that
	// disagreed with another reference, for the unlinked count and log.
	problem                      traceref.Problem
	problemLabel, problemValue   string
	conflict                     bool
	conflictLabel, conflictValue string
}

// add takes in one reference label; pos is its place in batchState.refs,
// or -1 when it is not kept there.
func (r *exemplarRefs) add(pos int, key string, v pcommon.Value, ref *labelRef) {
	if ref.problem != traceref.OK {
		if r.problem == traceref.OK {
			r.problem, r.problemLabel, r.problemValue = ref.problem, key, valueForLog(v)
		}
		return
	}
	if ref.kind != traceref.SpanIDLabel {
		if !r.hasTrace {
			r.trace, r.hasTrace, r.traceFormat, r.traceLabel = ref.trace, true, ref.format, key
			r.traceRef, r.traceValue = pos, v
		} else if r.trace != ref.trace {
			r.noteConflict(key, v)
		}
	}
	if ref.kind != traceref.TraceIDLabel {
		if !r.hasSpan {
			r.span, r.hasSpan, r.spanLabel = ref.span, true, key
		} else if r.span != ref.span {
			r.noteConflict(key, v)
		}
	}
}

func (r *exemplarRefs) noteConflict(key string, v pcommon.Value) {
	if !r.conflict {
		r.conflict, r.conflictLabel, r.conflictValue = true, key, valueForLog(v)
	}
}

// valueForLog returns a string value as is (it is truncated when logged)
// and the type name of any other, so nothing is formatted on the hot path.
func valueForLog(v pcommon.Value) string {
	if v.Type() == pcommon.ValueTypeStr {
		return v.Str()
	}
	return v.Type().String()
}

// resolveID decides an ID from the exemplar's field and its labels. A field
// that is set wins unless overwrite is on; a label that disagrees with it is
// a conflict.
func resolveID[ID traceref.TraceID | traceref.SpanID](field, label ID, hasLabel, overwrite bool) (id ID, fromLabel, conflict bool) {
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

func (p *exemplarLinkProcessor) linkExemplar(metricName string, ex pmetric.Exemplar, batch *batchState) {
	attrs := ex.FilteredAttributes()
	// Find the reference labels by their names alone: most exemplars have
	// none, and they must cost little more than looking at their labels.
	batch.numRefs, batch.moreRefs = 0, false
	i := 0
	attrs.Range(func(k string, v pcommon.Value) bool {
		if p.mayBeReference(k) {
			if kind := p.labelKind(k); kind != traceref.NotReference {
				if batch.numRefs == cachedRefs {
					batch.moreRefs = true
					return false // gatherUncached reads the rest
				}
				r := &batch.refs[batch.numRefs]
				r.index, r.key, r.value, r.kind = i, k, v, kind
				batch.numRefs++
			}
		}
		i++
		return true
	})

	fieldTrace, fieldSpan := ex.TraceID(), ex.SpanID()
	if batch.numRefs == 0 && fieldTrace == zeroTraceID && fieldSpan == zeroSpanID {
		return // references no trace at all
	}

	var refs exemplarRefs
	for pos := range batch.numRefs {
		r := &batch.refs[pos]
		p.decodeLabel(&r.labelRef, r.kind, r.value)
		refs.add(pos, r.key, r.value, &r.labelRef)
	}
	if batch.moreRefs {
		p.gatherUncached(attrs, &refs, batch)
	}
	hasLabels := refs.hasTrace || refs.hasSpan

	trace, traceFromLabel, traceConflict := resolveID(traceref.TraceID(fieldTrace), refs.trace, refs.hasTrace, p.cfg.OverwriteExistingIDs)
	span, _, spanConflict := resolveID(traceref.SpanID(fieldSpan), refs.span, refs.hasSpan, p.cfg.OverwriteExistingIDs)
	if traceConflict {
		refs.noteConflictLabel(refs.traceLabel, attrs)
	}
	if spanConflict {
		refs.noteConflictLabel(refs.spanLabel, attrs)
	}
	if refs.conflict {
		// Labels that disagree cannot be resolved without guessing: leave the
		// exemplar exactly as it came.
		batch.counts.AddUnlinked(linksummary.ReasonConflict, metricName, refs.conflictLabel, refs.conflictValue)
		return
	}

	hasTrace, hasSpan := trace != traceref.TraceID{}, span != traceref.SpanID{}
	switch {
	case hasTrace && hasSpan:
		// Fields that already hold these IDs (OTLP input) need no write.
		if trace != traceref.TraceID(fieldTrace) {
			ex.SetTraceID(pcommon.TraceID(trace))
		}
		if span != traceref.SpanID(fieldSpan) {
			ex.SetSpanID(pcommon.SpanID(span))
		}
		if hasLabels {
			p.removeConverted(attrs, trace, span, "", batch)
		}
		batch.counts.AddLinked(sourceOf(traceFromLabel, refs.traceFormat))
		if batch.debug {
			p.logger.Debug("Exemplar linked",
				zap.String("metric", linksummary.Truncate(metricName, 2*linksummary.MaxValueLength)),
				zap.String("trace_label", linksummary.Truncate(refs.traceLabel, linksummary.MaxValueLength)),
				zap.String("span_label", linksummary.Truncate(refs.spanLabel, linksummary.MaxValueLength)),
				zap.String("trace_id", pcommon.TraceID(trace).String()),
				zap.String("span_id", pcommon.SpanID(span).String()))
		}
	case hasTrace:
		p.keepTraceOnly(ex, attrs, trace, &refs, metricName, batch)
		batch.counts.AddUnlinked(refs.unlinkedReason(linksummary.ReasonMissingSpanID), metricName, refs.problemLabel, refs.problemValue)
	case hasSpan:
		batch.counts.AddUnlinked(refs.unlinkedReason(linksummary.ReasonMissingTraceID), metricName, refs.problemLabel, refs.problemValue)
	default:
		batch.counts.AddUnlinked(refs.unlinkedReason(linksummary.ReasonInvalidValue), metricName, refs.problemLabel, refs.problemValue)
	}
}

// gatherUncached decodes into refs the reference labels past the cached
// ones, which only hostile input has.
func (p *exemplarLinkProcessor) gatherUncached(attrs pcommon.Map, refs *exemplarRefs, batch *batchState) {
	last := batch.refs[cachedRefs-1].index
	var ref labelRef
	i := 0
	attrs.Range(func(k string, v pcommon.Value) bool {
		if i > last {
			if kind := p.labelKind(k); kind != traceref.NotReference {
				p.decodeLabel(&ref, kind, v)
				refs.add(-1, k, v, &ref)
			}
		}
		i++
		return true
	})
}

// noteConflictLabel records a label that disagrees with an ID the exemplar
// already carries.
func (r *exemplarRefs) noteConflictLabel(key string, attrs pcommon.Map) {
	v, _ := attrs.Get(key)
	r.noteConflict(key, v)
}

// unlinkedReason prefers the concrete fault of a label (an invalid or zero
// value) over the generic missing-ID reason it caused.
func (r *exemplarRefs) unlinkedReason(missing linksummary.Reason) linksummary.Reason {
	switch r.problem {
	case traceref.Invalid:
		return linksummary.ReasonInvalidValue
	case traceref.ZeroID:
		return linksummary.ReasonZeroID
	}
	return missing
}

func sourceOf(fromLabel bool, format traceref.Format) linksummary.Source {
	if !fromLabel {
		return linksummary.SourceExemplarFields
	}
	switch format {
	case traceref.FormatTraceparent:
		return linksummary.SourceTraceparent
	case traceref.FormatUberTraceID:
		return linksummary.SourceUberTraceID
	case traceref.FormatB3:
		return linksummary.SourceB3
	}
	return linksummary.SourceIDLabel
}

// removeConverted drops the labels whose every ID now sits in the
// exemplar's fields, keeping the order of the others. keep names a label to
// leave in place for the caller to update. The labels must be those that
// linkExemplar read into batch.refs, unchanged.
func (p *exemplarLinkProcessor) removeConverted(attrs pcommon.Map, trace traceref.TraceID, span traceref.SpanID, keep string, batch *batchState) {
	if keep == "" && !batch.moreRefs && batch.numRefs == attrs.Len() && batch.allConverted(trace, span) {
		// Every label was a reference now in the fields, the common case:
		// no need to visit the labels again.
		attrs.Clear()
		return
	}
	i, next := 0, 0
	var uncached labelRef
	attrs.RemoveIf(func(k string, v pcommon.Value) bool {
		index := i
		i++
		var ref *labelRef
		switch {
		case next < batch.numRefs && batch.refs[next].index == index:
			ref = &batch.refs[next].labelRef
			next++
		case batch.moreRefs && next == batch.numRefs:
			// Past the cached reference labels: decode again.
			kind := p.labelKind(k)
			if kind == traceref.NotReference {
				return false
			}
			p.decodeLabel(&uncached, kind, v)
			ref = &uncached
		default:
			return false // not a reference label
		}
		return k != keep && ref.converted(trace, span)
	})
}

// allConverted reports whether every cached reference label holds only IDs
// that are now in the exemplar's fields.
func (b *batchState) allConverted(trace traceref.TraceID, span traceref.SpanID) bool {
	for i := range b.numRefs {
		if !b.refs[i].converted(trace, span) {
			return false
		}
	}
	return true
}

// converted reports whether every ID the label holds is now in the
// exemplar's fields, so that the label can go.
func (r *labelRef) converted(trace traceref.TraceID, span traceref.SpanID) bool {
	if r.problem != traceref.OK {
		return false
	}
	switch r.kind {
	case traceref.TraceIDLabel:
		return r.trace == trace
	case traceref.SpanIDLabel:
		return r.span == span
	default:
		return r.trace == trace && r.span == span
	}
}

// keepTraceOnly places the trace ID of an exemplar that has no span ID
// where the configured mode says.
func (p *exemplarLinkProcessor) keepTraceOnly(ex pmetric.Exemplar, attrs pcommon.Map, trace traceref.TraceID, refs *exemplarRefs, metricName string, batch *batchState) {
	hasLabels := refs.hasTrace || refs.hasSpan
	if p.cfg.TraceOnlyExemplars == TraceOnlyField {
		ex.SetTraceID(pcommon.TraceID(trace))
		if hasLabels {
			p.removeConverted(attrs, trace, traceref.SpanID{}, "", batch)
		}
		return
	}

	// A trace_id label that holds anything but this trace ID is the
	// sender's data: leave the whole exemplar as it is rather than replace
	// it.
	v, hasTraceOnlyLabel := attrs.Get(traceOnlyLabel)
	if hasTraceOnlyLabel {
		if v.Type() != pcommon.ValueTypeStr {
			return
		}
		if id, problem := traceref.ParseTraceID(v.Str(), p.cfg.Pad64BitTraceIDs); problem != traceref.OK || id != trace {
			return
		}
	}
	var digits [2 * len(traceref.TraceID{})]byte
	hex.Encode(digits[:], trace[:])
	moved := !hasTraceOnlyLabel && p.takeTraceLabelValue(trace, digits[:], refs, batch)
	if hasLabels {
		p.removeConverted(attrs, trace, traceref.SpanID{}, traceOnlyLabel, batch)
	}
	switch v, ok := attrs.Get(traceOnlyLabel); {
	case ok:
		if v.Str() != string(digits[:]) {
			v.SetStr(string(digits[:]))
		}
	case moved:
		batch.spare.MoveTo(attrs.PutEmpty(traceOnlyLabel))
	default:
		attrs.PutStr(traceOnlyLabel, string(digits[:]))
	}
	ex.SetTraceID(pcommon.NewTraceIDEmpty())
	if batch.debug {
		p.logger.Debug("Exemplar has no span ID; trace ID kept as a label",
			zap.String("metric", linksummary.Truncate(metricName, 2*linksummary.MaxValueLength)),
			zap.String("label", traceOnlyLabel),
			zap.String("trace_id", string(digits[:])))
	}
}

// takeTraceLabelValue moves the value of the label the trace ID came from
// into batch.spare when that value already is the trace_id label's value
// (32 lower-case hex digits, the common case) and removeConverted is
// certain to drop that label: the trace_id label can then take the value
// as it is, instead of allocating a new string and value. It reports
// whether it moved the value; the label, now empty, must be removed.
func (p *exemplarLinkProcessor) takeTraceLabelValue(trace traceref.TraceID, digits []byte, refs *exemplarRefs, batch *batchState) bool {
	if !refs.hasTrace || refs.traceRef < 0 || refs.traceLabel == traceOnlyLabel {
		return false
	}
	// removeConverted drops a trace-ID label whose ID is this trace ID.
	if ref := &batch.refs[refs.traceRef]; ref.kind != traceref.TraceIDLabel || ref.problem != traceref.OK || ref.trace != trace {
		return false
	}
	if refs.traceValue.Str() != string(digits) {
		return false
	}
	if !batch.hasSpare {
		batch.spare, batch.hasSpare = pcommon.NewValueEmpty(), true
	}
	refs.traceValue.MoveTo(batch.spare)
	return true
}

func (p *exemplarLinkProcessor) record(ctx context.Context, c *linksummary.Counts) {
	for s, n := range c.Linked {
		if n > 0 {
			p.telemetry.ProcessorExemplarLinkExemplarsLinked.Add(ctx, n, p.linkedOptions[s])
		}
	}
	for r, n := range c.Unlinked {
		if n > 0 {
			p.telemetry.ProcessorExemplarLinkExemplarsUnlinked.Add(ctx, n, p.unlinkedOptions[r])
		}
	}
}
