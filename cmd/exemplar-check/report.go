package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Labels are exemplar labels in arrival order; they marshal to a JSON
// object with the keys in that order.
type Labels []label

// MarshalJSON writes the labels as one JSON object, keys in order.
func (ls Labels) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, l := range ls {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(l.Name)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(l.Value)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Record is the report on one exemplar of the judged scrape.
type Record struct {
	// Metric is the metric name as the prometheus receiver names it
	// (a histogram without _bucket).
	Metric string `json:"metric"`
	// MetricType: histogram, exponential_histogram, sum or gauge.
	MetricType string `json:"metric_type"`
	// LabelsIn are the exemplar's labels as the receiver handed them on. A
	// trace_id/span_id pair the receiver itself moved into the exemplar's
	// fields is shown as trace_id/span_id labels in lower-case hex.
	LabelsIn Labels `json:"labels_in"`
	// TraceID and SpanID are what the exemplar left exemplar_link with
	// (lower-case hex, "" for none).
	TraceID string `json:"trace_id"`
	SpanID  string `json:"span_id"`
	// Linked: Cloud Monitoring received it with a Cloud Trace link,
	// SpanName (projects/P/traces/T/spans/S).
	Linked   bool   `json:"linked"`
	SpanName string `json:"span_name"`
	// Reason it is not linked ("" when linked).
	Reason string `json:"reason"`
	// StockLinked: the same exemplar got a link through the stock
	// pipeline (receiver → exporter, no exemplar_link).
	StockLinked bool `json:"stock_linked"`
	// DroppedLabels are the labels Cloud Monitoring kept beside it
	// (its DroppedLabels attachment) through exemplar_link.
	DroppedLabels map[string]string `json:"dropped_labels,omitempty"`
	// Resolution (with --otlp) says whether the link's span reached Cloud
	// Trace from the app: resolved, dangling or before_receiver.
	Resolution string `json:"resolution,omitempty"`
	// FromTraces: exemplar_link filled in its span ID from the app's spans
	// (a trace-only exemplar, with --otlp).
	FromTraces bool `json:"from_traces,omitempty"`
	// Prometheus is what a Prometheus destination stores of it
	// (--destination prometheus_remote_write or prometheus).
	Prometheus *PromRecord `json:"prometheus,omitempty"`

	style   string
	verdict verdict
	// processorReason is exemplar_link's reason, whatever the verdict's.
	processorReason string
}

// Group sums up the records of one metric and label style.
type Group struct {
	Metric      string         `json:"metric"`
	MetricType  string         `json:"metric_type"`
	Style       string         `json:"label_style"`
	Exemplars   int            `json:"exemplars"`
	Linked      int            `json:"linked"`
	StockLinked int            `json:"stock_linked"`
	NotLinked   map[string]int `json:"not_linked,omitempty"`
	// FromTraces, Resolved and Dangling count links (with --otlp).
	FromTraces      int    `json:"from_traces,omitempty"`
	Resolved        int    `json:"resolved,omitempty"`
	Dangling        int    `json:"dangling,omitempty"`
	ExampleSpanName string `json:"example_span_name,omitempty"`
	// Prometheus counts, for a Prometheus destination, how the group's
	// exemplars that reference a trace reach it; ExamplePromLabels are the
	// labels it stores of one of them.
	Prometheus        *PromCounts `json:"prometheus,omitempty"`
	ExamplePromLabels Labels      `json:"example_prometheus_labels,omitempty"`

	promExampleSet    bool
	promExampleResult string
	// ExampleLabelsIn are the labels of one exemplar that did not link.
	ExampleLabelsIn Labels `json:"example_labels_in,omitempty"`
}

// Summary is the report as a whole.
type Summary struct {
	Target      string `json:"target"`
	ContentType string `json:"content_type"`
	Protocol    string `json:"protocol"`
	Scrapes     int    `json:"scrapes"`
	// Destination is --destination; Prometheus counts, for a Prometheus
	// destination, how the exemplars that reference a trace reach it.
	Destination string      `json:"destination"`
	Prometheus  *PromCounts `json:"prometheus,omitempty"`
	// Exemplars in the judged (last) scrape, and how they came out.
	Exemplars       int            `json:"exemplars"`
	ReferencesTrace int            `json:"references_trace"`
	Linked          int            `json:"linked"`
	StockLinked     int            `json:"stock_linked"`
	NotLinked       map[string]int `json:"not_linked"`
	// OTLP is set with --otlp; FromTraces, Resolved and Dangling count
	// the judged exemplars' links then.
	OTLP       *OTLPSummary `json:"otlp,omitempty"`
	FromTraces int          `json:"from_traces,omitempty"`
	Resolved   int          `json:"resolved,omitempty"`
	Dangling   int          `json:"dangling,omitempty"`
	// Listed exemplars are in the exemplars array; the rest (beyond
	// --max-exemplars) are only counted.
	Listed    int       `json:"listed"`
	NotListed int       `json:"not_listed"`
	Groups    []Group   `json:"groups"`
	Pitfalls  []Pitfall `json:"pitfalls"`
	// Notes are things the run saw that are not about exemplars (an
	// exporter error, say).
	Notes      []string `json:"notes,omitempty"`
	ExitStatus int      `json:"exit_status"`
}

// OTLPSummary is the traces side of the check (--otlp, --otlp-http).
type OTLPSummary struct {
	GRPC string `json:"grpc,omitempty"`
	HTTP string `json:"http,omitempty"`
	// Spans is how many spans the app sent.
	Spans int64 `json:"spans"`
	// SpanWait is --span-wait.
	SpanWait string `json:"span_wait"`
}

// Report is what --format json prints.
type Report struct {
	Summary   Summary  `json:"summary"`
	Exemplars []Record `json:"exemplars"`
}

// buildReport judges the records, groups them and keeps at most
// maxListed one by one.
func buildReport(s Summary, records []Record, contextLabels []string, maxListed int) Report {
	verdicts := make([]verdict, len(records))
	groups := map[string]*Group{}
	var order []string
	s.NotLinked = map[string]int{}
	for i := range records {
		r := &records[i]
		verdicts[i] = r.verdict
		s.Exemplars++
		if r.verdict.ReferencesTrace && r.verdict.Judged {
			s.ReferencesTrace++
		}
		key := r.Metric + "\x00" + r.style
		g, ok := groups[key]
		if !ok {
			g = &Group{Metric: r.Metric, MetricType: r.MetricType, Style: r.style}
			groups[key] = g
			order = append(order, key)
		}
		g.Exemplars++
		if r.Prometheus != nil && r.verdict.ReferencesTrace {
			if g.Prometheus == nil {
				g.Prometheus = &PromCounts{}
			}
			if s.Prometheus == nil {
				s.Prometheus = &PromCounts{}
			}
			g.Prometheus.add(r.Prometheus)
			s.Prometheus.add(r.Prometheus)
			// One that does not reach Prometheus with a trace_id, if any.
			if !g.promExampleSet || (!promReaches(r.Prometheus.Result) && promReaches(g.promExampleResult)) {
				g.ExamplePromLabels, g.promExampleSet, g.promExampleResult = r.Prometheus.Labels, true, r.Prometheus.Result
			}
		}
		if r.StockLinked {
			g.StockLinked++
			s.StockLinked++
		}
		if r.Linked {
			g.Linked++
			s.Linked++
			if g.ExampleSpanName == "" {
				g.ExampleSpanName = r.SpanName
			}
			if r.FromTraces {
				g.FromTraces++
				s.FromTraces++
			}
			switch r.Resolution {
			case ResolutionResolved:
				g.Resolved++
				s.Resolved++
			case ResolutionDangling:
				g.Dangling++
				s.Dangling++
			}
			continue
		}
		if g.NotLinked == nil {
			g.NotLinked = map[string]int{}
		}
		g.NotLinked[r.Reason]++
		s.NotLinked[r.Reason]++
		if g.ExampleLabelsIn == nil && r.Reason != ReasonNoTraceReference {
			g.ExampleLabelsIn = r.LabelsIn
		}
	}
	for _, k := range order {
		s.Groups = append(s.Groups, *groups[k])
	}
	s.Pitfalls = detectPitfalls(pitfallFacts{Protocol: s.Protocol, Records: records, ContextLabels: contextLabels, Destination: s.Destination})
	s.ExitStatus = exitStatus(verdicts)
	if isPrometheus(s.Destination) {
		s.ExitStatus = promExitStatus(records)
	}

	// List the unlinked exemplars that reference a trace first: they are
	// what the reader came for.
	listed := append([]Record(nil), records...)
	sort.SliceStable(listed, func(i, j int) bool { return rank(listed[i], s.Destination) < rank(listed[j], s.Destination) })
	if len(listed) > maxListed {
		s.NotListed = len(listed) - maxListed
		listed = listed[:maxListed]
	}
	s.Listed = len(listed)
	if s.Pitfalls == nil {
		s.Pitfalls = []Pitfall{}
	}
	if listed == nil {
		listed = []Record{}
	}
	return Report{Summary: s, Exemplars: listed}
}

// missed reports whether r references a trace and will not serve as a
// link at dest: not linked in Cloud Monitoring, or no trace_id label in
// Prometheus.
func missed(r Record, dest string) bool {
	if isPrometheus(dest) {
		return r.Prometheus != nil && r.verdict.ReferencesTrace && !promReaches(r.Prometheus.Result)
	}
	return !r.Linked && r.verdict.ReferencesTrace && r.verdict.Judged
}

func rank(r Record, dest string) int {
	switch {
	case missed(r, dest), r.Resolution == ResolutionDangling:
		return 0
	case r.Linked:
		return 1
	default:
		return 2
	}
}

func writeJSON(w io.Writer, rep Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// palette colours the table when stdout is a terminal.
type palette struct{ on bool }

func (p palette) wrap(code, s string) string {
	if !p.on || s == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}
func (p palette) good(s string) string { return p.wrap("32", s) }
func (p palette) bad(s string) string  { return p.wrap("31", s) }
func (p palette) warn(s string) string { return p.wrap("33", s) }
func (p palette) bold(s string) string { return p.wrap("1", s) }

const tableValueLimit = 48

// writeTable prints the report for a person. Colour goes only on headings
// and the verdict, outside the aligned columns, since tabwriter counts the
// bytes of escape codes as width.
func writeTable(w io.Writer, rep Report, pal palette) error {
	s := rep.Summary
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", pal.bold("exemplar-check"), displayValue(s.Target, 0))
	fmt.Fprintf(&b, "scraped %d times; the endpoint answered %s (Content-Type %q)\n", s.Scrapes, s.Protocol, s.ContentType)
	fmt.Fprintf(&b, "the last scrape had %d exemplars; the earlier ones primed the exporter\n", s.Exemplars)
	if o := s.OTLP; o != nil {
		fmt.Fprintf(&b, "spans: %d received with OTLP (%s), exemplar_link in the traces pipeline too; links waited up to %s for their spans\n",
			o.Spans, otlpAddrs(o), o.SpanWait)
	}
	b.WriteByte('\n')

	if isPrometheus(s.Destination) {
		fmt.Fprintf(&b, "destination: %s (what Prometheus stores of the exemplars that reference a trace)\n\n", s.Destination)
		if err := writePromGroups(&b, s.Groups); err != nil {
			return err
		}
	} else if len(s.Groups) > 0 {
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		if s.OTLP != nil {
			fmt.Fprintln(tw, "METRIC\tTYPE\tLABEL STYLE\tEXEMPLARS\tLINKED\tFROM TRACES\tRESOLVED\tDANGLING\tSTOCK\tNOT LINKED\tEXAMPLE")
		} else {
			fmt.Fprintln(tw, "METRIC\tTYPE\tLABEL STYLE\tEXEMPLARS\tLINKED\tSTOCK\tNOT LINKED\tEXAMPLE")
		}
		for _, g := range s.Groups {
			example := g.ExampleSpanName
			if len(g.NotLinked) > 0 && g.ExampleLabelsIn != nil {
				example = formatLabels(g.ExampleLabelsIn)
			}
			spans := ""
			if s.OTLP != nil {
				spans = fmt.Sprintf("%d\t%d\t%d\t", g.FromTraces, g.Resolved, g.Dangling)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s%d\t%s\t%s\n",
				displayValue(g.Metric, tableValueLimit), g.MetricType, displayValue(g.Style, tableValueLimit),
				g.Exemplars, g.Linked, spans, g.StockLinked, formatCounts(g.NotLinked), example)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		b.WriteByte('\n')
	}

	if len(s.Pitfalls) > 0 {
		b.WriteString(pal.warn("PITFALLS") + "\n")
		for _, p := range s.Pitfalls {
			count := ""
			if p.Count > 0 {
				count = " [" + strconv.Itoa(p.Count) + "]"
			}
			fmt.Fprintf(&b, "  %s%s: %s\n    fix: %s\n", p.ID, count, p.Message, p.Fix)
		}
		b.WriteByte('\n')
	}

	var unlinked []Record
	for _, r := range rep.Exemplars {
		if missed(r, s.Destination) {
			unlinked = append(unlinked, r)
		}
	}
	if len(unlinked) > 0 {
		if isPrometheus(s.Destination) {
			b.WriteString(pal.bad("NO TRACE_ID IN PROMETHEUS") + " (labels as they arrived)\n")
		} else {
			b.WriteString(pal.bad("NOT LINKED") + " (labels as they arrived)\n")
		}
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		for _, r := range unlinked {
			why := r.Reason
			if isPrometheus(s.Destination) {
				why = r.Prometheus.Result
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", displayValue(r.Metric, tableValueLimit), why, formatLabels(r.LabelsIn))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if s.NotListed > 0 {
			fmt.Fprintf(&b, "  ... %d more exemplars not listed (--max-exemplars)\n", s.NotListed)
		}
		b.WriteByte('\n')
	}
	var dangling []Record
	for _, r := range rep.Exemplars {
		if r.Resolution == ResolutionDangling {
			dangling = append(dangling, r)
		}
	}
	if len(dangling) > 0 {
		b.WriteString(pal.bad("DANGLING") + " (linked, but the app exported no such span)\n")
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		for _, r := range dangling {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", displayValue(r.Metric, tableValueLimit), displayValue(r.SpanName, 0), formatLabels(r.LabelsIn))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		b.WriteByte('\n')
	}
	for _, n := range s.Notes {
		fmt.Fprintf(&b, "note: %s\n", displayValue(n, 0))
	}

	result := fmt.Sprintf("%d of %d exemplars that reference a trace link in Cloud Monitoring (stock pipeline: %d)",
		s.Linked, s.ReferencesTrace, s.StockLinked)
	if p := s.Prometheus; p != nil || isPrometheus(s.Destination) {
		if p == nil {
			p = &PromCounts{}
		}
		result = fmt.Sprintf("%d of %d exemplars that reference a trace reach Prometheus with a trace_id label, %d of them with span_id (stock pipeline: %d)",
			p.reaching(), p.reaching()+p.NoTraceID+p.NoExemplar, p.TraceAndSpan, p.Stock)
	}
	if s.OTLP != nil {
		result += fmt.Sprintf("; %d resolve to a span the app exported, %d dangle", s.Resolved, s.Dangling)
	}
	if s.ExitStatus == 0 {
		result = pal.good("PASS") + ": " + result
	} else {
		result = pal.bad("FAIL") + ": " + result
	}
	b.WriteString(result + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// formatLabels prints labels as name="value" pairs, values made safe and cut.
func formatLabels(ls Labels) string {
	if len(ls) == 0 {
		return "(no labels)"
	}
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = displayValue(l.Name, tableValueLimit) + `="` + displayValue(l.Value, tableValueLimit) + `"`
	}
	return strings.Join(parts, " ")
}

// formatCounts prints reason counts as "reason: n, ...", sorted; "-" for none.
func formatCounts(m map[string]int) string {
	if len(m) == 0 {
		return "-"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + strconv.Itoa(m[k])
	}
	return strings.Join(parts, ", ")
}

func otlpAddrs(o *OTLPSummary) string {
	var parts []string
	if o.GRPC != "" {
		parts = append(parts, "gRPC "+o.GRPC)
	}
	if o.HTTP != "" {
		parts = append(parts, "HTTP "+o.HTTP)
	}
	return strings.Join(parts, ", ")
}

// writePromGroups prints, per metric and label style, how the exemplars
// that reference a trace reach a Prometheus destination.
func writePromGroups(b *strings.Builder, groups []Group) error {
	some := false
	for _, g := range groups {
		some = some || g.Prometheus != nil
	}
	if !some {
		return nil
	}
	tw := tabwriter.NewWriter(b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "METRIC\tTYPE\tLABEL STYLE\tREFERENCE A TRACE\tTRACE+SPAN\tTRACE ONLY\tNO TRACE_ID\tNO EXEMPLAR\tSTOCK\tOVER 128 RUNES\tSTORED AS")
	for _, g := range groups {
		p := g.Prometheus
		if p == nil {
			continue
		}
		stored := "(no exemplar)"
		if g.promExampleResult != PromNoExemplar {
			stored = formatLabels(g.ExamplePromLabels)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n",
			displayValue(g.Metric, tableValueLimit), g.MetricType, displayValue(g.Style, tableValueLimit),
			p.reaching()+p.NoTraceID+p.NoExemplar, p.TraceAndSpan, p.TraceOnly, p.NoTraceID, p.NoExemplar,
			p.Stock, p.OverRuneLimit, stored)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	b.WriteByte('\n')
	return nil
}
