package main

// The decisions of exemplar-check, as pure functions: what one exemplar's
// evidence means (linked, or why not), how its labels are named in the
// report, which scrape protocol a Content-Type is, and which pitfalls a set
// of records shows. The pipeline (pipeline.go) gathers the evidence; nothing
// here touches the network or a component.

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"
)

// Reasons an exemplar is not linked. The processor's own reasons
// (invalid_value, zero_id, missing_span_id, missing_trace_id, conflict) are
// passed through as it counts them.
const (
	// ReasonNoTraceReference: the exemplar names no trace that exemplar_link
	// (with the settings in use) or the prometheus receiver recognises.
	ReasonNoTraceReference = "no_trace_reference"
	// ReasonNotHistogram: the exemplar sits on a counter or gauge; Cloud
	// Monitoring keeps exemplars on distributions (histograms) only.
	ReasonNotHistogram = "not_histogram"
	// ReasonPointNotExported: the exporter wrote no point of the metric,
	// so the exemplar went with it (it drops histogram points without a
	// finite bucket bound or without a sum).
	ReasonPointNotExported = "point_not_exported"
	// ReasonNotDelivered: exemplar_link gave it both IDs, but Cloud
	// Monitoring received no link for it.
	ReasonNotDelivered = "not_delivered"
	// ReasonFirstScrape: its series first appeared in the scrape the report
	// describes; the exporter takes a cumulative series' first point as the
	// baseline and may drop it, so the exemplar is not judged.
	ReasonFirstScrape = "first_scrape"
)

// Metric types as the report names them.
const (
	typeHistogram            = "histogram"
	typeExponentialHistogram = "exponential_histogram"
	typeSum                  = "sum"
	typeGauge                = "gauge"
	typeSummary              = "summary"
	typeEmpty                = "empty"
)

// processorOutcome is what exemplar_link's telemetry counted for one
// exemplar: linked (with the source of its trace ID), unlinked (with a
// reason), or neither, which means it references no trace.
type processorOutcome struct {
	Linked bool
	Source string
	Reason string
}

// counted reports whether the processor saw a trace reference.
func (o processorOutcome) counted() bool { return o.Linked || o.Reason != "" }

// evidence is everything gathered about one exemplar of the judged scrape.
type evidence struct {
	MetricType string
	Processor  processorOutcome
	// SpanName is the Cloud Trace link Cloud Monitoring received for it
	// through exemplar_link, StockSpanName through the stock pipeline; ""
	// for none.
	SpanName      string
	StockSpanName string
	// MetricExported: Cloud Monitoring received points of the metric
	// (through exemplar_link) in this scrape.
	MetricExported bool
	// NewSeries: its series first appeared in this scrape.
	NewSeries bool
}

// verdict is the judgement of one exemplar.
type verdict struct {
	Linked bool
	// Reason is "" when linked, else one of the Reason constants or the
	// processor's reason.
	Reason string
	// ReferencesTrace: the exemplar names a trace, so the exit status
	// depends on it.
	ReferencesTrace bool
	// Judged is false for exemplars of a series' first scrape.
	Judged bool
}

// decide turns one exemplar's evidence into a verdict.
func decide(ev evidence) verdict {
	refs := ev.Processor.counted() || ev.StockSpanName != "" || ev.SpanName != ""
	v := verdict{Linked: ev.SpanName != "", ReferencesTrace: refs, Judged: !ev.NewSeries}
	switch {
	case ev.NewSeries && !v.Linked:
		v.Reason = ReasonFirstScrape
	case v.Linked:
	case !refs:
		v.Reason = ReasonNoTraceReference
	case ev.MetricType != typeHistogram && ev.MetricType != typeExponentialHistogram:
		v.Reason = ReasonNotHistogram
	case !ev.Processor.Linked && ev.Processor.Reason != "":
		v.Reason = ev.Processor.Reason
	case !ev.MetricExported:
		v.Reason = ReasonPointNotExported
	default:
		v.Reason = ReasonNotDelivered
	}
	return v
}

// exitStatus is 0 when at least one judged exemplar references a trace and
// every one that does links, else 1. (Scrape and usage errors, 2, are
// decided before any exemplar is looked at.)
func exitStatus(verdicts []verdict) int {
	referencing := 0
	for _, v := range verdicts {
		if !v.Judged || !v.ReferencesTrace {
			continue
		}
		referencing++
		if !v.Linked {
			return 1
		}
	}
	if referencing == 0 {
		return 1
	}
	return 0
}

// label is one exemplar label, in the order it arrived.
type label struct {
	Name, Value string
}

// labelStyle names an exemplar's label set for the report: its label names
// in arrival order, joined by "+" ("traceID+spanID"), or "(none)".
func labelStyle(ls []label) string {
	if len(ls) == 0 {
		return "(none)"
	}
	names := make([]string, len(ls))
	for i, l := range ls {
		names[i] = l.Name
	}
	return strings.Join(names, "+")
}

// Scrape protocols, named as the prometheus receiver's scrape_protocols
// (and examples/googlecloud.yaml) name them.
const (
	ProtocolOpenMetrics1   = "OpenMetricsText1.0.0"
	ProtocolOpenMetrics001 = "OpenMetricsText0.0.1"
	ProtocolPromText       = "PrometheusText0.0.4"
	ProtocolPromProto      = "PrometheusProto"
)

