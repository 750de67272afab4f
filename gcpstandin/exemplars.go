package gcpstandin

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
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
	// Series identifies the time series it came in (metric and resource,
	// with labels), a key of ExemplarPage.Series.
	Series string `json:"series"`
	// Labels are the metric labels of the time series it came in. The
	// JSON answers give them once per series, in ExemplarPage.Series.
	Labels map[string]string `json:"-"`
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
	// Evicted is true for a dangling link whose span was received and
	// then dropped for the span caps (Summary.DanglingEvicted).
	Evicted bool `json:"evicted"`
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
	// Linked have a SpanContext; Resolved of them name a span that is
	// held, Dangling do not. Unlinked have no SpanContext.
	Linked   int `json:"linked"`
	Resolved int `json:"resolved"`
	Dangling int `json:"dangling"`
	Unlinked int `json:"unlinked"`
	// DanglingEvicted counts, of Dangling, the links to a span that was
	// received and then dropped for the span caps (the names of the last
	// spans dropped, as many as the cap holds, are remembered): Dangling
	// minus DanglingEvicted is the links whose span never reached Cloud
	// Trace.
	DanglingEvicted int `json:"dangling_evicted"`
	// Spans is the number of spans held.
	Spans int `json:"spans"`
}

func (s Summary) String() string {
	return fmt.Sprintf("exemplars=%d linked=%d resolved=%d dangling=%d dangling_evicted=%d unlinked=%d occurrences=%d spans=%d",
		s.Exemplars, s.Linked, s.Resolved, s.Dangling, s.DanglingEvicted, s.Unlinked, s.Occurrences, s.Spans)
}

// Exemplars returns every exemplar of the recorded points, in the order
// they arrived, one entry per point it came on; metric "" means all
// metrics. Resolved is judged now, against the spans held now.
func (s *Server) Exemplars(metric string) []Exemplar {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Exemplar
	s.eachExemplarLocked(metric, 0, func(_ uint64, _ seriesID, _ *monitoringpb.TimeSeries, ex Exemplar) bool {
		out = append(out, ex)
		return true
	})
	return out
}

// scanCache keeps what a scan of every held exemplar found, while what is
// held stays the same: the console asks for the summary, the metrics and
// the pages of one metric's distinct exemplars every few seconds.
type scanCache struct {
	version uint64
	summary *Summary
	metrics []Metric
	// distinct are the numbers of the distinct exemplars of
	// distinctMetric ("" for all), when distinctOK.
	distinctMetric string
	distinctOK     bool
	distinct       []uint64
}

// cacheLocked returns the cache, emptied if what is held has changed.
func (s *Server) cacheLocked() *scanCache {
	if s.cache.version != s.version {
		s.cache = scanCache{version: s.version}
	}
	return &s.cache
}

// distinctLocked returns the numbers of metric's distinct exemplars (the
// first of each), in order.
func (s *Server) distinctLocked(metric string) []uint64 {
	c := s.cacheLocked()
	if c.distinctOK && c.distinctMetric == metric {
		return c.distinct
	}
	ords := []uint64{}
	seen := make(map[[2]uint64]struct{})
	s.eachExemplarLocked(metric, 0, func(ord uint64, id seriesID, _ *monitoringpb.TimeSeries, ex Exemplar) bool {
		if k := exemplarKey(id, &ex); !hasKey(seen, k) {
			seen[k] = struct{}{}
			ords = append(ords, ord)
		}
		return true
	})
	c.distinctMetric, c.distinctOK, c.distinct = metric, true, ords
	return ords
}

// Summary counts the recorded exemplars and their links, judged against
// the spans held now.
func (s *Server) Summary() Summary {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.cacheLocked()
	if c.summary != nil {
		return *c.summary
	}
	sum := s.summaryLocked()
	c.summary = &sum
	return sum
}

func (s *Server) summaryLocked() Summary {
	sum := Summary{Spans: len(s.spans.queue)}
	seen := make(map[[2]uint64]struct{})
	s.eachExemplarLocked("", 0, func(_ uint64, id seriesID, _ *monitoringpb.TimeSeries, ex Exemplar) bool {
		sum.Occurrences++
		k := exemplarKey(id, &ex)
		if _, dup := seen[k]; dup {
			return true
		}
		seen[k] = struct{}{}
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
			if ex.Evicted {
				sum.DanglingEvicted++
			}
		}
		return true
	})
	return sum
}

// ExemplarPage is one page of exemplars (GET /api/exemplars): the
// exemplars, the series they came in (each once, by Exemplar.Series), and
// the token of the next page ("" on the last).
type ExemplarPage struct {
	Exemplars     []Exemplar            `json:"exemplars"`
	Series        map[string]SeriesJSON `json:"series"`
	NextPageToken string                `json:"next_page_token"`
}

// SeriesJSON is a time series as the console's answers give it.
type SeriesJSON struct {
	Metric         string            `json:"metric"`
	Labels         map[string]string `json:"labels"`
	ResourceType   string            `json:"resource_type"`
	ResourceLabels map[string]string `json:"resource_labels"`
}

// Page sizes of the console's JSON answers: the default, and the most a
// client may ask for with ?limit=.
const (
	DefaultPageSize = 500
	MaxPageSize     = 5000
)

