package main

// The pipeline wiring: the real prometheus receiver scraping the target
// (through the pass-through), fanned out to the real exemplar_link in front
// of the real googlemanagedprometheus exporter, and to a second exporter
// with no processor (the stock pipeline); each exporter writes to its own
// in-process gcpstandin Cloud Monitoring. A second exemplar_link instance
// with the same settings replays each exemplar alone, so its telemetry
// tells why that one exemplar was or was not linked.

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"cloud.google.com/go/monitoring/apiv3/v2/monitoringpb"
	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/googlemanagedprometheusexporter"
	"github.com/open-telemetry/opentelemetry-collector-contrib/receiver/prometheusreceiver"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/otel/attribute"
	noopmetric "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	nooptrace "go.opentelemetry.io/otel/trace/noop"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/exemplarlink/exemplarlinkprocessor"
	"github.com/exemplarlink/exemplarlinkprocessor/gcpstandin"
)

// The processor's telemetry, as its README and metadata.yaml state it.
const (
	metricLinked   = "otelcol_processor_exemplar_link_exemplars_linked"
	metricUnlinked = "otelcol_processor_exemplar_link_exemplars_unlinked"
)

// scrapeFailedMessage is what the prometheus receiver logs (at Warn, with
// the scrape's error) when a scrape fails.
const scrapeFailedMessage = "Failed to scrape Prometheus endpoint"

const shutdownTimeout = 10 * time.Second

// pipelineSettings configure one run.
type pipelineSettings struct {
	ProcessorConfig component.Config
	Project         string
	Interval        time.Duration
	Timeout         time.Duration
	BodyLimit       int64
	Scrapes         int
}

// batch is one scrape as it went through both pipelines.
type batch struct {
	// In is the scrape as the receiver handed it on.
	In pmetric.Metrics
	// Linked and Stock are the Cloud Monitoring write requests the two
	// exporters made for it.
	Linked, Stock       []*monitoringpb.CreateTimeSeriesRequest
	LinkedErr, StockErr error
}

// fanout gives each scrape to both pipelines, each its own copy, and
// records what each exporter wrote for it. The exporters have no sending
// queue, so a scrape's writes are done when ConsumeMetrics returns.
type fanout struct {
	linked, stock       consumer.Metrics
	gcmLinked, gcmStock *gcpstandin.Server

	mu      sync.Mutex
	batches []batch
	notify  chan struct{}
}

func (f *fanout) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (f *fanout) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	b := batch{In: pmetric.NewMetrics()}
	md.CopyTo(b.In)
	stock, linked := pmetric.NewMetrics(), pmetric.NewMetrics()
	md.CopyTo(stock)
	md.CopyTo(linked)

	before := len(f.gcmStock.CreateTimeSeriesRequests())
	b.StockErr = f.stock.ConsumeMetrics(ctx, stock)
	b.Stock = f.gcmStock.CreateTimeSeriesRequests()[before:]

	before = len(f.gcmLinked.CreateTimeSeriesRequests())
	b.LinkedErr = f.linked.ConsumeMetrics(ctx, linked)
	b.Linked = f.gcmLinked.CreateTimeSeriesRequests()[before:]

	f.batches = append(f.batches, b)
	select {
	case f.notify <- struct{}{}:
	default:
	}
	return errors.Join(b.StockErr, b.LinkedErr)
}

func (f *fanout) Batches() []batch {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]batch(nil), f.batches...)
}

// pipelineResult is what a run gathered.
type pipelineResult struct {
	Batches []batch
	Scrapes []scrapeRecord
	// Failure is the one-line reason the scrapes failed, "" if they did not.
	Failure string
}

type nopHost struct{}

func (nopHost) GetExtensions() map[component.ID]component.Component { return nil }

func telemetrySettings(logger *zap.Logger) component.TelemetrySettings {
	return component.TelemetrySettings{
		Logger:         logger,
		TracerProvider: nooptrace.NewTracerProvider(),
		MeterProvider:  noopmetric.NewMeterProvider(),
		Resource:       pcommon.NewResource(),
	}
}