// scrapeProtocols are the protocols the check offers, in order of
// preference, as examples/googlecloud.yaml configures the receiver.
var scrapeProtocols = []string{ProtocolOpenMetrics1, ProtocolOpenMetrics001, ProtocolPromText}

// protocolOf names the exposition format a Content-Type header declares,
// or returns ok == false if it is none the prometheus receiver can parse.
func protocolOf(contentType string) (protocol string, ok bool) {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", false
	}
	switch mediaType {
	case "application/openmetrics-text":
		if params["version"] == "0.0.1" {
			return ProtocolOpenMetrics001, true
		}
		return ProtocolOpenMetrics1, true
	case "text/plain":
		return ProtocolPromText, true
	case "application/vnd.google.protobuf":
		if params["proto"] == "io.prometheus.client.MetricFamily" {
			return ProtocolPromProto, true
		}
	}
	return "", false
}

// Trace-context label names whose sampled flag the check reads, lower-case
// with '-', '_' and '.' removed (as the processor's built-in spellings).
var traceContextNames = map[string]string{
	"traceparent": "traceparent",
	"ubertraceid": "uber-trace-id",
	"b3":          "b3",
}

func foldName(name string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '-', '_', '.':
			return -1
		}
		if 'A' <= r && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, name)
}

// unsampledContext returns the name of a trace-context label of ls whose
// sampled flag is off (traceparent flags without bit 0, uber-trace-id flags
// without bit 0, b3 sampling state 0), or "". extra names labels configured
// as trace_context_labels; their format is told by the value.
func unsampledContext(ls []label, extra []string) string {
	for _, l := range ls {
		kind, builtin := traceContextNames[foldName(l.Name)]
		if !builtin {
			for _, e := range extra {
				if l.Name == e {
					kind, builtin = "", true
				}
			}
		}
		if !builtin {
			continue
		}
		if sampled, known := sampledFlag(kind, l.Value); known && !sampled {
			return l.Name
		}
	}
	return ""
}

// sampledFlag reads the sampled flag of a trace-context value of kind
// ("traceparent", "uber-trace-id", "b3", or "" to tell by the value).
// known is false when the value carries no flag the check can read.
func sampledFlag(kind, value string) (sampled, known bool) {
	if kind == "" {
		dashed := strings.Split(value, "-")
		switch {
		case strings.Count(value, ":") == 3:
			kind = "uber-trace-id"
		case len(dashed) >= 4 && len(dashed[0]) == 2 && len(dashed[1]) == 32 && len(dashed[2]) == 16:
			kind = "traceparent"
		default:
			kind = "b3"
		}
	}
	switch kind {
	case "traceparent":
		parts := strings.Split(value, "-")
		if len(parts) < 4 || len(parts[3]) != 2 {
			return false, false
		}
		flags, err := strconv.ParseUint(parts[3], 16, 8)
		if err != nil {
			return false, false
		}
		return flags&1 == 1, true
	case "uber-trace-id":
		parts := strings.Split(value, ":")
		if len(parts) != 4 {
			return false, false
		}
		flags, err := strconv.ParseUint(parts[3], 16, 8)
		if err != nil {
			return false, false
		}
		return flags&1 == 1, true
	case "b3":
		parts := strings.Split(value, "-")
		if len(parts) < 3 {
			return false, false
		}
		switch parts[2] {
		case "0":
			return false, true
		case "1", "d":
			return true, true
		}
	}
	return false, false
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

// displayValue makes a label value safe to print on a terminal: control
// characters and invalid UTF-8 escaped, and at most limit bytes kept.
func displayValue(s string, limit int) string {
	q := strconv.QuoteToGraphic(s)
	q = q[1 : len(q)-1]
	if limit > 0 && len(q) > limit {
		cut := limit
		for cut > 0 && q[cut]&0xC0 == 0x80 {
			cut--
		}
		q = q[:cut] + "…"
	}
	return q
}

// scrapeFailure returns the one-line reason a scrape as the pass-through
// saw it failed, or "" if the target gave a usable answer.
func scrapeFailure(rec scrapeRecord, timeout time.Duration, limit int64) string {
	switch {
	case rec.Err != nil && isTimeout(rec.Err):
		return "timeout: no complete answer within " + timeout.String() + " (--timeout)"
	case rec.Err != nil && errors.Is(rec.Err, syscall.ECONNREFUSED):
		return "connection refused"
	case rec.Err != nil:
		return oneLine(rec.Err.Error())
	case rec.Status != http.StatusOK:
		return "HTTP status " + strconv.Itoa(rec.Status) + " " + http.StatusText(rec.Status)
	case rec.TooLarge:
		return "the body is larger than " + strconv.FormatInt(limit, 10) + " bytes (--max-body)"
	}
	if _, ok := protocolOf(rec.ContentType); !ok {
		return "not an exposition format: Content-Type " + strconv.Quote(rec.ContentType)
	}
	return ""
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		(errors.As(err, &ne) && ne.Timeout())
}

// oneLine keeps the first line of s (at most 300 bytes), with control
// characters and invalid UTF-8 escaped.
func oneLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	var b strings.Builder
	for i, r := range s {
		if b.Len() >= 300 {
			b.WriteString("…")
			break
		}
		switch {
		case r == utf8.RuneError && len(s[i:]) > 0 && !strings.HasPrefix(s[i:], "\uFFFD"):
			fmt.Fprintf(&b, "\\x%02x", s[i])
		case unicode.IsControl(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
