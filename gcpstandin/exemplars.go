package gcpstandin

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"cloud.google.com/go/monitoring/apiv3/v2/monitoringpb"
	distributionpb "google.golang.org/genproto/googleapis/api/distribution"
)

// Exemplar is one exemplar of a distribution point that the stand-in's
// Cloud Monitoring received, with what became of its link.
type Exemplar struct {
	// Metric is the metric type, e.g.
	// prometheus.googleapis.com/http_server_request_duration_seconds/histogram;
	// Project the project of the request (projects/PROJECT).
	Metric  string `json:"metric"`
	Project string `json:"project"`
	// Labels are the metric labels of the time series it came in.
	Labels map[string]string `json:"labels"`
	// PointEndTime is the end of the point's interval; Time the exemplar's
	// own timestamp.
	PointEndTime time.Time `json:"point_end_time"`
	Time         time.Time `json:"time"`
	Value        float64   `json:"value"`
	// SpanName is the SpanContext attachment's span name
	// (projects/P/traces/T/spans/S), nil if the exemplar has none; TraceID
	// and SpanID are its parts.
	SpanName *string `json:"span_name"`
	TraceID  string  `json:"trace_id,omitempty"`
	SpanID   string  `json:"span_id,omitempty"`
	// DroppedLabels are the labels of its DroppedLabels attachment (empty
	// if none).
	DroppedLabels map[string]string `json:"dropped_labels"`
	// Resolved is true if the stand-in's Cloud Trace holds a span of
	// exactly that name: the link opens a span. A linked exemplar that
	// does not resolve dangles.
	Resolved bool `json:"resolved"`
}

// MarshalJSON writes the exemplar with a value that JSON cannot hold (NaN,
// ±Inf) as null, so one odd exemplar does not break the whole answer.
func (e Exemplar) MarshalJSON() ([]byte, error) {
	type plain Exemplar // without this method
	out := struct {
		plain
		Value *float64 `json:"value"`
	}{plain: plain(e)}
	if !math.IsNaN(e.Value) && !math.IsInf(e.Value, 0) {
		out.Value = &e.Value
	}
	return json.Marshal(out)
}

// Summary counts the exemplars received and their links.
type Summary struct {
	// Exemplars is the number of distinct exemplars received: an exemplar
	// that a scrape target keeps exposing arrives on several points but
	// counts once. Occurrences counts them on every point.
	Exemplars   int `json:"exemplars"`
	Occurrences int `json:"occurrences"`
	// Linked have a SpanContext; Resolved of them name a span that was
	// received, Dangling do not. Unlinked have no SpanContext.
	Linked   int `json:"linked"`
	Resolved int `json:"resolved"`
	Dangling int `json:"dangling"`
	Unlinked int `json:"unlinked"`
	// Spans is the number of spans held.
	Spans int `json:"spans"`
}

func (s Summary) String() string {
	return fmt.Sprintf("exemplars=%d linked=%d resolved=%d dangling=%d unlinked=%d occurrences=%d spans=%d",
		s.Exemplars, s.Linked, s.Resolved, s.Dangling, s.Unlinked, s.Occurrences, s.Spans)
}

// Exemplars returns every exemplar of the recorded points, in the order
// they arrived, one entry per point it came on; metric "" means all
// metrics. Resolved is judged now, against the spans held now.
func (s *Server) Exemplars(metric string) []Exemplar {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Exemplar
	s.eachExemplarLocked(metric, func(ex Exemplar, _ string) { out = append(out, ex) })
	return out
}

// Summary counts the recorded exemplars and their links, judged against
// the spans held now.
func (s *Server) Summary() Summary {
	s.mu.Lock()
	defer s.mu.Unlock()
	sum := Summary{Spans: len(s.spans.queue)}
	seen := make(map[string]bool)
	s.eachExemplarLocked("", func(ex Exemplar, key string) {
		sum.Occurrences++
		if seen[key] {
			return
		}
		seen[key] = true
		sum.Exemplars++
		switch {
		case ex.SpanName == nil:
			sum.Unlinked++
		case ex.Resolved:
			sum.Linked++
			sum.Resolved++
		default:
			sum.Linked++
			sum.Dangling++
		}
	})
	return sum
}

// distinctExemplars keeps the first of each distinct exemplar.
func (s *Server) distinctExemplarsLocked(metric string) []Exemplar {
	var out []Exemplar
	seen := make(map[string]bool)
	s.eachExemplarLocked(metric, func(ex Exemplar, key string) {
		if !seen[key] {
			seen[key] = true
			out = append(out, ex)
		}
	})
	return out
}

// eachExemplarLocked calls f with every exemplar of the recorded points of
// metric ("" for all) and a key that is the same for the same exemplar on
// another point of the same series. s.mu must be held.
func (s *Server) eachExemplarLocked(metric string, f func(ex Exemplar, key string)) {
	for _, r := range s.points.reqs {
		project := strings.TrimPrefix(r.req.GetName(), "projects/")
		for _, ts := range r.req.GetTimeSeries() {
			typ := ts.GetMetric().GetType()
			if metric != "" && typ != metric {
				continue
			}
			var series string
			for _, p := range ts.GetPoints() {
				for _, e := range p.GetValue().GetDistributionValue().GetExemplars() {
					if series == "" {
						series = seriesKey(ts)
					}
					ex := s.exemplarLocked(project, ts, p, e)
					name := ""
					if ex.SpanName != nil {
						name = *ex.SpanName
					}
					f(ex, fmt.Sprintf("%s\x00%d\x00%g\x00%s\x00%s", series, ex.Time.UnixNano(), ex.Value, name, labelsKey(ex.DroppedLabels)))
				}
			}
		}
	}
}

func (s *Server) exemplarLocked(project string, ts *monitoringpb.TimeSeries, p *monitoringpb.Point, e *distributionpb.Distribution_Exemplar) Exemplar {
	ex := Exemplar{
		Metric:        ts.GetMetric().GetType(),
		Project:       project,
		Labels:        ts.GetMetric().GetLabels(),
		PointEndTime:  p.GetInterval().GetEndTime().AsTime(),
		Time:          e.GetTimestamp().AsTime(),
		Value:         e.GetValue(),
		DroppedLabels: DroppedLabels(e),
	}
	if ex.Labels == nil {
		ex.Labels = map[string]string{}
	}
	if ex.DroppedLabels == nil {
		ex.DroppedLabels = map[string]string{}
	}
	if e.GetTimestamp() == nil {
		ex.Time = ex.PointEndTime
	}
	if name := SpanName(e); name != "" {
		ex.SpanName = &name
		_, ex.TraceID, ex.SpanID, _ = ParseSpanName(name)
		ex.Resolved = s.spans.byName[name] != nil
	}
	return ex
}

// seriesKey identifies a time series: its metric and resource, with labels.
func seriesKey(ts *monitoringpb.TimeSeries) string {
	return ts.GetMetric().GetType() + "\x00" + labelsKey(ts.GetMetric().GetLabels()) + "\x00" +
		ts.GetResource().GetType() + "\x00" + labelsKey(ts.GetResource().GetLabels())
}

func labelsKey(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(labels[k])
		b.WriteByte('\x01')
	}
	return b.String()
}
