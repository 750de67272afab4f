package main

import "go.opentelemetry.io/collector/pdata/pmetric"

// chunkPoints is how many data points go through the pipelines at a time.
// The exporter turns a whole batch into Cloud Monitoring time series before
// it sends the first request (about 2 KB a point), so a scrape handed on
// whole would cost that for all its points at once; in chunks the cost is
// bounded. Each point goes to the same exporter and processor either way;
// only how the exporter groups time series into requests differs.
const chunkPoints = 10_000

// forEachChunk moves the data points of md, in order, into pieces of at
// most n points (a metric's points split over pieces keep its name, type
// and settings; resource and scope are copied) and calls fn on each. md is
// left without data points.
func forEachChunk(md pmetric.Metrics, n int, fn func(pmetric.Metrics) error) error {
	var (
		chunk pmetric.Metrics
		size  int
		// drm is the chunk's copy of the resource being moved: one per
		// resource and chunk, since an exporter writes a resource's
		// target_info (and each scope's otel_scope_info) once per
		// ResourceMetrics, and Cloud Monitoring refuses the second write
		// of a series at the same time.
		drm   pmetric.ResourceMetrics
		hasRM bool
	)
	flush := func() error {
		if size == 0 {
			return nil
		}
		err := fn(chunk)
		size, hasRM = 0, false
		return err
	}
	rms := md.ResourceMetrics()
	for i := range rms.Len() {
		rm := rms.At(i)
		hasRM = false
		sms := rm.ScopeMetrics()
		for j := range sms.Len() {
			sm := sms.At(j)
			var dst pmetric.MetricSlice
			open := func() {
				if size == 0 && !hasRM {
					chunk = pmetric.NewMetrics()
				}
				if !hasRM {
					drm = chunk.ResourceMetrics().AppendEmpty()
					rm.Resource().CopyTo(drm.Resource())
					drm.SetSchemaUrl(rm.SchemaUrl())
					hasRM = true
				}
				dsm := drm.ScopeMetrics().AppendEmpty()
				sm.Scope().CopyTo(dsm.Scope())
				dsm.SetSchemaUrl(sm.SchemaUrl())
				dst = dsm.Metrics()
			}
			open()
			ms := sm.Metrics()
			for k := range ms.Len() {
				m := ms.At(k)
				points := pointCount(m)
				if size+points <= n || points == 0 {
					m.MoveTo(dst.AppendEmpty())
					size += points
					continue
				}
				for moved := 0; moved < points; {
					if size >= n {
						if err := flush(); err != nil {
							return err
						}
						open()
					}
					take := min(n-size, points-moved)
					movePoints(m, dst.AppendEmpty(), moved, take)
					moved += take
					size += take
				}
			}
			if size >= n {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}

func pointCount(m pmetric.Metric) int {
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		return m.Gauge().DataPoints().Len()
	case pmetric.MetricTypeSum:
		return m.Sum().DataPoints().Len()
	case pmetric.MetricTypeHistogram:
		return m.Histogram().DataPoints().Len()
	case pmetric.MetricTypeExponentialHistogram:
		return m.ExponentialHistogram().DataPoints().Len()
	case pmetric.MetricTypeSummary:
		return m.Summary().DataPoints().Len()
	case pmetric.MetricTypeEmpty:
	}
	return 0
}

// movePoints gives dst m's name, description, unit, metadata and type
// settings, and moves the points [from, from+count) of m into it.
func movePoints(m, dst pmetric.Metric, from, count int) {
	dst.SetName(m.Name())
	dst.SetDescription(m.Description())
	dst.SetUnit(m.Unit())
	m.Metadata().CopyTo(dst.Metadata())
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		src, out := m.Gauge().DataPoints(), dst.SetEmptyGauge().DataPoints()
		for i := from; i < from+count; i++ {
			src.At(i).MoveTo(out.AppendEmpty())
		}
	case pmetric.MetricTypeSum:
		s := dst.SetEmptySum()
		s.SetAggregationTemporality(m.Sum().AggregationTemporality())
		s.SetIsMonotonic(m.Sum().IsMonotonic())
		src, out := m.Sum().DataPoints(), s.DataPoints()
		for i := from; i < from+count; i++ {
			src.At(i).MoveTo(out.AppendEmpty())
		}
	case pmetric.MetricTypeHistogram:
		h := dst.SetEmptyHistogram()
		h.SetAggregationTemporality(m.Histogram().AggregationTemporality())
		src, out := m.Histogram().DataPoints(), h.DataPoints()
		for i := from; i < from+count; i++ {
			src.At(i).MoveTo(out.AppendEmpty())
		}
	case pmetric.MetricTypeExponentialHistogram:
		h := dst.SetEmptyExponentialHistogram()
		h.SetAggregationTemporality(m.ExponentialHistogram().AggregationTemporality())
		src, out := m.ExponentialHistogram().DataPoints(), h.DataPoints()
		for i := from; i < from+count; i++ {
			src.At(i).MoveTo(out.AppendEmpty())
		}
	case pmetric.MetricTypeSummary:
		src, out := m.Summary().DataPoints(), dst.SetEmptySummary().DataPoints()
		for i := from; i < from+count; i++ {
			src.At(i).MoveTo(out.AppendEmpty())
		}
	case pmetric.MetricTypeEmpty:
	}
}
