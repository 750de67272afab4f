package main

// The replay machine: a second exemplar_link instance with the check's
// settings, fed one exemplar at a time, so that its telemetry tells why
// that one exemplar was or was not linked.

import (
	"context"
	"errors"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"

	"github.com/exemplarlink/exemplarlinkprocessor"
)

// The processor's telemetry, as its README and metadata.yaml state it.
const (
	metricLinked   = "otelcol_processor_exemplar_link_exemplars_linked"
	metricUnlinked = "otelcol_processor_exemplar_link_exemplars_unlinked"
)

// replay runs single exemplars through an exemplar_link instance of its
// own and reads from its telemetry what it counted for each.
type replay struct {
	proc processor.Metrics
	// traces is its traces side (with --otlp), handed the app's spans as
	// the check's own exemplar_link in the traces pipeline is.
	traces processor.Traces
	reader *sdkmetric.ManualReader
	mp     *sdkmetric.MeterProvider
	out    pmetric.Metrics
	got    bool
	totals map[string]int64
}

// newReplay starts the replay machine; with spans, it gets a traces side
// too (feed it through r.traces). It does not wait for spans (wait::max_wait
// 0): it runs after the spans of the judged scrape have come.
func newReplay(ctx context.Context, cfg component.Config, spans bool) (*replay, error) {
	if c, ok := cfg.(*exemplarlinkprocessor.Config); ok && spans {
		noWait := *c
		noWait.Wait.MaxWait = 0
		cfg = &noWait
	}
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
	set := processor.Settings{
		ID:                component.NewIDWithName(pf.Type(), "replay"),
		TelemetrySettings: tel,
		BuildInfo:         component.NewDefaultBuildInfo(),
	}
	r.proc, err = pf.CreateMetrics(ctx, set, cfg, sink)
	if err != nil {
		return nil, fmt.Errorf("exemplar_link: %w", err)
	}
	if spans {
		set.TelemetrySettings = telemetrySettings(zap.NewNop())
		r.traces, err = pf.CreateTraces(ctx, set, cfg, consumertest.NewNop())
		if err != nil {
			return nil, fmt.Errorf("exemplar_link (traces): %w", err)
		}
		if err := r.traces.Start(ctx, nopHost{}); err != nil {
			return nil, fmt.Errorf("exemplar_link (traces): %w", err)
		}
	}
	if err := r.proc.Start(ctx, nopHost{}); err != nil {
		r.Close()
		return nil, fmt.Errorf("exemplar_link: %w", err)
	}
	return r, nil
}

func (r *replay) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	_ = r.proc.Shutdown(ctx)
	if r.traces != nil {
		_ = r.traces.Shutdown(ctx)
	}
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
