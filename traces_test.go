package exemplarlinkprocessor

import (
	"context"
	"encoding/binary"
	"sync"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/ptracetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/exemplarlink/exemplarlinkprocessor/internal/metadata"
)

// t0 is when the requests of these tests start; scrape is when the target
// was scraped, the data points' timestamp.
var (
	t0     = time.Unix(1_763_700_000, 0)
	scrape = t0.Add(15 * time.Second)
)

const (
	serverSpanHex = "00f067aa0ba90201"
	childSpanHex  = "00f067aa0ba90202"
)

func ts(d time.Duration) pcommon.Timestamp { return pcommon.NewTimestampFromTime(t0.Add(d)) }

// spansOf returns one span per spec, all in the trace traceHex unless the
// spec names another.
type spanSpec struct {
	trace, span string
	kind        ptrace.SpanKind
	start, end  time.Duration
}

func spansOf(tb testing.TB, specs ...spanSpec) ptrace.Traces {
	td := ptrace.NewTraces()
	spans := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	for _, s := range specs {
		span := spans.AppendEmpty()
		var tid pcommon.TraceID
		var sid pcommon.SpanID
		trace := s.trace
		if trace == "" {
			trace = traceHex
		}
		decodeInto(tb, tid[:], trace)
		decodeInto(tb, sid[:], s.span)
		span.SetTraceID(tid)
		span.SetSpanID(sid)
		span.SetKind(s.kind)
		span.SetStartTimestamp(ts(s.start))
		span.SetEndTimestamp(ts(s.end))
	}
	return td
}

// request is one traced request: a server span 0..100 ms, a database call
// 20..40 ms inside it.
func request(tb testing.TB) ptrace.Traces {
	return spansOf(tb,
		spanSpec{span: serverSpanHex, kind: ptrace.SpanKindServer, start: 0, end: 100 * time.Millisecond},
		spanSpec{span: childSpanHex, kind: ptrace.SpanKindClient, start: 20 * time.Millisecond, end: 40 * time.Millisecond},
	)
}

// scrapeWith returns a scrape's histogram whose exemplar carries the
// trace_id label, as the guides' clients write it, observed at at (or
// without a timestamp of its own when at is scrape).
func scrapeWith(at time.Time, value float64) pmetric.Metrics {
	md := pmetric.NewMetrics()
	m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("http_server_duration_seconds")
	dp := m.SetEmptyHistogram().DataPoints().AppendEmpty()
	dp.SetTimestamp(pcommon.NewTimestampFromTime(scrape))
	ex := dp.Exemplars().AppendEmpty()
	ex.SetDoubleValue(value)
	ex.SetTimestamp(pcommon.NewTimestampFromTime(at))
	ex.FilteredAttributes().PutStr("trace_id", traceHex)
	return md
}

// pair is exemplar_link listed in one traces and one metrics pipeline
// under one component ID, created by one factory from one config.
type pair struct {
	traces  processor.Traces
	metrics processor.Metrics
	spans   *consumertest.TracesSink
	sink    *consumertest.MetricsSink
	tel     *componenttest.Telemetry
}

func newPair(t *testing.T, f processor.Factory, cfg *Config, id component.ID) *pair {
	t.Helper()
	// These tests show issue 23's rules, what the index holds at the
	// scrape: no wait for spans still to come (hold_test.go covers it).
	noWait := *cfg
	noWait.Wait.MaxWait = 0
	cfg = &noWait
	p := &pair{spans: new(consumertest.TracesSink), sink: new(consumertest.MetricsSink), tel: componenttest.NewTelemetry()}
	t.Cleanup(func() { require.NoError(t, p.tel.Shutdown(context.Background())) })
	set := processortest.NewNopSettings(metadata.Type)
	set.ID = id
	set.TelemetrySettings = p.tel.NewTelemetrySettings()
	var err error
	p.traces, err = f.CreateTraces(t.Context(), set, cfg, p.spans)
	require.NoError(t, err)
	p.metrics, err = f.CreateMetrics(t.Context(), set, cfg, p.sink)
	require.NoError(t, err)
	require.NoError(t, p.traces.Start(t.Context(), componenttest.NewNopHost()))
	require.NoError(t, p.metrics.Start(t.Context(), componenttest.NewNopHost()))
	t.Cleanup(func() {
		require.NoError(t, p.metrics.Shutdown(context.Background()))
		require.NoError(t, p.traces.Shutdown(context.Background()))
	})
	return p
}

