// Package linkcheck judges, once per distinct exemplar, whether the span a
// linked exemplar names passed the traces pipeline: resolved when it was
// seen, dangling when it was still not seen a grace period after the
// exemplar left.
package linkcheck

import (
	"encoding/binary"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// DefaultMaxLinks is how many distinct links a Checker remembers by
// default: 65,536 in 4.5 MiB (72 bytes each, made at the first check).
const DefaultMaxLinks = 1 << 16

// Link is one linked exemplar leaving: a distinct exemplar is its IDs and
// its own timestamp.
type Link struct {
	TraceID pcommon.TraceID
	SpanID  pcommon.SpanID
	// Time is the exemplar's timestamp, ns since the epoch; an exemplar
	// without one is not checked (it cannot be told from an old one).
	Time int64
}

// Spans is what a Checker asks about the spans that passed
// (spanindex.Index implements it).
type Spans interface {
	// Has reports whether the span is still held.
	Has(trace pcommon.TraceID, span pcommon.SpanID) bool
	// Horizon is the time before which a span may have passed and been
	// forgotten since.
	Horizon() int64
}

// Result counts verdicts; Example is the trace ID of one dangling link.
type Result struct {
	Resolved, Dangling int64
	Example            pcommon.TraceID
}

const ways = 4

type pendingLink struct {
	link     Link
	deadline int64
}

// Checker remembers the links it judged or is judging, in bounded memory.
// Safe for concurrent use.
//
// Invariants:
//   - A link is judged at most once: every link judged or pending whose
//     Time is after floor is in sets. Making room in a full set evicts the
//     entry with the oldest Time and raises floor to it; links at or before
//     floor are not judged at all (they may have been judged).
//   - A link older than the Spans' Horizon is not judged either: its span
//     may have passed and been forgotten. This also leaves out exemplars
//     from before the index existed, which a quiet bucket re-exposes.
//   - pending is a ring in deadline order (every deadline is now plus the
//     same grace, and now does not go back by more than the clock's
//     steps), so judging the due links looks only at its head.
//   - Nothing is allocated after the first Check.
type Checker struct {
	grace    int64
	maxLinks int

	mu      sync.Mutex
	floor   int64
	sets    [][ways]Link
	pending []pendingLink
	head, n int
}

// New returns a Checker of about maxLinks links (at least one set) that
// judges a link not seen grace after it left as dangling.
func New(maxLinks int, grace time.Duration) *Checker {
	return &Checker{grace: int64(grace), maxLinks: max(ways, maxLinks)}
}

func (c *Checker) set(l *Link) *[ways]Link {
	h := binary.LittleEndian.Uint64(l.TraceID[:8]) ^ binary.LittleEndian.Uint64(l.TraceID[8:])*0xC2B2AE3D27D4EB4F
	h ^= binary.LittleEndian.Uint64(l.SpanID[:])*0x165667B19E3779F9 ^ uint64(l.Time)*0x27D4EB2F165667C5
	h *= 0x9E3779B97F4A7C15
	return &c.sets[(h>>32)*uint64(len(c.sets))>>32]
}

// NotJudgedUpTo returns the time (ns) up to which links are not judged
// now: a caller may leave them out of Check, which would skip them.
func (c *Checker) NotJudgedUpTo(spans Spans) int64 {
	horizon := spans.Horizon()
	c.mu.Lock()
	defer c.mu.Unlock()
	return max(c.floor, horizon-1)
}

// Check takes the links that leave at now (ns): a link not judged before
// is resolved at once when its span is held, and otherwise judged by
// Sweep once grace has passed.
func (c *Checker) Check(links []Link, spans Spans, now int64, r *Result) {
	if len(links) == 0 {
		return
	}
	horizon := spans.Horizon()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sets == nil {
		c.sets = make([][ways]Link, (c.maxLinks+ways-1)/ways)
		c.pending = make([]pendingLink, len(c.sets)*ways)
	}
	for i := range links {
		l := &links[i]
		if l.Time <= 0 || !c.remember(l, max(c.floor, horizon-1)) {
			continue
		}
		switch {
		case spans.Has(l.TraceID, l.SpanID):
			r.Resolved++
		case c.n < len(c.pending):
			c.pending[(c.head+c.n)%len(c.pending)] = pendingLink{link: *l, deadline: now + c.grace}
			c.n++
			// Full: remembered, so never judged; the bound is stated.
		}
	}
}

// remember adds l to its set and reports whether it is to be judged: it
// is not when it was seen before or is at or before stale, the time up to
// which links are not judged.
func (c *Checker) remember(l *Link, stale int64) bool {
	if l.Time <= stale {
		return false
	}
	s := c.set(l)
	victim := -1
	for w := range s {
		e := &s[w]
		if *e == *l {
			return false
		}
		switch {
		case e.Time <= stale:
			victim = w // empty (0) or no longer judged: free room
		case victim < 0 || s[victim].Time > stale && e.Time < s[victim].Time:
			victim = w
		}
	}
	if e := &s[victim]; e.Time > stale {
		if l.Time <= e.Time {
			return false // older than all it would displace
		}
		c.floor = e.Time
	}
	s[victim] = *l
	return true
}

// Sweep judges the pending links whose grace has passed at now, and
// returns when the next one is due (0 for none).
func (c *Checker) Sweep(spans Spans, now int64, r *Result) (next int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.n > 0 {
		p := &c.pending[c.head]
		if p.deadline > now {
			return p.deadline
		}
		c.judge(&p.link, spans, r)
		c.head, c.n = (c.head+1)%len(c.pending), c.n-1
	}
	return 0
}

func (c *Checker) judge(l *Link, spans Spans, r *Result) {
	switch {
	case spans.Has(l.TraceID, l.SpanID):
		r.Resolved++
	case l.Time < spans.Horizon():
		// Asked after Has: its span may have come and been forgotten
		// since; not judged.
	default:
		if r.Dangling == 0 {
			r.Example = l.TraceID
		}
		r.Dangling++
	}
}

// Drain ends every pending link at shutdown: resolved when its span is
// held, otherwise not judged (its grace has not passed).
func (c *Checker) Drain(spans Spans, r *Result) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for ; c.n > 0; c.head, c.n = (c.head+1)%len(c.pending), c.n-1 {
		if l := &c.pending[c.head].link; spans.Has(l.TraceID, l.SpanID) {
			r.Resolved++
		}
	}
}

// Pending returns how many links wait for their grace to pass.
func (c *Checker) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}
