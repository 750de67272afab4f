package e2e

import (
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	distributionpb "google.golang.org/genproto/googleapis/api/distribution"

	"github.com/exemplarlink/exemplarlinkprocessor/gcpstandin"
)

// tableOutEnv names a file to write the results table to (markdown).
const tableOutEnv = "E2E_TABLE_OUT"

// exemplarCase is one exemplar label style: the labels the application puts
// on its exemplar, and what Cloud Monitoring should receive without and
// with the processor.
type exemplarCase struct {
	style  string // value of the series' style label; the table's row name
	labels prometheus.Labels
	value  float64
	stock  outcome // prometheus receiver → googlemanagedprometheus
	linked outcome // prometheus receiver → exemplar_link → googlemanagedprometheus
	// byValue is what exemplar_link with detect_ids_by_value gives: the
	// same as linked but where a row says otherwise.
	byValue outcome
}

// outcome is an exemplar as Cloud Monitoring has it: the trace and span of
// its SpanContext attachment ("" when it has none) and the labels of its
// DroppedLabels attachment (nil when it has none). Keys are as the exporter
// writes them, with characters other than letters, digits and _ turned to _.
type outcome struct {
	trace, span string
	dropped     map[string]string
}

// Every case gets its own IDs so an exemplar linked to the wrong trace
// cannot pass.
func traceID(i int) string   { return fmt.Sprintf("4bf92f3577b34da6a3ce929d0e0e47%02x", i) }
func spanID(i int) string    { return fmt.Sprintf("00f067aa0ba902%02x", i) }
func traceID64(i int) string { return fmt.Sprintf("a3ce929d0e0e47%02x", i) }

func exemplarCases() []exemplarCase {
	var cases []exemplarCase
	add := func(style string, labels prometheus.Labels, stock, linked func(i int) outcome) *exemplarCase {
		i := len(cases) + 1
		cases = append(cases, exemplarCase{
			style:   style,
			labels:  labels,
			value:   0.001 * float64(i),
			stock:   stock(i),
			linked:  linked(i),
			byValue: linked(i),
		})
		return &cases[len(cases)-1]
	}
	next := func() int { return len(cases) + 1 }
	linkedTo := func(trace func(int) string) func(i int) outcome {
		return func(i int) outcome { return outcome{trace: trace(i), span: spanID(i)} }
	}
	droppedAll := func(l prometheus.Labels) func(int) outcome {
		return func(int) outcome { return outcome{dropped: sanitized(l)} }
	}
	var l prometheus.Labels

	i := next()
	l = prometheus.Labels{"traceID": traceID(i), "spanID": spanID(i)}
	add("traceID/spanID", l, droppedAll(l), linkedTo(traceID))

	i = next()
	l = prometheus.Labels{"trace_id": traceID(i), "span_id": spanID(i)}
	add("trace_id/span_id", l, linkedTo(traceID), linkedTo(traceID))

	i = next()
	l = prometheus.Labels{"traceId": traceID(i), "spanId": spanID(i), "route": "/cart"}
	add("traceId/spanId + route", l, droppedAll(l), func(i int) outcome {
		return outcome{trace: traceID(i), span: spanID(i), dropped: map[string]string{"route": "/cart"}}
	})

	i = next()
	l = prometheus.Labels{"TraceID": strings.ToUpper(traceID(i)), "SpanID": "0x" + strings.ToUpper(spanID(i))}
	add("TraceID/SpanID, upper-case hex, 0x span", l, droppedAll(l), linkedTo(traceID))

	// The receiver matches the names trace_id/span_id in any letter case
	// and decodes hex in either case.
	i = next()
	l = prometheus.Labels{"TRACE_ID": strings.ToUpper(traceID(i)), "SPAN_ID": strings.ToUpper(spanID(i))}
	add("TRACE_ID/SPAN_ID, upper-case hex", l, linkedTo(traceID), linkedTo(traceID))

	i = next()
	l = prometheus.Labels{"traceID": traceID64(i), "spanID": spanID(i)}
	add("64-bit traceID", l, droppedAll(l), linkedTo(func(i int) string { return "0000000000000000" + traceID64(i) }))

	i = next()
	l = prometheus.Labels{"traceparent": "00-" + traceID(i) + "-" + spanID(i) + "-01"}
	add("traceparent", l, droppedAll(l), linkedTo(traceID))

	i = next()
	l = prometheus.Labels{"uber-trace-id": traceID(i) + ":" + spanID(i) + ":0:1"}
	add("uber-trace-id", l, droppedAll(l), linkedTo(traceID))

	i = next()
	l = prometheus.Labels{"b3": traceID(i) + "-" + spanID(i) + "-1"}
	add("b3", l, droppedAll(l), linkedTo(traceID))

	i = next()
	l = prometheus.Labels{"traceID": traceID(i)}
	add("trace-only traceID", l, droppedAll(l), func(i int) outcome {
		return outcome{dropped: map[string]string{"trace_id": traceID(i)}}
	})

	// The receiver moves a lone trace_id into the TraceID field and the
	// exporter, finding no span ID, writes neither a link nor the label.
	i = next()
	l = prometheus.Labels{"trace_id": traceID(i)}
	add("trace-only trace_id", l, func(int) outcome { return outcome{} }, func(i int) outcome {
		return outcome{dropped: map[string]string{"trace_id": traceID(i)}}
	})

	i = next()
	l = prometheus.Labels{"traceparent": "ff-" + traceID(i) + "-" + spanID(i) + "-01"}
	add("invalid: traceparent version ff", l, droppedAll(l), droppedAll(l))

	// A trace context that says its span was not sampled: the span was
	// probably never exported, so a link would dangle.
	i = next()
	l = prometheus.Labels{"traceparent": "00-" + traceID(i) + "-" + spanID(i) + "-00"}
	add("traceparent, not sampled", l, droppedAll(l), droppedAll(l))

	// IDs under names nobody lists: linked only when asked to look at
	// values.
	i = next()
	l = prometheus.Labels{"request": traceID(i), "tid": spanID(i), "route": "/cart"}
	add("IDs under other names", l, droppedAll(l), droppedAll(l)).byValue = outcome{
		trace: traceID(i), span: spanID(i), dropped: map[string]string{"route": "/cart"},
	}

	i = next()
	l = prometheus.Labels{"traceID": traceID(i), "spanID": spanID(i)[1:]}
	add("invalid: 15-digit spanID", l, droppedAll(l), func(i int) outcome {
		return outcome{dropped: map[string]string{"spanID": spanID(i)[1:], "trace_id": traceID(i)}}
	})
	return cases
}

