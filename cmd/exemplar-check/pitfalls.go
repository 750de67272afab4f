package main

// The pitfalls: known causes of missing links that a set of records shows,
// each with its fix.

import (
	"strconv"

	"github.com/exemplarlink/exemplarlinkprocessor/internal/traceref"
)

// unsampledContext returns the name of a trace-context label of ls whose
// sampled flag is off (traceparent flags without bit 0, uber-trace-id flags
// without bit 0, b3 sampling state 0), or "". extra names labels configured
// as trace_context_labels; their format is told by the value. The labels
// and values are read as exemplar_link reads them (internal/traceref), with
// 64-bit trace IDs accepted: only the flag matters here.
func unsampledContext(ls []label, extra []string) string {
	r := traceref.NewReader(traceref.Config{BuiltinNames: true, TraceContextNames: extra, Pad64BitTraceIDs: true})
	var ref traceref.Ref
	for _, l := range ls {
		kind := r.Kind(l.Name)
		if kind != traceref.TraceContextLabel {
			continue
		}
		r.Decode(&ref, kind, l.Value)
		if ref.Problem == traceref.OK && ref.Unsampled {
			return l.Name
		}
	}
	return ""
}

// Pitfall IDs.
const (
	PitfallPrometheusText   = "prometheus_text"
	PitfallNoExemplars      = "no_exemplars"
	PitfallNotOnHistograms  = "exemplars_not_on_histograms"
	PitfallTraceWithoutSpan = "trace_id_without_span_id"
	PitfallUnsampled        = "unsampled_trace_context"
	PitfallProjectIDLabel   = "project_id_label"
	PitfallSpanNotExported  = "span_not_exported"
	PitfallRuneLimit        = "exemplar_labels_over_128_runes"
	PitfallTraceOnlyLost    = "trace_only_lost_by_prometheus_exporter"
	projectIDLabel          = "project_id"
)

// Pitfall is a known cause of missing links that the check detected, with
// its fix.
type Pitfall struct {
	ID      string `json:"id"`
	Count   int    `json:"count,omitempty"`
	Message string `json:"message"`
	Fix     string `json:"fix"`
}

// pitfallFacts is what detectPitfalls looks at: the negotiated protocol
// and every exemplar of the judged scrape (listed or not).
type pitfallFacts struct {
	Protocol string
	Records  []Record
	// ContextLabels are the config's trace_context_labels.
	ContextLabels []string
	// Destination is --destination.
	Destination string
}

// Fixes shared by pitfalls.
const (
	fixTracesPipeline = "list exemplar_link in the traces pipeline as well, with the same ID as in the metrics pipeline (service::pipelines::traces::processors: [exemplar_link, ...], the app's spans coming in through the otlp receiver): it fills in the span ID from the app's spans (check it with --otlp); or add the span ID of the active span next to the trace ID (span_id, spanID, or a whole traceparent)"
	fixSampledOnly    = "attach exemplars only for sampled spans (SpanContext().IsSampled()), or sample the traces you link to"
)

// countedPitfall is a pitfall whose message and fix are fixed, shown with
// the number of exemplars it applies to.
type countedPitfall struct {
	Pitfall
	applies func(r Record, f pitfallFacts) bool
}

