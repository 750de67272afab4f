// Package spanindex keeps the recent spans that passed the processor's
// traces side, so that its metrics side can find the span that was active
// when a trace-only exemplar was observed (Choose), and remembers what it
// found (Resolutions).
package spanindex

import (
	"encoding/binary"
	"math"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Defaults for a node agent: two minutes cover a 60 s scrape interval, the
// SDK's 5 s export delay and a margin; 200,000 spans hold two minutes of
// about 1,600 spans/s in about 12 MB (60 B/span).
const (
	DefaultMaxSpans = 200_000
	DefaultMaxAge   = 2 * time.Minute
	// MaxMaxSpans bounds the capacity: ring positions are 32-bit, and
	// 16 M spans are already a gigabyte.
	MaxMaxSpans = 1 << 24
)

// Config bounds an Index.
type Config struct {
	// MaxSpans is the capacity: adding a span to a full index evicts the
	// oldest. 1 to MaxMaxSpans.
	MaxSpans int
	// MaxAge evicts spans added longer ago than this, at the next Add.
	// Whole seconds; at least one.
	MaxAge time.Duration
}

// record is one span in the ring: 48 bytes.
type record struct {
	trace pcommon.TraceID
	span  pcommon.SpanID
	start int64
	end   int64
	// prev is the ring position of the previous record of the same trace,
	// or noPrev. It may point at a record evicted since, whose position
	// now holds another span: see walk for why that is detected.
	prev uint32
	// meta is the second (since Index.base) the span was added, shifted
	// left by one, and the Entry bit.
	meta uint32
}

const noPrev = math.MaxUint32

// Index holds recent spans in bounded memory. It is safe for concurrent
// use: spans are added under the write lock (BeginWrite ... EndWrite),
// Lookup takes the read lock.
//
// Layout and invariants:
//   - ring is a fixed array of MaxSpans records, filled in order; the n
//     live records are the n positions before next (cyclically), oldest
//     first. A span is evicted, oldest first, when the ring is full or the
//     span is older than MaxAge; nothing else ever leaves, and nothing is
//     allocated after New.
//   - traces is an open-addressing table (linear probing, at most 2/3
//     full) from a trace ID to the ring position of its newest live
//     record, stored plus one (0 is empty). The records of one trace form
//     a chain from there through record.prev, newest to oldest.
//   - spans is a table of the same shape from a span ID to the ring
//     position of its live record: a span that is already live is not
//     added again (spans seen through two traces pipelines).
//   - Every live record is in spans; every trace with a live record is in
//     traces, pointing at its newest; no table entry points at a dead
//     record.
//
// Memory: 48 bytes per record and 2 × 4 bytes × 1.5 per span in the
// tables, 60 bytes per span at capacity (TestBytesPerSpan measures it).
type Index struct {
	mu     sync.RWMutex
	ring   []record
	traces []uint32
	spans  []uint32
	next   int // ring position of the next record
	n      int // live records
	base   time.Time
	maxAge uint32 // seconds
	now    uint32 // seconds since base, set by BeginWrite
	// evictedTo is one more than the second (since base) in which the
	// newest evicted record was added, 0 before any eviction: every span
	// added from then on is still live (see Horizon).
	evictedTo uint32
}

// New returns an empty index; cfg must be valid (Validate).
func New(cfg Config) *Index {
	slots := cfg.MaxSpans + cfg.MaxSpans/2 + 1
	return &Index{
		ring:   make([]record, cfg.MaxSpans),
		traces: make([]uint32, slots),
		spans:  make([]uint32, slots),
		base:   time.Now(),
		maxAge: uint32(max(1, min(cfg.MaxAge/time.Second, math.MaxUint32>>1))),
	}
}

// Len returns the number of live spans.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.n
}

// BeginWrite takes the write lock for a batch of Add calls at time now,
// and first evicts the spans older than MaxAge. EndWrite releases it.
func (x *Index) BeginWrite(now time.Time) {
	x.mu.Lock()
	since := now.Sub(x.base) / time.Second
	x.now = uint32(max(0, min(since, math.MaxUint32>>1)))
	for x.n > 0 {
		r := &x.ring[x.oldest()]
		if added := r.meta >> 1; added+x.maxAge > x.now || added > x.now {
			break
		}
		x.evictOldest()
	}
}

// EndWrite releases the lock BeginWrite took.
func (x *Index) EndWrite() { x.mu.Unlock() }

// Add records s and reports whether it was new; a span already live (same
// trace and span ID) is not recorded again. The caller holds BeginWrite.
// It never allocates.
func (x *Index) Add(s *Span) bool {
	si, found := x.findSpan(s.TraceID, s.SpanID)
	if found {
		return false
	}
	if x.n == len(x.ring) {
		x.evictOldest()
		// Eviction shifts entries of the span table back: find the free
		// slot again.
		si, _ = x.findSpan(s.TraceID, s.SpanID)
	}
	pos := x.next
	r := &x.ring[pos]
	*r = record{trace: s.TraceID, span: s.SpanID, start: s.Start, end: s.End, prev: noPrev, meta: x.now << 1}
	if s.Entry {
		r.meta |= 1
	}
	x.spans[si] = uint32(pos) + 1
	ti, found := x.findTrace(s.TraceID)
	if found {
		r.prev = x.traces[ti] - 1
	}
	x.traces[ti] = uint32(pos) + 1
	x.next++
	if x.next == len(x.ring) {
		x.next = 0
	}
	x.n++
	return true
}

// Has reports whether the span is live in the index.
func (x *Index) Has(trace pcommon.TraceID, span pcommon.SpanID) bool {
	x.mu.RLock()
	_, found := x.findSpan(trace, span)
	x.mu.RUnlock()
	return found
}

