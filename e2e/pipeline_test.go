package e2e

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/monitoring/apiv3/v2/monitoringpb"
	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/googlemanagedprometheusexporter"
	"github.com/open-telemetry/opentelemetry-collector-contrib/receiver/prometheusreceiver"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/receiver"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
	distributionpb "google.golang.org/genproto/googleapis/api/distribution"

	"github.com/exemplarlink/exemplarlinkprocessor"
	"github.com/exemplarlink/exemplarlinkprocessor/gcpstandin"
)

const (
	// project is the Cloud project the exporter writes to; it appears in
	// every span name.
	project = "e2e-project"
	// histogramName is the histogram the test target serves; styleLabel
	// tells its series apart, one series per exemplar label style.
	histogramName = "e2e_request_duration_seconds"
	styleLabel    = "style"
	// gmpMetricType is the Cloud Monitoring metric type the exporter gives
	// that histogram.
	gmpMetricType = "prometheus.googleapis.com/" + histogramName + "/histogram"

	scrapeInterval = 200 * time.Millisecond
	// waitTimeout bounds how long one pipeline may take to deliver every
	// style's exemplar; shutdownTimeout bounds each component's Shutdown.
	waitTimeout     = 45 * time.Second
	shutdownTimeout = 15 * time.Second
)

// pipelineRun is what one pipeline delivered to the fake Cloud Monitoring.
type pipelineRun struct {
	timeSeries []*monitoringpb.TimeSeries
	logs       *observer.ObservedLogs
}

// startTarget serves reg as OpenMetrics on a loopback port, the way an
// instrumented application would.
func startTarget(t *testing.T, reg *prometheus.Registry) string {
	t.Helper()
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// unmarshal fills cfg from a YAML-shaped map the way the collector fills a
// component's config from its config file, then validates it.
func unmarshal(t *testing.T, cfg component.Config, m map[string]any) {
	t.Helper()
	if err := confmap.NewFromStringMap(m).Unmarshal(cfg); err != nil {
		t.Fatalf("unmarshal %T: %v", cfg, err)
	}
	if err := confmap.Validate(cfg); err != nil {
		t.Fatalf("validate %T: %v", cfg, err)
	}
}

// runPipeline builds prometheus receiver [→ exemplar_link] →
// googlemanagedprometheus → fake Cloud Monitoring from the components'
// factories, scrapes target until every style in styles has arrived with an
// exemplar, shuts everything down and returns what was written.
func runPipeline(t *testing.T, name, target string, processorSettings map[string]any, styles []string) pipelineRun {
	t.Helper()
	ctx := context.Background()

	core, logs := observer.New(zap.InfoLevel)
	telemetry := componenttest.NewNopTelemetrySettings()
	telemetry.Logger = zap.New(core)
	host := componenttest.NewNopHost()
	buildInfo := component.NewDefaultBuildInfo()

	gcm, err := gcpstandin.Start()
	if err != nil {
		t.Fatalf("start fake Cloud Monitoring: %v", err)
	}
	defer gcm.Stop()

	// Exporter. use_insecure with an endpoint makes it dial the endpoint in
	// plaintext with grpc.WithTransportCredentials(insecure) and, since the
	// project is set, never look up Google default credentials. The sending
	// queue is off so a scrape's export finishes before ConsumeMetrics
	// returns.
	expFactory := googlemanagedprometheusexporter.NewFactory()
	expCfg := expFactory.CreateDefaultConfig()
	unmarshal(t, expCfg, map[string]any{
		"project": project,
		"metric": map[string]any{
			"endpoint":     gcm.Addr(),
			"use_insecure": true,
		},
		"sending_queue": map[string]any{"enabled": false},
	})
	exp, err := expFactory.CreateMetrics(ctx, exporter.Settings{
		ID:                component.NewIDWithName(expFactory.Type(), name),
		TelemetrySettings: telemetry,
		BuildInfo:         buildInfo,
	}, expCfg)
	if err != nil {
		t.Fatalf("create exporter: %v", err)
	}

	next := consumer.Metrics(exp)
	var proc processor.Metrics
	if processorSettings != nil {
		proc = newExemplarLink(ctx, t, name, processorSettings, telemetry, buildInfo, exp)
		next = proc
	}

	rcv, err := newScrapeReceiver(ctx, name, target, telemetry, buildInfo, next)
	if err != nil {
		t.Fatalf("create receiver: %v", err)
	}

	// Start downstream first and shut down upstream first, as the
	// collector's service does.
	started := []component.Component{exp}
	if proc != nil {
		started = append(started, proc)
	}
	started = append(started, rcv)
	shutdown := func() {
		for i := len(started) - 1; i >= 0; i-- {
			sctx, cancel := context.WithTimeout(ctx, shutdownTimeout)
			begin := time.Now()
			if err := started[i].Shutdown(sctx); err != nil {
				t.Errorf("shutdown %T: %v", started[i], err)
			}
			if sctx.Err() != nil {
				t.Errorf("shutdown %T took longer than %v", started[i], shutdownTimeout)
			}
			cancel()
			if d := time.Since(begin); d > 5*time.Second {
				t.Logf("shutdown %T took %v", started[i], d)
			}
		}
	}
	for i, c := range started {
		if err := c.Start(ctx, host); err != nil {
			started = started[:i+1] // shut down what began starting too
			shutdown()
			t.Fatalf("start %T: %v", c, err)
		}
	}

	deadline := time.Now().Add(waitTimeout)
	var missing []string
	for {
		missing = missingStyles(gcm.TimeSeries(), styles)
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	shutdown()
	gcm.Stop()

	run := pipelineRun{timeSeries: gcm.TimeSeries(), logs: logs}
	if len(missing) > 0 {
		dumpLogs(t, logs)
		t.Fatalf("%s pipeline: after %v, no exemplar arrived for styles %q (requests: %+v)",
			name, waitTimeout, missing, gcm.Stats())
	}
	return run
}

// exemplarsByStyle collects the exemplars of the test histogram's points,
// by the series' style label.
func exemplarsByStyle(series []*monitoringpb.TimeSeries) map[string][]*distributionpb.Distribution_Exemplar {
	out := make(map[string][]*distributionpb.Distribution_Exemplar)
	for _, ts := range series {
		if ts.GetMetric().GetType() != gmpMetricType {
			continue
		}
		style := ts.GetMetric().GetLabels()[styleLabel]
		for _, p := range ts.GetPoints() {
			out[style] = append(out[style], p.GetValue().GetDistributionValue().GetExemplars()...)
		}
	}
	return out
}

func missingStyles(series []*monitoringpb.TimeSeries, styles []string) []string {
	got := exemplarsByStyle(series)
	var missing []string
	for _, s := range styles {
		if len(got[s]) == 0 {
			missing = append(missing, s)
		}
	}
	return missing
}

func dumpLogs(t *testing.T, logs *observer.ObservedLogs) {
	t.Helper()
	for _, e := range logs.All() {
		fields := make([]string, 0, len(e.Context))
		for k, v := range e.ContextMap() {
			fields = append(fields, fmt.Sprintf("%s=%v", k, v))
		}
		t.Logf("log %s %s %s", e.Level, e.Message, strings.Join(fields, " "))
	}
}

// newTarget registers the test histogram on a fresh registry and makes one
// observation per case, with the case's exemplar labels.
func newTarget(t *testing.T, cases []exemplarCase) *prometheus.Registry {
	t.Helper()
	reg := prometheus.NewRegistry()
	hist := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    histogramName,
		Help:    "Request durations, one series per exemplar label style.",
		Buckets: prometheus.DefBuckets,
	}, []string{styleLabel})
	reg.MustRegister(hist)
	for _, c := range cases {
		obs, ok := hist.WithLabelValues(c.style).(prometheus.ExemplarObserver)
		if !ok {
			t.Fatalf("histogram does not implement ExemplarObserver")
		}
		obs.ObserveWithExemplar(c.value, c.labels) // panics on labels OpenMetrics rejects
	}
	return reg
}

