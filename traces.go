package exemplarlinkprocessor // import "github.com/exemplarlink/exemplarlinkprocessor"

import (
	"context"
	"math"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"
	"go.uber.org/zap"

	"github.com/exemplarlink/exemplarlinkprocessor/internal/spanindex"
)

// This file holds trace-aware linking: the traces side, which records the
// spans that pass, and the metrics side's lookup for an exemplar with a
// trace ID and no span ID.

// tracesSide is exemplar_link in a traces pipeline: it passes spans on
// untouched and records them in the index it shares with the metrics
// pipelines of the same component ID.
type tracesSide struct {
	cfg    *Config
	id     component.ID
	links  *sharedLinks
	logger *zap.Logger
	// link and index are set by start.
	link  *sharedLink
	index *spanindex.Index
}

func (links *sharedLinks) createTracesProcessor(
	ctx context.Context,
	set processor.Settings,
	cfg component.Config,
	next consumer.Traces,
) (processor.Traces, error) {
	t := &tracesSide{cfg: cfg.(*Config), id: set.ID, links: links, logger: set.Logger}
	return processorhelper.NewTraces(
		ctx,
		set,
		cfg,
		next,
		t.processTraces,
		processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
		processorhelper.WithStart(t.start),
		processorhelper.WithShutdown(t.shutdown),
	)
}

func (t *tracesSide) start(context.Context, component.Host) error {
	t.link = t.links.acquire(t.id, t.cfg, true)
	t.index = t.link.traces.Load().index
	t.logger.Info("Exemplar link processor records spans for trace-only exemplars",
		zap.Int("span_index::max_spans", t.cfg.SpanIndex.MaxSpans),
		zap.Duration("span_index::max_age", t.cfg.SpanIndex.MaxAge),
		zap.Int("span_index::max_resolutions", t.cfg.SpanIndex.MaxResolutions))
	return nil
}

func (t *tracesSide) shutdown(context.Context) error {
	if t.link != nil {
		t.links.release(t.id, t.link)
		t.link, t.index = nil, nil
	}
	return nil
}

// writeChunk is how many spans are added per hold of the index's write
// lock, so that a large batch does not keep the metrics side waiting.
const writeChunk = 512

// processTraces records every span of the batch and changes nothing.
func (t *tracesSide) processTraces(_ context.Context, td ptrace.Traces) (ptrace.Traces, error) {
	now := time.Now()
	index := t.index
	index.BeginWrite(now)
	n := 0
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				span := spans.At(k)
				var s spanindex.Span
				if !toIndexed(span, &s) {
					continue
				}
				index.Add(&s)
				if n++; n == writeChunk {
					index.EndWrite()
					index.BeginWrite(now)
					n = 0
				}
			}
		}
	}
	index.EndWrite()
	t.link.spans.notify() // held metrics batches may wait for these
	return td, nil
}

// Span flags of OTLP (trace.proto SpanFlags): whether the parent is
// remote is known, and it is.
const (
	flagHasIsRemote = 0x100
	flagIsRemote    = 0x200
)

// toIndexed fills s from span; a span without both IDs is not recorded.
func toIndexed(span ptrace.Span, s *spanindex.Span) bool {
	s.TraceID, s.SpanID = span.TraceID(), span.SpanID()
	if s.TraceID == zeroTraceID || s.SpanID == zeroSpanID {
		return false
	}
	s.Start, s.End = toNanos(span.StartTimestamp()), toNanos(span.EndTimestamp())
	if s.End < s.Start {
		s.End = s.Start // a malformed span is an instant, not a negative interval
	}
	kind := span.Kind()
	s.Entry = kind == ptrace.SpanKindServer || kind == ptrace.SpanKindConsumer ||
		span.Flags()&(flagHasIsRemote|flagIsRemote) == flagHasIsRemote|flagIsRemote
	return true
}

func toNanos(ts pcommon.Timestamp) int64 {
	return int64(min(uint64(ts), math.MaxInt64))
}

// traceOnlyKey returns the resolution-cache key of ex, a trace-only
// exemplar of trace on a point stamped pointTime, and whether ex has a
// timestamp of its own.
func traceOnlyKey(ex pmetric.Exemplar, trace pcommon.TraceID, pointTime pcommon.Timestamp) (spanindex.ResolutionKey, bool) {
	// The prometheus receiver stamps an exemplar without a timestamp with
	// the scrape time, the point's timestamp: that is no timestamp.
	at := ex.Timestamp()
	hasTime := at != 0 && at != pointTime
	key := spanindex.ResolutionKey{TraceID: trace}
	if hasTime {
		key.Timestamp = toNanos(at)
	}
	if ex.ValueType() == pmetric.ExemplarValueTypeInt {
		key.Value = spanindex.ValueBits(true, ex.IntValue(), 0)
	} else {
		key.Value = spanindex.ValueBits(false, 0, math.Float64bits(ex.DoubleValue()))
	}
	return key, hasTime
}

// resolve answers from the resolution cache, else from the index, and
// remembers what the index found. buf is Lookup's scratch, returned.
func (traces *traceState) resolve(key *spanindex.ResolutionKey, hasTime bool, buf []spanindex.Span) (spanindex.Result, []spanindex.Span) {
	if span, ok := traces.resolutions.Get(key); ok {
		return spanindex.Result{SpanID: span, Outcome: spanindex.Found}, buf
	}
	if buf == nil {
		// One allocation per batch that needs the index, enough for a
		// span, its parents and a few siblings.
		buf = make([]spanindex.Span, 0, 16)
	}
	res, buf := traces.index.Lookup(key.TraceID, key.Timestamp, hasTime, buf)
	if res.Outcome == spanindex.Found {
		traces.resolutions.Put(key, res.SpanID)
	}
	return res, buf
}
