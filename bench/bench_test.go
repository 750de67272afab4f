// Package bench compares, in one run, the exemplar_link processor with what
// users would run instead (the transform processor's OTTL exemplar
// statements in testdata/transform.yaml), with a walk over the same batch
// that changes nothing (the floor), and with the googlemanagedprometheus
// exporter sending the batch to an in-process fake Cloud Monitoring server.
// traces_test.go puts the traces side beside the googlecloud exporter.
//
// `make bench` runs these benchmarks with -count, prints them side by side
// with benchstat (-col /impl) and checks the performance targets with
// ./cmd/benchcheck.
package bench

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/transformprocessor"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/exemplarlink/exemplarlinkprocessor"
	"github.com/exemplarlink/exemplarlinkprocessor/internal/testing/benchdata"
)

// series is the size of every compared batch: a scrape of 1,000 histogram
// series with 10 exemplars each.
const series = 1_000

// batches are the inputs every processor implementation is run on.
// unchanged marks the batches that no implementation changes: every
// iteration gets the same batch (benchdata.NewShared, checked), while the
// mixed batch gets a fresh copy per iteration (benchdata.NewCopies), for
// every implementation alike.
var batches = []struct {
	name      string
	make      func() pmetric.Metrics
	unchanged bool
}{
	{"mixed", func() pmetric.Metrics { return benchdata.Mixed(series) }, false},
	{"no_exemplars", func() pmetric.Metrics { return benchdata.NoExemplars(series) }, true},
	{"otlp_ids", func() pmetric.Metrics { return benchdata.OTLPIDs(series) }, true},
	{"unrelated_labels", func() pmetric.Metrics { return benchdata.Uniform(series, benchdata.Unrelated) }, true},
}

// newMetrics creates a started-able metrics component that passes batches
// to next (processors) or sends them away (the exporter).
type newMetrics func(ctx context.Context, next consumer.Metrics) (benchdata.Component, error)

// impls are the processors compared on every batch.
var impls = []struct {
	name string
	new  newMetrics
}{
	{"floor", func(ctx context.Context, next consumer.Metrics) (benchdata.Component, error) {
		return benchdata.NewFloor(ctx, processortest.NewNopSettings(component.MustNewType("floor")), next)
	}},
	{"exemplar_link", newExemplarLink},
	{"ottl", newTransform},
}

func newExemplarLink(ctx context.Context, next consumer.Metrics) (benchdata.Component, error) {
	f := exemplarlinkprocessor.NewFactory()
	return f.CreateMetrics(ctx, processortest.NewNopSettings(f.Type()), f.CreateDefaultConfig(), next)
}

// newTransform creates the transform processor configured as
// testdata/transform.yaml says.
func newTransform(ctx context.Context, next consumer.Metrics) (benchdata.Component, error) {
	f := transformprocessor.NewFactory()
	cfg, err := loadConfig(f, "testdata/transform.yaml", "processors::transform/exemplar_links")
	if err != nil {
		return nil, err
	}
	return f.CreateMetrics(ctx, processortest.NewNopSettings(f.Type()), cfg, next)
}

