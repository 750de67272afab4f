package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

func metricTypeName(t pmetric.MetricType) string {
	switch t {
	case pmetric.MetricTypeHistogram:
		return typeHistogram
	case pmetric.MetricTypeExponentialHistogram:
		return typeExponentialHistogram
	case pmetric.MetricTypeSum:
		return typeSum
	case pmetric.MetricTypeGauge:
		return typeGauge
	case pmetric.MetricTypeSummary:
		return typeSummary
	case pmetric.MetricTypeEmpty:
		return typeEmpty
	}
	return typeEmpty
}

// walkSeries calls visit for every data point of md that can carry
// exemplars, with its metric, series key and exemplars.
func walkSeries(md pmetric.Metrics, visit func(m pmetric.Metric, series string, exs pmetric.ExemplarSlice)) {
	rms := md.ResourceMetrics()
	for i := range rms.Len() {
		sms := rms.At(i).ScopeMetrics()
		for j := range sms.Len() {
			ms := sms.At(j).Metrics()
			for k := range ms.Len() {
				m := ms.At(k)
				switch m.Type() {
				case pmetric.MetricTypeHistogram:
					dps := m.Histogram().DataPoints()
					for d := range dps.Len() {
						visit(m, seriesKey(m, dps.At(d).Attributes()), dps.At(d).Exemplars())
					}
				case pmetric.MetricTypeExponentialHistogram:
					dps := m.ExponentialHistogram().DataPoints()
					for d := range dps.Len() {
						visit(m, seriesKey(m, dps.At(d).Attributes()), dps.At(d).Exemplars())
					}
				case pmetric.MetricTypeSum:
					dps := m.Sum().DataPoints()
					for d := range dps.Len() {
						visit(m, seriesKey(m, dps.At(d).Attributes()), dps.At(d).Exemplars())
					}
				case pmetric.MetricTypeGauge:
					dps := m.Gauge().DataPoints()
					for d := range dps.Len() {
						visit(m, seriesKey(m, dps.At(d).Attributes()), dps.At(d).Exemplars())
					}
				case pmetric.MetricTypeSummary, pmetric.MetricTypeEmpty:
					// Summaries carry no exemplars.
				}
			}
		}
	}
}

func seriesKey(m pmetric.Metric, attrs pcommon.Map) string {
	kv := make([]string, 0, attrs.Len())
	attrs.Range(func(k string, v pcommon.Value) bool {
		kv = append(kv, k+"="+v.AsString())
		return true
	})
	sort.Strings(kv)
	return m.Name() + "\x00" + m.Type().String() + "\x00" + strings.Join(kv, "\x00")
}

// labelsOf lists an exemplar's references and labels as the receiver
// handed them on: IDs it moved into the fields first, as trace_id/span_id.
func labelsOf(ex pmetric.Exemplar) Labels {
	var ls Labels
	if t := ex.TraceID(); !t.IsEmpty() {
		ls = append(ls, label{"trace_id", hex.EncodeToString(t[:])})
	}
	if s := ex.SpanID(); !s.IsEmpty() {
		ls = append(ls, label{"span_id", hex.EncodeToString(s[:])})
	}
	ex.FilteredAttributes().Range(func(k string, v pcommon.Value) bool {
		ls = append(ls, label{k, v.AsString()})
		return true
	})
	return ls
}

func attrValues(m pcommon.Map) string {
	values := make([]string, 0, m.Len())
	m.Range(func(_ string, v pcommon.Value) bool {
		values = append(values, strings.ToValidUTF8(v.AsString(), "\uFFFD"))
		return true
	})
	return sortedValues(values)
}

// evaluate judges every exemplar of the last scrape: what exemplar_link
// made of it (replayed alone), and what Cloud Monitoring received for it
// through each pipeline.
// receiverStart is when the OTLP receiver started (zero without --otlp).
// dest is --destination.
func evaluate(ctx context.Context, last *scrapeDigest, rp *replay, receiverStart time.Time, dest string) ([]Record, error) {
	if last == nil {
		return nil, nil
	}
	records := make([]Record, 0, len(last.exemplars))
	for _, e := range last.exemplars {
		ex := e.ex
		outcome, out, err := rp.run(ctx, e.metric, e.typ, ex)
		if err != nil {
			return nil, fmt.Errorf("exemplar_link replay: %w", err)
		}
		k := gcmKey{Metric: e.metric, Value: math.Float64bits(exemplarValue(ex)), TimeNs: ex.Timestamp().AsTime().UnixNano()}
		var spanName, stockSpanName string
		var dropped map[string]string
		var exported bool
		if g := last.linked.exemplars.take(k, attrValues(out.FilteredAttributes())); g != nil {
			spanName, dropped, exported = g.spanName, g.dropped, g.exported
		}
		if g := last.stock.exemplars.take(k, attrValues(ex.FilteredAttributes())); g != nil {
			stockSpanName = g.spanName
		}
		typ := metricTypeName(e.typ)
		v := decide(evidence{
			MetricType:     typ,
			Processor:      outcome,
			SpanName:       spanName,
			StockSpanName:  stockSpanName,
			MetricExported: last.linked.metrics[e.metric],
			NewSeries:      e.newSeries,
			SpansChecked:   !receiverStart.IsZero(),
			SpanExported:   exported,
			BeforeReceiver: ex.Timestamp() != 0 && ex.Timestamp().AsTime().Before(receiverStart),
		})
		labels := labelsOf(ex)
		r := Record{
			Metric:          e.metric,
			MetricType:      typ,
			LabelsIn:        labels,
			Linked:          v.Linked,
			SpanName:        spanName,
			Reason:          v.Reason,
			StockLinked:     stockSpanName != "",
			DroppedLabels:   dropped,
			Resolution:      v.Resolution,
			FromTraces:      outcome.Linked && outcome.Source == sourceTraces,
			style:           labelStyle(labels),
			processorReason: outcome.Reason,
			verdict:         v,
		}
		if isPrometheus(dest) {
			r.Prometheus = promRecord(dest, typ, ex, out)
		}
		if t := out.TraceID(); !t.IsEmpty() {
			r.TraceID = hex.EncodeToString(t[:])
		}
		if s := out.SpanID(); !s.IsEmpty() {
			r.SpanID = hex.EncodeToString(s[:])
		}
		records = append(records, r)
	}
	return records, nil
}

func exemplarValue(ex pmetric.Exemplar) float64 {
	switch ex.ValueType() {
	case pmetric.ExemplarValueTypeDouble:
		return ex.DoubleValue()
	case pmetric.ExemplarValueTypeInt:
		return float64(ex.IntValue())
	case pmetric.ExemplarValueTypeEmpty:
	}
	return 0
}