// unmarshalInto fills cfg from a YAML-shaped map, as the collector fills a
// component's config from its file, and validates it.
func unmarshalInto(cfg component.Config, m map[string]any) error {
	if err := confmap.NewFromStringMap(m).Unmarshal(cfg); err != nil {
		return err
	}
	return confmap.Validate(cfg)
}

func newExporter(ctx context.Context, name, project, endpoint string, logger *zap.Logger) (exporter.Metrics, error) {
	f := googlemanagedprometheusexporter.NewFactory()
	cfg := f.CreateDefaultConfig()
	// use_insecure with an endpoint: plaintext gRPC to the stand-in, and
	// with the project set no lookup of Google credentials. No sending
	// queue, so an export is done when ConsumeMetrics returns.
	if err := unmarshalInto(cfg, map[string]any{
		"project":       project,
		"metric":        map[string]any{"endpoint": endpoint, "use_insecure": true},
		"sending_queue": map[string]any{"enabled": false},
	}); err != nil {
		return nil, fmt.Errorf("googlemanagedprometheus config: %w", err)
	}
	return f.CreateMetrics(ctx, exporter.Settings{
		ID:                component.NewIDWithName(f.Type(), name),
		TelemetrySettings: telemetrySettings(logger),
		BuildInfo:         component.NewDefaultBuildInfo(),
	}, cfg)
}

func receiverConfig(set pipelineSettings, addr string) map[string]any {
	protocols := make([]any, len(scrapeProtocols))
	for i, p := range scrapeProtocols {
		protocols[i] = p
	}
	return map[string]any{
		"config": map[string]any{
			"scrape_configs": []any{map[string]any{
				"job_name":         "exemplar-check",
				"scrape_interval":  set.Interval.String(),
				"scrape_timeout":   set.Timeout.String(),
				"scrape_protocols": protocols,
				"body_size_limit":  strconv.FormatInt(set.BodyLimit, 10) + "B",
				"metrics_path":     "/metrics",
				"static_configs":   []any{map[string]any{"targets": []any{addr}}},
			}},
		},
		// Hand the static target to the scrape manager at once, not after
		// the discovery manager's 5 s update tick.
		"discovery_reload_on_startup": true,
	}
}

