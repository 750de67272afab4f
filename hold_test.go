package exemplarlinkprocessor

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/exemplarlink/exemplarlinkprocessor/internal/metadata"
)

// holdEpoch is when the requests of these tests ran; the scrapes' points
// are stamped a minute later.
var holdEpoch = time.Unix(1_764_000_000, 0)

// holdWaitLong is a wait no test reaches: what leaves before it left
// because of the test's action.
const holdWaitLong = time.Minute

// holdGiveUp bounds every wait of these tests for something that must
// happen.
const holdGiveUp = 10 * time.Second

// holdSink receives batches in order on got and answers err.
type holdSink struct {
	got chan pmetric.Metrics
	mu  sync.Mutex
	err error
}

func newHoldSink() *holdSink { return &holdSink{got: make(chan pmetric.Metrics, 64)} }

func (s *holdSink) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (s *holdSink) ConsumeMetrics(_ context.Context, md pmetric.Metrics) error {
	s.got <- md
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// next returns the next batch, failing after holdGiveUp.
func (s *holdSink) next(t *testing.T) pmetric.Metrics {
	t.Helper()
	select {
	case md := <-s.got:
		return md
	case <-time.After(holdGiveUp):
		require.FailNow(t, "no batch left the processor within "+holdGiveUp.String())
		return pmetric.Metrics{}
	}
}

// none asserts that nothing has left yet.
func (s *holdSink) none(t *testing.T) {
	t.Helper()
	select {
	case md := <-s.got:
		assert.Failf(t, "a batch left too early", "resource %v", holdResourceOf(md))
	default:
	}
}

// holdRig is one exemplar_link component in a metrics and a traces
// pipeline, created through the public factory with one ID and started.
type holdRig struct {
	metrics processor.Metrics
	traces  processor.Traces
	sink    *holdSink
	tel     *componenttest.Telemetry
	logs    *observer.ObservedLogs
}

func newHoldRig(t *testing.T, configure func(*Config)) *holdRig {
	t.Helper()
	r := &holdRig{sink: newHoldSink(), tel: componenttest.NewTelemetry()}
	t.Cleanup(func() { require.NoError(t, r.tel.Shutdown(context.Background())) })
	core, logs := observer.New(zap.InfoLevel)
	r.logs = logs
	set := processortest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = r.tel.NewTelemetrySettings()
	set.Logger = zap.New(core)
	cfg := defaultConfig()
	cfg.Wait.MaxWait = holdWaitLong
	if configure != nil {
		configure(cfg)
	}
	require.NoError(t, cfg.Validate())
	f := NewFactory()
	var err error
	r.metrics, err = f.CreateMetrics(t.Context(), set, cfg, r.sink)
	require.NoError(t, err)
	r.traces, err = f.CreateTraces(t.Context(), set, cfg, consumertestNopTraces{})
	require.NoError(t, err)
	require.NoError(t, r.traces.Start(t.Context(), componenttest.NewNopHost()))
	require.NoError(t, r.metrics.Start(t.Context(), componenttest.NewNopHost()))
	t.Cleanup(func() {
		require.NoError(t, r.metrics.Shutdown(context.Background()))
		require.NoError(t, r.traces.Shutdown(context.Background()))
	})
	return r
}

type consumertestNopTraces struct{}

func (consumertestNopTraces) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }
func (consumertestNopTraces) ConsumeTraces(context.Context, ptrace.Traces) error {
	return nil
}

// scrape sends a batch of resource target: a histogram point whose value
// is seq, carrying a trace-only exemplar of trace (none when trace is "")
// observed at holdEpoch+at.
func (r *holdRig) scrape(t *testing.T, target string, seq int, trace string, at time.Duration) {
	t.Helper()
	require.NoError(t, r.metrics.ConsumeMetrics(t.Context(), holdScrape([]string{target}, seq, trace, at)))
}

func holdScrape(targets []string, seq int, trace string, at time.Duration) pmetric.Metrics {
	md := pmetric.NewMetrics()
	for _, target := range targets {
		rm := md.ResourceMetrics().AppendEmpty()
		rm.Resource().Attributes().PutStr("service.name", "checkout")
		rm.Resource().Attributes().PutStr("service.instance.id", target)
		m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
		m.SetName("http_server_duration_seconds")
		dp := m.SetEmptyHistogram().DataPoints().AppendEmpty()
		dp.SetTimestamp(pcommon.NewTimestampFromTime(holdEpoch.Add(time.Minute)))
		dp.SetCount(uint64(seq))
		if trace != "" {
			ex := dp.Exemplars().AppendEmpty()
			ex.SetDoubleValue(0.25)
			ex.SetTimestamp(pcommon.NewTimestampFromTime(holdEpoch.Add(at)))
			ex.FilteredAttributes().PutStr("trace_id", trace)
		}
	}
	return md
}