// last returns the one exemplar of the last batch that left.
func (p *pair) last(t *testing.T) pmetric.Exemplar {
	t.Helper()
	all := p.sink.AllMetrics()
	require.NotEmpty(t, all)
	md := all[len(all)-1]
	return md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Histogram().DataPoints().At(0).Exemplars().At(0)
}

func linkedTo(t *testing.T, ex pmetric.Exemplar, span string) {
	t.Helper()
	assert.Equal(t, traceHex, ex.TraceID().String())
	assert.Equal(t, span, ex.SpanID().String())
	assert.Equal(t, 0, ex.FilteredAttributes().Len(), "the trace_id label went into the field")
}

func unlinkedAsBefore(t *testing.T, ex pmetric.Exemplar) {
	t.Helper()
	assert.True(t, ex.TraceID().IsEmpty())
	assert.True(t, ex.SpanID().IsEmpty())
	v, ok := ex.FilteredAttributes().Get("trace_id")
	assert.True(t, ok)
	assert.Equal(t, traceHex, v.Str())
}

// TestTraceAwareLinkingThroughTheFactory: a trace-only exemplar whose spans
// passed the same exemplar_link earlier leaves linked to the span active
// at its observation, and stays linked on later points after its spans
// were evicted.
func TestTraceAwareLinkingThroughTheFactory(t *testing.T) {
	t.Parallel()
	cfg := defaultConfig()
	cfg.SpanIndex.MaxSpans = 4
	p := newPair(t, NewFactory(), cfg, component.NewIDWithName(metadata.Type, "link"))

	in := request(t)
	require.NoError(t, p.traces.ConsumeTraces(t.Context(), in))
	assert.False(t, p.traces.Capabilities().MutatesData)
	require.Len(t, p.spans.AllTraces(), 1)
	assert.NoError(t, ptracetest.CompareTraces(request(t), p.spans.AllTraces()[0]), "spans pass untouched")

	for _, tc := range []struct {
		name string
		at   time.Time
		want string
	}{
		{"in the database call: the child span", t0.Add(30 * time.Millisecond), childSpanHex},
		{"in the handler: the server span", t0.Add(60 * time.Millisecond), serverSpanHex},
		{"3 ms after the end", t0.Add(103 * time.Millisecond), serverSpanHex},
		{"1 ms before the start", t0.Add(-time.Millisecond), serverSpanHex},
		{"no timestamp: the entry span", scrape, serverSpanHex},
	} {
		require.NoError(t, p.metrics.ConsumeMetrics(t.Context(), scrapeWith(tc.at, 0.25)), tc.name)
		ex := p.last(t)
		linkedTo(t, ex, tc.want)
	}

	// Other traces' spans evict the request's.
	require.NoError(t, p.traces.ConsumeTraces(t.Context(), spansOf(t,
		spanSpec{trace: "0af7651916cd43dd8448eb211c80319c", span: "1000000000000001"},
		spanSpec{trace: "0af7651916cd43dd8448eb211c80319c", span: "1000000000000002"},
		spanSpec{trace: "0af7651916cd43dd8448eb211c80319c", span: "1000000000000003"},
		spanSpec{trace: "0af7651916cd43dd8448eb211c80319c", span: "1000000000000004"},
	)))
	// The next scrape re-exposes the exemplar linked first: it stays
	// linked to the child span.
	require.NoError(t, p.metrics.ConsumeMetrics(t.Context(), scrapeWith(t0.Add(30*time.Millisecond), 0.25)))
	linkedTo(t, p.last(t), childSpanHex)
	// A new exemplar of that trace cannot be resolved any more.
	require.NoError(t, p.metrics.ConsumeMetrics(t.Context(), scrapeWith(t0.Add(50*time.Millisecond), 0.5)))
	unlinkedAsBefore(t, p.last(t))

	linked, unlinked := counterTotals(t, p.tel)
	assert.Equal(t, map[string]int64{"traces": 6}, linked)
	assert.Equal(t, map[string]int64{"trace_not_seen": 1}, unlinked)
}

