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
//	GET /api/metrics             the metric types received ([]Metric)
//	GET /api/heatmap?metric=TYPE a distribution metric's Heatmap
//	GET /api/exemplars           every exemplar received ([]Exemplar); ?metric=TYPE filters
//	GET /api/traces/{trace_id}   the spans received for a trace (TraceSpans)
//	GET /api/summary             Summary
//
// Errors are JSON too: {"error": "..."} with a 4xx status.

//go:embed console
var consoleFiles embed.FS

var pageTemplate = template.Must(template.ParseFS(consoleFiles, "console/index.html"))

// TraceSpans is the answer of GET /api/traces/{trace_id}.
type TraceSpans struct {
	TraceID string     `json:"trace_id"`
	Spans   []SpanJSON `json:"spans"`
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
	mux.HandleFunc("GET /api/metrics", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, s.Metrics()) })
	mux.HandleFunc("GET /api/summary", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, s.Summary()) })
	mux.HandleFunc("GET /api/exemplars", func(w http.ResponseWriter, r *http.Request) {
		ex := s.Exemplars(r.URL.Query().Get("metric"))
		if ex == nil {
			ex = []Exemplar{}
		}
		writeJSON(w, http.StatusOK, ex)
	})
	mux.HandleFunc("GET /api/heatmap", func(w http.ResponseWriter, r *http.Request) {
		metric := r.URL.Query().Get("metric")
		if metric == "" {
			writeError(w, http.StatusBadRequest, "metric: a metric type is required, e.g. ?metric=prometheus.googleapis.com/NAME/histogram")
			return
		}
		h, ok := s.Heatmap(metric)
		if !ok {
			writeError(w, http.StatusNotFound, "metric: no points of "+metric+" were received")
			return
		}
		writeJSON(w, http.StatusOK, h)
	})
	mux.HandleFunc("GET /api/traces/{trace_id}", func(w http.ResponseWriter, r *http.Request) {
		id := strings.ToLower(r.PathValue("trace_id"))
		if !isLowerHex(id, 32) {
			writeError(w, http.StatusBadRequest, "trace_id: "+r.PathValue("trace_id")+" is not 32 hex digits")
			return
		}
		writeJSON(w, http.StatusOK, TraceSpans{TraceID: id, Spans: spansJSON(s.Trace(id))})
	})
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such page: "+r.URL.Path)
	})
	return mux
}

type pageData struct {
	Metrics  []Metric
	Selected string
	Summary  Summary
	Stored   Stored
	Stats    Stats
}

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

// spansJSON converts spans, sorted by start time.
func spansJSON(spans []*tracepb.Span) []SpanJSON {
	out := make([]SpanJSON, 0, len(spans))
	for _, sp := range spans {
		project, traceID, spanID, _ := ParseSpanName(sp.GetName())
		j := SpanJSON{
			Name:          sp.GetName(),
			Project:       project,
			TraceID:       traceID,
			SpanID:        spanID,
			ParentSpanID:  sp.GetParentSpanId(),
			DisplayName:   sp.GetDisplayName().GetValue(),
			Kind:          strings.TrimPrefix(sp.GetSpanKind().String(), "SPAN_KIND_"),
			Start:         sp.GetStartTime().AsTime(),
			End:           sp.GetEndTime().AsTime(),
			Attributes:    map[string]string{},
			StatusCode:    sp.GetStatus().GetCode(),
			StatusMessage: sp.GetStatus().GetMessage(),
		}
		j.DurationMS = float64(j.End.Sub(j.Start).Microseconds()) / 1000
		for k, v := range sp.GetAttributes().GetAttributeMap() {
			j.Attributes[k] = attributeString(v)
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
