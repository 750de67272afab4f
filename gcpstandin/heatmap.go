package gcpstandin

import (
	"slices"
	"sort"
	"strconv"
	"time"

	"cloud.google.com/go/monitoring/apiv3/v2/monitoringpb"
	distributionpb "google.golang.org/genproto/googleapis/api/distribution"
)

// maxColumns is the most time columns a heatmap has; more scrapes are
// merged into wider columns.
const maxColumns = 120

// Heatmap is a distribution metric's histogram over time, as Metrics
// Explorer draws it: one column per point in time, one row per bucket, each
// cell the number of values that fell into that bucket during that column,
// summed over the metric's time series. The counts are differences between
// consecutive cumulative points of a series (a point whose counts went
// down, or whose start time changed, starts over: its own counts are the
// difference).
type Heatmap struct {
	Metric string `json:"metric"`
	// Bounds are the explicit bucket bounds; bucket i holds values in
	// [Bounds[i-1], Bounds[i]), bucket 0 those below Bounds[0] and the
	// last those from the last bound up.
	Bounds   []float64 `json:"bounds"`
	Columns  []Column  `json:"columns"`
	MaxCount int64     `json:"max_count"`
	// Series is the number of time series summed; Skipped counts points
	// left out because they are not distributions with these bounds.
	Series  int `json:"series"`
	Skipped int `json:"skipped"`
	// ExemplarCount is the number of the metric's distinct exemplars,
	// which GET /api/exemplars?metric=TYPE&distinct=true gives page by
	// page.
	ExemplarCount int `json:"exemplar_count"`
}

// Column is one span of time of a Heatmap, with a count per bucket.
type Column struct {
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Counts []int64   `json:"counts"`
}

// Metric is a metric type the stand-in received, with how much of it.
// Exemplars counts distinct exemplars, as Summary does: one that came on
// several points of its series counts once; Occurrences counts it on
// every point.
type Metric struct {
	Type         string `json:"metric"`
	Distribution bool   `json:"distribution"`
	Series       int    `json:"series"`
	Points       int    `json:"points"`
	Exemplars    int    `json:"exemplars"`
	Occurrences  int    `json:"occurrences"`
}

// Metrics lists the metric types of the recorded points, distributions
// with exemplars first, then by name.
func (s *Server) Metrics() []Metric {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.cacheLocked()
	if c.metrics == nil {
		c.metrics = s.metricsLocked()
	}
	return slices.Clone(c.metrics)
}

func (s *Server) metricsLocked() []Metric {
	byType := make(map[string]*Metric)
	series := make(map[seriesID]bool)
	for _, r := range s.points.reqs {
		for i, ts := range r.req.GetTimeSeries() {
			m := byType[ts.GetMetric().GetType()]
			if m == nil {
				m = &Metric{Type: ts.GetMetric().GetType()}
				byType[m.Type] = m
			}
			if id := r.ids[i]; !series[id] {
				series[id] = true
				m.Series++
			}
			for _, p := range ts.GetPoints() {
				m.Points++
				if d := p.GetValue().GetDistributionValue(); d != nil {
					m.Distribution = true
				}
			}
		}
	}
	seen := make(map[[2]uint64]struct{})
	s.eachExemplarLocked("", 0, func(_ uint64, id seriesID, ts *monitoringpb.TimeSeries, ex Exemplar) bool {
		m := byType[ts.GetMetric().GetType()]
		m.Occurrences++
		if k := exemplarKey(id, &ex); !hasKey(seen, k) {
			seen[k] = struct{}{}
			m.Exemplars++
		}
		return true
	})
	out := make([]Metric, 0, len(byType))
	for _, m := range byType {
		out = append(out, *m)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra < rb
		}
		return a.Type < b.Type
	})
	return out
}

func hasKey(m map[[2]uint64]struct{}, k [2]uint64) bool {
	_, ok := m[k]
	return ok
}

// MetricPage is one page of Metrics (GET /api/metrics).
type MetricPage struct {
	Metrics       []Metric `json:"metrics"`
	Total         int      `json:"total"`
	NextPageToken string   `json:"next_page_token"`
}

// MetricsPage returns up to limit of Metrics from the position pageToken
// gives ("" for the first). Metric types are cut to maxJSONString bytes.
func (s *Server) MetricsPage(pageToken string, limit int) (MetricPage, error) {
	all := s.Metrics()
	from, err := offsetToken(pageToken, len(all))
	if err != nil {
		return MetricPage{}, err
	}
	to := min(len(all), from+pageSize(limit))
	page := MetricPage{Metrics: all[from:to], Total: len(all)}
	for i := range page.Metrics {
		page.Metrics[i].Type = cut(page.Metrics[i].Type, maxJSONString)
	}
	if to < len(all) {
		page.NextPageToken = strconv.Itoa(to)
	}
	return page, nil
}

// offsetToken reads a page token that is a position in a list of n.
func offsetToken(token string, n int) (int, error) {
	if token == "" {
		return 0, nil
	}
	i, err := strconv.Atoi(token)
	if err != nil || i < 0 || i > n {
		return 0, ErrPageToken
	}
	return i, nil
}

func rank(m Metric) int {
	switch {
	case m.Distribution && m.Exemplars > 0:
		return 0
	case m.Distribution:
		return 1
	}
	return 2
}

