package exemplarlinkprocessor // import "github.com/exemplarlink/exemplarlinkprocessor"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/exemplarlink/exemplarlinkprocessor/internal/linkcheck"
	"github.com/exemplarlink/exemplarlinkprocessor/internal/linkplan"
	"github.com/exemplarlink/exemplarlinkprocessor/internal/linksummary"
	"github.com/exemplarlink/exemplarlinkprocessor/internal/metadata"
	"github.com/exemplarlink/exemplarlinkprocessor/internal/spanindex"
	"github.com/exemplarlink/exemplarlinkprocessor/internal/traceref"
)

// zeroTraceID and zeroSpanID are the empty IDs. Comparing an exemplar's ID
// with them reads the field directly; the IsEmpty methods copy the 16 bytes
// through the stack three times, which on a batch without ID labels cost
// as much as the rest of the walk (10.7 to 4.0 ns per exemplar on
// BenchmarkExemplarLink/batch=otlp_ids).
var (
	zeroTraceID pcommon.TraceID
	zeroSpanID  pcommon.SpanID
)

type exemplarLinkProcessor struct {
	cfg       *Config
	logger    *zap.Logger
	telemetry *metadata.TelemetryBuilder
	summary   *linksummary.Logger

	// reader recognises reference labels by name and decodes their values.
	reader *traceref.Reader
	// settings are what linkplan.Decide needs of the config.
	settings linkplan.Settings
	// loneTraceIDKeyIsRef says that reader recognises the LoneTraceIDKey
	// label as a trace-ID label, so collect finds it among the references.
	loneTraceIDKeyIsRef bool
	// collectOthers says that collect must look at labels that are no
	// reference too (see collectOther).
	collectOthers bool

	// links holds the state shared with this component ID's instances in
	// other pipelines; link is this instance's, from start to shutdown.
	links *sharedLinks
	id    component.ID
	link  *sharedLink
	// holder holds batches whose trace-only exemplars wait for spans
	// (hold.go); nil when wait::max_wait is 0.
	holder *holder
	// checks judges the links that leave (checks.go); nil when
	// span_index::max_checked_links is 0.
	checks *linkChecks

	// Attribute sets are built once so recording a batch's counts does not
	// allocate them again.
	linkedOptions   [linkplan.NumSources]metric.AddOption
	unlinkedOptions [linkplan.NumReasons]metric.AddOption
	checkedOptions  [numResults]metric.AddOption
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
		reader: traceref.NewReader(traceref.Config{
			BuiltinNames:      cfg.BuiltinLabelNames,
			TraceIDNames:      cfg.TraceIDLabels,
			SpanIDNames:       cfg.SpanIDLabels,
			TraceContextNames: cfg.TraceContextLabels,
			Pad64BitTraceIDs:  cfg.Pad64BitTraceIDs,
		}),
		settings: linkplan.Settings{
			OverwriteExistingIDs: cfg.OverwriteExistingIDs,
			TraceOnlyInField:     cfg.TraceOnlyExemplars == TraceOnlyField,
			DetectIDsByValue:     cfg.DetectIDsByValue,
			LinkUnsampled:        cfg.LinkUnsampled,
			LinkOnlyExported:     cfg.LinkOnlyExportedSpans,
		},
	}
	if cfg.SpanIndex.MaxCheckedLinks > 0 {
		p.checks = newLinkChecks(p)
	}
	p.loneTraceIDKeyIsRef = p.reader.Kind(linkplan.LoneTraceIDKey) == traceref.TraceIDLabel
	p.collectOthers = !p.loneTraceIDKeyIsRef || cfg.DetectIDsByValue ||
		cfg.LinkOnlyExportedSpans && p.reader.Kind(linkplan.SpanIDKey) != traceref.SpanIDLabel
	p.buildCountOptions()
	return p, nil
}

func (p *exemplarLinkProcessor) start(context.Context, component.Host) error {
	if p.links != nil {
		p.link = p.links.acquire(p.id, p.cfg, false)
		p.holder.start(p.link)
		p.checks.start(p.link)
	}
	p.logStart()
	return nil
}

func (p *exemplarLinkProcessor) shutdown(context.Context) error {
	p.holder.shutdown() // before the link goes: held batches are linked as they leave
	p.checks.shutdown()
	if p.link != nil {
		p.links.release(p.id, p.link)
		p.link = nil
	}
	p.summary.Flush()
	p.telemetry.Shutdown()
	return nil
}