// TestTraceAwareReasons: what is counted when no span can be chosen.
func TestTraceAwareReasons(t *testing.T) {
	t.Parallel()
	p := newPair(t, NewFactory(), defaultConfig(), component.NewID(metadata.Type))
	// Two entry spans in one trace (a server span calling its own service),
	// with two parallel calls at 20..40 and 30..50 ms.
	require.NoError(t, p.traces.ConsumeTraces(t.Context(), spansOf(t,
		spanSpec{span: serverSpanHex, kind: ptrace.SpanKindServer, start: 0, end: 100 * time.Millisecond},
		spanSpec{span: "00f067aa0ba90203", kind: ptrace.SpanKindConsumer, start: 10 * time.Millisecond, end: 90 * time.Millisecond},
		spanSpec{span: childSpanHex, start: 20 * time.Millisecond, end: 40 * time.Millisecond},
		spanSpec{span: "00f067aa0ba90204", start: 30 * time.Millisecond, end: 50 * time.Millisecond},
	)))
	for _, at := range []time.Time{
		scrape,                         // no timestamp, two entry spans: ambiguous
		t0.Add(35 * time.Millisecond),  // two non-nested candidates: ambiguous
		t0.Add(500 * time.Millisecond), // no span then: span_not_found
	} {
		require.NoError(t, p.metrics.ConsumeMetrics(t.Context(), scrapeWith(at, 0.25)))
		unlinkedAsBefore(t, p.last(t))
	}
	_, unlinked := counterTotals(t, p.tel)
	assert.Equal(t, map[string]int64{"ambiguous": 2, "span_not_found": 1}, unlinked)
}

// TestMetricsOnlyPlacementUnchanged: without a traces pipeline, a
// trace-only exemplar leaves as it always did, even when another
// component ID of the same factory sees the trace's spans.
func TestMetricsOnlyPlacementUnchanged(t *testing.T) {
	t.Parallel()
	f := NewFactory()
	p := newPair(t, f, defaultConfig(), component.NewIDWithName(metadata.Type, "with_traces"))
	require.NoError(t, p.traces.ConsumeTraces(t.Context(), request(t)))

	proc, sink := newTestProcessorFrom(t, f, component.NewIDWithName(metadata.Type, "metrics_only"))
	require.NoError(t, proc.ConsumeMetrics(t.Context(), scrapeWith(t0.Add(30*time.Millisecond), 0.25)))
	require.Len(t, sink.AllMetrics(), 1)
	ex := sink.AllMetrics()[0].ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Histogram().DataPoints().At(0).Exemplars().At(0)
	unlinkedAsBefore(t, ex)
}

func newTestProcessorFrom(t *testing.T, f processor.Factory, id component.ID) (processor.Metrics, *consumertest.MetricsSink) {
	t.Helper()
	set := processortest.NewNopSettings(metadata.Type)
	set.ID = id
	sink := new(consumertest.MetricsSink)
	proc, err := f.CreateMetrics(t.Context(), set, defaultConfig(), sink)
	require.NoError(t, err)
	require.NoError(t, proc.Start(t.Context(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, proc.Shutdown(context.Background())) })
	return proc, sink
}

