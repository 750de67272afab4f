package main

// Prometheus destinations (--destination): what Prometheus (or Mimir, or
// anything that takes remote write or scrapes the collector) stores of an
// exemplar, as pure functions of the exemplar that leaves exemplar_link.
// The rules are the exporters' at the release the project names (v0.165),
// as docs/prometheus.md states them and the e2e test measured them
// against a real Prometheus:
//
//   - prometheus_remote_write writes trace_id and span_id from the ID fields,
//     then the exemplar's other labels, without de-duplicating; when the
//     whole set, names and values, passes 128 runes, it writes only the
//     fields' trace_id/span_id.
//   - prometheus (scraped) writes only trace_id and span_id from the
//     fields; an exemplar without either reaches Prometheus as none.
//   - Both keep exemplars on histograms and counters, not on gauges.

import (
	"encoding/hex"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// Destinations, named as the collector's exporter types.
const (
	destGoogle      = "googlemanagedprometheus"
	destRemoteWrite = "prometheus_remote_write"
	destPrometheus  = "prometheus"
	// destRemoteWriteOld is the remote-write exporter's older type name,
	// still accepted by the collector.
	destRemoteWriteOld = "prometheusremotewrite"
)

var destinations = []string{destGoogle, destRemoteWrite, destPrometheus}

func validDestination(d string) bool {
	switch d {
	case destGoogle, destRemoteWrite, destRemoteWriteOld, destPrometheus:
		return true
	}
	return false
}

// isPrometheus reports whether d is a Prometheus destination.
func isPrometheus(d string) bool {
	return d == destRemoteWrite || d == destRemoteWriteOld || d == destPrometheus
}

// maxExemplarRunes is Prometheus' and OpenMetrics' limit on an exemplar's
// labels, names and values together.
const maxExemplarRunes = 128

// Prometheus label names of the exemplar IDs (otlptranslator's).
const (
	promTraceID = "trace_id"
	promSpanID  = "span_id"
)

// What an exemplar amounts to in Prometheus (PromRecord.Result).
const (
	// PromTraceAndSpan: stored with trace_id and span_id labels; one
	// Grafana exemplar link named trace_id opens it.
	PromTraceAndSpan = "trace_and_span"
	// PromTraceOnly: stored with a trace_id label and no span_id.
	PromTraceOnly = "trace_only"
	// PromNoTraceID: stored, but with no trace_id label (IDs under other
	// names, or none), so no trace_id link opens it.
	PromNoTraceID = "no_trace_id"
	// PromNoExemplar: the exporter writes no exemplar.
	PromNoExemplar = "no_exemplar"
)

// PromRecord is what Prometheus stores of one exemplar, through exemplar_link
// and through the stock pipeline.
type PromRecord struct {
	// Labels are the exemplar's labels as Prometheus stores them (none for
	// no exemplar).
	Labels Labels `json:"labels"`
	Result string `json:"result"`
	// OverRuneLimit: the labels passed 128 runes, so the remote-write
	// exporter wrote only trace_id/span_id and dropped the others
	// (DroppedLabels names them).
	OverRuneLimit bool     `json:"over_rune_limit,omitempty"`
	DroppedLabels []string `json:"dropped_labels,omitempty"`
	// Stock is the stock pipeline's result, StockOverRuneLimit whether it
	// passed the limit too.
	Stock              string `json:"stock_result"`
	StockOverRuneLimit bool   `json:"stock_over_rune_limit,omitempty"`
}

// promStore returns the labels dest writes for ex, an exemplar of a metric
// of type typ, whether the exporter writes it at all, and the labels the
// rune limit dropped (nil when within it).
func promStore(dest, typ string, ex pmetric.Exemplar) (stored Labels, ok bool, dropped []string) {
	if typ == typeGauge || typ == typeSummary || typ == typeEmpty {
		return nil, false, nil
	}
	runes := 0
	if t := ex.TraceID(); !t.IsEmpty() {
		stored = append(stored, label{promTraceID, hex.EncodeToString(t[:])})
	}
	if s := ex.SpanID(); !s.IsEmpty() {
		stored = append(stored, label{promSpanID, hex.EncodeToString(s[:])})
	}
	for _, l := range stored {
		runes += utf8.RuneCountInString(l.Name) + utf8.RuneCountInString(l.Value)
	}
	if dest == destPrometheus {
		return stored, len(stored) > 0, nil
	}
	var others Labels
	ex.FilteredAttributes().Range(func(k string, v pcommon.Value) bool {
		val := v.AsString()
		runes += utf8.RuneCountInString(k) + utf8.RuneCountInString(val)
		others = append(others, label{k, val})
		return true
	})
	if runes > maxExemplarRunes {
		for _, l := range others {
			dropped = append(dropped, l.Name)
		}
		return stored, true, dropped
	}
	return append(stored, others...), true, nil
}

// promResult classifies what Prometheus stored.
func promResult(stored Labels, ok bool) string {
	if !ok {
		return PromNoExemplar
	}
	var trace, span bool
	for _, l := range stored {
		switch l.Name {
		case promTraceID:
			trace = true
		case promSpanID:
			span = true
		}
	}
	switch {
	case trace && span:
		return PromTraceAndSpan
	case trace:
		return PromTraceOnly
	}
	return PromNoTraceID
}

// promRecord judges one exemplar for dest: out is what left exemplar_link,
// in what the receiver handed on (the stock pipeline's exemplar).
func promRecord(dest, typ string, in, out pmetric.Exemplar) *PromRecord {
	stored, ok, dropped := promStore(dest, typ, out)
	stockStored, stockOK, stockDropped := promStore(dest, typ, in)
	return &PromRecord{
		Labels:             stored,
		Result:             promResult(stored, ok),
		OverRuneLimit:      dropped != nil,
		DroppedLabels:      dropped,
		Stock:              promResult(stockStored, stockOK),
		StockOverRuneLimit: stockDropped != nil,
	}
}

// promReaches reports whether a result gives Grafana a trace_id to link.
func promReaches(result string) bool {
	return result == PromTraceAndSpan || result == PromTraceOnly
}

// PromCounts sum up PromRecords: of the exemplars that reference a trace,
// how they reach Prometheus.
type PromCounts struct {
	TraceAndSpan int `json:"trace_and_span"`
	TraceOnly    int `json:"trace_only"`
	NoTraceID    int `json:"no_trace_id"`
	NoExemplar   int `json:"no_exemplar"`
	// Stock counts those the stock pipeline gets there with a trace_id.
	Stock int `json:"stock"`
	// OverRuneLimit counts those whose other labels the remote-write
	// exporter dropped (128 runes), StockOverRuneLimit the same stock.
	OverRuneLimit      int `json:"over_rune_limit"`
	StockOverRuneLimit int `json:"stock_over_rune_limit"`
}

func (c *PromCounts) add(p *PromRecord) {
	switch p.Result {
	case PromTraceAndSpan:
		c.TraceAndSpan++
	case PromTraceOnly:
		c.TraceOnly++
	case PromNoTraceID:
		c.NoTraceID++
	case PromNoExemplar:
		c.NoExemplar++
	}
	if promReaches(p.Stock) {
		c.Stock++
	}
	if p.OverRuneLimit {
		c.OverRuneLimit++
	}
	if p.StockOverRuneLimit {
		c.StockOverRuneLimit++
	}
}

// reaching is how many reach Prometheus with a trace_id.
func (c *PromCounts) reaching() int { return c.TraceAndSpan + c.TraceOnly }

// promExitStatus is 0 when at least one exemplar references a trace and
// every one that does reaches Prometheus with a trace_id label (and, when
// the spans were checked, links no dangling span), else 1. A series' first
// scrape is judged too: the Prometheus exporters do not drop it.
func promExitStatus(records []Record) int {
	referencing := 0
	for _, r := range records {
		if !r.verdict.ReferencesTrace || r.Prometheus == nil {
			continue
		}
		referencing++
		if !promReaches(r.Prometheus.Result) || r.Resolution == ResolutionDangling {
			return 1
		}
	}
	if referencing == 0 {
		return 1
	}
	return 0
}