// Heatmap computes the heatmap of a distribution metric from the recorded
// points. ok is false if no recorded point is of that metric.
func (s *Server) Heatmap(metric string) (h Heatmap, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var points []seriesPoint
	for _, r := range s.points.reqs {
		for i, ts := range r.req.GetTimeSeries() {
			if ts.GetMetric().GetType() != metric {
				continue
			}
			ok = true
			for _, p := range ts.GetPoints() {
				points = append(points, seriesPoint{series: r.ids[i], point: p})
			}
		}
	}
	if !ok {
		return Heatmap{}, false
	}
	h = buildHeatmap(metric, points)
	h.ExemplarCount = len(s.distinctLocked(metric))
	return h, true
}

type seriesPoint struct {
	series seriesID
	point  *monitoringpb.Point
}

// delta is what one point adds to the heatmap: the counts of its series
// since the point before.
type delta struct {
	start, end time.Time
	counts     []int64
}

// buildHeatmap is the heatmap of points, cumulative distribution points of
// one metric in any order, tagged with their series.
func buildHeatmap(metric string, points []seriesPoint) Heatmap {
	h := Heatmap{Metric: metric, Bounds: []float64{}, Columns: []Column{}}
	// The bounds: those of the first distribution with explicit buckets.
	for _, sp := range points {
		if b := explicitBounds(sp.point.GetValue().GetDistributionValue()); b != nil {
			h.Bounds = b
			break
		}
	}
	bySeries := make(map[seriesID][]*monitoringpb.Point)
	var order []seriesID
	for _, sp := range points {
		d := sp.point.GetValue().GetDistributionValue()
		if b := explicitBounds(d); b == nil || !slices.Equal(b, h.Bounds) {
			h.Skipped++
			continue
		}
		if _, seen := bySeries[sp.series]; !seen {
			order = append(order, sp.series)
		}
		bySeries[sp.series] = append(bySeries[sp.series], sp.point)
	}
	h.Series = len(order)

	n := len(h.Bounds) + 1
	byEnd := make(map[int64][]delta)
	for _, key := range order {
		ps := bySeries[key]
		sort.SliceStable(ps, func(i, j int) bool {
			return ps[i].GetInterval().GetEndTime().AsTime().Before(ps[j].GetInterval().GetEndTime().AsTime())
		})
		var prev *monitoringpb.Point
		for _, p := range ps {
			cur := bucketCounts(p.GetValue().GetDistributionValue(), n)
			d := delta{start: p.GetInterval().GetStartTime().AsTime(), end: p.GetInterval().GetEndTime().AsTime(), counts: cur}
			if prev != nil && samePeriod(prev, p) {
				if before := bucketCounts(prev.GetValue().GetDistributionValue(), n); !anyLess(cur, before) {
					d.start = prev.GetInterval().GetEndTime().AsTime()
					d.counts = make([]int64, n)
					for i := range cur {
						d.counts[i] = cur[i] - before[i]
					}
				}
			}
			byEnd[d.end.UnixNano()] = append(byEnd[d.end.UnixNano()], d)
			prev = p
		}
	}

	ends := make([]int64, 0, len(byEnd))
	for e := range byEnd {
		ends = append(ends, e)
	}
	slices.Sort(ends)
	per := (len(ends) + maxColumns - 1) / maxColumns
	for i := 0; i < len(ends); i += per {
		group := ends[i:min(i+per, len(ends))]
		col := Column{End: time.Unix(0, group[len(group)-1]).UTC(), Counts: make([]int64, n)}
		for _, e := range group {
			for _, d := range byEnd[e] {
				for b, c := range d.counts {
					col.Counts[b] += c
				}
				if col.Start.IsZero() || d.start.After(col.Start) {
					col.Start = d.start.UTC()
				}
			}
		}
		if len(h.Columns) > 0 {
			// A column starts where the one before ended.
			col.Start = h.Columns[len(h.Columns)-1].End
		}
		h.Columns = append(h.Columns, col)
	}
	if len(h.Columns) > 1 {
		// The first column spans its series' first interval, which may
		// reach back to a process start long ago: no wider than the next.
		first, next := &h.Columns[0], h.Columns[1]
		if w := next.End.Sub(next.Start); first.Start.IsZero() || first.End.Sub(first.Start) > w {
			first.Start = first.End.Add(-w)
		}
	} else if len(h.Columns) == 1 && h.Columns[0].Start.Unix() <= 0 {
		h.Columns[0].Start = h.Columns[0].End.Add(-time.Minute) // no start time: a minute
	}
	for _, c := range h.Columns {
		for _, v := range c.Counts {
			h.MaxCount = max(h.MaxCount, v)
		}
	}
	return h
}

func explicitBounds(d *distributionpb.Distribution) []float64 {
	if b := d.GetBucketOptions().GetExplicitBuckets(); b != nil {
		if bounds := b.GetBounds(); bounds != nil {
			return bounds
		}
		return []float64{}
	}
	return nil
}

// bucketCounts returns d's bucket counts as n numbers: Cloud Monitoring
// lets a writer leave out trailing zero buckets.
func bucketCounts(d *distributionpb.Distribution, n int) []int64 {
	out := make([]int64, n)
	copy(out, d.GetBucketCounts())
	return out
}

func samePeriod(a, b *monitoringpb.Point) bool {
	return a.GetInterval().GetStartTime().AsTime().Equal(b.GetInterval().GetStartTime().AsTime())
}

func anyLess(a, b []int64) bool {
	for i := range a {
		if a[i] < b[i] {
			return true
		}
	}
	return false
}
