package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"math"
	"sort"
	"strings"

	"cloud.google.com/go/monitoring/apiv3/v2/monitoringpb"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/exemplarlink/exemplarlinkprocessor/gcpstandin"
)

// gcmExemplar is one exemplar Cloud Monitoring received.
type gcmExemplar struct {
	spanName string
	dropped  map[string]string
	values   string // sortedValues of dropped
	used     bool
}

// gcmIndex finds the exemplars of write requests by metric, value and
// timestamp.
type gcmIndex map[gcmKey][]*gcmExemplar

func indexGCM(reqs []*monitoringpb.CreateTimeSeriesRequest) gcmIndex {
	idx := gcmIndex{}
	for _, req := range reqs {
		for _, ts := range req.GetTimeSeries() {
			base := gcmBaseName(ts.GetMetric().GetType())
			for _, p := range ts.GetPoints() {
				for _, ex := range p.GetValue().GetDistributionValue().GetExemplars() {
					dropped := gcpstandin.DroppedLabels(ex)
					values := make([]string, 0, len(dropped))
					for _, v := range dropped {
						values = append(values, v)
					}
					k := gcmKey{Metric: base, Value: math.Float64bits(ex.GetValue()), TimeNs: ex.GetTimestamp().AsTime().UnixNano()}
					idx[k] = append(idx[k], &gcmExemplar{spanName: gcpstandin.SpanName(ex), dropped: dropped, values: sortedValues(values)})
				}
			}
		}
	}
	return idx
}

// take returns an exemplar not taken before with key k, preferring one
// whose dropped-label values are values; nil if there is none.
func (idx gcmIndex) take(k gcmKey, values string) *gcmExemplar {
	var first *gcmExemplar
	for _, e := range idx[k] {
		if e.used {
			continue
		}
		if e.values == values {
			e.used = true
			return e
		}
		if first == nil {
			first = e
		}
	}
	if first != nil {
		first.used = true
	}
	return first
}

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

// exemplarVisit is called for every exemplar of md with its metric and
// series key.
type exemplarVisit func(m pmetric.Metric, series string, ex pmetric.Exemplar) error

// walkExemplars visits every exemplar of md; it also returns the key of
// every series.
func walkExemplars(md pmetric.Metrics, visit exemplarVisit) (map[string]bool, error) {
	series := map[string]bool{}
	rms := md.ResourceMetrics()
	for i := range rms.Len() {
		sms := rms.At(i).ScopeMetrics()
		for j := range sms.Len() {
			ms := sms.At(j).Metrics()
			for k := range ms.Len() {
				m := ms.At(k)
				each := func(attrs pcommon.Map, exs pmetric.ExemplarSlice) error {
					key := seriesKey(m, attrs)
					series[key] = true
					if visit == nil {
						return nil
					}
					for e := range exs.Len() {
						if err := visit(m, key, exs.At(e)); err != nil {
							return err
						}
					}
					return nil
				}
				var err error
				switch m.Type() {
				case pmetric.MetricTypeHistogram:
					dps := m.Histogram().DataPoints()
					for d := 0; d < dps.Len() && err == nil; d++ {
						err = each(dps.At(d).Attributes(), dps.At(d).Exemplars())
					}
				case pmetric.MetricTypeExponentialHistogram:
					dps := m.ExponentialHistogram().DataPoints()
					for d := 0; d < dps.Len() && err == nil; d++ {
						err = each(dps.At(d).Attributes(), dps.At(d).Exemplars())
					}
				case pmetric.MetricTypeSum:
					dps := m.Sum().DataPoints()
					for d := 0; d < dps.Len() && err == nil; d++ {
						err = each(dps.At(d).Attributes(), dps.At(d).Exemplars())
					}
				case pmetric.MetricTypeGauge:
					dps := m.Gauge().DataPoints()
					for d := 0; d < dps.Len() && err == nil; d++ {
						err = each(dps.At(d).Attributes(), dps.At(d).Exemplars())
					}
				case pmetric.MetricTypeSummary, pmetric.MetricTypeEmpty:
					// Summaries carry no exemplars.
				}
				if err != nil {
					return nil, err
				}
			}
		}
	}
	return series, nil
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
// through each pipeline. Earlier scrapes tell which series are new.
func evaluate(ctx context.Context, batches []batch, rp *replay) ([]Record, error) {
	if len(batches) == 0 {
		return nil, nil
	}
	seen := map[string]bool{}
	for _, b := range batches[:len(batches)-1] {
		s, err := walkExemplars(b.In, nil)
		if err != nil {
			return nil, err
		}
		for k := range s {
			seen[k] = true
		}
	}
	last := batches[len(batches)-1]
	linkedIdx, stockIdx := indexGCM(last.Linked), indexGCM(last.Stock)
	exported := map[string]bool{}
	for _, req := range last.Linked {
		for _, ts := range req.GetTimeSeries() {
			exported[gcmBaseName(ts.GetMetric().GetType())] = true
		}
	}

	var records []Record
	_, err := walkExemplars(last.In, func(m pmetric.Metric, series string, ex pmetric.Exemplar) error {
		outcome, out, err := rp.run(ctx, m.Name(), m.Type(), ex)
		if err != nil {
			return fmt.Errorf("exemplar_link replay: %w", err)
		}
		k := gcmKey{Metric: m.Name(), Value: math.Float64bits(exemplarValue(ex)), TimeNs: ex.Timestamp().AsTime().UnixNano()}
		var spanName, stockSpanName string
		var dropped map[string]string
		if e := linkedIdx.take(k, attrValues(out.FilteredAttributes())); e != nil {
			spanName, dropped = e.spanName, e.dropped
		}
		if e := stockIdx.take(k, attrValues(ex.FilteredAttributes())); e != nil {
			stockSpanName = e.spanName
		}
		typ := metricTypeName(m.Type())
		v := decide(evidence{
			MetricType:     typ,
			Processor:      outcome,
			SpanName:       spanName,
			StockSpanName:  stockSpanName,
			MetricExported: exported[m.Name()],
			NewSeries:      !seen[series],
		})
		labels := labelsOf(ex)
		r := Record{
			Metric:        m.Name(),
			MetricType:    typ,
			LabelsIn:      labels,
			Linked:        v.Linked,
			SpanName:      spanName,
			Reason:        v.Reason,
			StockLinked:   stockSpanName != "",
			DroppedLabels: dropped,
			style:         labelStyle(labels),
			verdict:       v,
		}
		if t := out.TraceID(); !t.IsEmpty() {
			r.TraceID = hex.EncodeToString(t[:])
		}
		if s := out.SpanID(); !s.IsEmpty() {
			r.SpanID = hex.EncodeToString(s[:])
		}
		records = append(records, r)
		return nil
	})
	return records, err
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