// newScrapeReceiver is the real prometheus receiver scraping target every
// scrapeInterval into next.
func newScrapeReceiver(ctx context.Context, name, target string, telemetry component.TelemetrySettings, buildInfo component.BuildInfo, next consumer.Metrics) (receiver.Metrics, error) {
	return newScrapeReceiverEvery(ctx, name, target, scrapeInterval, telemetry, buildInfo, next)
}

// newScrapeReceiverEvery is the real prometheus receiver scraping target
// every interval into next.
func newScrapeReceiverEvery(ctx context.Context, name, target string, interval time.Duration, telemetry component.TelemetrySettings, buildInfo component.BuildInfo, next consumer.Metrics) (receiver.Metrics, error) {
	rcvFactory := prometheusreceiver.NewFactory()
	rcvCfg := rcvFactory.CreateDefaultConfig()
	if err := confmap.NewFromStringMap(map[string]any{
		"config": map[string]any{
			"scrape_configs": []any{map[string]any{
				"job_name":        "e2e",
				"scrape_interval": interval.String(),
				"static_configs":  []any{map[string]any{"targets": []any{target}}},
			}},
		},
		// Hand the static target to the scrape manager at once instead of
		// after the discovery manager's 5s update tick.
		"discovery_reload_on_startup": true,
	}).Unmarshal(rcvCfg); err != nil {
		return nil, err
	}
	if err := confmap.Validate(rcvCfg); err != nil {
		return nil, err
	}
	return rcvFactory.CreateMetrics(ctx, receiver.Settings{
		ID:                component.NewIDWithName(rcvFactory.Type(), name),
		TelemetrySettings: telemetry,
		BuildInfo:         buildInfo,
	}, rcvCfg, next)
}

// newExemplarLink is exemplar_link with settings over its defaults
// (validated), sending to next.
func newExemplarLink(ctx context.Context, t *testing.T, name string, settings map[string]any, telemetry component.TelemetrySettings, buildInfo component.BuildInfo, next consumer.Metrics) processor.Metrics {
	t.Helper()
	procFactory := exemplarlinkprocessor.NewFactory()
	procCfg := procFactory.CreateDefaultConfig()
	unmarshal(t, procCfg, settings)
	proc, err := procFactory.CreateMetrics(ctx, processor.Settings{
		ID:                component.NewIDWithName(procFactory.Type(), name),
		TelemetrySettings: telemetry,
		BuildInfo:         buildInfo,
	}, procCfg, next)
	if err != nil {
		t.Fatalf("create processor: %v", err)
	}
	return proc
}
