package gcpstandin

import (
	"strings"

	"cloud.google.com/go/monitoring/apiv3/v2/monitoringpb"
	"cloud.google.com/go/trace/apiv2/tracepb"
)

// pointStore keeps recorded CreateTimeSeries requests, oldest first, with at
// most max points in all.
type pointStore struct {
	reqs   []storedRequest
	points int
	max    int
}

type storedRequest struct {
	req    *monitoringpb.CreateTimeSeriesRequest
	points int
}

func countPoints(series []*monitoringpb.TimeSeries) int {
	n := 0
	for _, ts := range series {
		n += len(ts.GetPoints())
	}
	return n
}

// add stores req and returns how many points it dropped to stay within the
// cap: the oldest requests' first, then, for a request larger than the cap
// on its own, its first time series.
func (p *pointStore) add(req *monitoringpb.CreateTimeSeriesRequest) (dropped int) {
	n := countPoints(req.GetTimeSeries())
	if n > p.max {
		series := req.GetTimeSeries()
		kept, i := 0, len(series)
		for i > 0 && kept+len(series[i-1].GetPoints()) <= p.max {
			i--
			kept += len(series[i].GetPoints())
		}
		// A shallow copy: the stored request shares its series with the
		// caller's, as an untrimmed one does.
		trimmed := &monitoringpb.CreateTimeSeriesRequest{Name: req.GetName(), TimeSeries: series[i:]}
		dropped += n - kept
		req, n = trimmed, kept
	}
	for len(p.reqs) > 0 && p.points+n > p.max {
		dropped += p.reqs[0].points
		p.points -= p.reqs[0].points
		p.reqs[0] = storedRequest{} // let the collector have it
		p.reqs = p.reqs[1:]
	}
	if n > 0 {
		p.reqs = append(p.reqs, storedRequest{req: req, points: n})
		p.points += n
	}
	return dropped
}

// spanStore keeps recorded spans, oldest first, at most max of them, with
// indexes by span name and by trace ID.
type spanStore struct {
	queue   []*tracepb.Span
	byName  map[string]*tracepb.Span
	byTrace map[string][]*tracepb.Span
	max     int
}

func newSpanStore(max int) spanStore {
	return spanStore{byName: make(map[string]*tracepb.Span), byTrace: make(map[string][]*tracepb.Span), max: max}
}

// add stores sp, whose name must be a valid span name, and returns how
// many spans it dropped to stay within the cap. A span written again under
// the same name replaces the earlier one in the name index.
func (st *spanStore) add(sp *tracepb.Span) (dropped int) {
	for len(st.queue) >= st.max {
		st.evictOldest()
		dropped++
	}
	_, traceID, _, _ := ParseSpanName(sp.GetName())
	key := strings.ToLower(traceID)
	st.queue = append(st.queue, sp)
	st.byName[sp.GetName()] = sp
	st.byTrace[key] = append(st.byTrace[key], sp)
	return dropped
}

func (st *spanStore) evictOldest() {
	old := st.queue[0]
	st.queue[0] = nil
	st.queue = st.queue[1:]
	if st.byName[old.GetName()] == old {
		delete(st.byName, old.GetName())
	}
	_, traceID, _, _ := ParseSpanName(old.GetName())
	key := strings.ToLower(traceID)
	spans := st.byTrace[key]
	for i, sp := range spans {
		if sp == old {
			spans = append(spans[:i:i], spans[i+1:]...)
			break
		}
	}
	if len(spans) == 0 {
		delete(st.byTrace, key)
	} else {
		st.byTrace[key] = spans
	}
}
