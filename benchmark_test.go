package exemplarlinkprocessor

import (
	"context"
	"strconv"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pmetrictest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/exemplarlink/exemplarlinkprocessor/internal/metadata"
	"github.com/exemplarlink/exemplarlinkprocessor/internal/testing/benchdata"
)

// The benchmarks drive the processor through NewFactory, processortest's
// nop settings and a nop consumer, as a collector would: the numbers then
// include processorhelper's per-batch work (its incoming/outgoing item
// counts), which the bench module's floor, transform-processor and exporter
// benchmarks pay too, so they compare like with like. processMetrics alone
// costs the same per exemplar; only the constant per-batch part differs.
//
// Every iteration gets an untouched copy of the batch, made with the timer
// stopped (benchdata.NewCopies): the processor changes exemplars in place,
// so a reused batch would measure a second, cheaper pass. Batches it does
// not change are shared between iterations (benchdata.NewShared), which
// is checked.
//
// Run them with `make bench` (which also runs the bench module's side-by-
// side comparison and checks the performance targets), or:
//
//	go test -run '^$' -bench . -benchmem

// BenchmarkExemplarLink processes the batches of the bench suite.
// batch=mixed at series=100, 1000 and 10000 shows that time grows
// linearly with the batch while allocs/op stays constant (zero allocations
// per exemplar).
func BenchmarkExemplarLink(b *testing.B) {
	for _, series := range []int{100, 1_000, 10_000} {
		b.Run("batch=mixed/series="+strconv.Itoa(series), func(b *testing.B) {
			benchmarkBatch(b, newBenchProcessor, benchdata.NewCopies(benchdata.Mixed(series)))
		})
	}
	// Batches without ID labels: the processor changes nothing, so every
	// iteration gets the same batch (benchdata.NewShared).
	b.Run("batch=no_exemplars/series=1000", func(b *testing.B) {
		benchmarkBatch(b, newBenchProcessor, benchdata.NewShared(benchdata.NoExemplars(1_000)))
	})
	b.Run("batch=otlp_ids/series=1000", func(b *testing.B) {
		benchmarkBatch(b, newBenchProcessor, benchdata.NewShared(benchdata.OTLPIDs(1_000)))
	})
	b.Run("batch=unrelated_labels/series=1000", func(b *testing.B) {
		benchmarkBatch(b, newBenchProcessor, benchdata.NewShared(benchdata.Uniform(1_000, benchdata.Unrelated)))
	})
}

// BenchmarkExemplarLinkStyle processes batches whose 10,000 exemplars all
// use one label style, to show what each style costs on its own. allocs/op
// divided by 10,000 is the allocations per exemplar of that style. The
// by_value style runs with detect_ids_by_value on, the only setting under
// which it links.
func BenchmarkExemplarLinkStyle(b *testing.B) {
	for s := benchdata.Style(0); s < benchdata.NumStyles; s++ {
		b.Run("style="+s.String(), func(b *testing.B) {
			benchmarkBatch(b, newBenchProcessorDetectingByValue(s == benchdata.ByValue), benchdata.NewCopies(benchdata.Uniform(1_000, s)))
		})
	}
}

// BenchmarkDetectIDsByValue measures what detect_ids_by_value costs, off
// and on, on the mixed batch (where it looks at the values of the
// exemplars that have labels but no reference: the unrelated-labels style)
// and on a batch whose every exemplar holds its IDs under unlisted names.
// Compare the columns with `benchstat -col /detect_ids_by_value`. Both
// columns get fresh copies, even where the setting off leaves the batch as
// it came: a shared batch stays in the CPU caches (see benchdata.Copies),
// and the columns would no longer compare.
func BenchmarkDetectIDsByValue(b *testing.B) {
	batches := []struct {
		name string
		md   func() pmetric.Metrics
	}{
		{"mixed", func() pmetric.Metrics { return benchdata.Mixed(1_000) }},
		{"by_value", func() pmetric.Metrics { return benchdata.Uniform(1_000, benchdata.ByValue) }},
	}
	for _, batch := range batches {
		for _, on := range []bool{false, true} {
			b.Run("batch="+batch.name+"/detect_ids_by_value="+strconv.FormatBool(on), func(b *testing.B) {
				benchmarkBatch(b, newBenchProcessorDetectingByValue(on), benchdata.NewCopies(batch.md()))
			})
		}
	}
}