// Horizon is the time (ns since the epoch) before which a span may have
// passed and been evicted since; a span that passed at or after it is
// live. It starts at the index's creation: nothing before was seen.
func (x *Index) Horizon() int64 {
	x.mu.RLock()
	to := x.evictedTo
	x.mu.RUnlock()
	return x.base.Add(time.Duration(to) * time.Second).UnixNano()
}

// Lookup chooses the span of trace active at at (Choose), reading the
// trace's records under the read lock. buf is scratch space, returned for
// reuse; only the records Choose could pick are copied into it.
func (x *Index) Lookup(trace pcommon.TraceID, at int64, hasTime bool, buf []Span) (Result, []Span) {
	buf = buf[:0]
	x.mu.RLock()
	ti, found := x.findTrace(trace)
	if found {
		pos := int(x.traces[ti] - 1)
		for {
			r := &x.ring[pos]
			s := Span{TraceID: r.trace, SpanID: r.span, Start: r.start, End: r.end, Entry: r.meta&1 != 0}
			// The first record goes in even when Choose cannot pick it,
			// so that Choose knows the trace was seen.
			if len(buf) == 0 || relevant(&s, at, hasTime) {
				buf = append(buf, s)
			}
			var ok bool
			if pos, ok = x.prev(pos); !ok {
				break
			}
		}
	}
	x.mu.RUnlock()
	return Choose(buf, at, hasTime), buf
}

// prev returns the ring position of the record before pos in its trace's
// chain. A record's prev may have been evicted and its position reused.
// The position is still valid when it is live, older than pos and holds
// the same trace: a live record of the same trace older than pos but newer
// than pos's real predecessor cannot exist, since that would have been
// pos's predecessor.
func (x *Index) prev(pos int) (int, bool) {
	p := x.ring[pos].prev
	if p == noPrev {
		return 0, false
	}
	prev := int(p)
	agePrev, age := x.age(prev), x.age(pos)
	if agePrev <= age || agePrev >= x.n || x.ring[prev].trace != x.ring[pos].trace {
		return 0, false
	}
	return prev, true
}

// age returns how many records were added after the one at pos.
func (x *Index) age(pos int) int {
	a := x.next - 1 - pos
	if a < 0 {
		a += len(x.ring)
	}
	return a
}

func (x *Index) oldest() int {
	pos := x.next - x.n
	if pos < 0 {
		pos += len(x.ring)
	}
	return pos
}

// evictOldest removes the oldest live record from the ring and the tables.
func (x *Index) evictOldest() {
	pos := x.oldest()
	r := &x.ring[pos]
	x.evictedTo = max(x.evictedTo, r.meta>>1+1)
	want := uint32(pos) + 1
	// The oldest record of all is the oldest of its trace, the end of its
	// chain: the trace's entry goes only when it is also the newest.
	for i := x.home(traceHash(r.trace), len(x.traces)); x.traces[i] != 0; i = x.step(i, len(x.traces)) {
		if x.traces[i] == want {
			x.remove(x.traces, i, true)
			break
		}
	}
	for i := x.home(spanHash(r.span), len(x.spans)); x.spans[i] != 0; i = x.step(i, len(x.spans)) {
		if x.spans[i] == want {
			x.remove(x.spans, i, false)
			break
		}
	}
	x.n--
}

// findTrace returns the slot holding trace, or the empty slot where it
// goes.
func (x *Index) findTrace(trace pcommon.TraceID) (int, bool) {
	i := x.home(traceHash(trace), len(x.traces))
	for ; x.traces[i] != 0; i = x.step(i, len(x.traces)) {
		if x.ring[x.traces[i]-1].trace == trace {
			return i, true
		}
	}
	return i, false
}

// findSpan returns the slot holding the span, or the empty slot where it
// goes.
func (x *Index) findSpan(trace pcommon.TraceID, span pcommon.SpanID) (int, bool) {
	i := x.home(spanHash(span), len(x.spans))
	for ; x.spans[i] != 0; i = x.step(i, len(x.spans)) {
		if r := &x.ring[x.spans[i]-1]; r.span == span && r.trace == trace {
			return i, true
		}
	}
	return i, false
}

// remove empties slot i of a linear-probing table and shifts back the
// entries after it that would otherwise no longer be found (no
// tombstones, so lookups never slow down with churn).
func (x *Index) remove(table []uint32, i int, byTrace bool) {
	for j := x.step(i, len(table)); table[j] != 0; j = x.step(j, len(table)) {
		r := &x.ring[table[j]-1]
		h := x.home(spanHash(r.span), len(table))
		if byTrace {
			h = x.home(traceHash(r.trace), len(table))
		}
		// The entry at j stays when its home lies cyclically in (i, j].
		if i <= j && i < h && h <= j || i > j && (i < h || h <= j) {
			continue
		}
		table[i] = table[j]
		i = j
	}
	table[i] = 0
}

func (x *Index) home(h uint64, size int) int {
	return int((h >> 32) * uint64(size) >> 32)
}

func (x *Index) step(i, size int) int {
	i++
	if i == size {
		return 0
	}
	return i
}

// traceHash and spanHash mix the IDs' bits (random, but possibly only in
// one half: 64-bit trace IDs padded with zeros) with a Fibonacci multiply.
func traceHash(t pcommon.TraceID) uint64 {
	return (binary.LittleEndian.Uint64(t[:8]) ^ binary.LittleEndian.Uint64(t[8:])) * 0x9E3779B97F4A7C15
}

func spanHash(s pcommon.SpanID) uint64 {
	return binary.LittleEndian.Uint64(s[:]) * 0x9E3779B97F4A7C15
}