// sanitized returns the labels as the exporter writes them into
// DroppedLabels: every character but letters, digits and _ becomes _.
var nonLabelChar = regexp.MustCompile(`[^A-Za-z0-9_]`)

func sanitized(l prometheus.Labels) map[string]string {
	out := make(map[string]string, len(l))
	for k, v := range l {
		out[nonLabelChar.ReplaceAllString(k, "_")] = v
	}
	return out
}

// observe reads an exemplar the exporter wrote back into an outcome. It
// fails on anything the exporter should never write: a SpanContext that is
// not projects/<project>/traces/T/spans/S, or an attachment of another type.
func observe(ex *distributionpb.Distribution_Exemplar) (outcome, error) {
	var o outcome
	if name := gcpstandin.SpanName(ex); name != "" {
		p, trace, span, err := gcpstandin.ParseSpanName(name)
		if err != nil {
			return o, fmt.Errorf("span name %q: %w", name, err)
		}
		if p != project {
			return o, fmt.Errorf("span name %q: project %q, want %q", name, p, project)
		}
		o.trace, o.span = trace, span
	}
	o.dropped = gcpstandin.DroppedLabels(ex)
	want := len(o.dropped)
	if want > 0 {
		want = 1
	}
	if o.trace != "" {
		want++
	}
	if len(ex.GetAttachments()) != want {
		return o, fmt.Errorf("exemplar has %d attachments, only %d of them SpanContext or DroppedLabels: %v",
			len(ex.GetAttachments()), want, ex.GetAttachments())
	}
	return o, nil
}

func (o outcome) equal(p outcome) bool {
	return o.trace == p.trace && o.span == p.span && maps.Equal(o.dropped, p.dropped)
}

var longHex = regexp.MustCompile(`[0-9A-Fa-f]{16,}`)

// abbreviate shortens every run of 16 or more hex digits to its first and
// last four, so the table stays readable.
func abbreviate(s string) string {
	return longHex.ReplaceAllStringFunc(s, func(h string) string { return h[:4] + "…" + h[len(h)-4:] })
}

func formatLabels(l map[string]string) string {
	parts := make([]string, 0, len(l))
	for _, k := range slices.Sorted(maps.Keys(l)) {
		parts = append(parts, fmt.Sprintf("%s=%q", k, abbreviate(l[k])))
	}
	return "`" + strings.Join(parts, " ") + "`"
}

