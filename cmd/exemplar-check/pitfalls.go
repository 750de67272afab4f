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
}

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
	var onHistograms, onOthers, traceOnly, unsampled, projectID int
	for _, r := range f.Records {
		switch r.MetricType {
		case typeHistogram, typeExponentialHistogram:
			onHistograms++
		default:
			onOthers++
		}
		if r.Reason == "missing_span_id" {
			traceOnly++
		}
		if unsampledContext(r.LabelsIn, f.ContextLabels) != "" {
			unsampled++
		}
		for _, l := range r.LabelsIn {
			if l.Name == projectIDLabel {
				projectID++
				break
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
	if onOthers > 0 {
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
	if traceOnly > 0 {
		out = append(out, Pitfall{
			ID:      PitfallTraceWithoutSpan,
			Count:   traceOnly,
			Message: "exemplars with a trace ID but no span ID: the googlemanagedprometheus exporter links only exemplars that have both",
			Fix:     "add the span ID of the active span next to the trace ID (span_id, spanID, or a whole traceparent)",
		})
	}
	if unsampled > 0 {
		out = append(out, Pitfall{
			ID:      PitfallUnsampled,
			Count:   unsampled,
			Message: "trace contexts with the sampled flag off (e.g. traceparent ...-00): those spans were probably never exported, so a link would lead nowhere; exemplar_link leaves them unlinked",
			Fix:     "attach exemplars only for sampled spans (SpanContext().IsSampled()), or sample the traces you link to; if unsampled spans are recorded, set link_unsampled: true",
		})
	}
	if projectID > 0 {
		out = append(out, Pitfall{
			ID:      PitfallProjectIDLabel,
			Count:   projectID,
			Message: "exemplars carry a project_id label: Managed Service for Prometheus' managed collection reads it, the collector's googlemanagedprometheus exporter does not and links to the project it writes to",
			Fix:     "write metrics and traces to the same project (the exporter's project), and drop the project_id exemplar label",
		})
	}
	return out
}
