package main

import (
	"encoding/hex"
	"strconv"
)

// metricName is the histogram every target exposes.
const metricName = "loadtest_request_duration_seconds"

// bounds are the histogram's bucket bounds in seconds. Every bucket but
// +Inf carries an exemplar, so a series holds len(bounds) of them. A request
// lasts the value it observes, so these are also the spans' durations.
var bounds = []float64{0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3}

// style is how an exemplar names its request, as client libraries write it.
type style int

const (
	// styleSnakeBoth: trace_id and span_id (client_golang with the
	// OpenTelemetry SDK, as the guides write it).
	styleSnakeBoth style = iota
	// styleCamelBoth: traceID and spanID (prom-client).
	styleCamelBoth
	// styleSnakeTraceOnly: trace_id alone; the span ID comes from the
	// traces side.
	styleSnakeTraceOnly
	// styleCamelTraceOnly: traceID alone.
	styleCamelTraceOnly
	numStyles
)

// styleOf rotates the styles over a target's exemplar slots: half carry
// both IDs, half only the trace ID.
func styleOf(slot int) style { return style(slot % int(numStyles)) }

func (s style) traceOnly() bool { return s == styleSnakeTraceOnly || s == styleCamelTraceOnly }

// exemplar is the latest request observed in one bucket of one series.
type exemplar struct {
	traceID [16]byte
	spanID  [8]byte
	value   float64
	// unixMilli is when it was observed, in milliseconds: client libraries
	// write exemplar timestamps with millisecond precision.
	unixMilli int64
	set       bool
}

// series is one histogram series: per-bucket counts (not cumulative), the
// sum, and each bucket's latest exemplar.
type series struct {
	counts    []uint64
	sum       float64
	exemplars []exemplar
}

// page is what one target exposes.
type page struct {
	series []series
}

func newPage(numSeries int) page {
	p := page{series: make([]series, numSeries)}
	for i := range p.series {
		p.series[i] = series{counts: make([]uint64, len(bounds)), exemplars: make([]exemplar, len(bounds))}
	}
	return p
}

// observe records a request in bucket b of series s.
func (p *page) observe(s, b int, e exemplar) {
	sr := &p.series[s]
	sr.counts[b]++
	sr.sum += e.value
	e.set = true
	sr.exemplars[b] = e
}

// exemplarSlots is how many exemplars a page of numSeries series exposes
// once every bucket has seen a request.
func exemplarSlots(numSeries int) int { return numSeries * len(bounds) }

// appendOpenMetrics renders p as an OpenMetrics text exposition: one
// histogram family, a series per route, each bucket with its latest
// exemplar in the style its slot (series × len(bounds) + bucket) has.
func appendOpenMetrics(dst []byte, p *page) []byte {
	dst = append(dst, "# TYPE "+metricName+" histogram\n# HELP "+metricName+" Request duration.\n"...)
	for s := range p.series {
		sr := &p.series[s]
		var cum uint64
		for b, le := range bounds {
			cum += sr.counts[b]
			dst = appendSeriesName(dst, "_bucket", s)
			dst = append(dst, `,le="`...)
			dst = strconv.AppendFloat(dst, le, 'g', -1, 64)
			dst = append(dst, `"} `...)
			dst = strconv.AppendUint(dst, cum, 10)
			if e := &sr.exemplars[b]; e.set {
				dst = appendExemplar(dst, e, styleOf(s*len(bounds)+b))
			}
			dst = append(dst, '\n')
		}
		dst = appendSeriesName(dst, "_bucket", s)
		dst = append(dst, `,le="+Inf"} `...)
		dst = strconv.AppendUint(dst, cum, 10)
		dst = append(dst, '\n')
		dst = appendSeriesName(dst, "_count", s)
		dst = append(dst, "} "...)
		dst = strconv.AppendUint(dst, cum, 10)
		dst = append(dst, '\n')
		dst = appendSeriesName(dst, "_sum", s)
		dst = append(dst, "} "...)
		dst = strconv.AppendFloat(dst, sr.sum, 'g', -1, 64)
		dst = append(dst, '\n')
	}
	return append(dst, "# EOF\n"...)
}

// appendSeriesName writes the sample name and its route label, leaving the
// label set open.
func appendSeriesName(dst []byte, suffix string, s int) []byte {
	dst = append(dst, metricName...)
	dst = append(dst, suffix...)
	dst = append(dst, `{route="/api/`...)
	dst = strconv.AppendInt(dst, int64(s), 10)
	return append(dst, '"')
}

// appendExemplar writes ` # {labels} value timestamp`, the timestamp in
// seconds with three decimals.
func appendExemplar(dst []byte, e *exemplar, st style) []byte {
	dst = append(dst, " # {"...)
	switch st {
	case styleSnakeBoth, styleSnakeTraceOnly:
		dst = append(dst, `trace_id="`...)
	case styleCamelBoth, styleCamelTraceOnly, numStyles:
		dst = append(dst, `traceID="`...)
	}
	dst = hex.AppendEncode(dst, e.traceID[:])
	dst = append(dst, '"')
	switch st {
	case styleSnakeBoth:
		dst = append(dst, `,span_id="`...)
		dst = hex.AppendEncode(dst, e.spanID[:])
		dst = append(dst, '"')
	case styleCamelBoth:
		dst = append(dst, `,spanID="`...)
		dst = hex.AppendEncode(dst, e.spanID[:])
		dst = append(dst, '"')
	case styleSnakeTraceOnly, styleCamelTraceOnly, numStyles:
	}
	dst = append(dst, "} "...)
	dst = strconv.AppendFloat(dst, e.value, 'g', -1, 64)
	dst = append(dst, ' ')
	return appendMillis(dst, e.unixMilli)
}

// appendMillis writes a Unix time in milliseconds as seconds with three
// decimals (1733312345.007).
func appendMillis(dst []byte, ms int64) []byte {
	dst = strconv.AppendInt(dst, ms/1000, 10)
	frac := ms % 1000
	dst = append(dst, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
	return dst
}