// spans sends the server span span of trace, from holdEpoch+start to +end.
func (r *holdRig) spans(t *testing.T, trace, span string, start, end time.Duration) {
	t.Helper()
	require.NoError(t, r.traces.ConsumeTraces(t.Context(), holdSpans(t, trace, span, start, end)))
}

// holdSpans is one server span of trace, from start to end.
func holdSpans(t *testing.T, trace, span string, start, end time.Duration) ptrace.Traces {
	t.Helper()
	td := ptrace.NewTraces()
	s := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	var tid pcommon.TraceID
	var sid pcommon.SpanID
	decodeInto(t, tid[:], trace)
	decodeInto(t, sid[:], span)
	s.SetTraceID(tid)
	s.SetSpanID(sid)
	s.SetKind(ptrace.SpanKindServer)
	s.SetStartTimestamp(pcommon.NewTimestampFromTime(holdEpoch.Add(start)))
	s.SetEndTimestamp(pcommon.NewTimestampFromTime(holdEpoch.Add(end)))
	return td
}

// holdTrace returns a distinct trace ID per n.
func holdTrace(n int) string { return fmt.Sprintf("4bf92f3577b34da6a3ce929d%08x", n) }

func holdSpan(n int) string { return fmt.Sprintf("00f067aa%08x", n) }

func holdResourceOf(md pmetric.Metrics) []string {
	var out []string
	for i := 0; i < md.ResourceMetrics().Len(); i++ {
		id, _ := md.ResourceMetrics().At(i).Resource().Attributes().Get("service.instance.id")
		out = append(out, id.AsString())
	}
	return out
}

// holdPoint returns the sequence number and the exemplar of the only
// point of md (a zero exemplar when it has none).
func holdPoint(t *testing.T, md pmetric.Metrics) (string, int, pmetric.Exemplar) {
	t.Helper()
	require.Equal(t, 1, md.ResourceMetrics().Len())
	dp := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Histogram().DataPoints().At(0)
	ex := pmetric.NewExemplar()
	if dp.Exemplars().Len() > 0 {
		ex = dp.Exemplars().At(0)
	}
	return holdResourceOf(md)[0], int(dp.Count()), ex
}

func (r *holdRig) counter(t *testing.T, name, attrKey string) map[string]int64 {
	t.Helper()
	got, err := r.tel.GetMetric(name)
	if err != nil {
		return map[string]int64{}
	}
	sum, ok := got.Data.(metricdata.Sum[int64])
	require.True(t, ok)
	out := make(map[string]int64)
	for _, dp := range sum.DataPoints {
		v, _ := dp.Attributes.Value(attribute.Key(attrKey))
		out[v.AsString()] += dp.Value
	}
	return out
}

func assertLinked(t *testing.T, ex pmetric.Exemplar, trace, span string) {
	t.Helper()
	assert.Equal(t, trace, ex.TraceID().String())
	assert.Equal(t, span, ex.SpanID().String())
	_, hasLabel := ex.FilteredAttributes().Get("trace_id")
	assert.False(t, hasLabel, "the trace_id label was converted")
}

func assertUnlinked(t *testing.T, ex pmetric.Exemplar, trace string) {
	t.Helper()
	assert.True(t, ex.SpanID().IsEmpty())
	v, ok := ex.FilteredAttributes().Get("trace_id")
	require.True(t, ok, "the trace ID is kept as a label")
	assert.Equal(t, trace, v.Str())
}