// maxJSONString is how much of a label, attribute or name the JSON
// answers give: longer ones are cut (cut) so that an answer stays small.
const maxJSONString = 1024

// ErrPageToken is returned for a page token this server did not give.
var ErrPageToken = errors.New("gcpstandin: not a page token of this server")

// ExemplarsPage returns up to limit exemplars of metric ("" for all),
// from the one pageToken names ("" for the first held). With distinct,
// an exemplar that came on several points of its series is given once,
// at its first. Pages follow the order of arrival; a page token stays
// valid while older points are dropped (the page then starts at the
// oldest held). Long strings are cut to maxJSONString bytes.
func (s *Server) ExemplarsPage(metric string, distinct bool, pageToken string, limit int) (ExemplarPage, error) {
	var from uint64
	if pageToken != "" {
		n, err := strconv.ParseUint(pageToken, 10, 64)
		if err != nil {
			return ExemplarPage{}, ErrPageToken
		}
		from = n
	}
	limit = pageSize(limit)
	s.mu.Lock()
	defer s.mu.Unlock()
	if from > s.points.nextExemplar {
		return ExemplarPage{}, ErrPageToken
	}
	page := ExemplarPage{Exemplars: []Exemplar{}, Series: map[string]SeriesJSON{}}
	var wanted []uint64 // with distinct: the numbers of those to give
	if distinct {
		// Whether an exemplar is the first of its kind depends on every
		// one before it: a scan of all, kept while nothing changes.
		ords := s.distinctLocked(metric)
		i := sort.Search(len(ords), func(i int) bool { return ords[i] >= from })
		wanted = ords[i:]
		if len(wanted) == 0 {
			return page, nil
		}
		from = wanted[0]
	}
	s.eachExemplarLocked(metric, from, func(ord uint64, id seriesID, ts *monitoringpb.TimeSeries, ex Exemplar) bool {
		if distinct {
			if len(wanted) == 0 {
				return false
			}
			if ord != wanted[0] {
				return true
			}
			wanted = wanted[1:]
		}
		if len(page.Exemplars) == limit {
			page.NextPageToken = strconv.FormatUint(ord, 10)
			return false
		}
		key := id.String()
		if _, ok := page.Series[key]; !ok {
			page.Series[key] = seriesJSON(ts)
		}
		page.Exemplars = append(page.Exemplars, cutExemplar(ex))
		return true
	})
	return page, nil
}

func pageSize(limit int) int {
	if limit <= 0 {
		return DefaultPageSize
	}
	return min(limit, MaxPageSize)
}

func seriesJSON(ts *monitoringpb.TimeSeries) SeriesJSON {
	return SeriesJSON{
		Metric:         cut(ts.GetMetric().GetType(), maxJSONString),
		Labels:         cutLabels(ts.GetMetric().GetLabels()),
		ResourceType:   cut(ts.GetResource().GetType(), maxJSONString),
		ResourceLabels: cutLabels(ts.GetResource().GetLabels()),
	}
}

func cutLabels(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[cut(k, maxJSONString)] = cut(v, maxJSONString)
	}
	return out
}

func cutExemplar(ex Exemplar) Exemplar {
	ex.Metric = cut(ex.Metric, maxJSONString)
	ex.Project = cut(ex.Project, maxJSONString)
	ex.Labels = nil
	if ex.SpanName != nil {
		name := cut(*ex.SpanName, maxJSONString)
		ex.SpanName = &name
	}
	ex.TraceID = cut(ex.TraceID, maxJSONString)
	ex.SpanID = cut(ex.SpanID, maxJSONString)
	ex.DroppedLabels = cutLabels(ex.DroppedLabels)
	return ex
}

// eachExemplarLocked calls f with every exemplar of the recorded points of
// metric ("" for all), from the one numbered from on, with its number,
// its series' ID and its series, until f returns false. s.mu must be held.
func (s *Server) eachExemplarLocked(metric string, from uint64, f func(ord uint64, id seriesID, ts *monitoringpb.TimeSeries, ex Exemplar) bool) {
	reqs := s.points.reqs
	// The first request that holds exemplar from or a later one.
	first := sort.Search(len(reqs), func(i int) bool { return reqs[i].firstExemplar+uint64(reqs[i].exemplars) > from })
	for _, r := range reqs[first:] {
		project := strings.TrimPrefix(r.req.GetName(), "projects/")
		ord := r.firstExemplar
		for i, ts := range r.req.GetTimeSeries() {
			if metric != "" && ts.GetMetric().GetType() != metric {
				ord += uint64(countExemplars(r.req.GetTimeSeries()[i : i+1]))
				continue
			}
			for _, p := range ts.GetPoints() {
				for _, e := range p.GetValue().GetDistributionValue().GetExemplars() {
					if ord >= from {
						if !f(ord, r.ids[i], ts, s.exemplarLocked(project, r.ids[i], ts, p, e)) {
							return
						}
					}
					ord++
				}
			}
		}
	}
}

func (s *Server) exemplarLocked(project string, id seriesID, ts *monitoringpb.TimeSeries, p *monitoringpb.Point, e *distributionpb.Distribution_Exemplar) Exemplar {
	ex := Exemplar{
		Metric:        ts.GetMetric().GetType(),
		Project:       project,
		Series:        id.String(),
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
		ex.Evicted = !ex.Resolved && s.spans.wasEvicted(name)
	}
	return ex
}