func loadConfig(f processor.Factory, file, key string) (component.Config, error) {
	conf, err := confmaptest.LoadConf(file)
	if err != nil {
		return nil, err
	}
	sub, err := conf.Sub(key)
	if err != nil {
		return nil, err
	}
	cfg := f.CreateDefaultConfig()
	if err := sub.Unmarshal(cfg); err != nil {
		return nil, err
	}
	if v, ok := cfg.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// BenchmarkCompare runs every implementation on every batch; the names
// carry batch= and impl= keys so that `benchstat -col /impl` puts them side
// by side. The exporter joins on the mixed batch (see exporter_test.go).
func BenchmarkCompare(b *testing.B) {
	for _, batch := range batches {
		template := batch.make()
		for _, impl := range impls {
			b.Run("batch="+batch.name+"/impl="+impl.name, func(b *testing.B) {
				if batch.unchanged {
					benchmarkBatch(b, impl.new, benchdata.NewShared(template))
				} else {
					benchmarkBatch(b, impl.new, benchdata.NewCopies(template))
				}
			})
		}
		if batch.name == "mixed" {
			b.Run("batch=mixed/impl=gmp_exporter", func(b *testing.B) {
				benchmarkExporter(b, template)
			})
		}
	}
}

// benchmarkBatch measures newComp's component consuming the batches that
// copies hands out (see benchdata.Measure).
func benchmarkBatch(b *testing.B, newComp newMetrics, copies *benchdata.Copies) {
	comp, err := newComp(context.Background(), consumertest.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	benchdata.Measure(b, comp, copies)
}

// TestTransformMatchesExemplarLink checks that the OTTL statements really
// do what exemplar_link does on the benchmark batches, so that the
// comparison is fair: same exemplars out, labels compared as sets.
func TestTransformMatchesExemplarLink(t *testing.T) {
	templates := map[string]pmetric.Metrics{
		"trace-only_upper-case_hex": benchdata.Uniform(5, benchdata.TraceOnlyUpperHex),
		"trace-only_field":          benchdata.Uniform(5, benchdata.TraceOnlyField),
	}
	for _, batch := range batches {
		templates[batch.name] = batch.make()
	}
	for name, template := range templates {
		t.Run(name, func(t *testing.T) {
			want := run(t, newExemplarLink, template)
			got := run(t, newTransform, template)
			wantEx, gotEx := exemplarsOf(want), exemplarsOf(got)
			if len(wantEx) != len(gotEx) || len(wantEx) != benchdata.Exemplars(template) {
				t.Fatalf("exemplar counts differ: exemplar_link %d, ottl %d, input %d", len(wantEx), len(gotEx), benchdata.Exemplars(template))
			}
			inEx := exemplarsOf(template)
			changed := 0
			for i := range wantEx {
				w, g := describe(wantEx[i]), describe(gotEx[i])
				if w != g {
					t.Errorf("exemplar %d (style %v):\n exemplar_link %s\n ottl          %s", i, benchdata.Style(i%int(benchdata.ExemplarsPerSeries)), w, g)
				}
				if w != describe(inEx[i]) {
					changed++
				}
			}
			t.Logf("%d of %d exemplars changed, the same way", changed, len(wantEx))
		})
	}
}

func run(t *testing.T, newComp newMetrics, template pmetric.Metrics) pmetric.Metrics {
	t.Helper()
	sink := new(consumertest.MetricsSink)
	comp, err := newComp(t.Context(), sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := comp.Start(t.Context(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	md := pmetric.NewMetrics()
	template.CopyTo(md)
	if err := comp.ConsumeMetrics(t.Context(), md); err != nil {
		t.Fatal(err)
	}
	if err := comp.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if len(sink.AllMetrics()) != 1 {
		t.Fatalf("got %d batches, want 1", len(sink.AllMetrics()))
	}
	return sink.AllMetrics()[0]
}

func exemplarsOf(md pmetric.Metrics) []pmetric.Exemplar {
	var out []pmetric.Exemplar
	ms := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics()
	for i := 0; i < ms.Len(); i++ {
		dps := ms.At(i).Histogram().DataPoints()
		for j := 0; j < dps.Len(); j++ {
			exs := dps.At(j).Exemplars()
			for k := 0; k < exs.Len(); k++ {
				out = append(out, exs.At(k))
			}
		}
	}
	return out
}

// describe renders an exemplar's IDs and labels (sorted) for comparison.
func describe(ex pmetric.Exemplar) string {
	var labels []string
	ex.FilteredAttributes().Range(func(k string, v pcommon.Value) bool {
		labels = append(labels, k+"="+v.AsString())
		return true
	})
	slices.Sort(labels)
	return "trace=" + ex.TraceID().String() + " span=" + ex.SpanID().String() + " labels={" + strings.Join(labels, " ") + "}"
}