func TestHoldLinksSpanThatArrivesAfterTheScrape(t *testing.T) {
	t.Parallel()
	r := newHoldRig(t, nil)
	md := holdScrape([]string{"a"}, 1, holdTrace(1), 10*time.Second)
	require.NoError(t, r.metrics.ConsumeMetrics(t.Context(), md))
	r.sink.none(t) // held, and the sender was not blocked
	// The sender may reuse its batch once the call returned (pdata
	// pooling): what is held must not change with it.
	holdScrape([]string{"z"}, 99, "", 0).CopyTo(md)

	// The SDK sends the span a while after the scrape carried its exemplar.
	time.Sleep(time.Second)
	r.sink.none(t)
	r.spans(t, holdTrace(1), holdSpan(1), 9*time.Second, 11*time.Second)

	target, seq, ex := holdPoint(t, r.sink.next(t))
	assert.Equal(t, "a", target)
	assert.Equal(t, 1, seq)
	assertLinked(t, ex, holdTrace(1), holdSpan(1))
	assert.Equal(t, map[string]int64{"traces": 1}, r.counter(t, metadata.MetricExemplarsLinked, metadata.AttributeSource))
	assert.Equal(t, map[string]int64{"resolved": 1}, r.counter(t, metadata.MetricBatchesHeld, metadata.AttributeRelease))
	assert.Empty(t, r.counter(t, metadata.MetricExemplarsUnlinked, metadata.AttributeReason))
	// The holder is processorhelper's next consumer: the collector's item
	// counts see the held point go in and out once.
	for _, name := range []string{"otelcol_processor_incoming_items", "otelcol_processor_outgoing_items"} {
		got, err := r.tel.GetMetric(name)
		require.NoError(t, err, name)
		bySignal := map[string]int64{}
		for _, dp := range got.Data.(metricdata.Sum[int64]).DataPoints {
			signal, _ := dp.Attributes.Value("otel.signal")
			bySignal[signal.AsString()] += dp.Value
		}
		assert.Equal(t, map[string]int64{"metrics": 1, "traces": 1}, bySignal, name)
	}

	hist, err := r.tel.GetMetric(metadata.MetricBatchHoldDuration)
	require.NoError(t, err)
	points := hist.Data.(metricdata.Histogram[float64]).DataPoints
	require.Len(t, points, 1)
	assert.Equal(t, uint64(1), points[0].Count)
	assert.GreaterOrEqual(t, points[0].Sum, 1.0, "held from the scrape to the span")
}

func TestHoldTraceNeverSeenLeavesUnlinkedAfterTheWait(t *testing.T) {
	t.Parallel()
	const wait = 300 * time.Millisecond
	r := newHoldRig(t, func(c *Config) { c.Wait.MaxWait = wait })
	sent := time.Now()
	r.scrape(t, "a", 1, holdTrace(2), 10*time.Second)
	r.sink.none(t)

	_, _, ex := holdPoint(t, r.sink.next(t))
	assert.GreaterOrEqual(t, time.Since(sent), wait)
	assertUnlinked(t, ex, holdTrace(2))
	assert.Equal(t, map[string]int64{"trace_not_seen": 1}, r.counter(t, metadata.MetricExemplarsUnlinked, metadata.AttributeReason))
	assert.Equal(t, map[string]int64{"timeout": 1}, r.counter(t, metadata.MetricBatchesHeld, metadata.AttributeRelease))

	// The target re-exposes it on the next scrape: it waited once, it
	// does not wait again. It is decided (and counted) before the sender
	// gets its answer; the batch may still queue behind the first batch
	// if that one is still being sent.
	r.scrape(t, "a", 2, holdTrace(2), 10*time.Second)
	assert.Equal(t, map[string]int64{"trace_not_seen": 2}, r.counter(t, metadata.MetricExemplarsUnlinked, metadata.AttributeReason))
	_, seq, ex := holdPoint(t, r.sink.next(t))
	assert.Equal(t, 2, seq)
	assertUnlinked(t, ex, holdTrace(2))
}

func TestHoldKeepsEachResourcesOrder(t *testing.T) {
	t.Parallel()
	r := newHoldRig(t, nil)
	r.scrape(t, "a", 1, holdTrace(3), 10*time.Second) // waits
	r.scrape(t, "a", 2, "", 0)                        // nothing pending: queues behind
	r.scrape(t, "a", 3, holdTrace(4), 20*time.Second) // waits, and is behind
	r.scrape(t, "b", 1, "", 0)                        // another target: passes at once
	target, seq, _ := holdPoint(t, r.sink.next(t))
	assert.Equal(t, []any{"b", 1}, []any{target, seq})
	r.sink.none(t)

	// The third batch's span comes first: it must still wait for the
	// first.
	r.spans(t, holdTrace(4), holdSpan(4), 19*time.Second, 21*time.Second)
	r.spans(t, holdTrace(3), holdSpan(3), 9*time.Second, 11*time.Second)
	for want := 1; want <= 3; want++ {
		target, seq, ex := holdPoint(t, r.sink.next(t))
		assert.Equal(t, []any{"a", want}, []any{target, seq})
		switch want {
		case 1:
			assertLinked(t, ex, holdTrace(3), holdSpan(3))
		case 3:
			assertLinked(t, ex, holdTrace(4), holdSpan(4))
		}
	}
	assert.Equal(t, map[string]int64{"resolved": 2, "behind": 1}, r.counter(t, metadata.MetricBatchesHeld, metadata.AttributeRelease))
}

