// Package benchdata builds the metric batches that the benchmarks of this
// repository share, and the "floor" they are measured against: a walk over
// every exemplar that changes nothing.
//
// Every batch is one resource and one scope holding histogram metrics of
// SeriesPerMetric series (data points) each; every series carries
// ExemplarsPerSeries exemplars, as a Prometheus scrape of a histogram with
// ten or more buckets does. The content is deterministic.
//
// It lives under internal/ so it is not part of the processor's API; the
// bench module (github.com/exemplarlink/exemplarlinkprocessor/bench) may
// import it because Go's internal rule is about import paths.
package benchdata

import (
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

const (
	// ExemplarsPerSeries is how many exemplars each series (data point)
	// carries; the mixed batch uses every Style once per series.
	ExemplarsPerSeries = 10
	// SeriesPerMetric is how many series each histogram metric has.
	SeriesPerMetric = 50
)

// Style is how one exemplar of a batch references its trace.
type Style int

const (
	// CamelCase: traceID="<32 hex>" spanID="<16 hex>" (prom-client, Grafana guides).
	CamelCase Style = iota
	// SnakeCase: trace_id/span_id labels (the OpenMetrics names, as sent by
	// anything that is not the prometheus receiver).
	SnakeCase
	// UpperHex: TraceId="<32 HEX>" SpanId="0x<16 HEX>" plus route="/cart".
	UpperHex
	// Traceparent: traceparent="00-<trace>-<span>-01".
	Traceparent
	// Bit64: traceID="<16 hex>" (a 64-bit Jaeger/B3 ID) spanID="<16 hex>".
	Bit64
	// Invalid: traceID="not-a-trace-id" spanID="<16 hex>"; nothing can be linked.
	Invalid
	// TraceOnly: traceID="<32 hex>" and no span ID; with the default
	// trace_only_exemplars: label it becomes trace_id="<32 hex>".
	TraceOnly
	// Unrelated: only labels that are no trace reference (route, pod).
	Unrelated
	// NoLabels: no labels and no IDs.
	NoLabels
	// OTLPFields: TraceID and SpanID already set (sent over OTLP, or
	// converted by the prometheus receiver), no labels.
	OTLPFields
	// NumMixedStyles is the number of styles in the Mixed batch.
	NumMixedStyles

	// TraceOnlyUpperHex: traceID="<32 HEX>" and no span ID; the trace_id
	// label it becomes needs a new (lower-case) string.
	TraceOnlyUpperHex = NumMixedStyles
	// TraceOnlyField: the TraceID field set (the prometheus receiver moves a
	// lone trace_id label there), no span ID, no labels; the trace_id label
	// it becomes is new.
	TraceOnlyField Style = NumMixedStyles + 1
	// ByValue: request="<32 hex>" route="/cart" parent="<16 hex>", IDs
	// under names nobody lists; only detect_ids_by_value links them.
	ByValue Style = NumMixedStyles + 2
	// NumStyles is the number of styles.
	NumStyles Style = NumMixedStyles + 3
)

var styleNames = [NumStyles]string{
	"camelCase", "snake_case", "upper-case_hex", "traceparent", "64-bit",
	"invalid", "trace-only", "unrelated_labels", "no_labels", "OTLP_fields",
	"trace-only_upper-case_hex", "trace-only_field", "by_value",
}

func (s Style) String() string { return styleNames[s] }

// Mixed returns a scrape-sized batch: series histogram series whose
// exemplars use the first NumMixedStyles styles, one each per series.
func Mixed(series int) pmetric.Metrics { return MixedFrom(series, 0) }

// MixedFrom is Mixed with the exemplars' IDs numbered from first (see IDs)
// instead of 0, so that batches made with different first values share no
// ID.
func MixedFrom(series int, first uint64) pmetric.Metrics {
	return build(series, first, func(_, j int) (Style, bool) { return Style(j % int(NumMixedStyles)), true })
}

// Uniform returns a batch whose exemplars all use one style.
func Uniform(series int, s Style) pmetric.Metrics {
	return build(series, 0, func(int, int) (Style, bool) { return s, true })
}

// NoExemplars returns a batch of the same series without any exemplar.
func NoExemplars(series int) pmetric.Metrics {
	return build(series, 0, func(int, int) (Style, bool) { return 0, false })
}

// OTLPIDs returns a batch whose exemplars all carry their IDs in the OTLP
// fields already and have no labels: the work is to notice that.
func OTLPIDs(series int) pmetric.Metrics { return Uniform(series, OTLPFields) }

// build makes series histogram series whose exemplars have the IDs
// numbered from firstID; style says, for series i and exemplar j, how the
// exemplar references its trace, or that the series has no exemplars.
func build(series int, firstID uint64, style func(i, j int) (Style, bool)) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	res := rm.Resource().Attributes()
	res.PutStr("service.name", "checkout")
	res.PutStr("service.instance.id", "10.0.0.7:8080")
	res.PutStr("server.address", "10.0.0.7")
	res.PutStr("server.port", "8080")
	res.PutStr("url.scheme", "http")
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.Scope().SetName("github.com/open-telemetry/opentelemetry-collector-contrib/receiver/prometheusreceiver")
	sm.Scope().SetVersion("0.162.0")

	bounds := []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}
	const start, now = pcommon.Timestamp(1_700_000_000_000_000_000), pcommon.Timestamp(1_700_000_060_000_000_000)
	var m pmetric.Metric
	for i := 0; i < series; i++ {
		if i%SeriesPerMetric == 0 {
			m = sm.Metrics().AppendEmpty()
			m.SetName("http_server_request_duration_seconds_" + strconv.Itoa(i/SeriesPerMetric))
			m.SetUnit("s")
			m.SetDescription("Duration of HTTP server requests.")
			h := m.SetEmptyHistogram()
			h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
			h.DataPoints().EnsureCapacity(SeriesPerMetric)
		}
		dp := m.Histogram().DataPoints().AppendEmpty()
		attrs := dp.Attributes()
		attrs.EnsureCapacity(3)
		attrs.PutStr("http.request.method", [...]string{"GET", "POST", "PUT", "DELETE"}[i%4])
		attrs.PutStr("http.route", "/api/v1/items/"+strconv.Itoa(i%SeriesPerMetric))
		attrs.PutStr("http.response.status_code", [...]string{"200", "201", "404", "500", "503"}[i%5])
		dp.SetStartTimestamp(start)
		dp.SetTimestamp(now)
		dp.ExplicitBounds().FromRaw(bounds)
		counts := make([]uint64, len(bounds)+1)
		var total uint64
		for b := range counts {
			counts[b] = uint64(i%7 + b + 1)
			total += counts[b]
		}
		dp.BucketCounts().FromRaw(counts)
		dp.SetCount(total)
		dp.SetSum(float64(total) * 0.2)
		if _, ok := style(i, 0); !ok {
			continue
		}
		exs := dp.Exemplars()
		exs.EnsureCapacity(ExemplarsPerSeries)
		for j := 0; j < ExemplarsPerSeries; j++ {
			s, _ := style(i, j)
			ex := exs.AppendEmpty()
			ex.SetDoubleValue(bounds[j] * 0.9)
			ex.SetTimestamp(now - pcommon.Timestamp(j)*1_000_000_000)
			fill(ex, s, firstID+uint64(i*ExemplarsPerSeries+j))
		}
	}
	return md
}

