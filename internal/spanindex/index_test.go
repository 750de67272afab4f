package spanindex

import (
	"encoding/binary"
	"runtime"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

var t0 = time.Unix(1_700_000_000, 0)

func add(x *Index, now time.Time, spans ...Span) (added int) {
	x.BeginWrite(now)
	defer x.EndWrite()
	for i := range spans {
		if x.Add(&spans[i]) {
			added++
		}
	}
	return added
}

func numbered(traceNo, spanNo uint64, start int64) Span {
	var s Span
	binary.BigEndian.PutUint64(s.TraceID[8:], traceNo+1)
	binary.BigEndian.PutUint64(s.SpanID[:], spanNo+1)
	s.Start, s.End = start, start+10*ms
	return s
}

func TestLookupFindsTheSpan(t *testing.T) {
	t.Parallel()
	x := New(Config{MaxSpans: 16, MaxAge: time.Minute})
	x.base = t0
	require.Equal(t, 3, add(x, t0, span(client, 0, 100, false), span(server, 10, 90, true), span(child, 20, 40, false)))
	res, _ := x.Lookup(trace, 30*ms, true, nil)
	assert.Equal(t, Result{child, Found}, res)
	res, _ = x.Lookup(trace, 60*ms, true, nil)
	assert.Equal(t, Result{server, Found}, res)
	res, _ = x.Lookup(trace, 500*ms, true, nil)
	assert.Equal(t, Result{Outcome: NoSpan}, res, "a known trace, no span at the time")
	res, _ = x.Lookup(pcommon.TraceID{9}, 30*ms, true, nil)
	assert.Equal(t, Result{Outcome: TraceNotSeen}, res)
}

func TestAddDeduplicates(t *testing.T) {
	t.Parallel()
	x := New(Config{MaxSpans: 4, MaxAge: time.Minute})
	s := span(server, 10, 90, true)
	assert.Equal(t, 1, add(x, t0, s, s))
	assert.Equal(t, 0, add(x, t0, s), "seen through a second traces pipeline")
	assert.Equal(t, 1, x.Len())
	other := s
	other.TraceID[0]++
	assert.Equal(t, 1, add(x, t0, other), "same span ID in another trace")
}

func TestOldestEvictedFirst(t *testing.T) {
	t.Parallel()
	x := New(Config{MaxSpans: 3, MaxAge: time.Minute})
	for i := range uint64(5) {
		add(x, t0, numbered(i, i, 0))
	}
	assert.Equal(t, 3, x.Len())
	for i := range uint64(5) {
		s := numbered(i, i, 0)
		res, _ := x.Lookup(s.TraceID, 5*ms, true, nil)
		if i < 2 {
			assert.Equal(t, TraceNotSeen, res.Outcome, "span %d was evicted", i)
		} else {
			assert.Equal(t, Result{s.SpanID, Found}, res, "span %d", i)
		}
	}
	// An evicted span can be added again.
	assert.Equal(t, 1, add(x, t0, numbered(0, 0, 0)))
}

// TestChainSurvivesEviction: the records of one trace, interleaved with
// others and partly evicted, are found exactly while they live.
func TestChainSurvivesEviction(t *testing.T) {
	t.Parallel()
	x := New(Config{MaxSpans: 4, MaxAge: time.Minute})
	// Trace 0's spans at 0, 100, 200 ms; trace 1 fills between.
	add(x, t0, numbered(0, 1, 0), numbered(1, 2, 0), numbered(0, 3, 100*ms), numbered(1, 4, 0))
	add(x, t0, numbered(0, 5, 200*ms)) // evicts trace 0's first span
	tr := numbered(0, 0, 0).TraceID
	res, _ := x.Lookup(tr, 5*ms, true, nil)
	assert.Equal(t, NoSpan, res.Outcome, "the span at 0 ms left")
	res, _ = x.Lookup(tr, 105*ms, true, nil)
	assert.Equal(t, numbered(0, 3, 0).SpanID, res.SpanID)
	// Positions are reused by traces 1 and 2: trace 0's chain must not
	// run into them.
	add(x, t0, numbered(1, 6, 0), numbered(2, 7, 100*ms), numbered(2, 8, 0))
	res, _ = x.Lookup(tr, 105*ms, true, nil)
	assert.Equal(t, NoSpan, res.Outcome, "the span at 100 ms left; its position holds trace 2's")
	res, _ = x.Lookup(tr, 205*ms, true, nil)
	assert.Equal(t, numbered(0, 5, 0).SpanID, res.SpanID)
	res, _ = x.Lookup(numbered(2, 0, 0).TraceID, 105*ms, true, nil)
	assert.Equal(t, numbered(2, 7, 0).SpanID, res.SpanID)
	add(x, t0, numbered(1, 9, 0))
	res, _ = x.Lookup(tr, 205*ms, true, nil)
	assert.Equal(t, TraceNotSeen, res.Outcome, "trace 0 has left entirely")
}

func TestMaxAge(t *testing.T) {
	t.Parallel()
	x := New(Config{MaxSpans: 8, MaxAge: 2 * time.Second})
	x.base = t0
	add(x, t0, numbered(0, 0, 0))
	add(x, t0.Add(time.Second), numbered(1, 1, 0))
	add(x, t0.Add(2*time.Second))
	assert.Equal(t, 1, x.Len(), "the span added at 0 s is 2 s old")
	add(x, t0.Add(3*time.Second))
	assert.Equal(t, 0, x.Len())
	// A clock that goes back evicts nothing.
	add(x, t0.Add(3*time.Second), numbered(2, 2, 0))
	add(x, t0)
	assert.Equal(t, 1, x.Len())
}

func TestRecordIs48Bytes(t *testing.T) {
	t.Parallel()
	assert.Equal(t, uintptr(48), unsafe.Sizeof(record{}))
}

// TestBytesPerSpan measures what a full index holds in the heap per span:
// the goal is at most 64 bytes.
func TestBytesPerSpan(t *testing.T) {
	const n = 100_000
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	x := New(Config{MaxSpans: n, MaxAge: time.Hour})
	for i := range uint64(2 * n) {
		add(x, t0, numbered(i/4, i, int64(i)))
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	require.Equal(t, n, x.Len())
	perSpan := float64(after.HeapAlloc-before.HeapAlloc) / n
	t.Logf("%.1f bytes per span at capacity (%d spans)", perSpan, n)
	assert.LessOrEqual(t, perSpan, 64.0)
	runtime.KeepAlive(x)
}

// TestAddAllocatesNothing pins zero allocations per span in steady state
// (a full index, every Add evicting).
func TestAddAllocatesNothing(t *testing.T) {
	x := New(Config{MaxSpans: 1024, MaxAge: time.Hour})
	i := uint64(0)
	for ; i < 2048; i++ {
		add(x, t0, numbered(i/8, i, 0))
	}
	spans := make([]Span, 64)
	allocs := testing.AllocsPerRun(100, func() {
		for j := range spans {
			spans[j] = numbered(i/8, i, 0)
			i++
		}
		add(x, t0, spans...)
	})
	assert.Zero(t, allocs)
	buf := make([]Span, 0, 16)
	allocs = testing.AllocsPerRun(100, func() {
		_, buf = x.Lookup(spans[0].TraceID, 5*ms, true, buf)
	})
	assert.Zero(t, allocs, "a lookup with a buffer")
}

// TestConcurrentPipelines adds from several traces pipelines and looks up
// from several metrics pipelines at once; run with -race.
func TestConcurrentPipelines(t *testing.T) {
	t.Parallel()
	x := New(Config{MaxSpans: 512, MaxAge: time.Minute})
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Go(func() {
			// Every writer adds the same spans: duplicates across pipelines.
			for i := range uint64(2000) {
				add(x, t0, numbered(i/4, i, int64(w)))
			}
		})
	}
	for range 3 {
		wg.Go(func() {
			var buf []Span
			for i := range uint64(2000) {
				_, buf = x.Lookup(numbered(i/4, 0, 0).TraceID, 5*ms, true, buf)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 512, x.Len())
}

func TestResolutions(t *testing.T) {
	t.Parallel()
	c := NewResolutions(8)
	k := ResolutionKey{TraceID: trace, Timestamp: 42, Value: ValueBits(true, 1, 0)}
	_, ok := c.Get(&k)
	assert.False(t, ok)
	c.Put(&k, server)
	got, ok := c.Get(&k)
	assert.True(t, ok)
	assert.Equal(t, server, got)
	other := k
	other.Value = ValueBits(false, 0, 0x3ff0000000000000) // 1.0, not int 1
	_, ok = c.Get(&other)
	assert.False(t, ok)
	// Bounded: far more keys than entries leave at most 8 resolvable.
	for i := range int64(1000) {
		k := ResolutionKey{TraceID: trace, Timestamp: i}
		c.Put(&k, server)
	}
	held := 0
	for i := range int64(1000) {
		k := ResolutionKey{TraceID: trace, Timestamp: i}
		if _, ok := c.Get(&k); ok {
			held++
		}
	}
	assert.LessOrEqual(t, held, 8)
	assert.Positive(t, held)
	none := NewResolutions(0)
	none.Put(&k, server)
	_, ok = none.Get(&k)
	assert.False(t, ok, "a cache of size 0 holds nothing")
}

// TestResolutionsKeepsRecentlyUsed: in a full set the least recently used
// entry goes, so an exemplar hit on every scrape stays.
func TestResolutionsKeepsRecentlyUsed(t *testing.T) {
	t.Parallel()
	c := NewResolutions(ways) // one set
	keep := ResolutionKey{TraceID: trace, Timestamp: -1}
	c.Put(&keep, server)
	for i := range int64(100) {
		k := ResolutionKey{TraceID: trace, Timestamp: i}
		c.Put(&k, child)
		_, ok := c.Get(&keep)
		require.True(t, ok, "after %d others", i+1)
	}
}

func BenchmarkSpanIndexRecord(b *testing.B) {
	x := New(Config{MaxSpans: DefaultMaxSpans, MaxAge: time.Hour})
	const batch = 1024
	spans := make([]Span, batch)
	i := uint64(0)
	for ; i < DefaultMaxSpans; i++ {
		add(x, t0, numbered(i/8, i, 0))
	}
	b.ReportAllocs()
	for b.Loop() {
		for j := range spans {
			spans[j] = numbered(i/8, i, 0)
			i++
		}
		add(x, t0, spans...)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/span")
}

func BenchmarkSpanIndexLookup(b *testing.B) {
	x := New(Config{MaxSpans: DefaultMaxSpans, MaxAge: time.Hour})
	for i := range uint64(DefaultMaxSpans) {
		add(x, t0, numbered(i/8, i, int64(i%8)*ms))
	}
	buf := make([]Span, 0, 16)
	i := uint64(0)
	b.ReportAllocs()
	for b.Loop() {
		var res Result
		res, buf = x.Lookup(numbered(i%(DefaultMaxSpans/8), 0, 0).TraceID, 5*ms, true, buf)
		if res.Outcome != Found && res.Outcome != Ambiguous {
			b.Fatal(res)
		}
		i++
	}
}

// BenchmarkSpanIndexContended looks up from every core while one traces
// pipeline keeps adding batches of 512 spans: what the RWMutex costs the
// metrics side under write load.
func BenchmarkSpanIndexContended(b *testing.B) {
	x := New(Config{MaxSpans: DefaultMaxSpans, MaxAge: time.Hour})
	next := uint64(0)
	for ; next < DefaultMaxSpans; next++ {
		add(x, t0, numbered(next/8, next, int64(next%8)*ms))
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		spans := make([]Span, 512)
		for i := next; ; {
			select {
			case <-stop:
				return
			default:
			}
			for j := range spans {
				spans[j] = numbered(i/8, i, int64(i%8)*ms)
				i++
			}
			add(x, t0, spans...)
		}
	}()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		buf := make([]Span, 0, 16)
		i := uint64(0)
		for pb.Next() {
			_, buf = x.Lookup(numbered(i%(DefaultMaxSpans/8), 0, 0).TraceID, 5*ms, true, buf)
			i += 7919
		}
	})
	b.StopTimer()
	close(stop)
	<-done
}

// TestHasAndHorizon: Has answers for live spans only, and Horizon moves
// past every evicted span's second, by count or by age, so that a span
// that passed at or after it is live.
func TestHasAndHorizon(t *testing.T) {
	t.Parallel()
	x := New(Config{MaxSpans: 2, MaxAge: 10 * time.Second})
	x.base = t0
	assert.Equal(t, t0.UnixNano(), x.Horizon(), "nothing evicted: the index's start")
	a, b, c := numbered(1, 1, 0), numbered(2, 2, 0), numbered(3, 3, 0)
	add(x, t0.Add(1500*time.Millisecond), a)
	add(x, t0.Add(2*time.Second), b)
	assert.True(t, x.Has(a.TraceID, a.SpanID))
	assert.False(t, x.Has(a.TraceID, b.SpanID), "a span ID of another trace")
	assert.Equal(t, t0.UnixNano(), x.Horizon())

	add(x, t0.Add(3*time.Second), c) // full: a goes
	assert.False(t, x.Has(a.TraceID, a.SpanID))
	assert.True(t, x.Has(c.TraceID, c.SpanID))
	assert.Equal(t, t0.Add(2*time.Second).UnixNano(), x.Horizon(), "a was added in second 1")

	add(x, t0.Add(14*time.Second)) // b (second 2) and c (second 3) age out
	assert.False(t, x.Has(b.TraceID, b.SpanID))
	assert.False(t, x.Has(c.TraceID, c.SpanID))
	assert.Equal(t, t0.Add(4*time.Second).UnixNano(), x.Horizon())
}