func TestHoldSplitsABatchOfSeveralResources(t *testing.T) {
	t.Parallel()
	r := newHoldRig(t, nil)
	// One batch, two targets: only the part that waits is held.
	md := holdScrape([]string{"a", "b"}, 1, holdTrace(5), 10*time.Second)
	md.ResourceMetrics().At(1).ScopeMetrics().At(0).Metrics().At(0).Histogram().DataPoints().At(0).Exemplars().RemoveIf(
		func(pmetric.Exemplar) bool { return true })
	require.NoError(t, r.metrics.ConsumeMetrics(t.Context(), md))
	target, _, _ := holdPoint(t, r.sink.next(t))
	assert.Equal(t, "b", target)
	r.sink.none(t)
	r.spans(t, holdTrace(5), holdSpan(5), 9*time.Second, 11*time.Second)
	target, _, ex := holdPoint(t, r.sink.next(t))
	assert.Equal(t, "a", target)
	assertLinked(t, ex, holdTrace(5), holdSpan(5))
}

func TestHoldShutdownFlushesEverythingInOrder(t *testing.T) {
	t.Parallel()
	r := newHoldRig(t, nil)
	for seq := 1; seq <= 3; seq++ {
		r.scrape(t, "a", seq, holdTrace(10+seq), 10*time.Second)
		r.scrape(t, "b", seq, "", 0)
	}
	// b's batches had nothing ahead of them: a's were held, not b's.
	for want := 1; want <= 3; want++ {
		target, seq, _ := holdPoint(t, r.sink.next(t))
		assert.Equal(t, []any{"b", want}, []any{target, seq})
	}
	r.scrape(t, "b", 4, holdTrace(20), 10*time.Second)
	r.sink.none(t)

	require.NoError(t, r.metrics.Shutdown(t.Context()))
	next := map[string]int{"a": 1, "b": 4}
	for range 4 {
		select {
		case md := <-r.sink.got:
			target, seq, ex := holdPoint(t, md)
			assert.Equal(t, next[target], seq, "target %s out of order", target)
			next[target]++
			assert.True(t, ex.SpanID().IsEmpty())
		default:
			require.FailNow(t, "shutdown returned before every held batch left")
		}
	}
	assert.Equal(t, map[string]int{"a": 4, "b": 5}, next)
	assert.Equal(t, map[string]int64{"shutdown": 4}, r.counter(t, metadata.MetricBatchesHeld, metadata.AttributeRelease))
	assert.Equal(t, map[string]int64{"trace_not_seen": 4}, r.counter(t, metadata.MetricExemplarsUnlinked, metadata.AttributeReason))
}

func TestHoldDownstreamErrorAfterReleaseIsCountedNotReturned(t *testing.T) {
	t.Parallel()
	r := newHoldRig(t, nil)
	r.sink.mu.Lock()
	r.sink.err = errors.New("backend unavailable")
	r.sink.mu.Unlock()
	r.scrape(t, "a", 1, holdTrace(30), 10*time.Second) // returns nil: held
	r.spans(t, holdTrace(30), holdSpan(30), 9*time.Second, 11*time.Second)
	r.sink.next(t)
	require.Eventually(t, func() bool {
		return r.counter(t, metadata.MetricReleaseErrors, "")[""] == 1
	}, holdGiveUp, 5*time.Millisecond, "release error not counted")
	logged := r.logs.FilterMessage("Next consumer refused a held batch after its release; the batch is dropped here").All()
	require.Len(t, logged, 1)
	assert.Equal(t, "backend unavailable", logged[0].ContextMap()["error"])

	// A batch that passes at once still returns its error to the sender.
	err := r.metrics.ConsumeMetrics(t.Context(), holdScrape([]string{"b"}, 1, "", 0))
	assert.EqualError(t, err, "backend unavailable")
	r.sink.next(t)
}