// BenchmarkFloor walks the mixed batch without changing it, through the
// same processorhelper wrapper: the least any exemplar processor costs.
func BenchmarkFloor(b *testing.B) {
	b.Run("batch=mixed/series=1000", func(b *testing.B) {
		benchmarkBatch(b, benchdata.NewFloor, benchdata.NewCopies(benchdata.Mixed(1_000)))
	})
}

type newProcessor func(context.Context, processor.Settings, consumer.Metrics) (processor.Metrics, error)

func newBenchProcessor(ctx context.Context, set processor.Settings, next consumer.Metrics) (processor.Metrics, error) {
	return NewFactory().CreateMetrics(ctx, set, createDefaultConfig(), next)
}

// newBenchProcessorDetectingByValue is newBenchProcessor with
// detect_ids_by_value set to on.
func newBenchProcessorDetectingByValue(on bool) newProcessor {
	return func(ctx context.Context, set processor.Settings, next consumer.Metrics) (processor.Metrics, error) {
		cfg := defaultConfig()
		cfg.DetectIDsByValue = on
		return NewFactory().CreateMetrics(ctx, set, cfg, next)
	}
}

// benchmarkBatch measures newProc's processor consuming the batches that
// copies hands out (see benchdata.Measure).
func benchmarkBatch(b *testing.B, newProc newProcessor, copies *benchdata.Copies) {
	proc, err := newProc(context.Background(), processortest.NewNopSettings(metadata.Type), consumertest.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	benchdata.Measure(b, proc, copies)
}

// TestByValueBatchLinks checks that BenchmarkDetectIDsByValue measures real
// work: with the setting on every exemplar of the by_value batch leaves
// linked with its own IDs and only its route label; with it off the batch
// leaves as it came.
func TestByValueBatchLinks(t *testing.T) {
	for _, on := range []bool{false, true} {
		t.Run("detect_ids_by_value="+strconv.FormatBool(on), func(t *testing.T) {
			cfg := defaultConfig()
			cfg.DetectIDsByValue = on
			proc, sink := newTestProcessor(t, cfg, processortest.NewNopSettings(metadata.Type))
			in := benchdata.Uniform(2, benchdata.ByValue)
			want := pmetric.NewMetrics()
			in.CopyTo(want)
			points := func(md pmetric.Metrics) pmetric.HistogramDataPointSlice {
				return md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Histogram().DataPoints()
			}
			if on {
				for d, dp := range points(want).All() {
					for e, ex := range dp.Exemplars().All() {
						trace, span := benchdata.IDs(uint64(d*benchdata.ExemplarsPerSeries + e))
						ex.SetTraceID(trace)
						ex.SetSpanID(span)
						ex.FilteredAttributes().Remove("request")
						ex.FilteredAttributes().Remove("parent")
					}
				}
			}

			require.NoError(t, proc.ConsumeMetrics(t.Context(), in))
			require.Len(t, sink.AllMetrics(), 1)
			got := sink.AllMetrics()[0]
			require.NoError(t, pmetrictest.CompareMetrics(want, got))
			// CompareMetrics leaves the exemplars' labels out.
			for d, dp := range points(want).All() {
				for e, ex := range dp.Exemplars().All() {
					assert.Equal(t, exemplarOf(ex), exemplarOf(points(got).At(d).Exemplars().At(e)), "exemplar %d/%d", d, e)
				}
			}
		})
	}
}