// runPipeline scrapes addr (the pass-through pt) set.Scrapes times, or
// until a scrape fails, through both pipelines.
func runPipeline(ctx context.Context, set pipelineSettings, addr string, pt *passThrough) (*pipelineResult, error) {
	warnCore, logs := observer.New(zapcore.WarnLevel)
	rcvLogger := zap.New(warnCore)
	nop := zap.NewNop()

	gcmLinked, err := gcpstandin.Start()
	if err != nil {
		return nil, fmt.Errorf("start the Cloud Monitoring stand-in: %w", err)
	}
	defer gcmLinked.Stop()
	gcmStock, err := gcpstandin.Start()
	if err != nil {
		return nil, fmt.Errorf("start the Cloud Monitoring stand-in: %w", err)
	}
	defer gcmStock.Stop()

	expLinked, err := newExporter(ctx, "linked", set.Project, gcmLinked.Addr(), nop)
	if err != nil {
		return nil, err
	}
	expStock, err := newExporter(ctx, "stock", set.Project, gcmStock.Addr(), nop)
	if err != nil {
		return nil, err
	}
	pf := exemplarlinkprocessor.NewFactory()
	proc, err := pf.CreateMetrics(ctx, processor.Settings{
		ID:                component.NewID(pf.Type()),
		TelemetrySettings: telemetrySettings(nop),
		BuildInfo:         component.NewDefaultBuildInfo(),
	}, set.ProcessorConfig, expLinked)
	if err != nil {
		return nil, fmt.Errorf("exemplar_link: %w", err)
	}
	fan := &fanout{linked: proc, stock: expStock, gcmLinked: gcmLinked, gcmStock: gcmStock, notify: make(chan struct{}, 1)}

	rf := prometheusreceiver.NewFactory()
	rcfg := rf.CreateDefaultConfig()
	if err := unmarshalInto(rcfg, receiverConfig(set, addr)); err != nil {
		return nil, fmt.Errorf("prometheus receiver config: %w", err)
	}
	rcv, err := rf.CreateMetrics(ctx, receiver.Settings{
		ID:                component.NewID(rf.Type()),
		TelemetrySettings: telemetrySettings(rcvLogger),
		BuildInfo:         component.NewDefaultBuildInfo(),
	}, rcfg, fan)
	if err != nil {
		return nil, fmt.Errorf("prometheus receiver: %w", err)
	}

	// Start downstream first, shut down upstream first, as the collector does.
	started := []component.Component{}
	shutdown := func() error {
		var errs error
		for i := len(started) - 1; i >= 0; i-- {
			sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
			errs = errors.Join(errs, started[i].Shutdown(sctx))
			cancel()
		}
		return errs
	}
	for _, c := range []component.Component{expLinked, expStock, proc, rcv} {
		started = append(started, c)
		if err := c.Start(ctx, nopHost{}); err != nil {
			_ = shutdown()
			return nil, fmt.Errorf("start %T: %w", c, err)
		}
	}

	res := &pipelineResult{}
	// The first scrape comes within one interval (Prometheus spreads
	// targets over it); each takes at most the timeout.
	deadline := time.NewTimer(time.Duration(set.Scrapes+1)*set.Interval + set.Timeout + 10*time.Second)
	defer deadline.Stop()
wait:
	for {
		for _, rec := range pt.Records() {
			if msg := scrapeFailure(rec, set.Timeout, set.BodyLimit); msg != "" {
				res.Failure = msg
				break wait
			}
		}
		if failed := logs.FilterMessage(scrapeFailedMessage).All(); len(failed) > 0 {
			res.Failure = receiverError(failed[0])
			break
		}
		if len(fan.Batches()) >= set.Scrapes {
			break
		}
		select {
		case <-fan.notify:
		case <-pt.notify:
		case <-deadline.C:
			res.Failure = fmt.Sprintf("no %d scrapes within the deadline (got %d)", set.Scrapes, len(fan.Batches()))
			break wait
		case <-ctx.Done():
			res.Failure = "interrupted"
			break wait
		}
	}
	res.Scrapes = pt.Records()
	res.Batches = fan.Batches()
	if err := shutdown(); err != nil && res.Failure == "" {
		return nil, fmt.Errorf("shutdown: %w", err)
	}
	return res, nil
}

// receiverError is the one-line error of the receiver's scrape-failure log.
func receiverError(e observer.LoggedEntry) string {
	if v, ok := e.ContextMap()["error"]; ok {
		return "the prometheus receiver could not use the answer: " + oneLine(fmt.Sprint(v))
	}
	return "the prometheus receiver reports the scrape failed"
}

// replay runs single exemplars through an exemplar_link instance of its
// own and reads from its telemetry what it counted for each.
type replay struct {
	proc   processor.Metrics
	reader *sdkmetric.ManualReader
	mp     *sdkmetric.MeterProvider
	out    pmetric.Metrics
	got    bool
	totals map[string]int64
}

func newReplay(ctx context.Context, cfg component.Config) (*replay, error) {
	r := &replay{reader: sdkmetric.NewManualReader(), totals: map[string]int64{}}
	r.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(r.reader))
	tel := telemetrySettings(zap.NewNop())
	tel.MeterProvider = r.mp
	pf := exemplarlinkprocessor.NewFactory()
	sink, err := consumer.NewMetrics(func(_ context.Context, md pmetric.Metrics) error {
		r.out, r.got = md, true
		return nil
	})
	if err != nil {
		return nil, err
	}
	r.proc, err = pf.CreateMetrics(ctx, processor.Settings{
		ID:                component.NewIDWithName(pf.Type(), "replay"),
		TelemetrySettings: tel,
		BuildInfo:         component.NewDefaultBuildInfo(),
	}, cfg, sink)
	if err != nil {
		return nil, fmt.Errorf("exemplar_link: %w", err)
	}
	if err := r.proc.Start(ctx, nopHost{}); err != nil {
		return nil, fmt.Errorf("exemplar_link: %w", err)
	}
	return r, nil
}

func (r *replay) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	_ = r.proc.Shutdown(ctx)
	_ = r.mp.Shutdown(ctx)
}

