package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

// testdata/collector-metrics.txt is the collector's /metrics recorded
// during a `make demo DEMO_VIEW=text`, before exemplar_link counted
// links_checked.

func TestFormatSummary(t *testing.T) {
	tests := []struct {
		name, body, project string
		status              int
		want, wantErr       string
	}{
		{
			name: "recorded", body: readFile(t, "testdata/api-summary.json"), project: "demo-project", status: http.StatusOK,
			want: `== What the stand-in's Cloud Monitoring and Cloud Trace received (project demo-project):
  exemplars Cloud Monitoring received: 19 (distinct; 23 on points counting repeats)
  linked (with a Cloud Trace span link): 16; without a link: 3
  links that resolve to a span Cloud Trace received: 13 of 16; dangling: 3
  spans Cloud Trace received and holds: 220
`,
		},
		{
			name: "dangling links and another project", project: "p2", status: http.StatusOK,
			body: `{"exemplars":5,"occurrences":9,"linked":4,"resolved":1,"dangling":3,"unlinked":1,"spans":2,"added_later":true}`,
			want: `== What the stand-in's Cloud Monitoring and Cloud Trace received (project p2):
  exemplars Cloud Monitoring received: 5 (distinct; 9 on points counting repeats)
  linked (with a Cloud Trace span link): 4; without a link: 1
  links that resolve to a span Cloud Trace received: 1 of 4; dangling: 3
  spans Cloud Trace received and holds: 2
`,
		},
		{
			name: "links to spans the stand-in dropped", project: "p", status: http.StatusOK,
			body: `{"exemplars":5,"occurrences":9,"linked":4,"resolved":1,"dangling":3,"dangling_evicted":2,"unlinked":1,"spans":2,"dropped_spans":9,"dropped_points":0}`,
			want: `== What the stand-in's Cloud Monitoring and Cloud Trace received (project p):
  exemplars Cloud Monitoring received: 5 (distinct; 9 on points counting repeats)
  linked (with a Cloud Trace span link): 4; without a link: 1
  links that resolve to a span Cloud Trace received: 1 of 4; dangling: 3 (2 of them to spans the stand-in dropped for its caps)
  spans Cloud Trace received and holds: 2 (dropped for its caps: 9 spans, 0 points)
`,
		},
		{
			name: "too short a run", project: "demo-project", status: http.StatusOK,
			body: `{"exemplars":0,"occurrences":0,"linked":0,"resolved":0,"dangling":0,"unlinked":0,"spans":144}`,
			want: `== What the stand-in's Cloud Monitoring and Cloud Trace received (project demo-project):
  exemplars Cloud Monitoring received: 0 (distinct; 0 on points counting repeats)
  linked (with a Cloud Trace span link): 0; without a link: 0
  links that resolve to a span Cloud Trace received: 0 of 0; dangling: 0
  spans Cloud Trace received and holds: 144
  (no exemplars yet: the first points arrive ~20 s after the start; try a longer DEMO_DURATION)
`,
		},
		{name: "error status", body: `{"error":"boom"}`, status: http.StatusInternalServerError, wantErr: `500 Internal Server Error: {"error":"boom"}`},
		{name: "not JSON", body: `exemplars=1`, status: http.StatusOK, wantErr: "/api/summary: invalid character"},
		{name: "wrong type", body: `{"linked":"many"}`, status: http.StatusOK, wantErr: "/api/summary: json: cannot unmarshal string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/api/summary" {
					http.NotFound(w, r)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			sum, err := fetchSummary(context.Background(), strings.TrimPrefix(srv.URL, "http://"))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("fetchSummary error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := formatSummary(tt.project, sum); got != tt.want {
				t.Errorf("formatSummary:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestCounters(t *testing.T) {
	tests := []struct {
		name, metrics string
		want          string
		labelLinked   float64
		pass          bool
	}{
		{
			name: "recorded", metrics: readFile(t, "testdata/collector-metrics.txt"), labelLinked: 16, pass: true,
			want: `  linked:   19 (b3=2 exemplar_fields=3 id_label=8 traceparent=3 uber_trace_id=3)
  unlinked: 2 (invalid_value=1 missing_span_id=1)
  metric points sent by the exporters: 16 (debug=16); failed: 0
`,
		},
		{
			name: "recorded with links checked", metrics: readFile(t, "testdata/collector-metrics-links.txt"), labelLinked: 18, pass: true,
			want: `  linked:   20 (b3=1 exemplar_fields=2 id_label=9 traceparent=1 traces=3 uber_trace_id=4)
  unlinked: 3 (trace_not_seen=3)
  metric points sent by the exporters: 24 (googlemanagedprometheus=24); failed: 0
  links checked (distinct exemplars): 13 resolved, 3 dangling
`,
		},
		{
			name: "links checked", metrics: `otelcol_processor_exemplar_link_exemplars_linked{source="traces"} 4
otelcol_processor_exemplar_link_links_checked_total{result="resolved"} 3
otelcol_processor_exemplar_link_links_checked_total{result="dangling"} 1
otelcol_exporter_sent_metric_points{exporter="debug"} 3
`,
			labelLinked: 4, pass: true,
			want: `  linked:   4 (traces=4)
  unlinked: 0
  metric points sent by the exporters: 3 (debug=3); failed: 0
  links checked (distinct exemplars): 3 resolved, 1 dangling
`,
		},
		{
			// The receiver converted trace_id/span_id itself: no proof that
			// the processor linked anything.
			name: "only exemplar_fields",
			metrics: `otelcol_processor_exemplar_link_exemplars_linked{source="exemplar_fields"} 4
otelcol_exporter_sent_metric_points{exporter="debug"} 3
`,
			want: `  linked:   4 (exemplar_fields=4)
  unlinked: 0
  metric points sent by the exporters: 3 (debug=3); failed: 0
`,
		},
		{
			name: "nothing sent",
			metrics: `otelcol_processor_exemplar_link_exemplars_linked{source="b3"} 4
`,
			labelLinked: 4,
			want: `  linked:   4 (b3=4)
  unlinked: 0
  metric points sent by the exporters: 0; failed: 0
`,
		},
		{
			name: "sends failed, counters spelled with _total",
			metrics: `# TYPE otelcol_processor_exemplar_link_exemplars_linked_total counter
otelcol_processor_exemplar_link_exemplars_linked_total{source="b3",otel_scope_name="x"} 4
otelcol_processor_exemplar_link_exemplars_linked_total{source="b3",otel_scope_name="y"} 1
# TYPE otelcol_exporter_sent_metric_points_total counter
otelcol_exporter_sent_metric_points_total{exporter="debug"} 3
# TYPE otelcol_exporter_send_failed_metric_points_total counter
otelcol_exporter_send_failed_metric_points_total{exporter="googlemanagedprometheus"} 2
`,
			labelLinked: 5,
			want: `  linked:   5 (b3=5)
  unlinked: 0
  metric points sent by the exporters: 3 (debug=3); failed: 2 (googlemanagedprometheus=2)
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseCounters(strings.NewReader(tt.metrics))
			if err != nil {
				t.Fatal(err)
			}
			if got := formatCounters(c); got != tt.want {
				t.Errorf("formatCounters:\n%s\nwant:\n%s", got, tt.want)
			}
			if got := c.labelLinked(); got != tt.labelLinked {
				t.Errorf("labelLinked = %g, want %g", got, tt.labelLinked)
			}
			if got := smokePassed(c); got != tt.pass {
				t.Errorf("smokePassed = %v, want %v", got, tt.pass)
			}
		})
	}
}

func TestCountersBadInput(t *testing.T) {
	if _, err := parseCounters(strings.NewReader("otelcol_x{source=\"b3\" 4\n")); err == nil || !strings.Contains(err.Error(), "the collector's metrics") {
		t.Errorf("parseCounters = %v, want a parse error", err)
	}
}

// testdata/collector-metrics-links.txt is the collector's own telemetry
// (GET /metrics on TELEMETRY_PORT, polled once a second during the run, the
// last answer kept: the one the runner read after the grace period) of a 30 s
// `make demo` (mixed style, examples/googlecloud.yaml, exemplar_link in both
// pipelines) run with _build/otelcol-exemplarlink, trimmed to the
// exemplar_link families and a few neighbours; testdata/api-summary.json is
// the stand-in's /api/summary of the same run, whose report said "the
// stand-in: 3" dangling links.

func TestLinkCounters(t *testing.T) {
	links := "  links the app named: 17 (b3=1 exemplar_fields=2 id_label=9 traceparent=1 uber_trace_id=4)\n" +
		"  span IDs filled in from traces (trace-only exemplars): 3\n" +
		"  left unlinked: 3 (trace_not_seen=3)\n" +
		"  (these three count exemplars on every scrape, repeats included)\n" +
		"  links checked (distinct exemplars): 13 resolved, 3 dangling\n"
	tests := []struct {
		name, file, want string
	}{
		{name: "links checked", file: "testdata/collector-metrics-links.txt", want: links},
		{
			// exemplar_link only in the metrics pipeline (or before #25).
			name: "no links checked", file: "testdata/collector-metrics.txt",
			want: `  links the app named: 19 (b3=2 exemplar_fields=3 id_label=8 traceparent=3 uber_trace_id=3)
  span IDs filled in from traces (trace-only exemplars): 0
  left unlinked: 2 (invalid_value=1 missing_span_id=1)
  (these three count exemplars on every scrape, repeats included)
  links checked: none counted (exemplar_link counts them only when it is in the traces pipeline too)
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := readCounters(t, tt.file)
			const header = "== exemplar_link's own counters (the collector's telemetry), read %s (dangling_after 10s):\n"
			if got, want := formatLinkCounters(c, 12*time.Second+300*time.Millisecond, 10*time.Second), fmt.Sprintf(header, "12s after the app stopped")+tt.want; got != want {
				t.Errorf("formatLinkCounters:\n%s\nwant:\n%s", got, want)
			}
			if got, want := formatLinkCounters(c, 300*time.Millisecond, 10*time.Second), fmt.Sprintf(header, "as the app stopped")+tt.want; got != want {
				t.Errorf("formatLinkCounters without a wait:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestFormatDangling(t *testing.T) {
	withLinks := readCounters(t, "testdata/collector-metrics-links.txt")
	var sum standinSummary
	if err := json.Unmarshal([]byte(readFile(t, "testdata/api-summary.json")), &sum); err != nil {
		t.Fatal(err)
	}
	const header = "== Dangling links (distinct trace ID, span ID and exemplar time, after dangling_after):\n"
	tests := []struct {
		name    string
		c       counters
		links   standinLinks
		standin standinSummary
		want    string
	}{
		{
			name: "the stand-in agrees", c: withLinks, links: standinLinks{dangling: 3}, standin: sum,
			want: header + `  exemplar_link: 3; the stand-in: 3 (links whose span never reached its Cloud Trace)
  they agree
`,
		},
		{
			name: "the stand-in evicted spans and dropped points", c: withLinks,
			links: standinLinks{dangling: 2, evicted: 2}, standin: standinSummary{Linked: 9, Dangling: 6, DanglingEvicted: 2, DroppedPoints: 7},
			want: header + `  exemplar_link: 3; the stand-in: 2 (links whose span never reached its Cloud Trace; 2 to spans it dropped for its caps left out)
  they differ by 1: exemplar_link checked exemplars that the stand-in does not hold (it dropped 7 points for its caps);
  googlemanagedprometheus writes nothing of a series' first point that has no start time
  (the app exposes no OpenMetrics _created samples), exemplars included
`,
		},
		{
			name: "the stand-in has more", c: withLinks, links: standinLinks{dangling: 6}, standin: standinSummary{Linked: 9, Dangling: 6},
			want: header + `  exemplar_link: 3; the stand-in: 6 (links whose span never reached its Cloud Trace)
  they differ by 3: the stand-in holds dangling links that exemplar_link did not check
`,
		},
		{
			// Nothing to set beside the stand-in's count.
			name: "no links checked", c: readCounters(t, "testdata/collector-metrics.txt"), links: standinLinks{dangling: 4}, standin: sum,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := formatDangling(tt.c, tt.links, tt.standin); got != tt.want {
				t.Errorf("formatDangling:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// readFile returns a file of testdata.
func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// readCounters parses a recorded exposition of the collector's telemetry.
func readCounters(t *testing.T, path string) counters {
	t.Helper()
	c, err := parseCounters(strings.NewReader(readFile(t, path)))
	if err != nil {
		t.Fatal(err)
	}
	return c
}