// TestSharedStateLifecycle: nothing is held for instances that are only
// created (`otelcol validate`); the link lives from the first Start to the
// last Shutdown, whatever the order.
func TestSharedStateLifecycle(t *testing.T) {
	t.Parallel()
	links := newSharedLinks()
	f := newFactory(links)
	set := processortest.NewNopSettings(metadata.Type)
	cfg := defaultConfig()
	tp, err := f.CreateTraces(t.Context(), set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	mp, err := f.CreateMetrics(t.Context(), set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	assert.Zero(t, links.live(), "created, not started")
	require.NoError(t, tp.Shutdown(t.Context()))
	require.NoError(t, mp.Shutdown(t.Context()))
	assert.Zero(t, links.live(), "shut down without a start")

	tp, err = f.CreateTraces(t.Context(), set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	mp, err = f.CreateMetrics(t.Context(), set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, mp.Start(t.Context(), componenttest.NewNopHost()))
	require.NoError(t, tp.Start(t.Context(), componenttest.NewNopHost()))
	assert.Equal(t, 1, links.live())
	require.NoError(t, tp.Shutdown(t.Context()))
	assert.Equal(t, 1, links.live(), "the metrics side still runs")
	require.NoError(t, mp.Shutdown(t.Context()))
	assert.Zero(t, links.live(), "freed at the last shutdown")
}

// TestSpansThroughTwoTracesPipelinesCountOnce: the same spans through two
// traces pipelines are recorded once.
func TestSpansThroughTwoTracesPipelinesCountOnce(t *testing.T) {
	t.Parallel()
	links := newSharedLinks()
	f := newFactory(links)
	set := processortest.NewNopSettings(metadata.Type)
	cfg := defaultConfig()
	for range 2 {
		tp, err := f.CreateTraces(t.Context(), set, cfg, consumertest.NewNop())
		require.NoError(t, err)
		require.NoError(t, tp.Start(t.Context(), componenttest.NewNopHost()))
		t.Cleanup(func() { require.NoError(t, tp.Shutdown(context.Background())) })
		require.NoError(t, tp.ConsumeTraces(t.Context(), request(t)))
	}
	links.mu.Lock()
	index := links.byID[set.ID].traces.Load().index
	links.mu.Unlock()
	assert.Equal(t, 2, index.Len())
}

// TestSeveralPipelinesAtOnce runs two traces and two metrics pipelines of
// one component ID concurrently; run with -race. Every exemplar leaves
// linked to the span it was observed in or unlinked, never to another.
func TestSeveralPipelinesAtOnce(t *testing.T) {
	t.Parallel()
	f := NewFactory()
	cfg := defaultConfig()
	cfg.SpanIndex.MaxSpans = 64
	id := component.NewIDWithName(metadata.Type, "race")
	a, b := newPair(t, f, cfg, id), newPair(t, f, cfg, id)
	var wg sync.WaitGroup
	for _, p := range []*pair{a, b} {
		wg.Go(func() {
			for i := range 200 {
				assert.NoError(t, p.traces.ConsumeTraces(context.Background(), numberedRequest(t, i)))
			}
		})
		wg.Go(func() {
			for i := range 200 {
				md := scrapeWith(t0.Add(30*time.Millisecond), 0.25)
				ex := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Histogram().DataPoints().At(0).Exemplars().At(0)
				ex.FilteredAttributes().PutStr("trace_id", numberedTrace(i).String())
				assert.NoError(t, p.metrics.ConsumeMetrics(context.Background(), md))
			}
		})
	}
	wg.Wait()
	// After the race, a request the index holds links.
	require.NoError(t, a.traces.ConsumeTraces(t.Context(), numberedRequest(t, 1000)))
	md := scrapeWith(t0.Add(30*time.Millisecond), 0.25)
	md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Histogram().DataPoints().At(0).Exemplars().At(0).
		FilteredAttributes().PutStr("trace_id", numberedTrace(1000).String())
	require.NoError(t, b.metrics.ConsumeMetrics(t.Context(), md))
	assert.False(t, b.last(t).SpanID().IsEmpty(), "linked through the other pipeline pair")
	for _, p := range []*pair{a, b} {
		for _, md := range p.sink.AllMetrics() {
			ex := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Histogram().DataPoints().At(0).Exemplars().At(0)
			if ex.SpanID().IsEmpty() {
				continue
			}
			tid, sid := ex.TraceID(), ex.SpanID()
			assert.Equal(t, tid[8:], sid[:], "the child span of its own request")
		}
	}
}

func numberedTrace(i int) (id pcommon.TraceID) {
	binary.BigEndian.PutUint64(id[8:], uint64(i)+1)
	return id
}

// numberedRequest is request i: its child span's ID is the low half of its
// trace ID.
func numberedRequest(tb testing.TB, i int) ptrace.Traces {
	td := request(tb)
	spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	for j := 0; j < spans.Len(); j++ {
		spans.At(j).SetTraceID(numberedTrace(i))
	}
	var child pcommon.SpanID
	binary.BigEndian.PutUint64(child[:], uint64(i)+1)
	spans.At(1).SetSpanID(child)
	return td
}
