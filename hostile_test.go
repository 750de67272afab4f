package exemplarlinkprocessor

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pmetrictest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.uber.org/zap/zapcore"

	"github.com/exemplarlink/exemplarlinkprocessor/internal/metadata"
	"github.com/exemplarlink/exemplarlinkprocessor/internal/testing/cases"
)

// counterTotals returns the linked and unlinked counters by attribute; a
// counter never recorded reads as empty.
func counterTotals(t *testing.T, tel *componenttest.Telemetry) (linked, unlinked map[string]int64) {
	t.Helper()
	read := func(name, attr string) map[string]int64 {
		if _, err := tel.GetMetric(name); err != nil {
			return map[string]int64{}
		}
		return counterValues(t, tel, name, attr)
	}
	return read(metadata.MetricExemplarsLinked, metadata.AttributeSource), read(metadata.MetricExemplarsUnlinked, metadata.AttributeReason)
}

// TestLogFloodIsBounded plays a target that sends nothing but bad IDs at a
// high rate: the log gets the start line and at most one summary per
// interval, however many exemplars arrive.
func TestLogFloodIsBounded(t *testing.T) {
	t.Parallel()
	set, logs := observedSettings(zapcore.DebugLevel)
	cfg := defaultConfig()
	cfg.SummaryInterval = time.Hour
	proc, err := NewFactory().CreateMetrics(t.Context(), set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, proc.Start(t.Context(), componenttest.NewNopHost()))

	bad := strings.Repeat("z", 4096)
	md := pmetric.NewMetrics()
	dps := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty().SetEmptyHistogram().DataPoints()
	for range 100 {
		exs := dps.AppendEmpty().Exemplars()
		for range 10 {
			buildExemplar(t, exs.AppendEmpty(), cases.Labels(l("traceID", bad), l("spanID", "\xff"+bad)))
		}
	}
	for range 200 { // 200,000 bad exemplars
		batch := pmetric.NewMetrics()
		md.CopyTo(batch)
		require.NoError(t, proc.ConsumeMetrics(t.Context(), batch))
	}
	assert.Equal(t, 1, logs.Len(), "only the start line while the interval runs, even at debug level")

	require.NoError(t, proc.Shutdown(t.Context()))
	require.Equal(t, 2, logs.Len())
	summary := logs.All()[1]
	assert.Equal(t, "Exemplar linkage summary", summary.Message)
	fields := summary.ContextMap()
	assert.Equal(t, int64(200_000), fields["unlinked"])
	for _, key := range []string{"example_label", "example_value", "example_metric"} {
		assert.LessOrEqual(t, len(fields[key].(string)), 2*64+len("…"), key)
	}
}

// TestDownstreamErrorDoesNotChangeLaterBatches: when the next consumer
// (an exporter) fails, the error reaches the caller and the processor
// handles the following batches exactly as before.
func TestDownstreamErrorDoesNotChangeLaterBatches(t *testing.T) {
	t.Parallel()
	next := &failingSink{failures: 3}
	proc, err := NewFactory().CreateMetrics(t.Context(), processortest.NewNopSettings(metadata.Type), defaultConfig(), next)
	require.NoError(t, err)
	require.NoError(t, proc.Start(t.Context(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, proc.Shutdown(context.Background())) })

	in := cases.Labels(l("route", "/"), l("traceparent", "00-"+traceHex+"-"+spanHex+"-01"))
	want := histogramWithExemplar(t, cases.Linked(traceHex, spanHex, l("route", "/")))
	for i := range 6 {
		err := proc.ConsumeMetrics(t.Context(), histogramWithExemplar(t, in))
		if i < 3 {
			assert.ErrorIs(t, err, errDownstream)
		} else {
			assert.NoError(t, err)
		}
	}
	require.Len(t, next.AllMetrics(), 6, "every batch reached the next consumer")
	for _, got := range next.AllMetrics() {
		assert.NoError(t, pmetrictest.CompareMetrics(want, got))
	}
}

var errDownstream = fmt.Errorf("downstream unavailable")

// failingSink records every batch and fails the first few.
type failingSink struct {
	consumertest.MetricsSink
	failures int
}

func (s *failingSink) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	_ = s.MetricsSink.ConsumeMetrics(ctx, md)
	if s.failures > 0 {
		s.failures--
		return errDownstream
	}
	return nil
}

// BenchmarkHostileValueSize shows that the cost of a huge label value is
// bounded: an ID label is rejected on its length without reading it, so
// time does not grow with the value.
func BenchmarkHostileValueSize(b *testing.B) {
	for _, size := range []int{1 << 10, 1 << 15, 1 << 20} {
		b.Run(fmt.Sprintf("bytes=%d", size), func(b *testing.B) {
			benchmarkExemplar(b, cases.Labels(l("traceID", strings.Repeat("a", size)), l("traceparent", "00-"+strings.Repeat("b", size))))
		})
	}
}

// BenchmarkLabelsPerExemplar shows time linear in the number of labels.
func BenchmarkLabelsPerExemplar(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("labels=%d", n), func(b *testing.B) {
			benchmarkExemplar(b, cases.Labels(cases.ManyLabels(n-2, l("traceID", traceHex), l("spanID", spanHex))...))
		})
	}
}

func benchmarkExemplar(b *testing.B, spec exemplar) {
	template := histogramWithExemplar(b, spec)
	p, err := newExemplarLinkProcessor(defaultConfig(), processortest.NewNopSettings(metadata.Type).TelemetrySettings)
	require.NoError(b, err)
	batch := pmetric.NewMetrics()
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		template.CopyTo(batch)
		b.StartTimer()
		_, _ = p.processMetrics(b.Context(), batch)
	}
}
