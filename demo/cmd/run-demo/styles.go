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

// standinLinks is what the runner reads of the links among the distinct
// exemplars the stand-in holds.
//
// byStyle counts the links that resolve by the style of their trace
// (styleAttr on the request's span, "?" if no span of the trace has it);
// other counts, of them, the links to another span of the trace than the
// one the app observed the exemplar in, the request's span (a child span,
// say). Links of traces past maxTraceLookups are counted under "not
// looked up".
//
// dangling counts the dangling links as exemplar_link's links_checked
// does: distinct by trace ID, span ID and exemplar time (the stand-in's
// own distinct exemplars are per series, and the app's twin histograms
// carry the same link twice), leaving out evicted, those whose span the
// stand-in dropped itself for its caps.
type standinLinks struct {
	byStyle, other    map[string]int
	dangling, evicted int
}

// traceStyle is what the runner learns of one trace: the style the
// request's span names, and that span's ID.
type traceStyle struct {
	style, span string
}

// fetchStandinLinks asks the stand-in's console API, as the console does:
// the distinct exemplars, then the spans of each resolving link's trace.
func fetchStandinLinks(ctx context.Context, consoleAddr string) (standinLinks, error) {
	var none standinLinks
	type link struct{ trace, span string }
	var links []link
	dangling, evicted := map[string]bool{}, map[string]bool{}
	token := ""
	for range maxExemplarPages {
		var page struct {
			Exemplars []struct {
				SpanName *string `json:"span_name"`
				TraceID  string  `json:"trace_id"`
				SpanID   string  `json:"span_id"`
				Time     string  `json:"time"`
				Resolved bool    `json:"resolved"`
				Evicted  bool    `json:"evicted"`
			} `json:"exemplars"`
			Next string `json:"next_page_token"`
		}
		body, err := get(ctx, "http://"+consoleAddr+"/api/exemplars?distinct=true&limit=5000&page_token="+url.QueryEscape(token))
		if err != nil {
			return none, err
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return none, fmt.Errorf("/api/exemplars: %w", err)
		}
		for _, e := range page.Exemplars {
			switch {
			case e.SpanName == nil:
			case e.Resolved:
				links = append(links, link{e.TraceID, e.SpanID})
			case e.Evicted:
				evicted[e.TraceID+"/"+e.SpanID+"/"+e.Time] = true
			default:
				dangling[e.TraceID+"/"+e.SpanID+"/"+e.Time] = true
			}
		}
		if token = page.Next; token == "" {
			break
		}
	}
	out := standinLinks{byStyle: map[string]int{}, other: map[string]int{}, dangling: len(dangling), evicted: len(evicted)}
	traces := map[string]traceStyle{}
	for _, l := range links {
		tr, ok := traces[l.trace]
		if !ok {
			if len(traces) == maxTraceLookups {
				out.byStyle["not looked up"]++
				continue
			}
			var err error
			if tr, err = fetchTraceStyle(ctx, consoleAddr, l.trace); err != nil {
				return standinLinks{}, err
			}
			traces[l.trace] = tr
		}
		out.byStyle[tr.style]++
		if tr.span != "" && tr.span != l.span {
			out.other[tr.style]++
		}
	}
	return out, nil
}

// fetchTraceStyle finds the request's span in a trace (its first page,
// which holds the demo's few spans per trace): the one with styleAttr.
func fetchTraceStyle(ctx context.Context, consoleAddr, traceID string) (traceStyle, error) {
	var page struct {
		Spans []struct {
			SpanID     string            `json:"span_id"`
			Attributes map[string]string `json:"attributes"`
		} `json:"spans"`
	}
	body, err := get(ctx, "http://"+consoleAddr+"/api/traces/"+url.PathEscape(traceID)+"?limit=5000")
	if err != nil {
		return traceStyle{}, err
	}
	if err := json.Unmarshal(body, &page); err != nil {
		return traceStyle{}, fmt.Errorf("/api/traces: %w", err)
	}
	for _, sp := range page.Spans {
		if st, ok := sp.Attributes[styleAttr]; ok {
			return traceStyle{style: st, span: sp.SpanID}, nil
		}
	}
	return traceStyle{style: "?"}, nil
}

// traceOnly reports whether a style of the demo app names only the trace
// ID ("trace-only", "trace_id-only", "traceID-only").
func traceOnly(style string) bool { return strings.HasSuffix(style, "-only") }

// formatStyles is the breakdown under the stand-in's summary.
func formatStyles(r standinLinks) string {
	if len(r.byStyle) == 0 {
		return ""
	}
	count := func(m map[string]int) (map[string]float64, int) {
		out := make(map[string]float64, len(m))
		only := 0
		for k, v := range m {
			out[k] = float64(v)
			if traceOnly(k) {
				only += v
			}
		}
		return out, only
	}
	all, only := count(r.byStyle)
	other, onlyOther := count(r.other)
	var b strings.Builder
	fmt.Fprintf(&b, "  links that resolve, by the app's style (%s of their trace): %s\n", styleAttr, byKey(all))
	if len(other) > 0 {
		fmt.Fprintf(&b, "    of them to another span of the trace than the request's, which the app observed them in: %s\n", byKey(other))
	}
	fmt.Fprintf(&b, "  trace-only exemplars linked and resolving: %d", only)
	if onlyOther > 0 {
		fmt.Fprintf(&b, " (%d to another span than the request's)", onlyOther)
	}
	b.WriteString("\n")
	return b.String()
}
