package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// standinSummary is the stand-in's GET /api/summary (gcpstandin.Summary;
// not imported, to keep the demo module free of the stand-in's
// dependencies).
type standinSummary struct {
	Exemplars   int `json:"exemplars"`
	Occurrences int `json:"occurrences"`
	Linked      int `json:"linked"`
	Resolved    int `json:"resolved"`
	Dangling    int `json:"dangling"`
	// DanglingEvicted: of Dangling, links to a span the stand-in received
	// and dropped for its caps.
	DanglingEvicted int `json:"dangling_evicted"`
	Unlinked        int `json:"unlinked"`
	Spans           int `json:"spans"`
	DroppedPoints   int `json:"dropped_points"`
	DroppedSpans    int `json:"dropped_spans"`
}

// maxAnswer bounds what the runner reads of an HTTP answer.
const maxAnswer = 8 << 20

func get(ctx context.Context, url string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %.200s", url, resp.Status, body)
	}
	return body, nil
}

func fetchSummary(ctx context.Context, consoleAddr string) (standinSummary, error) {
	var sum standinSummary
	body, err := get(ctx, "http://"+consoleAddr+"/api/summary")
	if err != nil {
		return sum, err
	}
	if err := json.Unmarshal(body, &sum); err != nil {
		return sum, fmt.Errorf("/api/summary: %w", err)
	}
	return sum, nil
}

// formatSummary is the end of `make demo` in the console view.
func formatSummary(project string, s standinSummary) string {
	var b strings.Builder
	fmt.Fprintf(&b, "== What the stand-in's Cloud Monitoring and Cloud Trace received (project %s):\n", project)
	fmt.Fprintf(&b, "  exemplars Cloud Monitoring received: %d (distinct; %d on points counting repeats)\n", s.Exemplars, s.Occurrences)
	fmt.Fprintf(&b, "  linked (with a Cloud Trace span link): %d; without a link: %d\n", s.Linked, s.Unlinked)
	fmt.Fprintf(&b, "  links that resolve to a span Cloud Trace received: %d of %d; dangling: %d", s.Resolved, s.Linked, s.Dangling)
	if s.DanglingEvicted > 0 {
		fmt.Fprintf(&b, " (%d of them to spans the stand-in dropped for its caps)", s.DanglingEvicted)
	}
	fmt.Fprintf(&b, "\n  spans Cloud Trace received and holds: %d", s.Spans)
	if s.DroppedSpans > 0 || s.DroppedPoints > 0 {
		fmt.Fprintf(&b, " (dropped for its caps: %d spans, %d points)", s.DroppedSpans, s.DroppedPoints)
	}
	b.WriteString("\n")
	if s.Exemplars == 0 {
		// The exporter writes a series' first point one scrape after it
		// appears: a run under ~20 s shows none.
		b.WriteString("  (no exemplars yet: the first points arrive ~20 s after the start; try a longer DEMO_DURATION)\n")
	}
	return b.String()
}

// The collector's own metrics that the runner reads. The Prometheus
// exporter may add _total to a counter's name; both spellings count.
const (
	metricLinked     = "otelcol_processor_exemplar_link_exemplars_linked"
	metricUnlinked   = "otelcol_processor_exemplar_link_exemplars_unlinked"
	metricChecked    = "otelcol_processor_exemplar_link_links_checked"
	metricSent       = "otelcol_exporter_sent_metric_points"
	metricSendFailed = "otelcol_exporter_send_failed_metric_points"
)

// counters are the collector's counters of interest, each by the value of
// the attribute that splits it (source, reason, exporter).
type counters map[string]map[string]float64

func (c counters) total(metric string) float64 {
	var n float64
	for _, v := range c[metric] {
		n += v
	}
	return n
}

// parseCounters reads the counters of interest from the collector's
// Prometheus text exposition.
func parseCounters(r io.Reader) (counters, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("the collector's metrics: %w", err)
	}
	split := map[string]string{metricLinked: "source", metricUnlinked: "reason", metricChecked: "result",
		metricSent: "exporter", metricSendFailed: "exporter"}
	out := make(counters)
	for name, fam := range families {
		base := strings.TrimSuffix(name, "_total")
		label, ok := split[base]
		if !ok {
			continue
		}
		if out[base] == nil {
			out[base] = make(map[string]float64)
		}
		for _, m := range fam.GetMetric() {
			out[base][labelValue(m, label)] += value(m)
		}
	}
	return out, nil
}

// value is a counter's value; an exposition without TYPE lines makes it
// untyped.
func value(m *dto.Metric) float64 {
	switch {
	case m.GetCounter() != nil:
		return m.GetCounter().GetValue()
	case m.GetUntyped() != nil:
		return m.GetUntyped().GetValue()
	}
	return m.GetGauge().GetValue()
}