// run passes ex, an exemplar of a metric of type typ, through the
// processor alone and returns what it counted and the exemplar it let out.
func (r *replay) run(ctx context.Context, name string, typ pmetric.MetricType, ex pmetric.Exemplar) (processorOutcome, pmetric.Exemplar, error) {
	md := pmetric.NewMetrics()
	m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName(name)
	var exs pmetric.ExemplarSlice
	switch typ {
	case pmetric.MetricTypeHistogram:
		h := m.SetEmptyHistogram()
		h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		exs = h.DataPoints().AppendEmpty().Exemplars()
	case pmetric.MetricTypeExponentialHistogram:
		h := m.SetEmptyExponentialHistogram()
		h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		exs = h.DataPoints().AppendEmpty().Exemplars()
	case pmetric.MetricTypeSum:
		s := m.SetEmptySum()
		s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		s.SetIsMonotonic(true)
		exs = s.DataPoints().AppendEmpty().Exemplars()
	case pmetric.MetricTypeGauge:
		exs = m.SetEmptyGauge().DataPoints().AppendEmpty().Exemplars()
	case pmetric.MetricTypeSummary, pmetric.MetricTypeEmpty:
		return processorOutcome{}, ex, nil // no exemplars there
	}
	ex.CopyTo(exs.AppendEmpty())

	r.got = false
	if err := r.proc.ConsumeMetrics(ctx, md); err != nil {
		return processorOutcome{}, pmetric.Exemplar{}, err
	}
	if !r.got {
		return processorOutcome{}, pmetric.Exemplar{}, errors.New("exemplar_link let nothing out")
	}
	out, ok := onlyExemplar(r.out)
	if !ok {
		return processorOutcome{}, pmetric.Exemplar{}, errors.New("exemplar_link let out no exemplar for one in")
	}
	var rm metricdata.ResourceMetrics
	if err := r.reader.Collect(ctx, &rm); err != nil {
		return processorOutcome{}, pmetric.Exemplar{}, err
	}
	var o processorOutcome
	for _, sm := range rm.ScopeMetrics {
		for _, mm := range sm.Metrics {
			var prefix, attr string
			switch mm.Name {
			case metricLinked:
				prefix, attr = "linked/", "source"
			case metricUnlinked:
				prefix, attr = "unlinked/", "reason"
			default:
				continue
			}
			sum, ok := mm.Data.(metricdata.Sum[int64])
			if !ok {
				continue
			}
			for _, dp := range sum.DataPoints {
				v, _ := dp.Attributes.Value(attribute.Key(attr))
				key := prefix + v.AsString()
				if dp.Value > r.totals[key] {
					r.totals[key] = dp.Value
					if prefix == "linked/" {
						o.Linked, o.Source = true, v.AsString()
					} else {
						o.Reason = v.AsString()
					}
				}
			}
		}
	}
	return o, out, nil
}

func onlyExemplar(md pmetric.Metrics) (pmetric.Exemplar, bool) {
	if md.ResourceMetrics().Len() != 1 || md.ResourceMetrics().At(0).ScopeMetrics().Len() != 1 {
		return pmetric.Exemplar{}, false
	}
	ms := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics()
	if ms.Len() != 1 {
		return pmetric.Exemplar{}, false
	}
	m := ms.At(0)
	var exs pmetric.ExemplarSlice
	switch m.Type() {
	case pmetric.MetricTypeHistogram:
		exs = m.Histogram().DataPoints().At(0).Exemplars()
	case pmetric.MetricTypeExponentialHistogram:
		exs = m.ExponentialHistogram().DataPoints().At(0).Exemplars()
	case pmetric.MetricTypeSum:
		exs = m.Sum().DataPoints().At(0).Exemplars()
	case pmetric.MetricTypeGauge:
		exs = m.Gauge().DataPoints().At(0).Exemplars()
	case pmetric.MetricTypeSummary, pmetric.MetricTypeEmpty:
		return pmetric.Exemplar{}, false
	}
	if exs.Len() != 1 {
		return pmetric.Exemplar{}, false
	}
	return exs.At(0), true
}