func TestHoldBoundsPassBatchesWithoutWaiting(t *testing.T) {
	t.Parallel()
	t.Run("max_held_batches", func(t *testing.T) {
		t.Parallel()
		r := newHoldRig(t, func(c *Config) { c.Wait.MaxHeldBatches = 1 })
		r.scrape(t, "a", 1, holdTrace(40), 10*time.Second) // held: the one allowed
		r.scrape(t, "b", 1, holdTrace(41), 10*time.Second) // over the bound: passes
		target, _, ex := holdPoint(t, r.sink.next(t))
		assert.Equal(t, "b", target)
		assertUnlinked(t, ex, holdTrace(41))
		r.sink.none(t)
		assert.Equal(t, map[string]int64{"max_held_batches": 1}, r.counter(t, metadata.MetricBatchesNotHeld, metadata.AttributeBound))

		// Over the bound behind a's held batch: a's leaves first, then
		// this one, before the sender gets its answer.
		r.scrape(t, "a", 2, "", 0)
		for want := 1; want <= 2; want++ {
			select {
			case md := <-r.sink.got:
				target, seq, _ := holdPoint(t, md)
				assert.Equal(t, []any{"a", want}, []any{target, seq})
			default:
				require.FailNow(t, "the batch over the bound did not flush its resource")
			}
		}
		assert.Equal(t, map[string]int64{"max_held_batches": 2}, r.counter(t, metadata.MetricBatchesNotHeld, metadata.AttributeBound))
		assert.Equal(t, map[string]int64{"bound": 1}, r.counter(t, metadata.MetricBatchesHeld, metadata.AttributeRelease))
	})
	t.Run("max_held_bytes", func(t *testing.T) {
		t.Parallel()
		r := newHoldRig(t, func(c *Config) { c.Wait.MaxHeldBytes = 64 })
		r.scrape(t, "a", 1, holdTrace(42), 10*time.Second)
		target, _, ex := holdPoint(t, r.sink.next(t))
		assert.Equal(t, "a", target)
		assertUnlinked(t, ex, holdTrace(42))
		assert.Equal(t, map[string]int64{"max_held_bytes": 1}, r.counter(t, metadata.MetricBatchesNotHeld, metadata.AttributeBound))
	})
}

func TestHoldPassesAtOnceWhatDoesNotWait(t *testing.T) {
	t.Parallel()
	r := newHoldRig(t, nil)
	r.spans(t, holdTrace(50), holdSpan(50), 9*time.Second, 11*time.Second)
	for _, tc := range []struct {
		name  string
		trace string
	}{
		{"no exemplar", ""},
		{"span already seen", holdTrace(50)},
	} {
		r.scrape(t, "a", 1, tc.trace, 10*time.Second)
		select {
		case md := <-r.sink.got:
			if _, _, ex := holdPoint(t, md); tc.trace != "" {
				assertLinked(t, ex, holdTrace(50), holdSpan(50))
			}
		default:
			assert.Fail(t, "held", tc.name)
		}
	}
	assert.Empty(t, r.counter(t, metadata.MetricBatchesHeld, metadata.AttributeRelease))
}

func TestHoldOnlyWithATracesPipeline(t *testing.T) {
	t.Parallel()
	sink := newHoldSink()
	cfg := defaultConfig()
	proc, err := NewFactory().CreateMetrics(t.Context(), processortest.NewNopSettings(metadata.Type), cfg, sink)
	require.NoError(t, err)
	require.NoError(t, proc.Start(t.Context(), componenttest.NewNopHost()))
	require.NoError(t, proc.ConsumeMetrics(t.Context(), holdScrape([]string{"a"}, 1, holdTrace(60), time.Second)))
	select {
	case md := <-sink.got:
		_, _, ex := holdPoint(t, md)
		assertUnlinked(t, ex, holdTrace(60))
	default:
		assert.Fail(t, "held without a traces pipeline")
	}
	require.NoError(t, proc.Shutdown(t.Context()))
}