// batchState is what one call of processMetrics carries down the walk.
type batchState struct {
	counts linksummary.Counts
	debug  bool
	// evidence and plan are the scratch space collect and Decide fill for
	// each exemplar in turn.
	evidence linkplan.Evidence
	plan     linkplan.Plan
	// spare carries a label value from a label being removed to the
	// LoneTraceIDKey label that replaces it (see apply); made on first use.
	spare    pcommon.Value
	hasSpare bool
	// traces is the span index and resolution cache, when this component
	// ID is also in a traces pipeline; pointTime is the timestamp of the
	// data point whose exemplars are walked; spans is lookUpSpan's scratch.
	traces    *traceState
	pointTime pcommon.Timestamp
	spans     []spanindex.Span
	// at is where the walk is, pending the exemplars that wait for their
	// spans, now when the first began waiting, and final says that waiting
	// is over (hold.go).
	at      exemplarPath
	pending *pendingBatch
	now     int64
	final   bool
	// exportedOnly: link_only_exported_spans with a traces pipeline.
	exportedOnly bool
	// links are the links that left, for the link check (checks.go), from
	// the first (checking); checkAfter is the time up to which links are
	// not judged; ownsBuf says links is linkChecks' shared list.
	links      []linkcheck.Link
	checking   bool
	ownsBuf    bool
	checkAfter int64
}

// processMetrics walks resource → scope → metric → data point → exemplar
// once, changing exemplars in place.
func (p *exemplarLinkProcessor) processMetrics(ctx context.Context, md pmetric.Metrics) (pmetric.Metrics, error) {
	var batch batchState
	p.startBatch(&batch)
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		batch.at.resource = i
		sms := rms.At(i).ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			batch.at.scope = j
			ms := sms.At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				batch.at.metric = k
				p.processMetric(ms.At(k), &batch)
			}
		}
	}
	p.endBatch(ctx, &batch)
	if batch.pending != nil {
		p.holder.register(md, batch.pending)
	}
	return md, nil
}

// startBatch readies batch, zero, for a batch's walk. It fills the
// caller's batchState in place: returned by value, its 1.3 KB were copied
// once more per batch (BenchmarkExemplarLink/batch=no_exemplars).
func (p *exemplarLinkProcessor) startBatch(batch *batchState) {
	batch.debug = p.logger.Core().Enabled(zapcore.DebugLevel)
	if p.link != nil {
		batch.traces = p.link.traces.Load()
	}
	batch.exportedOnly = batch.traces != nil && p.settings.LinkOnlyExported
}

// endBatch records what the walk counted and checks the links that left.
func (p *exemplarLinkProcessor) endBatch(ctx context.Context, batch *batchState) {
	p.record(ctx, &batch.counts)
	p.summary.Add(&batch.counts)
	if batch.checking {
		p.checks.check(ctx, batch.traces, batch.links)
		p.checks.putBuf(batch.links, batch.ownsBuf)
	}
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
				batch.pointTime, batch.at.point = dps.At(i).Timestamp(), i
				p.linkExemplars(m.Name(), exs, batch)
			}
		}
	case pmetric.MetricTypeSum:
		dps := m.Sum().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			if exs := dps.At(i).Exemplars(); exs.Len() > 0 {
				batch.pointTime, batch.at.point = dps.At(i).Timestamp(), i
				p.linkExemplars(m.Name(), exs, batch)
			}
		}
	case pmetric.MetricTypeHistogram:
		dps := m.Histogram().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			if exs := dps.At(i).Exemplars(); exs.Len() > 0 {
				batch.pointTime, batch.at.point = dps.At(i).Timestamp(), i
				p.linkExemplars(m.Name(), exs, batch)
			}
		}
	case pmetric.MetricTypeExponentialHistogram:
		dps := m.ExponentialHistogram().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			if exs := dps.At(i).Exemplars(); exs.Len() > 0 {
				batch.pointTime, batch.at.point = dps.At(i).Timestamp(), i
				p.linkExemplars(m.Name(), exs, batch)
			}
		}
	case pmetric.MetricTypeSummary, pmetric.MetricTypeEmpty:
		// Summaries carry no exemplars; an empty metric carries nothing.
	}
}
