package main

import (
	"context"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/exemplarlink/exemplarlinkprocessor/demo/proc"
)

// testdata/app-help.txt is `exemplar-demo -help` of the demo app in this
// checkout, its own path written as exemplar-demo: TestAppHelp fails when
// the two drift apart, and `go test -run TestAppHelp -update` rewrites it.
// testdata/query-exemplars.json is an answer of /api/v1/query_exemplars
// shaped like Prometheus 2.42's.

var update = flag.Bool("update", false, "rewrite testdata/app-help.txt from the demo app's -help")

// appHelpStyles are the single styles testdata/app-help.txt lists.
var appHelpStyles = []string{"prom-client", "otel", "client-golang-trace-only", "prom-client-trace-only", "64bit",
	"traceparent", "uber-trace-id", "b3", "upper-hex", "invalid"}

func TestAppHelp(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "exemplar-demo")
	build := exec.CommandContext(t.Context(), "go", "build", "-o", bin, "../exemplar-demo")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the demo app: %v\n%s", err, out)
	}
	out, _ := exec.CommandContext(t.Context(), bin, "-help").CombinedOutput() //nolint:gosec // G204: the binary this test built; -help exits 0 or 2
	got := strings.Replace(string(out), bin, "exemplar-demo", 1)
	const golden = "testdata/app-help.txt"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if want := readFile(t, golden); got != want {
		t.Errorf("the demo app's -help is not %s (go test -run TestAppHelp -update rewrites it):\n%s\nwant:\n%s", golden, got, want)
	}
	styles, err := appStyles(t.Context(), bin)
	if err != nil || !slices.Equal(styles, appHelpStyles) {
		t.Errorf("appStyles(demo app) = %q, %v; want %q", styles, err, appHelpStyles)
	}
}

func TestParseStyles(t *testing.T) {
	if got := parseStyles(readFile(t, "testdata/app-help.txt")); !slices.Equal(got, appHelpStyles) {
		t.Errorf("parseStyles(app help) = %q, want %q", got, appHelpStyles)
	}
	for _, tt := range []struct{ usage string }{
		{""},
		{"  -style string\n    \tthe style (default \"b3\")\n"},
		{"exemplar label style: mixed\n"},
	} {
		if got := parseStyles(tt.usage); got != nil {
			t.Errorf("parseStyles(%q) = %q, want none", tt.usage, got)
		}
	}
	// Renamed styles and no default are read as they come.
	if got := parseStyles("exemplar label style: trace_id-only, traceID-only,mixed\n  -wait"); !slices.Equal(got, []string{"trace_id-only", "traceID-only"}) {
		t.Errorf("parseStyles = %q", got)
	}
}

func TestAppStylesFails(t *testing.T) {
	if _, err := appStyles(context.Background(), "/bin/true"); err == nil || !strings.Contains(err.Error(), "set DEMO_STYLE to one style") {
		t.Errorf("appStyles(/bin/true) = %v, want an error saying what to do", err)
	}
}

func TestWriteScrapeTargets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "targets.yaml")
	if err := writeScrapeTargets(path, []appTarget{{"b3", "127.0.0.1:1"}, {"trace_id-only", "127.0.0.1:2"}}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := `receivers:
  prometheus:
    config:
      scrape_configs:
        - job_name: exemplarlink-demo
          scrape_interval: 10s
          scrape_protocols: [OpenMetricsText1.0.0, OpenMetricsText0.0.1, PrometheusText0.0.4]
          static_configs:
            - targets: ["127.0.0.1:1"]
              labels: {style: "b3"}
            - targets: ["127.0.0.1:2"]
              labels: {style: "trace_id-only"}
`
	if string(got) != want {
		t.Errorf("scrape targets:\n%s\nwant:\n%s", got, want)
	}
}

func TestPromExemplars(t *testing.T) {
	recorded, err := os.ReadFile("testdata/query-exemplars.json")
	if err != nil {
		t.Fatal(err)
	}
	var query string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/query_exemplars" {
			http.NotFound(w, r)
			return
		}
		query = r.URL.Query().Get("query")
		_, _ = w.Write(recorded)
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	got, err := queryPromExemplars(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	if query != `{__name__=~".+_bucket",style!=""}` {
		t.Errorf("query = %q", query)
	}
	want := `== What Prometheus holds (GET http://` + addr + `/api/v1/query_exemplars?query={__name__=~".+_bucket",style!=""}), exemplars by style and label names:
  http_server_request_duration_seconds_bucket:
    otel             0
    b3               3 (span_id+trace_id=3)
    invalid          1 (spanID+traceID=1)
    trace-only       2 (span_id+trace_id=1 trace_id=1)
  twin_bucket:
    otel             0
    b3               1 (span_id+trace_id=1)
  for example:
    {span_id="eb2b9612adffc2cc", trace_id="69bec10a702b433cefe24656e5c3ef14"}
    {spanID="db6cdb4f687f8362", traceID="ab11a11347b7aab883bd0138d80d4d7"}
    {trace_id="49bec10a702b433cefe24656e5c3ef14"}
`
	if s := formatPromExemplars(addr, []string{"otel", "b3"}, got); s != want {
		t.Errorf("formatPromExemplars:\n%s\nwant:\n%s", s, want)
	}
	empty := formatPromExemplars(addr, nil, promExemplars{})
	if !strings.Contains(empty, "none (the first exemplars arrive") {
		t.Errorf("formatPromExemplars of nothing:\n%s", empty)
	}
}

func TestPromExemplarsBadAnswer(t *testing.T) {
	for _, tt := range []struct{ body, wantErr string }{
		{`{"status":"error","error":"bad query"}`, `query_exemplars: status "error": bad query`},
		{`<html>`, "query_exemplars: invalid character"},
	} {
		if _, err := parsePromExemplars([]byte(tt.body)); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("parsePromExemplars(%s) = %v, want %q", tt.body, err, tt.wantErr)
		}
	}
}

// The prometheus view's apps get ports that are free and none of those
// picked for the collector.
func TestPromApps(t *testing.T) {
	s, err := load("demo", "/r", func(k string) string {
		return map[string]string{"DEMO_BACKEND": "prometheus", "DEMO_STYLE": "b3"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.pickPorts(); err != nil {
		t.Fatal(err)
	}
	apps, err := promApps(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if len(apps) != 1 || apps[0].style != "b3" {
		t.Fatalf("apps = %+v, want one of style b3", apps)
	}
	s.style = "b3,otel"
	if two, err := promApps(context.Background(), s); err != nil || len(two) != 2 || two[0].style != "b3" || two[1].style != "otel" || two[0].addr == two[1].addr {
		t.Errorf("apps of b3,otel = %+v (%v), want two, b3 and otel, on two ports", two, err)
	}
	for _, p := range s.ports {
		if apps[0].addr == proc.Addr(p) {
			t.Errorf("app on %s, a port picked for the collector", apps[0].addr)
		}
	}
}
