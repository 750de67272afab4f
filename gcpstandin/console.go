package gcpstandin

import (
	"embed"
	"encoding/json"
	"html/template"
	"io/fs"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"cloud.google.com/go/trace/apiv2/tracepb"
)

// The console: a page that draws what the stand-in received the way Metrics
// Explorer and Cloud Trace would, and the JSON it is drawn from.
//
//	GET /                        the page (?metric=TYPE chooses the metric)
//	GET /api/metrics             the metric types received (MetricPage)
//	GET /api/heatmap?metric=TYPE a distribution metric's Heatmap
//	GET /api/exemplars           the exemplars received (ExemplarPage); ?metric=TYPE
//	                             filters, ?distinct=true gives each exemplar once
//	GET /api/traces/{trace_id}   the spans received for a trace (TraceSpans)
//	GET /api/summary             ConsoleSummary: Summary, what is held, what was dropped
//
// The lists come in pages: ?limit=N (default DefaultPageSize, at most
// MaxPageSize) and ?page_token=T, T the next_page_token of the page
// before ("" on the last page). Labels, attributes and names longer than
// 1 KiB are cut in the answers. Errors are JSON too: {"error": "..."}
// with a 4xx status.

//go:embed console
var consoleFiles embed.FS

var pageTemplate = template.Must(template.ParseFS(consoleFiles, "console/index.html"))

// TraceSpans is the answer of GET /api/traces/{trace_id}: a page of the
// trace's spans by start time, of Total.
type TraceSpans struct {
	TraceID       string     `json:"trace_id"`
	Spans         []SpanJSON `json:"spans"`
	Total         int        `json:"total"`
	NextPageToken string     `json:"next_page_token"`
}

// ConsoleSummary is the answer of GET /api/summary.
type ConsoleSummary struct {
	Summary
	// Stored is what is held within the caps; DroppedPoints and
	// DroppedSpans what the caps made the server drop, oldest first;
	// OutOfOrderPoints the points refused as written out of order.
	Stored           Stored `json:"stored"`
	DroppedPoints    int    `json:"dropped_points"`
	DroppedSpans     int    `json:"dropped_spans"`
	OutOfOrderPoints int    `json:"out_of_order_points"`
}

// SpanJSON is a span that Cloud Trace received, as the console shows it.
type SpanJSON struct {
	// Name is projects/P/traces/T/spans/S, what an exemplar links to.
	Name         string            `json:"name"`
	Project      string            `json:"project"`
	TraceID      string            `json:"trace_id"`
	SpanID       string            `json:"span_id"`
	ParentSpanID string            `json:"parent_span_id"`
	DisplayName  string            `json:"display_name"`
	Kind         string            `json:"kind"`
	Start        time.Time         `json:"start"`
	End          time.Time         `json:"end"`
	DurationMS   float64           `json:"duration_ms"`
	Attributes   map[string]string `json:"attributes"`
	// StatusCode is the gRPC code of the span's status (0 is OK),
	// StatusMessage its message.
	StatusCode    int32  `json:"status_code"`
	StatusMessage string `json:"status_message,omitempty"`
}

// ConsoleHandler serves the console page and its JSON API.
func (s *Server) ConsoleHandler() http.Handler {
	static, err := fs.Sub(consoleFiles, "console")
	if err != nil {
		panic(err) // the embedded directory is part of the binary
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.servePage)
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /api/metrics", func(w http.ResponseWriter, r *http.Request) {
		limit, ok := limitParam(w, r)
		if !ok {
			return
		}
		page, err := s.MetricsPage(r.URL.Query().Get("page_token"), limit)
		if err != nil {
			writeError(w, http.StatusBadRequest, "page_token: "+err.Error())
			return
		}
		writeJSON(w, http.StatusOK, page)
	})
	mux.HandleFunc("GET /api/summary", func(w http.ResponseWriter, _ *http.Request) {
		st := s.Stats()
		writeJSON(w, http.StatusOK, ConsoleSummary{Summary: s.Summary(), Stored: s.Stored(),
			DroppedPoints: st.DroppedPoints, DroppedSpans: st.DroppedSpans, OutOfOrderPoints: st.OutOfOrderPoints})
	})
	mux.HandleFunc("GET /api/exemplars", func(w http.ResponseWriter, r *http.Request) {
		limit, ok := limitParam(w, r)
		if !ok {
			return
		}
		q := r.URL.Query()
		distinct, err := strconv.ParseBool(q.Get("distinct"))
		if q.Get("distinct") == "" {
			distinct, err = false, nil
		}
		if err != nil {
			writeError(w, http.StatusBadRequest, "distinct: "+cut(q.Get("distinct"), 40)+" is not true or false")
			return
		}
		page, err := s.ExemplarsPage(q.Get("metric"), distinct, q.Get("page_token"), limit)
		if err != nil {
			writeError(w, http.StatusBadRequest, "page_token: "+err.Error())
			return
		}
		writeJSON(w, http.StatusOK, page)
	})
	mux.HandleFunc("GET /api/heatmap", func(w http.ResponseWriter, r *http.Request) {
		metric := r.URL.Query().Get("metric")
		if metric == "" {
			writeError(w, http.StatusBadRequest, "metric: a metric type is required, e.g. ?metric=prometheus.googleapis.com/NAME/histogram")
			return
		}
		h, ok := s.Heatmap(metric)
		if !ok {
			writeError(w, http.StatusNotFound, "metric: no points of "+cut(metric, maxQuoted)+" were received")
			return
		}
		h.Metric = cut(h.Metric, maxJSONString)
		writeJSON(w, http.StatusOK, h)
	})
	mux.HandleFunc("GET /api/traces/{trace_id}", func(w http.ResponseWriter, r *http.Request) {
		id := strings.ToLower(r.PathValue("trace_id"))
		if !isLowerHex(id, 32) {
			writeError(w, http.StatusBadRequest, "trace_id: "+cut(r.PathValue("trace_id"), maxQuoted)+" is not 32 hex digits")
			return
		}
		limit, ok := limitParam(w, r)
		if !ok {
			return
		}
		spans := s.Trace(id)
		sort.SliceStable(spans, func(i, k int) bool { return spans[i].GetStartTime().AsTime().Before(spans[k].GetStartTime().AsTime()) })
		from, err := offsetToken(r.URL.Query().Get("page_token"), len(spans))
		if err != nil {
			writeError(w, http.StatusBadRequest, "page_token: "+err.Error())
			return
		}
		to := min(len(spans), from+pageSize(limit))
		page := TraceSpans{TraceID: id, Spans: spansJSON(spans[from:to]), Total: len(spans)}
		if to < len(spans) {
			page.NextPageToken = strconv.Itoa(to)
		}
		writeJSON(w, http.StatusOK, page)
	})
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such page: "+cut(r.URL.Path, maxQuoted))
	})
	return mux
}