// countedPitfalls are checked against every record, in this order.
var countedPitfalls = []countedPitfall{
	{
		Pitfall: Pitfall{
			ID:      PitfallTraceWithoutSpan,
			Message: "exemplars with a trace ID but no span ID: the googlemanagedprometheus exporter links only exemplars that have both",
			Fix:     fixTracesPipeline,
		},
		applies: func(r Record, f pitfallFacts) bool {
			return !isPrometheus(f.Destination) && r.Reason == "missing_span_id"
		},
	},
	{
		Pitfall: Pitfall{
			ID:      PitfallSpanNotExported,
			Message: "exemplars name spans the app did not export within --span-wait (a head sampler dropped their traces, or the spans go elsewhere): their links would open no trace",
			Fix:     fixSampledOnly + "; or set link_only_exported_spans: true so that exemplar_link leaves them unlinked",
		},
		applies: func(r Record, _ pitfallFacts) bool {
			return r.Resolution == ResolutionDangling ||
				(r.verdict.Judged && (r.Reason == "trace_not_seen" || r.Reason == reasonSpanNotExported))
		},
	},
	{
		Pitfall: Pitfall{
			ID:      PitfallUnsampled,
			Message: "trace contexts with the sampled flag off (e.g. traceparent ...-00): those spans were probably never exported, so a link would lead nowhere; exemplar_link leaves them unlinked",
			Fix:     fixSampledOnly + "; if unsampled spans are recorded, set link_unsampled: true",
		},
		applies: func(r Record, f pitfallFacts) bool {
			return unsampledContext(r.LabelsIn, f.ContextLabels) != ""
		},
	},
	{
		Pitfall: Pitfall{
			ID:      PitfallProjectIDLabel,
			Message: "exemplars carry a project_id label: Managed Service for Prometheus' managed collection reads it, the collector's googlemanagedprometheus exporter does not and links to the project it writes to",
			Fix:     "write metrics and traces to the same project (the exporter's project), and drop the project_id exemplar label",
		},
		applies: func(r Record, f pitfallFacts) bool {
			if isPrometheus(f.Destination) {
				return false
			}
			for _, l := range r.LabelsIn {
				if l.Name == projectIDLabel {
					return true
				}
			}
			return false
		},
	},
	{
		Pitfall: Pitfall{
			ID:      PitfallRuneLimit,
			Message: "exemplar labels pass Prometheus' 128-rune limit (names and values together) once linked: prometheus_remote_write then writes only trace_id and span_id (63 runes) and drops every other label of the exemplar",
			Fix:     "keep the exemplar's other labels under 65 runes, names and values together",
		},
		applies: func(r Record, _ pitfallFacts) bool {
			return r.Prometheus != nil && r.Prometheus.OverRuneLimit
		},
	},
	{
		Pitfall: Pitfall{
			ID:      PitfallTraceOnlyLost,
			Message: "trace-only exemplars reach the prometheus exporter with their trace ID as a label, and it writes only the ID fields: Prometheus gets no exemplar for them",
			Fix:     "set trace_only_exemplars: field on this pipeline's exemplar_link (docs/prometheus.md: one pipeline per destination when Google Cloud is one too)",
		},
		applies: func(r Record, f pitfallFacts) bool {
			return f.Destination == destPrometheus && r.Prometheus != nil && r.Prometheus.Result == PromNoExemplar &&
				r.MetricType != typeGauge && traceOnlyReasons[r.processorReason]
		},
	},
}

// traceOnlyReasons are exemplar_link's reasons for a trace ID it could
// not give a span ID: no traces side, or no span found there.
var traceOnlyReasons = map[string]bool{"missing_span_id": true, "trace_not_seen": true, "span_not_found": true, "no_entry_span": true}

// detectPitfalls names each pitfall the facts show, in a fixed order.
func detectPitfalls(f pitfallFacts) []Pitfall {
	var out []Pitfall
	if f.Protocol == ProtocolPromText {
		out = append(out, Pitfall{
			ID:      PitfallPrometheusText,
			Message: "the endpoint answered in the Prometheus text format (" + ProtocolPromText + "), which cannot carry exemplars",
			Fix:     "serve OpenMetrics when the scraper asks for it; with client_golang: promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true}) (a saved file: capture it with Accept: application/openmetrics-text; it ends with # EOF)",
		})
	}
	var onHistograms, onOthers int
	counts := make([]int, len(countedPitfalls))
	for _, r := range f.Records {
		switch r.MetricType {
		case typeHistogram, typeExponentialHistogram:
			onHistograms++
		default:
			onOthers++
		}
		for i, p := range countedPitfalls {
			if p.applies(r, f) {
				counts[i]++
			}
		}
	}
	if len(f.Records) == 0 && f.Protocol != ProtocolPromText {
		out = append(out, Pitfall{
			ID:      PitfallNoExemplars,
			Message: "the exposition has no exemplars at all",
			Fix:     "attach an exemplar from the active span to each observation, e.g. client_golang's ObserveWithExemplar(v, prometheus.Labels{\"trace_id\": ..., \"span_id\": ...}) on a histogram",
		})
	}
	if onOthers > 0 && !isPrometheus(f.Destination) {
		msg := strconv.Itoa(onOthers) + " exemplars are on counters or gauges, where Cloud Monitoring drops them: it keeps exemplars on histograms only"
		if onHistograms == 0 {
			msg = "exemplars are only on counters or gauges, where Cloud Monitoring drops them: it keeps exemplars on histograms only"
		}
		out = append(out, Pitfall{
			ID:      PitfallNotOnHistograms,
			Count:   onOthers,
			Message: msg,
			Fix:     "record the exemplars on a histogram's observations (client_golang: ObserveWithExemplar on a Histogram) instead of on counters (AddWithExemplar) or gauges",
		})
	}
	for i, p := range countedPitfalls {
		if counts[i] > 0 {
			found := p.Pitfall
			found.Count = counts[i]
			out = append(out, found)
		}
	}
	return out
}
