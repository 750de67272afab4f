package exemplarlinkprocessor

import (
	"context"
	"strconv"
	"testing"

	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/exemplarlink/exemplarlinkprocessor/internal/benchdata"
	"github.com/exemplarlink/exemplarlinkprocessor/internal/metadata"
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
		newProc := newBenchProcessor
		if s == benchdata.ByValue {
			newProc = newByValueProcessor
		}
		b.Run("style="+s.String(), func(b *testing.B) {
			benchmarkBatch(b, newProc, benchdata.NewCopies(benchdata.Uniform(1_000, s)))
		})
	}
}

// BenchmarkDetectIDsByValue measures what detect_ids_by_value costs, off
// and on, on the mixed batch (where it looks at the values of the
// exemplars that have labels but no reference: the unrelated-labels style)
// and on a batch whose every exemplar holds its IDs under unlisted names.
// Compare the columns with `benchstat -col /detect_ids_by_value`.
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
			newProc := newBenchProcessor
			if on {
				newProc = newByValueProcessor
			}
			b.Run("batch="+batch.name+"/detect_ids_by_value="+strconv.FormatBool(on), func(b *testing.B) {
				benchmarkBatch(b, newProc, benchdata.NewCopies(batch.md()))
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

func newByValueProcessor(ctx context.Context, set processor.Settings, next consumer.Metrics) (processor.Metrics, error) {
	cfg := createDefaultConfig().(*Config)
	cfg.DetectIDsByValue = true
	return NewFactory().CreateMetrics(ctx, set, cfg, next)
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
			newProc := newBenchProcessor
			if on {
				newProc = newByValueProcessor
			}
			sink := new(consumertest.MetricsSink)
			proc, err := newProc(context.Background(), processortest.NewNopSettings(metadata.Type), sink)
			if err != nil {
				t.Fatal(err)
			}
			in := benchdata.Uniform(2, benchdata.ByValue)
			want := pmetric.NewMetrics()
			in.CopyTo(want)
			if err := proc.ConsumeMetrics(context.Background(), in); err != nil {
				t.Fatal(err)
			}
			got := sink.AllMetrics()[0].ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Histogram().DataPoints()
			orig := want.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Histogram().DataPoints()
			for d := 0; d < got.Len(); d++ {
				for e := 0; e < got.At(d).Exemplars().Len(); e++ {
					ex, before := got.At(d).Exemplars().At(e), orig.At(d).Exemplars().At(e)
					if !on {
						if ex.TraceID() != before.TraceID() || !ex.FilteredAttributes().Equal(before.FilteredAttributes()) {
							t.Fatalf("exemplar %d/%d changed with the setting off", d, e)
						}
						continue
					}
					wantTrace, wantSpan := benchdata.IDs(uint64(d*benchdata.ExemplarsPerSeries + e))
					if ex.TraceID() != wantTrace || ex.SpanID() != wantSpan {
						t.Errorf("exemplar %d/%d: IDs %v/%v, want %v/%v", d, e, ex.TraceID(), ex.SpanID(), wantTrace, wantSpan)
					}
					if labels := ex.FilteredAttributes().AsRaw(); len(labels) != 1 || labels["route"] != "/cart" {
						t.Errorf("exemplar %d/%d: labels %v, want only route", d, e, labels)
					}
				}
			}
		})
	}
}