type pageData struct {
	Metrics  []Metric
	More     int // metric types left out of the menu
	Selected string
	Summary  Summary
	Stored   Stored
	Stats    Stats
}

// maxMenu is how many metric types the page's menu offers.
const maxMenu = 1000

func (s *Server) servePage(w http.ResponseWriter, r *http.Request) {
	d := pageData{Metrics: s.Metrics(), Selected: r.URL.Query().Get("metric"), Summary: s.Summary(), Stored: s.Stored(), Stats: s.Stats()}
	if d.Selected == "" {
		for _, m := range d.Metrics {
			if m.Distribution {
				d.Selected = m.Type
				break
			}
		}
	}
	if len(d.Metrics) > maxMenu {
		d.More = len(d.Metrics) - maxMenu
		d.Metrics = d.Metrics[:maxMenu]
	}
	for i := range d.Metrics {
		d.Metrics[i].Type = cut(d.Metrics[i].Type, maxJSONString)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := pageTemplate.Execute(w, d); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}

// limitParam reads ?limit=; it answers 400 and returns false if it is
// not a number from 1 to MaxPageSize.
func limitParam(w http.ResponseWriter, r *http.Request) (int, bool) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return DefaultPageSize, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > MaxPageSize {
		writeError(w, http.StatusBadRequest, "limit: "+cut(v, 40)+" is not a number from 1 to "+strconv.Itoa(MaxPageSize))
		return 0, false
	}
	return n, true
}

// spansJSON converts spans, sorted by start time, with long strings cut.
func spansJSON(spans []*tracepb.Span) []SpanJSON {
	out := make([]SpanJSON, 0, len(spans))
	for _, sp := range spans {
		project, traceID, spanID, _ := ParseSpanName(sp.GetName())
		j := SpanJSON{
			Name:          cut(sp.GetName(), maxJSONString),
			Project:       project,
			TraceID:       traceID,
			SpanID:        spanID,
			ParentSpanID:  cut(sp.GetParentSpanId(), maxJSONString),
			DisplayName:   cut(sp.GetDisplayName().GetValue(), maxJSONString),
			Kind:          strings.TrimPrefix(sp.GetSpanKind().String(), "SPAN_KIND_"),
			Start:         sp.GetStartTime().AsTime(),
			End:           sp.GetEndTime().AsTime(),
			Attributes:    map[string]string{},
			StatusCode:    sp.GetStatus().GetCode(),
			StatusMessage: cut(sp.GetStatus().GetMessage(), maxJSONString),
		}
		j.DurationMS = float64(j.End.Sub(j.Start).Microseconds()) / 1000
		for k, v := range sp.GetAttributes().GetAttributeMap() {
			j.Attributes[cut(k, maxJSONString)] = cut(attributeString(v), maxJSONString)
		}
		out = append(out, j)
	}
	sort.SliceStable(out, func(i, k int) bool { return out[i].Start.Before(out[k].Start) })
	return out
}

func attributeString(v *tracepb.AttributeValue) string {
	switch x := v.GetValue().(type) {
	case *tracepb.AttributeValue_StringValue:
		return x.StringValue.GetValue()
	case *tracepb.AttributeValue_IntValue:
		return strconv.FormatInt(x.IntValue, 10)
	case *tracepb.AttributeValue_BoolValue:
		if x.BoolValue {
			return "true"
		}
		return "false"
	}
	return ""
}
