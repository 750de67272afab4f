package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// consoleAPI serves two pages of distinct exemplars and the spans of
// their traces, as the stand-in's console API does.
func consoleAPI(t *testing.T, traceHits *int) *httptest.Server {
	t.Helper()
	link := func(trace, span string, resolved bool) string {
		return fmt.Sprintf(`{"span_name":"projects/p/traces/%s/spans/%s","trace_id":"%s","span_id":"%s","resolved":%v}`, trace, span, trace, span, resolved)
	}
	const (
		t1 = "11111111111111111111111111111111"
		t2 = "22222222222222222222222222222222"
		t3 = "33333333333333333333333333333333"
		t4 = "44444444444444444444444444444444"
	)
	// dangling links are all of t3.
	dangling := func(span, at string, evicted bool) string {
		return fmt.Sprintf(`{"span_name":"projects/p/traces/%s/spans/%s","trace_id":"%s","span_id":"%s","time":"%s","resolved":false,"evicted":%v}`,
			t3, span, t3, span, at, evicted)
	}
	// t1: a trace-only request, linked to its span and (another
	// exemplar) to its child span; t2: a b3 request; t3: dangling links,
	// one on two series (twin histograms), one at another time, one whose
	// span the stand-in dropped; t4: a trace without the style attribute.
	pages := map[string]string{
		"": `{"exemplars":[` + link(t1, "aaaaaaaaaaaaaaaa", true) + `,{"span_name":null,"resolved":false},` +
			link(t2, "bbbbbbbbbbbbbbbb", true) + `],"next_page_token":"3"}`,
		"3": `{"exemplars":[` + link(t3, "cccccccccccccccc", false) + `,` + link(t1, "dddddddddddddddd", true) + `,` +
			dangling("cccccccccccccccc", "2026-12-04T10:25:11.659Z", false) + `,` +
			dangling("cccccccccccccccc", "2026-12-04T10:25:11.659Z", false) + `,` +
			dangling("cccccccccccccccc", "2026-12-04T10:25:12.001Z", false) + `,` +
			dangling("ffffffffffffffff", "2026-12-04T10:25:12.001Z", true) + `,` +
			link(t4, "eeeeeeeeeeeeeeee", true) + `],"next_page_token":""}`,
	}
	spans := map[string]string{
		t1: `{"spans":[{"span_id":"aaaaaaaaaaaaaaaa","attributes":{"demo.exemplar_style":"traceID-only"}},` +
			`{"span_id":"dddddddddddddddd","attributes":{}}]}`,
		t2: `{"spans":[{"span_id":"ffffffffffffffff","attributes":{}},` +
			`{"span_id":"bbbbbbbbbbbbbbbb","attributes":{"demo.exemplar_style":"b3"}}]}`,
		t4: `{"spans":[{"span_id":"eeeeeeeeeeeeeeee","attributes":{}}]}`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/api/exemplars" && r.URL.Query().Get("distinct") == "true":
			body, ok := pages[r.URL.Query().Get("page_token")]
			if !ok {
				http.Error(w, `{"error":"page_token"}`, http.StatusBadRequest)
				return
			}
			_, _ = w.Write([]byte(body))
		case strings.HasPrefix(r.URL.Path, "/api/traces/"):
			*traceHits++
			body, ok := spans[strings.TrimPrefix(r.URL.Path, "/api/traces/")]
			if !ok {
				body = `{"spans":[]}`
			}
			_, _ = w.Write([]byte(body))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestResolvedStyles(t *testing.T) {
	hits := 0
	srv := consoleAPI(t, &hits)
	r, err := fetchStandinLinks(context.Background(), strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	// The dangling link (t3) and the unlinked exemplar are not looked up;
	// each trace is asked for once.
	if hits != 3 {
		t.Errorf("%d trace look-ups, want 3", hits)
	}
	want := `  links that resolve, by the app's style (demo.exemplar_style of their trace): 4 (?=1 b3=1 traceID-only=2)
    of them to another span of the trace than the request's, which the app observed them in: 1 (traceID-only=1)
  trace-only exemplars linked and resolving: 2 (1 to another span than the request's)
`
	// The link without a time counts apart; the twins once.
	if r.dangling != 3 || r.evicted != 1 {
		t.Errorf("dangling %d, evicted %d; want 3 and 1", r.dangling, r.evicted)
	}
	if got := formatStyles(r); got != want {
		t.Errorf("formatStyles:\n%s\nwant:\n%s", got, want)
	}
	if got := formatStyles(standinLinks{byStyle: map[string]int{"b3": 2, "trace_id-only": 1}}); got != `  links that resolve, by the app's style (demo.exemplar_style of their trace): 3 (b3=2 trace_id-only=1)
  trace-only exemplars linked and resolving: 1
` {
		t.Errorf("formatStyles, every link to the request's span:\n%s", got)
	}
	if got := formatStyles(standinLinks{}); got != "" {
		t.Errorf("formatStyles of nothing = %q, want nothing", got)
	}
}

func TestResolvedStylesBadAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"exemplars":"none"}`))
	}))
	defer srv.Close()
	if _, err := fetchStandinLinks(context.Background(), strings.TrimPrefix(srv.URL, "http://")); err == nil ||
		!strings.Contains(err.Error(), "/api/exemplars: json: cannot unmarshal") {
		t.Errorf("fetchStandinLinks = %v, want the decoding error", err)
	}
}
