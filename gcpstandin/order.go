package gcpstandin

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/maphash"
	"math"
	"sort"
	"strings"

	"cloud.google.com/go/monitoring/apiv3/v2/monitoringpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// seriesID identifies a time series (metric type and labels, monitored
// resource type and labels) by a 128-bit hash, so that indexes keyed by
// series hold 16 bytes per series whatever the size of its labels.
type seriesID [2]uint64

// String is the series' ID in the console's JSON answers.
func (id seriesID) String() string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], id[0])
	binary.BigEndian.PutUint64(b[8:], id[1])
	return hex.EncodeToString(b[:])
}

// hashSeeds are fixed for the process: IDs are compared within it only.
var hashSeeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

// keyHash writes length-prefixed fields into two maphash states at once.
type keyHash [2]maphash.Hash

func newKeyHash() *keyHash {
	var h keyHash
	for i := range h {
		h[i].SetSeed(hashSeeds[i])
	}
	return &h
}

func (h *keyHash) str(s string) {
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
	for i := range h {
		_, _ = h[i].Write(n[:])
		_, _ = h[i].WriteString(s)
	}
}

func (h *keyHash) u64(v uint64) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], v)
	for i := range h {
		_, _ = h[i].Write(b[:])
	}
}

// labels writes a label map in key order.
func (h *keyHash) labels(m map[string]string) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h.u64(uint64(len(keys)))
	for _, k := range keys {
		h.str(k)
		h.str(m[k])
	}
}

func (h *keyHash) sum() [2]uint64 { return [2]uint64{h[0].Sum64(), h[1].Sum64()} }

func hashSeries(ts *monitoringpb.TimeSeries) seriesID {
	h := newKeyHash()
	h.str(ts.GetMetric().GetType())
	h.labels(ts.GetMetric().GetLabels())
	h.str(ts.GetResource().GetType())
	h.labels(ts.GetResource().GetLabels())
	return h.sum()
}

// exemplarKey is the same for the same exemplar on another point of the
// same series: an exemplar a target keeps exposing counts once.
func exemplarKey(series seriesID, ex *Exemplar) [2]uint64 {
	h := newKeyHash()
	h.u64(series[0])
	h.u64(series[1])
	h.u64(uint64(ex.Time.UnixNano()))
	h.u64(math.Float64bits(ex.Value))
	if ex.SpanName != nil {
		h.str(*ex.SpanName)
	} else {
		h.u64(0)
	}
	h.labels(ex.DroppedLabels)
	return h.sum()
}

// Cloud Monitoring's reasons for refusing a point of a series, in the
// words of its error messages.
const (
	reasonOlderEnd   = "Points must be written in order. One or more of the points specified had an older end time than the most recent point."
	reasonSameEnd    = "One or more points were written more frequently than the maximum sampling period configured for the metric."
	reasonOlderStart = "Points must be written in order. One or more of the points specified had an older start time than the most recent point."
)

// lastPoint is the interval of a series' most recent point, in Unix
// nanoseconds.
type lastPoint struct{ start, end int64 }

// orderIndex remembers the most recent point of up to max series (those
// first seen most recently), so that points written out of order are
// refused as Cloud Monitoring refuses them.
type orderIndex struct {
	last map[seriesID]lastPoint
	fifo []seriesID
	max  int
}

func newOrderIndex(maxSeries int) orderIndex {
	return orderIndex{last: make(map[seriesID]lastPoint), max: maxSeries}
}

// check returns why points cannot follow the series' most recent point,
// or "" if they can (each point must also follow the one before it in the
// same series). A point without an end time is not checked.
func (o *orderIndex) check(id seriesID, points []*monitoringpb.Point) string {
	last, seen := o.last[id]
	for _, p := range points {
		iv := p.GetInterval()
		if iv.GetEndTime() == nil {
			continue
		}
		end := iv.GetEndTime().AsTime().UnixNano()
		start := end
		if iv.GetStartTime() != nil {
			start = iv.GetStartTime().AsTime().UnixNano()
		}
		if seen {
			switch {
			case end < last.end:
				return reasonOlderEnd
			case end == last.end:
				return reasonSameEnd
			case start < last.start:
				return reasonOlderStart
			}
		}
		last, seen = lastPoint{start: start, end: end}, true
	}
	return ""
}

// update records points, which check accepted, as the series' most recent.
func (o *orderIndex) update(id seriesID, points []*monitoringpb.Point) {
	last, seen := o.last[id]
	changed := false
	for _, p := range points {
		iv := p.GetInterval()
		if iv.GetEndTime() == nil {
			continue
		}
		last.end = iv.GetEndTime().AsTime().UnixNano()
		last.start = last.end
		if iv.GetStartTime() != nil {
			last.start = iv.GetStartTime().AsTime().UnixNano()
		}
		changed = true
	}
	if !changed {
		return
	}
	if !seen {
		for len(o.fifo) >= o.max {
			delete(o.last, o.fifo[0])
			o.fifo = o.fifo[1:]
		}
		o.fifo = append(o.fifo, id)
	}
	o.last[id] = last
}

// refused collects the series of one request that were refused.
type refused struct {
	reasons []string         // in the order first met
	indexes map[string][]int // reason → timeSeries indexes
	points  int
}

func (r *refused) add(reason string, index, points int) {
	if r.indexes == nil {
		r.indexes = make(map[string][]int)
	}
	if _, ok := r.indexes[reason]; !ok {
		r.reasons = append(r.reasons, reason)
	}
	r.indexes[reason] = append(r.indexes[reason], index)
	r.points += points
}

// maxListedIndexes bounds the indexes an error message lists per reason.
const maxListedIndexes = 20

// err is the InvalidArgument status Cloud Monitoring answers when some
// series of a request could not be written, with its
// CreateTimeSeriesSummary detail; the other series were written.
func (r *refused) err(totalPoints int) error {
	parts := make([]string, 0, len(r.reasons))
	for _, reason := range r.reasons {
		idx := r.indexes[reason]
		strs := make([]string, 0, min(len(idx), maxListedIndexes)+1)
		for i, n := range idx {
			if i == maxListedIndexes {
				strs = append(strs, fmt.Sprintf("… %d more", len(idx)-i))
				break
			}
			strs = append(strs, fmt.Sprint(n))
		}
		parts = append(parts, reason+": timeSeries["+strings.Join(strs, ",")+"]")
	}
	st := status.New(codes.InvalidArgument, "One or more TimeSeries could not be written: "+strings.Join(parts, "; "))
	detailed, err := st.WithDetails(&monitoringpb.CreateTimeSeriesSummary{
		TotalPointCount:   int32(totalPoints),
		SuccessPointCount: int32(totalPoints - r.points),
		Errors: []*monitoringpb.CreateTimeSeriesSummary_Error{{
			Status:     status.New(codes.InvalidArgument, r.reasons[0]).Proto(),
			PointCount: int32(r.points),
		}},
	})
	if err != nil {
		return st.Err()
	}
	return detailed.Err()
}

// cut shortens s for an error message or a JSON answer: at most n bytes
// (on a rune boundary), then how long it was.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8RuneStart(s[i]) {
		i--
	}
	return s[:i] + fmt.Sprintf("…(%d bytes)", len(s))
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
