package main

// The verdict rules, as pure functions: what one exemplar's evidence means
// (linked, or why not), and the exit status. The pipeline (pipeline.go)
// gathers the evidence; nothing here touches the network or a component.

import "strings"

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
	// ReasonBeforeReceiver (with --otlp): a trace-only exemplar whose
	// spans did not come, older than the OTLP receiver: the app may have
	// sent them before the check listened, so it is not judged.
	ReasonBeforeReceiver = "before_receiver"
)

// Resolutions of a link, with --otlp: whether Cloud Trace received the
// span it names, from the app, within --span-wait.
const (
	ResolutionResolved = "resolved"
	ResolutionDangling = "dangling"
	// ResolutionBeforeReceiver: no span, but the exemplar is older than
	// the OTLP receiver, so its span may have gone elsewhere; not judged.
	ResolutionBeforeReceiver = "before_receiver"
)

// spanReasons are exemplar_link's reasons for leaving an exemplar unlinked
// for want of spans, when it is in a traces pipeline: a trace-only
// exemplar's trace or span did not come, or (link_only_exported_spans)
// the span a link names did not.
var spanReasons = map[string]bool{"trace_not_seen": true, "span_not_found": true, "no_entry_span": true, reasonSpanNotExported: true}

// reasonSpanNotExported is exemplar_link's reason with
// link_only_exported_spans: the span the exemplar names never came.
const reasonSpanNotExported = "span_not_exported"

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

// sourceTraces is exemplar_link's exemplars_linked source for a span ID
// filled in from the traces side.
const sourceTraces = "traces"

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
	// SpansChecked: the check received the app's spans (--otlp); then
	// SpanExported says whether Cloud Trace received the linked span, and
	// BeforeReceiver whether the exemplar is older than the receiver.
	SpansChecked   bool
	SpanExported   bool
	BeforeReceiver bool
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
	// Resolution is one of the Resolution constants for a link when the
	// spans were checked, else "".
	Resolution string
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
		if ev.SpansChecked && ev.BeforeReceiver && spanReasons[v.Reason] {
			v.Reason, v.Judged = ReasonBeforeReceiver, false
		}
	case !ev.MetricExported:
		v.Reason = ReasonPointNotExported
	default:
		v.Reason = ReasonNotDelivered
	}
	if v.Linked && ev.SpansChecked {
		switch {
		case ev.SpanExported:
			v.Resolution = ResolutionResolved
		case ev.BeforeReceiver:
			v.Resolution = ResolutionBeforeReceiver
		default:
			v.Resolution = ResolutionDangling
		}
	}
	return v
}

// exitStatus is 0 when at least one judged exemplar references a trace and
// every one that does links (to a span the app exported, when the spans
// were checked), else 1. (Scrape and usage errors, 2, are
// decided before any exemplar is looked at.)
func exitStatus(verdicts []verdict) int {
	referencing := 0
	for _, v := range verdicts {
		if !v.Judged || !v.ReferencesTrace {
			continue
		}
		referencing++
		if !v.Linked || v.Resolution == ResolutionDangling {
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