func labelValue(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func fetchCounters(ctx context.Context, telemetryAddr string) (counters, error) {
	body, err := get(ctx, "http://"+telemetryAddr+"/metrics")
	if err != nil {
		return nil, err
	}
	return parseCounters(strings.NewReader(string(body)))
}

// labelLinked is how many exemplars the processor linked itself: from
// their labels or by value, not those that already had both IDs in their
// fields.
func (c counters) labelLinked() float64 {
	return c.total(metricLinked) - c[metricLinked]["exemplar_fields"]
}

// formatCounters is the end of `make demo DEMO_VIEW=text` and of the smoke
// test: exemplar_link's counters by source and reason, and what the
// exporters sent.
func formatCounters(c counters) string {
	var b strings.Builder
	fmt.Fprintf(&b, "  linked:   %s\n", byKey(c[metricLinked]))
	fmt.Fprintf(&b, "  unlinked: %s\n", byKey(c[metricUnlinked]))
	fmt.Fprintf(&b, "  metric points sent by the exporters: %s; failed: %s\n", byKey(c[metricSent]), byKey(c[metricSendFailed]))
	if c.checked() {
		fmt.Fprintf(&b, "  links checked (distinct exemplars): %g resolved, %g dangling\n", c[metricChecked]["resolved"], c[metricChecked]["dangling"])
	}
	return b.String()
}

// byKey is "12 (b3=2 id_label=10)": the total, then each key in order.
func byKey(m map[string]float64) string {
	keys := make([]string, 0, len(m))
	var total float64
	for k, v := range m {
		keys = append(keys, k)
		total += v
	}
	if len(keys) == 0 {
		return "0"
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%g", k, m[k])
	}
	return fmt.Sprintf("%g (%s)", total, strings.Join(parts, " "))
}

// sourceTraces is the exemplars_linked source of a span ID that
// exemplar_link filled in from the spans of the traces pipeline; every
// other source is a link the app named.
const sourceTraces = "traces"

// named are the app's own links by source: every source but traces.
func (c counters) named() map[string]float64 {
	out := make(map[string]float64, len(c[metricLinked]))
	for k, v := range c[metricLinked] {
		if k != sourceTraces {
			out[k] = v
		}
	}
	return out
}

// checked reports whether the collector counts links_checked: only when
// exemplar_link is in the traces pipeline too (and is new enough).
func (c counters) checked() bool { _, ok := c[metricChecked]; return ok }

// formatLinkCounters is exemplar_link's side of `make demo`: the links the
// app named and those filled from traces, what was left unlinked, and the
// links checked against the spans, read waited after the app stopped.
func formatLinkCounters(c counters, waited, danglingAfter time.Duration) string {
	var b strings.Builder
	when := "as the app stopped"
	if waited >= time.Second {
		when = waited.Round(time.Second).String() + " after the app stopped"
	}
	fmt.Fprintf(&b, "== exemplar_link's own counters (the collector's telemetry), read %s (dangling_after %s):\n", when, danglingAfter)
	fmt.Fprintf(&b, "  links the app named: %s\n", byKey(c.named()))
	fmt.Fprintf(&b, "  span IDs filled in from traces (trace-only exemplars): %g\n", c[metricLinked][sourceTraces])
	fmt.Fprintf(&b, "  left unlinked: %s\n", byKey(c[metricUnlinked]))
	b.WriteString("  (these three count exemplars on every scrape, repeats included)\n")
	if !c.checked() {
		b.WriteString("  links checked: none counted (exemplar_link counts them only when it is in the traces pipeline too)\n")
		return b.String()
	}
	fmt.Fprintf(&b, "  links checked (distinct exemplars): %g resolved, %g dangling\n",
		c[metricChecked]["resolved"], c[metricChecked]["dangling"])
	return b.String()
}

// formatDangling sets the processor's count of dangling links beside the
// stand-in's, both distinct exemplars (trace ID, span ID, exemplar time)
// read after the grace period, the stand-in's links to spans it dropped
// itself left out.
func formatDangling(c counters, l standinLinks, s standinSummary) string {
	if !c.checked() {
		return ""
	}
	proc := c[metricChecked]["dangling"]
	var b strings.Builder
	b.WriteString("== Dangling links (distinct trace ID, span ID and exemplar time, after dangling_after):\n")
	fmt.Fprintf(&b, "  exemplar_link: %g; the stand-in: %d (links whose span never reached its Cloud Trace", proc, l.dangling)
	if l.evicted > 0 {
		fmt.Fprintf(&b, "; %d to spans it dropped for its caps left out", l.evicted)
	}
	b.WriteString(")\n")
	switch diff := proc - float64(l.dangling); {
	case diff == 0:
		b.WriteString("  they agree\n")
	case diff > 0:
		fmt.Fprintf(&b, "  they differ by %g: exemplar_link checked exemplars that the stand-in does not hold", diff)
		if s.DroppedPoints > 0 {
			fmt.Fprintf(&b, " (it dropped %d points for its caps)", s.DroppedPoints)
		}
		// The usual cause: see createdGate.
		b.WriteString(";\n  googlemanagedprometheus writes nothing of a series' first point that has no start time\n" +
			"  (the app exposes no OpenMetrics _created samples), exemplars included\n")
	default:
		fmt.Fprintf(&b, "  they differ by %g: the stand-in holds dangling links that exemplar_link did not check\n", -diff)
	}
	return b.String()
}