// TestHoldConcurrentTargetsKeepOrderAndLoseNothing runs several targets'
// scrapes at once, some waiting for spans that arrive, some for spans that
// never do, with spans recorded meanwhile: every batch leaves, each
// target's in order (run with -race).
func TestHoldConcurrentTargetsKeepOrderAndLoseNothing(t *testing.T) {
	t.Parallel()
	const targets, scrapes = 4, 15
	r := newHoldRig(t, func(c *Config) { c.Wait.MaxWait = 200 * time.Millisecond })
	// The batches are built here: require may stop only the test's own
	// goroutine.
	scrapesOf, spansOf := make([][]pmetric.Metrics, targets), make([][]ptrace.Traces, targets)
	for target := range targets {
		for seq := 1; seq <= scrapes; seq++ {
			n := 1000 + target*100 + seq
			trace := ""
			if seq%3 != 0 {
				trace = holdTrace(n)
			}
			scrapesOf[target] = append(scrapesOf[target], holdScrape([]string{fmt.Sprint(target)}, seq, trace, 10*time.Second))
			var td ptrace.Traces
			if seq%3 == 1 { // its span comes; the others' never do
				td = holdSpans(t, holdTrace(n), holdSpan(n), 9*time.Second, 11*time.Second)
			}
			spansOf[target] = append(spansOf[target], td)
		}
	}
	var wg sync.WaitGroup
	for target := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, md := range scrapesOf[target] {
				assert.NoError(t, r.metrics.ConsumeMetrics(context.Background(), md))
				if td := spansOf[target][i]; td != (ptrace.Traces{}) {
					assert.NoError(t, r.traces.ConsumeTraces(context.Background(), td))
				}
			}
		}()
	}
	next := map[string]int{}
	for range targets * scrapes {
		target, seq, ex := holdPoint(t, r.sink.next(t))
		assert.Equal(t, next[target]+1, seq, "target %s out of order", target)
		next[target] = seq
		if seq%3 == 1 && ex.TraceID().IsEmpty() {
			// Its span may have come after the exemplar waited: only
			// then is it unlinked.
			_, ok := ex.FilteredAttributes().Get("trace_id")
			assert.True(t, ok)
		}
	}
	wg.Wait()
	for target := range targets {
		assert.Equal(t, scrapes, next[fmt.Sprint(target)])
	}
}

// TestHoldWakesEveryMetricsPipeline lists the component in two metrics
// pipelines and one traces pipeline: a span wakes the holders of both.
func TestHoldWakesEveryMetricsPipeline(t *testing.T) {
	t.Parallel()
	first, second := newHoldSink(), newHoldSink()
	cfg := defaultConfig()
	cfg.Wait.MaxWait = holdWaitLong
	f := NewFactory()
	set := processortest.NewNopSettings(metadata.Type)
	tr, err := f.CreateTraces(t.Context(), set, cfg, consumertestNopTraces{})
	require.NoError(t, err)
	m1, err := f.CreateMetrics(t.Context(), set, cfg, first)
	require.NoError(t, err)
	m2, err := f.CreateMetrics(t.Context(), set, cfg, second)
	require.NoError(t, err)
	require.NoError(t, tr.Start(t.Context(), componenttest.NewNopHost()))
	require.NoError(t, m1.Start(t.Context(), componenttest.NewNopHost()))
	require.NoError(t, m2.Start(t.Context(), componenttest.NewNopHost()))
	require.NoError(t, m1.ConsumeMetrics(t.Context(), holdScrape([]string{"a"}, 1, holdTrace(70), 10*time.Second)))
	require.NoError(t, m2.ConsumeMetrics(t.Context(), holdScrape([]string{"a"}, 1, holdTrace(71), 10*time.Second)))
	first.none(t)
	second.none(t)

	td := ptrace.NewTraces()
	spans := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	for _, n := range []int{70, 71} {
		s := spans.AppendEmpty()
		var tid pcommon.TraceID
		var sid pcommon.SpanID
		decodeInto(t, tid[:], holdTrace(n))
		decodeInto(t, sid[:], holdSpan(n))
		s.SetTraceID(tid)
		s.SetSpanID(sid)
		s.SetKind(ptrace.SpanKindServer)
		s.SetStartTimestamp(pcommon.NewTimestampFromTime(holdEpoch.Add(9 * time.Second)))
		s.SetEndTimestamp(pcommon.NewTimestampFromTime(holdEpoch.Add(11 * time.Second)))
	}
	require.NoError(t, tr.ConsumeTraces(t.Context(), td))
	_, _, ex := holdPoint(t, first.next(t))
	assertLinked(t, ex, holdTrace(70), holdSpan(70))
	_, _, ex = holdPoint(t, second.next(t))
	assertLinked(t, ex, holdTrace(71), holdSpan(71))

	require.NoError(t, m1.Shutdown(t.Context()))
	require.NoError(t, m2.Shutdown(t.Context()))
	require.NoError(t, tr.Shutdown(t.Context()))
}
