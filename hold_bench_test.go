package exemplarlinkprocessor

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/exemplarlink/exemplarlinkprocessor/internal/metadata"
	"github.com/exemplarlink/exemplarlinkprocessor/internal/testing/benchdata"
)

// BenchmarkHoldNothingPending processes the mixed batch with exemplar_link
// in a metrics and a traces pipeline, after the spans of all its
// exemplars passed the traces side: nothing waits, so the batch passes the
// holder at once. max_wait=0s has no holder at all (the code before
// issue 24 in effect); the difference between the two is what holding
// costs a batch with nothing pending. Compare with
// `benchstat -col /max_wait`.
func BenchmarkHoldNothingPending(b *testing.B) {
	for _, wait := range []time.Duration{0, defaultWaitMaxWait} {
		b.Run("batch=mixed/series=1000/max_wait="+wait.String(), func(b *testing.B) {
			template := benchdata.Mixed(1_000)
			proc := newBothPipelines(b, wait, template)
			benchdata.Measure(b, proc, benchdata.NewCopies(template))
		})
	}
}

// newBothPipelines returns the metrics side of a component also in a
// traces pipeline, whose traces side has seen a server span around every
// exemplar of template (each exemplar n of the batch has benchdata.IDs(n)).
func newBothPipelines(tb testing.TB, wait time.Duration, template pmetric.Metrics) processor.Metrics {
	cfg := defaultConfig()
	cfg.Wait.MaxWait = wait
	f := NewFactory()
	set := processortest.NewNopSettings(metadata.Type)
	ctx := context.Background()
	traces, err := f.CreateTraces(ctx, set, cfg, consumertest.NewNop())
	require.NoError(tb, err)
	require.NoError(tb, traces.Start(ctx, componenttest.NewNopHost()))
	tb.Cleanup(func() { require.NoError(tb, traces.Shutdown(context.Background())) })
	require.NoError(tb, traces.ConsumeTraces(ctx, spansAround(template)))
	proc, err := f.CreateMetrics(ctx, set, cfg, consumertest.NewNop())
	require.NoError(tb, err)
	return proc
}

func spansAround(md pmetric.Metrics) ptrace.Traces {
	td := ptrace.NewTraces()
	spans := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	ms := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics()
	series := 0
	for k := 0; k < ms.Len(); k++ {
		dps := ms.At(k).Histogram().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			for j := 0; j < dps.At(i).Exemplars().Len(); j++ {
				at := dps.At(i).Exemplars().At(j).Timestamp()
				trace, span := benchdata.IDs(uint64(series*benchdata.ExemplarsPerSeries + j))
				s := spans.AppendEmpty()
				s.SetTraceID(trace)
				s.SetSpanID(span)
				s.SetKind(ptrace.SpanKindServer)
				s.SetStartTimestamp(at - pcommon.Timestamp(time.Millisecond))
				s.SetEndTimestamp(at + pcommon.Timestamp(time.Millisecond))
			}
			series++
		}
	}
	return td
}

// TestHoldBenchmarkBatchDoesNotWait checks that BenchmarkHoldNothingPending
// measures the path it claims: the mixed batch's trace-only exemplars all
// link from traces, and the batch leaves in the sender's call.
func TestHoldBenchmarkBatchDoesNotWait(t *testing.T) {
	t.Parallel()
	template := benchdata.Mixed(1000)
	cfg := defaultConfig()
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := processortest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	f := NewFactory()
	traces, err := f.CreateTraces(t.Context(), set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, traces.Start(t.Context(), componenttest.NewNopHost()))
	require.NoError(t, traces.ConsumeTraces(t.Context(), spansAround(template)))
	sink := new(consumertest.MetricsSink)
	proc, err := f.CreateMetrics(t.Context(), set, cfg, sink)
	require.NoError(t, err)
	require.NoError(t, proc.Start(t.Context(), componenttest.NewNopHost()))
	md := pmetric.NewMetrics()
	template.CopyTo(md)
	require.NoError(t, proc.ConsumeMetrics(t.Context(), md))
	assert.Len(t, sink.AllMetrics(), 1, "the batch left in the sender's call")
	linked := counterValues(t, tel, metadata.MetricExemplarsLinked, metadata.AttributeSource)
	assert.Equal(t, int64(1000), linked["traces"], "one trace-only exemplar per series, linked from traces")
	require.NoError(t, proc.Shutdown(t.Context()))
	require.NoError(t, traces.Shutdown(t.Context()))
}
