package bench

import (
	"context"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/googlemanagedprometheusexporter"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/exemplarlink/exemplarlinkprocessor/gcpstandin"
	"github.com/exemplarlink/exemplarlinkprocessor/internal/testing/benchdata"
)

// gmpProject is the fixed project the exporter writes to; with a project
// set and use_insecure on, it never looks for Google credentials.
const gmpProject = "exemplarlink-bench"

// newGMPExporter creates the googlemanagedprometheus exporter sending to
// the fake Cloud Monitoring server at addr. The settings amount to
//
//	googlemanagedprometheus:
//	  project: exemplarlink-bench
//	  metric:
//	    endpoint: <fake server, 127.0.0.1:port>
//	    use_insecure: true
//	    cumulative_normalization: false
//	  sending_queue:
//	    enabled: false
//
// Without the queue every ConsumeMetrics call converts and sends the whole
// batch before it returns, so the benchmark measures the exporter's full
// work. Cumulative normalisation is off so repeated batches are all sent
// in full (it would also add its cache upkeep to the exporter's cost,
// which would only make exemplar_link look cheaper in comparison).
func newGMPExporter(ctx context.Context, addr string) (benchdata.Component, error) {
	f := googlemanagedprometheusexporter.NewFactory()
	cfg := f.CreateDefaultConfig().(*googlemanagedprometheusexporter.Config)
	cfg.GMPConfig.ProjectID = gmpProject
	cfg.GMPConfig.MetricConfig.ClientConfig.Endpoint = addr
	cfg.GMPConfig.MetricConfig.ClientConfig.UseInsecure = true
	cfg.GMPConfig.MetricConfig.CumulativeNormalization = false
	cfg.QueueSettings = configoptional.None[exporterhelper.QueueBatchConfig]()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return f.CreateMetrics(ctx, exportertest.NewNopSettings(f.Type()), cfg)
}

// benchmarkExporter measures the exporter sending the batch it would get
// behind exemplar_link: template after one pass of the processor, so that
// the linked exemplars carry Cloud Trace links.
func benchmarkExporter(b *testing.B, template pmetric.Metrics) {
	srv, err := gcpstandin.Start(gcpstandin.CountOnly())
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Stop()

	linked := pmetric.NewMetrics()
	template.CopyTo(linked)
	sink := new(consumertest.MetricsSink)
	proc, err := newExemplarLink(context.Background(), sink)
	if err != nil {
		b.Fatal(err)
	}
	if err := proc.ConsumeMetrics(context.Background(), linked); err != nil {
		b.Fatal(err)
	}

	benchmarkBatch(b, func(ctx context.Context, _ consumer.Metrics) (benchdata.Component, error) {
		return newGMPExporter(ctx, srv.Addr())
	}, benchdata.NewAdvancingCopies(linked))

	st := srv.Stats()
	if st.Requests == 0 || st.Points == 0 || st.SpanContextExemplars == 0 {
		b.Fatalf("the fake Cloud Monitoring server saw no linked exemplars: %+v", st)
	}
}
