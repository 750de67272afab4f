package linkcheck

import (
	"encoding/binary"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// spans is a Spans with a fixed horizon.
type spans struct {
	mu      sync.Mutex
	held    map[pcommon.SpanID]pcommon.TraceID
	horizon int64
}

func newSpans() *spans { return &spans{held: map[pcommon.SpanID]pcommon.TraceID{}} }

func (s *spans) Has(trace pcommon.TraceID, span pcommon.SpanID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.held[span]
	return ok && t == trace
}

func (s *spans) Horizon() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.horizon
}

func (s *spans) add(l Link) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.held[l.SpanID] = l.TraceID
}

const sec = int64(time.Second)

var t0 = time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC).UnixNano()

func link(n uint64, at int64) Link {
	var l Link
	binary.BigEndian.PutUint64(l.TraceID[8:], n+1)
	binary.BigEndian.PutUint64(l.SpanID[:], n+1)
	l.Time = at
	return l
}

func TestResolvedAtOnceAndOnlyOnce(t *testing.T) {
	t.Parallel()
	s := newSpans()
	c := New(64, 10*time.Second)
	a := link(1, t0+sec)
	s.add(a)
	var r Result
	c.Check([]Link{a, a}, s, t0+2*sec, &r)
	c.Check([]Link{a}, s, t0+3*sec, &r) // re-exposed by the next scrape
	assert.Equal(t, Result{Resolved: 1}, r)
	assert.Zero(t, c.Pending())
}

func TestDanglingAfterGrace(t *testing.T) {
	t.Parallel()
	s := newSpans()
	c := New(64, 10*time.Second)
	late, never := link(1, t0+sec), link(2, t0+sec)
	var r Result
	c.Check([]Link{late, never, never}, s, t0+2*sec, &r)
	assert.Equal(t, Result{}, r, "neither judged before its grace")
	assert.Equal(t, 2, c.Pending())

	s.add(late) // the SDK exports seconds after the request
	assert.Equal(t, t0+12*sec, c.Sweep(s, t0+11*sec, &r), "due at the batch's time plus grace")
	assert.Equal(t, Result{}, r)
	assert.Zero(t, c.Sweep(s, t0+12*sec, &r))
	assert.Equal(t, Result{Resolved: 1, Dangling: 1, Example: never.TraceID}, r)

	c.Check([]Link{late, never}, s, t0+13*sec, &r)
	assert.Zero(t, c.Pending(), "a link judged is not judged again")
	assert.Equal(t, Result{Resolved: 1, Dangling: 1, Example: never.TraceID}, r)
}

// TestNotJudgedBeforeHorizon: exemplars older than what the index can
// still hold (a quiet bucket re-exposing one from before the start, or
// one whose span may have been evicted) are not judged.
func TestNotJudgedBeforeHorizon(t *testing.T) {
	t.Parallel()
	s := newSpans()
	s.horizon = t0 + 5*sec
	c := New(64, 10*time.Second)
	var r Result
	c.Check([]Link{link(1, t0+4*sec), link(2, 0)}, s, t0+6*sec, &r)
	assert.Zero(t, c.Pending())

	pending := link(3, t0+6*sec)
	c.Check([]Link{pending}, s, t0+7*sec, &r)
	s.horizon = t0 + 7*sec // its span may have come and been evicted meanwhile
	c.Sweep(s, t0+17*sec, &r)
	assert.Equal(t, Result{}, r)
}

// TestBoundKeepsOncePerExemplar: past the bound, links are forgotten
// oldest first and the floor rises with them, so that none is judged
// twice; links older than the floor are no longer judged.
func TestBoundKeepsOncePerExemplar(t *testing.T) {
	t.Parallel()
	s := newSpans()
	c := New(4, 10*time.Second) // one set of four
	var links []Link
	for i := range uint64(12) {
		l := link(i, t0+int64(i+1)*sec)
		s.add(l)
		links = append(links, l)
	}
	var r Result
	c.Check(links, s, t0+20*sec, &r)
	assert.Equal(t, int64(12), r.Resolved)
	c.Check(links, s, t0+21*sec, &r)
	assert.Equal(t, int64(12), r.Resolved, "each judged once, though only four are remembered")
	assert.Equal(t, t0+8*sec, c.floor, "the eighth was the newest forgotten")

	newer := link(100, t0+9*sec+1)
	s.add(newer)
	c.Check([]Link{newer}, s, t0+22*sec, &r)
	assert.Equal(t, int64(13), r.Resolved, "newer than all but the remembered: judged")
}

func TestPendingBound(t *testing.T) {
	t.Parallel()
	s := newSpans()
	c := New(4, time.Second)
	var links []Link
	for i := range uint64(4) {
		links = append(links, link(i, t0+sec))
	}
	var r Result
	c.Check(links, s, t0+2*sec, &r)
	assert.Equal(t, 4, c.Pending())
	c.Check([]Link{link(9, t0+2*sec)}, s, t0+2*sec, &r)
	assert.Equal(t, 4, c.Pending(), "the ring is full: not judged")
	c.Sweep(s, t0+3*sec, &r)
	assert.Equal(t, int64(4), r.Dangling)
}

func TestDrainResolvesWhatArrived(t *testing.T) {
	t.Parallel()
	s := newSpans()
	c := New(64, 10*time.Second)
	a, b := link(1, t0+sec), link(2, t0+sec)
	var r Result
	c.Check([]Link{a, b}, s, t0+2*sec, &r)
	s.add(a)
	c.Drain(s, &r)
	assert.Equal(t, Result{Resolved: 1}, r, "b's grace had not passed: not judged")
	assert.Zero(t, c.Pending())
}

func TestCheckAllocatesNothingAfterTheFirst(t *testing.T) {
	s := newSpans()
	c := New(1024, time.Second)
	links := make([]Link, 100)
	var r Result
	c.Check(links[:1], s, t0, &r)
	n := uint64(0)
	allocs := testing.AllocsPerRun(20, func() {
		for i := range links {
			n++
			links[i] = link(n, t0+int64(n))
		}
		c.Check(links, s, t0+sec, &r)
		c.Sweep(s, t0+3*sec, &r)
	})
	assert.Zero(t, allocs)
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	s := newSpans()
	c := New(256, time.Millisecond)
	var wg sync.WaitGroup
	results := make([]Result, 4)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range uint64(200) {
				l := link(i, t0+int64(i+1))
				if i%2 == 0 {
					s.add(l)
				}
				c.Check([]Link{l}, s, t0+int64(i), &results[g])
				c.Sweep(s, t0+int64(i)+int64(2*time.Millisecond), &results[g])
			}
		}()
	}
	wg.Wait()
	var total Result
	for _, r := range results {
		total.Resolved += r.Resolved
		total.Dangling += r.Dangling
	}
	c.Sweep(s, t0+sec, &total)
	require.Equal(t, int64(200), total.Resolved+total.Dangling, "every distinct link judged once across goroutines")
	assert.GreaterOrEqual(t, total.Resolved, int64(100))
}
