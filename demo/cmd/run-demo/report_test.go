package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

// testdata/api-summary.json is the stand-in's /api/summary recorded after
// a 40 s `make demo`; testdata/collector-metrics.txt the collector's
// /metrics recorded during a `make demo DEMO_VIEW=text`.

func TestFormatSummary(t *testing.T) {
	recorded, err := os.ReadFile("testdata/api-summary.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, body, project string
		status              int
		want, wantErr       string
	}{
		{
			name: "recorded", body: string(recorded), project: "demo-project", status: http.StatusOK,
			want: `== What the stand-in's Cloud Monitoring and Cloud Trace received (project demo-project):
  exemplars Cloud Monitoring received: 21 (distinct; 25 on points counting repeats)
  linked (with a Cloud Trace span link): 13; without a link: 8
  links that resolve to a span Cloud Trace received: 13 of 13; dangling: 0
  spans Cloud Trace received and holds: 338
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
	recorded, err := os.ReadFile("testdata/collector-metrics.txt")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, metrics string
		want          string
		labelLinked   float64
		pass          bool
	}{
		{
			name: "recorded", metrics: string(recorded), labelLinked: 16, pass: true,
			want: `  linked:   19 (b3=2 exemplar_fields=3 id_label=8 traceparent=3 uber_trace_id=3)
  unlinked: 2 (invalid_value=1 missing_span_id=1)
  metric points sent by the exporters: 16 (debug=16); failed: 0
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

// testdata/collector-metrics-links.txt is testdata/collector-metrics.txt
// with the counters of #25 as COMMON.md names them: span IDs filled from
// traces and the links checked.
func TestLinkCounters(t *testing.T) {
	withLinks, err := os.ReadFile("testdata/collector-metrics-links.txt")
	if err != nil {
		t.Fatal(err)
	}
	without, err := os.ReadFile("testdata/collector-metrics.txt")
	if err != nil {
		t.Fatal(err)
	}
	recorded, err := os.ReadFile("testdata/api-summary.json")
	if err != nil {
		t.Fatal(err)
	}
	var sum standinSummary
	if err := json.Unmarshal(recorded, &sum); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, metrics   string
		links           standinLinks
		standin         standinSummary
		want, wantTotal string
	}{
		{
			name: "links checked, the stand-in agrees", metrics: string(withLinks), links: standinLinks{dangling: 4}, standin: sum,
			want: `== exemplar_link's own counters (the collector's telemetry), read 12s after the app stopped (dangling_after 10s):
  links the app named: 19 (b3=2 exemplar_fields=3 id_label=8 traceparent=3 uber_trace_id=3)
  span IDs filled in from traces (trace-only exemplars): 5
  left unlinked: 2 (invalid_value=1 missing_span_id=1)
  (these three count exemplars on every scrape, repeats included)
  links checked (distinct exemplars): 17 resolved, 4 dangling
`,
			wantTotal: `== Dangling links (distinct trace ID, span ID and exemplar time, after dangling_after):
  exemplar_link: 4; the stand-in: 4 (links whose span never reached its Cloud Trace)
  they agree
`,
		},
		{
			name: "the stand-in evicted spans and dropped points", metrics: string(withLinks),
			links: standinLinks{dangling: 3, evicted: 2}, standin: standinSummary{Linked: 9, Dangling: 6, DanglingEvicted: 2, DroppedPoints: 7},
			want: `== exemplar_link's own counters (the collector's telemetry), read 12s after the app stopped (dangling_after 10s):
  links the app named: 19 (b3=2 exemplar_fields=3 id_label=8 traceparent=3 uber_trace_id=3)
  span IDs filled in from traces (trace-only exemplars): 5
  left unlinked: 2 (invalid_value=1 missing_span_id=1)
  (these three count exemplars on every scrape, repeats included)
  links checked (distinct exemplars): 17 resolved, 4 dangling
`,
			wantTotal: `== Dangling links (distinct trace ID, span ID and exemplar time, after dangling_after):
  exemplar_link: 4; the stand-in: 3 (links whose span never reached its Cloud Trace; 2 to spans it dropped for its caps left out)
  they differ by 1: exemplar_link checked exemplars that the stand-in does not hold (it dropped 7 points for its caps);
  googlemanagedprometheus writes nothing of a series' first point that has no start time
  (the app exposes no OpenMetrics _created samples), exemplars included
`,
		},
		{
			name: "the stand-in has more", metrics: string(withLinks), links: standinLinks{dangling: 6}, standin: standinSummary{Linked: 9, Dangling: 6},
			want: `== exemplar_link's own counters (the collector's telemetry), read 12s after the app stopped (dangling_after 10s):
  links the app named: 19 (b3=2 exemplar_fields=3 id_label=8 traceparent=3 uber_trace_id=3)
  span IDs filled in from traces (trace-only exemplars): 5
  left unlinked: 2 (invalid_value=1 missing_span_id=1)
  (these three count exemplars on every scrape, repeats included)
  links checked (distinct exemplars): 17 resolved, 4 dangling
`,
			wantTotal: `== Dangling links (distinct trace ID, span ID and exemplar time, after dangling_after):
  exemplar_link: 4; the stand-in: 6 (links whose span never reached its Cloud Trace)
  they differ by 2: the stand-in holds dangling links that exemplar_link did not check
`,
		},
		{
			// exemplar_link only in the metrics pipeline (or before #25):
			// nothing to set beside the stand-in's count.
			name: "no links checked", metrics: string(without), links: standinLinks{dangling: 4}, standin: sum,
			want: `== exemplar_link's own counters (the collector's telemetry), read 12s after the app stopped (dangling_after 10s):
  links the app named: 19 (b3=2 exemplar_fields=3 id_label=8 traceparent=3 uber_trace_id=3)
  span IDs filled in from traces (trace-only exemplars): 0
  left unlinked: 2 (invalid_value=1 missing_span_id=1)
  (these three count exemplars on every scrape, repeats included)
  links checked: none counted (exemplar_link counts them only when it is in the traces pipeline too)
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseCounters(strings.NewReader(tt.metrics))
			if err != nil {
				t.Fatal(err)
			}
			if got := formatLinkCounters(c, 12*time.Second+300*time.Millisecond, 10*time.Second); got != tt.want {
				t.Errorf("formatLinkCounters:\n%s\nwant:\n%s", got, tt.want)
			}
			if got, want := formatLinkCounters(c, 300*time.Millisecond, 10*time.Second), strings.Replace(tt.want, "12s after the app stopped", "as the app stopped", 1); got != want {
				t.Errorf("formatLinkCounters without a wait:\n%s\nwant:\n%s", got, want)
			}
			if got := formatDangling(c, tt.links, tt.standin); got != tt.wantTotal {
				t.Errorf("formatDangling:\n%s\nwant:\n%s", got, tt.wantTotal)
			}
		})
	}
}
