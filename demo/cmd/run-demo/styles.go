package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// styleAttr is the span attribute in which the demo app names the
// exemplar style of the request.
const styleAttr = "demo.exemplar_style"

// Bounds of what the runner asks the stand-in for a style breakdown.
const (
	maxExemplarPages = 100  // pages of /api/exemplars
	maxTraceLookups  = 5000 // GET /api/traces/{id}
)

// resolvedStyles counts the links that resolve among the distinct
// exemplars the stand-in holds, by the style their span names
// (styleAttr, "?" if it has none). Links of traces past maxTraceLookups
// are counted under "not looked up".
type resolvedStyles map[string]int

// fetchResolvedStyles asks the stand-in's console API, as the console does:
// the distinct exemplars, then the spans of each resolving link's trace.
func fetchResolvedStyles(ctx context.Context, consoleAddr string) (resolvedStyles, error) {
	type link struct{ trace, span string }
	var links []link
	token := ""
	for range maxExemplarPages {
		var page struct {
			Exemplars []struct {
				SpanName *string `json:"span_name"`
				TraceID  string  `json:"trace_id"`
				SpanID   string  `json:"span_id"`
				Resolved bool    `json:"resolved"`
			} `json:"exemplars"`
			Next string `json:"next_page_token"`
		}
		body, err := get(ctx, "http://"+consoleAddr+"/api/exemplars?distinct=true&limit=5000&page_token="+url.QueryEscape(token))
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return nil, fmt.Errorf("/api/exemplars: %w", err)
		}
		for _, e := range page.Exemplars {
			if e.SpanName != nil && e.Resolved {
				links = append(links, link{e.TraceID, e.SpanID})
			}
		}
		if token = page.Next; token == "" {
			break
		}
	}
	out := resolvedStyles{}
	styles := map[string]map[string]string{} // trace -> span -> style
	for _, l := range links {
		spans, ok := styles[l.trace]
		if !ok {
			if len(styles) == maxTraceLookups {
				out["not looked up"]++
				continue
			}
			var err error
			if spans, err = fetchSpanStyles(ctx, consoleAddr, l.trace); err != nil {
				return nil, err
			}
			styles[l.trace] = spans
		}
		style, ok := spans[l.span]
		if !ok {
			style = "?"
		}
		out[style]++
	}
	return out, nil
}

// fetchSpanStyles returns the style of each span of a trace (its first
// page, which holds the demo's few spans per trace), by span ID.
func fetchSpanStyles(ctx context.Context, consoleAddr, traceID string) (map[string]string, error) {
	var page struct {
		Spans []struct {
			SpanID     string            `json:"span_id"`
			Attributes map[string]string `json:"attributes"`
		} `json:"spans"`
	}
	body, err := get(ctx, "http://"+consoleAddr+"/api/traces/"+url.PathEscape(traceID)+"?limit=5000")
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(body, &page); err != nil {
		return nil, fmt.Errorf("/api/traces: %w", err)
	}
	out := make(map[string]string, len(page.Spans))
	for _, sp := range page.Spans {
		if st, ok := sp.Attributes[styleAttr]; ok {
			out[sp.SpanID] = st
		}
	}
	return out, nil
}

// traceOnly reports whether a style of the demo app names only the trace
// ID ("trace-only", "trace_id-only", "traceID-only").
func traceOnly(style string) bool { return strings.HasSuffix(style, "-only") }

// formatStyles is the breakdown under the stand-in's summary.
func formatStyles(r resolvedStyles) string {
	if len(r) == 0 {
		return ""
	}
	m := make(map[string]float64, len(r))
	var only int
	for k, v := range r {
		m[k] = float64(v)
		if traceOnly(k) {
			only += v
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "  links that resolve, by the app's style (the span's %s): %s\n", styleAttr, byKey(m))
	fmt.Fprintf(&b, "  trace-only exemplars linked and resolving: %d\n", only)
	return b.String()
}
