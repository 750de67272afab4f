package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

// The prometheus view (DEMO_BACKEND=prometheus) runs one demo app per
// style, each scraped as its own target with a `style` label, so that
// Prometheus' answer can be read per style: in the mixed style a single
// app's series say nothing of the style of the request an exemplar came
// from.

// styleLabel is the target label that names each app's style.
const styleLabel = "style"

// appStyles are the single styles of the demo app, from its -help: the
// -style flag's usage lists them, "mixed" last.
func appStyles(ctx context.Context, app string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, app, "-help").CombinedOutput() // -help exits 0 or 2; the text is what counts
	styles := parseStyles(string(out))
	if len(styles) == 0 {
		return nil, fmt.Errorf("%s -help lists no styles after %q; set DEMO_STYLE to one style", app, styleUsage)
	}
	return styles, nil
}

// styleUsage starts the list in the -style flag's usage.
const styleUsage = "exemplar label style: "

// parseStyles reads the styles from the app's usage text: the list after
// styleUsage up to the end of the line or its "(default ...)", "mixed"
// left out.
func parseStyles(usage string) []string {
	_, list, ok := strings.Cut(usage, styleUsage)
	if !ok {
		return nil
	}
	list, _, _ = strings.Cut(list, "\n")
	list, _, _ = strings.Cut(list, " (default")
	var styles []string
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		if s != "" && s != "mixed" && !strings.ContainsAny(s, " \t\"") {
			styles = append(styles, s)
		}
	}
	return styles
}

// appTarget is one demo app the collector scrapes.
type appTarget struct {
	style, addr string
}

// writeScrapeTargets writes the collector config that replaces the
// example's scrape job: the same job, every app a target labelled with its
// style. The collector merges it over the example (--config twice); a
// list such as scrape_configs is replaced as a whole.
func writeScrapeTargets(path string, apps []appTarget) error {
	var b strings.Builder
	b.WriteString(`receivers:
  prometheus:
    config:
      scrape_configs:
        - job_name: exemplarlink-demo
          scrape_interval: 10s
          scrape_protocols: [OpenMetricsText1.0.0, OpenMetricsText0.0.1, PrometheusText0.0.4]
          static_configs:
`)
	for _, a := range apps {
		fmt.Fprintf(&b, "            - targets: [%q]\n              labels: {%s: %q}\n", a.addr, styleLabel, a.style)
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

// promExemplars are the exemplars /api/v1/query_exemplars gave, by metric
// name and style.
type promExemplars map[string]map[string][]map[string]string

// bucketsQuery asks for the exemplars of every histogram's buckets that
// the demo apps' targets (labelled with their style) gave.
const bucketsQuery = `{__name__=~".+_bucket",` + styleLabel + `!=""}`

// queryPromExemplars asks Prometheus for the exemplars of the last hour.
func queryPromExemplars(ctx context.Context, promAddr string) (promExemplars, error) {
	q := url.Values{
		"query": {bucketsQuery},
		"start": {fmt.Sprint(time.Now().Add(-time.Hour).Unix())},
		"end":   {fmt.Sprint(time.Now().Add(time.Minute).Unix())},
	}
	body, err := get(ctx, "http://"+promAddr+"/api/v1/query_exemplars?"+q.Encode())
	if err != nil {
		return nil, err
	}
	return parsePromExemplars(body)
}

func parsePromExemplars(body []byte) (promExemplars, error) {
	var answer struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   []struct {
			SeriesLabels map[string]string `json:"seriesLabels"`
			Exemplars    []struct {
				Labels map[string]string `json:"labels"`
			} `json:"exemplars"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		return nil, fmt.Errorf("query_exemplars: %w", err)
	}
	if answer.Status != "success" {
		return nil, fmt.Errorf("query_exemplars: status %q: %s", answer.Status, answer.Error)
	}
	out := promExemplars{}
	for _, s := range answer.Data {
		metric, style := s.SeriesLabels["__name__"], s.SeriesLabels[styleLabel]
		if out[metric] == nil {
			out[metric] = map[string][]map[string]string{}
		}
		for _, e := range s.Exemplars {
			out[metric][style] = append(out[metric][style], e.Labels)
		}
	}
	return out, nil
}

// labelNames is "span_id+trace_id": an exemplar's label names, sorted.
func labelNames(l map[string]string) string {
	names := make([]string, 0, len(l))
	for k := range l {
		names = append(names, k)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "(none)"
	}
	return strings.Join(names, "+")
}

// formatLabels is {span_id="…", trace_id="…"}, sorted by name.
func formatLabels(l map[string]string) string {
	names := make([]string, 0, len(l))
	for k := range l {
		names = append(names, k)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = fmt.Sprintf("%s=%q", k, l[k])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// formatPromExemplars is the end of `make demo DEMO_BACKEND=prometheus`:
// per metric and style, how many exemplars Prometheus holds and under
// which label names, then one example of each set of label names.
func formatPromExemplars(promAddr string, styles []string, got promExemplars) string {
	var b strings.Builder
	fmt.Fprintf(&b, "== What Prometheus holds (GET http://%s/api/v1/query_exemplars?query=%s), exemplars by style and label names:\n", promAddr, bucketsQuery)
	if len(got) == 0 {
		b.WriteString("  none (the first exemplars arrive ~15 s after the start; try a longer DEMO_DURATION)\n")
		return b.String()
	}
	examples := map[string]map[string]string{}
	var order []string
	for _, metric := range slices.Sorted(maps.Keys(got)) {
		fmt.Fprintf(&b, "  %s:\n", metric)
		// The apps' styles in the app's order, then any other.
		rows := slices.Clone(styles)
		for _, st := range slices.Sorted(maps.Keys(got[metric])) {
			if !slices.Contains(rows, st) {
				rows = append(rows, st)
			}
		}
		for _, st := range rows {
			exs := got[metric][st]
			sets := map[string]float64{}
			for _, l := range exs {
				n := labelNames(l)
				sets[n]++
				if _, ok := examples[n]; !ok {
					examples[n] = l
					order = append(order, n)
				}
			}
			fmt.Fprintf(&b, "    %-16s %s\n", st, byKey(sets))
		}
	}
	b.WriteString("  for example:\n")
	for _, n := range order {
		fmt.Fprintf(&b, "    %s\n", formatLabels(examples[n]))
	}
	return b.String()
}

// scrapeTargetsFile is where the prometheus view writes its scrape job.
func scrapeTargetsFile(logDir string) string { return filepath.Join(logDir, "scrape-targets.yaml") }
