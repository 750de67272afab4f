package gcpstandin

import (
	"strings"

	"cloud.google.com/go/monitoring/apiv3/v2/monitoringpb"
	"cloud.google.com/go/trace/apiv2/tracepb"
	"google.golang.org/protobuf/proto"
)

// pointStore keeps recorded CreateTimeSeries requests, oldest first, with at
// most max points and maxBytes bytes (protobuf wire size) in all.
type pointStore struct {
	reqs          []storedRequest
	points, bytes int
	max, maxBytes int
	// nextExemplar numbers the exemplars of the requests as they are
	// stored, so a page token stays valid while older requests go.
	nextExemplar uint64
}

type storedRequest struct {
	req           *monitoringpb.CreateTimeSeriesRequest
	points, bytes int
	// ids are the series' IDs, in the request's order.
	ids []seriesID
	// firstExemplar is the number of the request's first exemplar.
	firstExemplar uint64
	exemplars     int
}

func newPointStore(maxPoints, maxBytes int) pointStore {
	return pointStore{max: maxPoints, maxBytes: maxBytes}
}

func countPoints(series []*monitoringpb.TimeSeries) int {
	n := 0
	for _, ts := range series {
		n += len(ts.GetPoints())
	}
	return n
}

func countExemplars(series []*monitoringpb.TimeSeries) int {
	n := 0
	for _, ts := range series {
		for _, p := range ts.GetPoints() {
			n += len(p.GetValue().GetDistributionValue().GetExemplars())
		}
	}
	return n
}

// add stores req, whose series have the given IDs, and returns how many
// points it dropped to stay within the caps: the oldest requests' first,
// then, for a request larger than a cap on its own, its first time series.
func (p *pointStore) add(req *monitoringpb.CreateTimeSeriesRequest, ids []seriesID) (dropped int) {
	series := req.GetTimeSeries()
	n := countPoints(series)
	size := proto.Size(req)
	if n > p.max || size > p.maxBytes {
		kept, keptBytes, i := 0, len(req.GetName())+8, len(series)
		for i > 0 {
			pts, b := len(series[i-1].GetPoints()), proto.Size(series[i-1])+8
			if kept+pts > p.max || keptBytes+b > p.maxBytes {
				break
			}
			i--
			kept += pts
			keptBytes += b
		}
		// A shallow copy: the stored request shares its series with the
		// caller's, as an untrimmed one does.
		req = &monitoringpb.CreateTimeSeriesRequest{Name: req.GetName(), TimeSeries: series[i:]}
		ids = ids[i:]
		dropped += n - kept
		n, size = kept, proto.Size(req)
	}
	for len(p.reqs) > 0 && (p.points+n > p.max || p.bytes+size > p.maxBytes) {
		dropped += p.reqs[0].points
		p.points -= p.reqs[0].points
		p.bytes -= p.reqs[0].bytes
		p.reqs[0] = storedRequest{} // let the collector have it
		p.reqs = p.reqs[1:]
	}
	if n > 0 {
		ex := countExemplars(req.GetTimeSeries())
		p.reqs = append(p.reqs, storedRequest{req: req, points: n, bytes: size, ids: ids, firstExemplar: p.nextExemplar, exemplars: ex})
		p.nextExemplar += uint64(ex)
		p.points += n
		p.bytes += size
	}
	return dropped
}

// spanStore keeps recorded spans, oldest first, at most max of them and
// maxBytes bytes (protobuf wire size), with indexes by span name and by
// trace ID.
type spanStore struct {
	queue         []storedSpan
	bytes         int
	byName        map[string]*tracepb.Span
	byTrace       map[string][]*tracepb.Span
	max, maxBytes int
	// evicted remembers the names of the spans the caps dropped, the
	// newest max of them (evictedOrder, oldest first; a name dropped
	// twice is there twice), so that a link to one can be told from a
	// link to a span that never came.
	evicted      map[string]int
	evictedOrder []string
}

type storedSpan struct {
	sp    *tracepb.Span
	bytes int
}

func newSpanStore(maxSpans, maxBytes int) spanStore {
	return spanStore{byName: make(map[string]*tracepb.Span), byTrace: make(map[string][]*tracepb.Span), max: maxSpans, maxBytes: maxBytes,
		evicted: make(map[string]int)}
}

// wasEvicted reports whether a span of that name was dropped for the caps
// (among the last max dropped) and none of that name is held now.
func (st *spanStore) wasEvicted(name string) bool {
	return st.evicted[name] > 0 && st.byName[name] == nil
}

// rememberEvicted notes a dropped span's name, forgetting the oldest
// noted past max, so the memory stays bounded by the span cap.
func (st *spanStore) rememberEvicted(name string) {
	st.evicted[name]++
	st.evictedOrder = append(st.evictedOrder, name)
	if len(st.evictedOrder) > st.max {
		old := st.evictedOrder[0]
		st.evictedOrder[0] = ""
		st.evictedOrder = st.evictedOrder[1:]
		if st.evicted[old]--; st.evicted[old] <= 0 {
			delete(st.evicted, old)
		}
	}
}

// add stores sp, whose name must be a valid span name, and returns how
// many spans it dropped to stay within the caps (sp itself if it is larger
// than the byte cap on its own). A span written again under the same name
// replaces the earlier one in the name index.
func (st *spanStore) add(sp *tracepb.Span) (dropped int) {
	size := proto.Size(sp)
	if size > st.maxBytes {
		return 1
	}
	for len(st.queue) > 0 && (len(st.queue) >= st.max || st.bytes+size > st.maxBytes) {
		st.evictOldest()
		dropped++
	}
	_, traceID, _, _ := ParseSpanName(sp.GetName())
	key := strings.ToLower(traceID)
	st.queue = append(st.queue, storedSpan{sp: sp, bytes: size})
	st.bytes += size
	st.byName[sp.GetName()] = sp
	st.byTrace[key] = append(st.byTrace[key], sp)
	return dropped
}

// evictOldest drops the oldest span. Spans leave in the order they came,
// so it is also the first of its trace's: O(1), whatever the trace's size.
func (st *spanStore) evictOldest() {
	old := st.queue[0]
	st.queue[0] = storedSpan{}
	st.queue = st.queue[1:]
	st.bytes -= old.bytes
	if st.byName[old.sp.GetName()] == old.sp {
		delete(st.byName, old.sp.GetName())
	}
	st.rememberEvicted(old.sp.GetName())
	_, traceID, _, _ := ParseSpanName(old.sp.GetName())
	key := strings.ToLower(traceID)
	spans := st.byTrace[key]
	if len(spans) > 0 && spans[0] == old.sp {
		spans[0] = nil
		spans = spans[1:]
	} else {
		// Not reached while spans leave in order; kept correct anyway.
		for i, sp := range spans {
			if sp == old.sp {
				spans = append(spans[:i:i], spans[i+1:]...)
				break
			}
		}
	}
	if len(spans) == 0 {
		delete(st.byTrace, key)
	} else {
		st.byTrace[key] = spans
	}
}

// spans returns the held spans, oldest first.
func (st *spanStore) spans() []*tracepb.Span {
	out := make([]*tracepb.Span, len(st.queue))
	for i, s := range st.queue {
		out[i] = s.sp
	}
	return out
}