// IDs returns the deterministic trace and span ID of exemplar n, never zero.
func IDs(n uint64) (pcommon.TraceID, pcommon.SpanID) {
	var t pcommon.TraceID
	var s pcommon.SpanID
	binary.BigEndian.PutUint64(t[:8], splitmix(2*n)|1)
	binary.BigEndian.PutUint64(t[8:], splitmix(2*n+1)|1)
	binary.BigEndian.PutUint64(s[:], splitmix(^n)|1)
	return t, s
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func fill(ex pmetric.Exemplar, s Style, n uint64) {
	t, sp := IDs(n)
	th, sh := hex.EncodeToString(t[:]), hex.EncodeToString(sp[:])
	labels := ex.FilteredAttributes()
	put := func(kv ...string) {
		labels.EnsureCapacity(len(kv) / 2)
		for k := 0; k < len(kv); k += 2 {
			labels.PutStr(kv[k], kv[k+1])
		}
	}
	switch s {
	case CamelCase:
		put("traceID", th, "spanID", sh)
	case SnakeCase:
		put("trace_id", th, "span_id", sh)
	case UpperHex:
		put("TraceId", strings.ToUpper(th), "SpanId", "0x"+strings.ToUpper(sh), "route", "/cart")
	case Traceparent:
		put("traceparent", "00-"+th+"-"+sh+"-01")
	case Bit64:
		put("traceID", th[16:], "spanID", sh)
	case Invalid:
		put("traceID", "not-a-trace-id", "spanID", sh)
	case TraceOnly:
		put("traceID", th)
	case Unrelated:
		put("route", "/cart", "pod", "checkout-7d9f8b6c5-x2x9q")
	case NoLabels:
	case OTLPFields:
		ex.SetTraceID(t)
		ex.SetSpanID(sp)
	case TraceOnlyUpperHex:
		put("traceID", strings.ToUpper(th))
	case TraceOnlyField:
		ex.SetTraceID(t)
	case ByValue:
		put("request", th, "route", "/cart", "parent", sh)
	}
}

// Exemplars counts the exemplars of a batch.
func Exemplars(md pmetric.Metrics) int {
	n := 0
	forEachExemplar(md, func(pmetric.Exemplar) { n++ })
	return n
}