// full describes an outcome without abbreviating anything.
func (o outcome) full() string {
	return fmt.Sprintf("span context trace=%q span=%q; dropped labels %v", o.trace, o.span, o.dropped)
}

// String describes an outcome for the results table.
func (o outcome) String() string {
	var parts []string
	if o.trace != "" {
		parts = append(parts, fmt.Sprintf("**linked** `%s`/`%s`", abbreviate(o.trace), abbreviate(o.span)))
	}
	if o.dropped != nil {
		parts = append(parts, "dropped labels "+formatLabels(o.dropped))
	}
	if len(parts) == 0 {
		return "no attachment: **trace lost**"
	}
	if o.trace == "" {
		parts = append([]string{"not linked"}, parts...)
	}
	return strings.Join(parts, "; ")
}

// TestExemplarLink scrapes one exemplar per label style through the real
// prometheus receiver and googlemanagedprometheus exporter, without
// exemplar_link, with its defaults, and with detect_ids_by_value, and checks
// what the Cloud Monitoring stand-in receives.
func TestExemplarLink(t *testing.T) {
	cases := exemplarCases()
	styles := make([]string, len(cases))
	for i, c := range cases {
		styles[i] = c.style
	}
	target := startTarget(t, newTarget(t, cases))

	stock := runPipeline(t, "stock", target, nil, styles)
	linked := runPipeline(t, "linked", target, map[string]any{}, styles)
	byValue := runPipeline(t, "by_value", target, map[string]any{"detect_ids_by_value": true}, styles)
	for _, e := range linked.logs.FilterMessage("Exemplar linkage summary").All() {
		t.Logf("processor summary: %v", e.ContextMap())
	}

	stockEx, linkedEx := exemplarsByStyle(stock.timeSeries), exemplarsByStyle(linked.timeSeries)
	byValueEx := exemplarsByStyle(byValue.timeSeries)
	observed := make(map[string][3]outcome)
	for _, c := range cases {
		t.Run(c.style, func(t *testing.T) {
			var got [3]outcome
			for k, pipe := range []struct {
				name      string
				exemplars []*distributionpb.Distribution_Exemplar
				want      outcome
			}{
				{"stock", stockEx[c.style], c.stock},
				{"exemplar_link", linkedEx[c.style], c.linked},
				{"exemplar_link with detect_ids_by_value", byValueEx[c.style], c.byValue},
			} {
				// Every export of the series carries the same exemplar;
				// each must come out the same.
				for n, ex := range pipe.exemplars {
					if ex.GetValue() != c.value {
						t.Errorf("%s: exemplar %d has value %v, want %v", pipe.name, n, ex.GetValue(), c.value)
					}
					o, err := observe(ex)
					if err != nil {
						t.Errorf("%s: exemplar %d: %v", pipe.name, n, err)
						continue
					}
					if !o.equal(pipe.want) {
						t.Errorf("%s: exemplar %d with labels %v\n got: %s\nwant: %s",
							pipe.name, n, c.labels, o.full(), pipe.want.full())
					}
					got[k] = o
				}
			}
			observed[c.style] = got
		})
	}

	table := resultsTable(cases, observed)
	t.Logf("results (T/S differ per row: every case has its own IDs):\n%s", table)
	if path := os.Getenv(tableOutEnv); path != "" {
		if err := os.WriteFile(path, []byte(table), 0o644); err != nil {
			t.Errorf("write %s: %v", tableOutEnv, err)
		}
	}
}

// resultsTable is the markdown table of what Cloud Monitoring received, as
// observed, for the README.
func resultsTable(cases []exemplarCase, observed map[string][3]outcome) string {
	var b strings.Builder
	b.WriteString("| style | exemplar labels scraped | stock: prometheus → googlemanagedprometheus | with exemplar_link | with detect_ids_by_value |\n")
	b.WriteString("| --- | --- | --- | --- | --- |\n")
	for _, c := range cases {
		o, ok := observed[c.style]
		stock, linked, byValue := "(not observed)", "(not observed)", "(not observed)"
		if ok {
			stock, linked, byValue = o[0].String(), o[1].String(), o[2].String()
			if o[2].equal(o[1]) {
				byValue = "same"
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", c.style, formatLabels(c.labels), stock, linked, byValue)
	}
	return b.String()
}
