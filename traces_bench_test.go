package exemplarlinkprocessor

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

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

const spansPerBatch = 4096

// spanBatches returns n batches of spansPerBatch spans, eight nested ones per trace,
// every ID distinct; starting at first.
func spanBatches(n, first int) []ptrace.Traces {
	out := make([]ptrace.Traces, n)
	k := first
	for b := range out {
		td := ptrace.NewTraces()
		spans := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
		spans.EnsureCapacity(spansPerBatch)
		for range spansPerBatch {
			s := spans.AppendEmpty()
			var tid pcommon.TraceID
			var sid pcommon.SpanID
			binary.BigEndian.PutUint64(tid[8:], uint64(k/8)+1)
			binary.BigEndian.PutUint64(sid[:], uint64(k)+1)
			s.SetTraceID(tid)
			s.SetSpanID(sid)
			s.SetKind(ptrace.SpanKindServer)
			s.SetStartTimestamp(ts(time.Duration(k%8) * time.Millisecond))
			s.SetEndTimestamp(ts(100*time.Millisecond - time.Duration(k%8)*time.Millisecond)) // nested
			k++
		}
		out[b] = td
	}
	return out
}

func startTraces(tb testing.TB, f processor.Factory, cfg *Config) processor.Traces {
	tp, err := f.CreateTraces(context.Background(), processortest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
	require.NoError(tb, err)
	require.NoError(tb, tp.Start(context.Background(), componenttest.NewNopHost()))
	tb.Cleanup(func() { require.NoError(tb, tp.Shutdown(context.Background())) })
	return tp
}

// BenchmarkExemplarLinkTraces is the traces side at capacity with the
// default index: every span is new and evicts the oldest. The batches
// cycle through more spans than the index holds, so a batch's spans are
// gone before it comes round again.
func BenchmarkExemplarLinkTraces(b *testing.B) {
	cfg := defaultConfig()
	batches := spanBatches(cfg.SpanIndex.MaxSpans/spansPerBatch+8, 0)
	tp := startTraces(b, NewFactory(), cfg)
	for _, td := range batches {
		require.NoError(b, tp.ConsumeTraces(context.Background(), td))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := tp.ConsumeTraces(context.Background(), batches[i%len(batches)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*spansPerBatch), "ns/span")
}

// TestTracesSideAllocatesNothingPerSpan pins that recording spans costs no
// allocation per span in steady state (processorhelper's per-batch
// telemetry may allocate a constant amount per batch).
func TestTracesSideAllocatesNothingPerSpan(t *testing.T) {
	cfg := defaultConfig()
	cfg.SpanIndex.MaxSpans = 2 * spansPerBatch
	batches := spanBatches(4, 0)
	tp := startTraces(t, NewFactory(), cfg)
	i := 0
	allocs := testing.AllocsPerRun(20, func() {
		require.NoError(t, tp.ConsumeTraces(context.Background(), batches[i%len(batches)]))
		i++
	})
	assert.Less(t, allocs/spansPerBatch, 0.01, "%.0f allocations per batch of %d spans", allocs, spansPerBatch)
}

// traceOnlyScrape returns a histogram batch of n points, each with one
// trace-only exemplar (trace_id label) of a trace spanBatches(…, 0) holds,
// observed inside its first span.
func traceOnlyScrape(n int) pmetric.Metrics {
	md := pmetric.NewMetrics()
	ms := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics()
	m := ms.AppendEmpty()
	m.SetName("http_server_duration_seconds")
	dps := m.SetEmptyHistogram().DataPoints()
	for i := range n {
		dp := dps.AppendEmpty()
		dp.SetTimestamp(pcommon.NewTimestampFromTime(scrape))
		ex := dp.Exemplars().AppendEmpty()
		ex.SetDoubleValue(0.25)
		ex.SetTimestamp(ts(5 * time.Millisecond))
		var tid pcommon.TraceID
		binary.BigEndian.PutUint64(tid[8:], uint64(i)+1)
		ex.FilteredAttributes().PutStr("trace_id", tid.String())
	}
	return md
}

// BenchmarkExemplarLinkTraceOnly is the metrics side on 1,000 trace-only
// exemplars whose traces the index holds: resolved by the index (the
// resolution cache off), or by the cache on a later scrape.
func BenchmarkExemplarLinkTraceOnly(b *testing.B) {
	const n = 1_000
	for _, tc := range []struct {
		name        string
		resolutions int
	}{{"resolved=index", 0}, {"resolved=cache", n * 4}} {
		b.Run(tc.name, func(b *testing.B) {
			cfg := defaultConfig()
			cfg.SpanIndex.MaxResolutions = tc.resolutions
			f := NewFactory()
			tp := startTraces(b, f, cfg)
			for _, td := range spanBatches(n*8/spansPerBatch+1, 0) {
				require.NoError(b, tp.ConsumeTraces(context.Background(), td))
			}
			set := processortest.NewNopSettings(metadata.Type)
			set.ID = component.NewID(metadata.Type)
			mp, err := f.CreateMetrics(context.Background(), set, cfg, consumertest.NewNop())
			require.NoError(b, err)
			require.NoError(b, mp.Start(context.Background(), componenttest.NewNopHost()))
			b.Cleanup(func() { require.NoError(b, mp.Shutdown(context.Background())) })
			template := traceOnlyScrape(n)
			check := pmetric.NewMetrics()
			template.CopyTo(check)
			require.NoError(b, mp.ConsumeMetrics(context.Background(), check))
			ex := check.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Histogram().DataPoints().At(0).Exemplars().At(0)
			require.False(b, ex.SpanID().IsEmpty(), "the benchmark's exemplars link")
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				md := pmetric.NewMetrics()
				template.CopyTo(md)
				b.StartTimer()
				if err := mp.ConsumeMetrics(context.Background(), md); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/exemplar")
		})
	}
}
