package main

// What the check keeps of a scrape: a digest taken while the scrape goes
// through the pipelines, so that the scrape itself (which may hold millions
// of points) is let go as soon as it is exported.

import (
	"hash/maphash"
	"math"
	"sort"
	"strings"

	"cloud.google.com/go/monitoring/apiv3/v2/monitoringpb"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/exemplarlink/exemplarlinkprocessor/gcpstandin"
)

// scrapeDigest is one scrape as it went through both pipelines.
type scrapeDigest struct {
	// exemplars are the scrape's exemplars as the receiver handed them on.
	exemplars []exemplarIn
	// series are the hashes of the scrape's series keys; the next scrape
	// tells its new series by them.
	series []uint64
	// linked and stock are what Cloud Monitoring accepted for the scrape
	// through exemplar_link and through the stock pipeline.
	linked, stock *gcmDigest
}

// exemplarIn is one exemplar of a scrape, with its metric.
type exemplarIn struct {
	metric string
	typ    pmetric.MetricType
	// newSeries: its series was in no earlier scrape.
	newSeries bool
	ex        pmetric.Exemplar
}

// seriesSeed hashes series keys; a collision would at worst count one new
// series as seen before (odds about n²/2⁶⁵ for n series).
var seriesSeed = maphash.MakeSeed()

// readScrape fills d.exemplars and d.series from md; seen holds the series
// hashes of the earlier scrapes.
func (d *scrapeDigest) readScrape(md pmetric.Metrics, seen map[uint64]struct{}) {
	d.series = make([]uint64, 0, md.DataPointCount())
	walkSeries(md, func(m pmetric.Metric, series string, exs pmetric.ExemplarSlice) {
		h := maphash.String(seriesSeed, series)
		d.series = append(d.series, h)
		_, old := seen[h]
		for i := range exs.Len() {
			ex := pmetric.NewExemplar()
			exs.At(i).CopyTo(ex)
			d.exemplars = append(d.exemplars, exemplarIn{metric: m.Name(), typ: m.Type(), newSeries: !old, ex: ex})
		}
	})
}

// gcmDigest is what Cloud Monitoring accepted through one pipeline for one
// scrape: its exemplars, and the metrics it received points of.
type gcmDigest struct {
	exemplars gcmIndex
	// metrics are the base names of the metrics (gcmBaseName).
	metrics map[string]bool
}

func newGCMDigest() *gcmDigest {
	return &gcmDigest{exemplars: gcmIndex{}, metrics: map[string]bool{}}
}

// add digests one accepted write request.
func (d *gcmDigest) add(req *monitoringpb.CreateTimeSeriesRequest) {
	for _, ts := range req.GetTimeSeries() {
		base := gcmBaseName(ts.GetMetric().GetType())
		d.metrics[base] = true
		for _, p := range ts.GetPoints() {
			for _, ex := range p.GetValue().GetDistributionValue().GetExemplars() {
				dropped := gcpstandin.DroppedLabels(ex)
				values := make([]string, 0, len(dropped))
				for _, v := range dropped {
					values = append(values, v)
				}
				k := gcmKey{Metric: base, Value: math.Float64bits(ex.GetValue()), TimeNs: ex.GetTimestamp().AsTime().UnixNano()}
				d.exemplars[k] = append(d.exemplars[k], &gcmExemplar{spanName: gcpstandin.SpanName(ex), dropped: dropped, values: sortedValues(values)})
			}
		}
	}
}

// gcmExemplar is one exemplar Cloud Monitoring received.
type gcmExemplar struct {
	spanName string
	dropped  map[string]string
	values   string // sortedValues of dropped
	used     bool
	// spansChecked: the check received the app's spans (--otlp) and looked
	// for this link's; exported: Cloud Trace received it.
	spansChecked, exported bool
}

// gcmIndex finds the exemplars of write requests by metric, value and
// timestamp.
type gcmIndex map[gcmKey][]*gcmExemplar

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

// gcmKey identifies an exemplar in Cloud Monitoring's data: the metric's
// base name, the exemplar's value and timestamp.
type gcmKey struct {
	Metric string
	Value  uint64 // math.Float64bits
	TimeNs int64
}

// gcmBaseName returns the Prometheus metric name in a Managed Service for
// Prometheus metric type, prometheus.googleapis.com/NAME/KIND.
func gcmBaseName(metricType string) string {
	name, ok := strings.CutPrefix(metricType, "prometheus.googleapis.com/")
	if !ok {
		return metricType
	}
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[:i]
	}
	return name
}

// sortedValues is the sorted list of an exemplar's label values, which
// survive the exporter's label-key sanitising unchanged (for valid UTF-8).
func sortedValues(values []string) string {
	v := append([]string(nil), values...)
	sort.Strings(v)
	return strings.Join(v, "\x00")
}
