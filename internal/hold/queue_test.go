package hold

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/exemplarlink/exemplarlinkprocessor/internal/spanindex"
)

func TestAdmit(t *testing.T) {
	t.Parallel()
	// Bounds: 2 batches, 100 bytes. held lists the batches already held,
	// as (key, size).
	type held struct {
		key  uint64
		size int64
	}
	tests := []struct {
		name  string
		held  []held
		key   uint64
		wait  bool
		size  int64
		want  Admission
		bound Bound
	}{
		{name: "nothing waits, nothing held", key: 1, want: Pass},
		{name: "nothing waits, other resource held", held: []held{{2, 10}}, key: 1, want: Pass},
		{name: "waits", key: 1, wait: true, size: 10, want: Hold},
		{name: "waits behind its resource", held: []held{{1, 10}}, key: 1, wait: true, size: 10, want: Hold},
		{name: "nothing waits, behind its resource", held: []held{{1, 10}}, key: 1, size: 10, want: Behind},
		{name: "waits, batch bound reached", held: []held{{2, 10}, {3, 10}}, key: 1, wait: true, size: 10, want: OverBound, bound: MaxBatches},
		{name: "waits, byte bound reached", held: []held{{2, 95}}, key: 1, wait: true, size: 10, want: OverBound, bound: MaxBytes},
		{name: "exactly at the byte bound", held: []held{{2, 90}}, key: 1, wait: true, size: 10, want: Hold},
		{name: "behind, batch bound reached", held: []held{{1, 10}, {3, 10}}, key: 1, size: 10, want: FlushBehind, bound: MaxBatches},
		{name: "waits behind, byte bound reached", held: []held{{1, 50}}, key: 1, wait: true, size: 60, want: FlushBehind, bound: MaxBytes},
		{name: "batch larger than the byte bound", key: 1, wait: true, size: 101, want: OverBound, bound: MaxBytes},
		{name: "nothing waits, bounds reached, other resource held", held: []held{{2, 10}, {3, 10}}, key: 1, size: 10, want: Pass},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q := NewQueue[int](2, 100)
			for _, h := range tt.held {
				q.Push(&Item[int]{Key: h.key, Size: h.size})
			}
			got, bound := q.Admit(tt.key, tt.wait, tt.size)
			assert.Equal(t, tt.want.String(), got.String())
			assert.Equal(t, tt.bound, bound)
		})
	}
}

// values returns the Values of items.
func values(items []*Item[int]) []int {
	out := []int{}
	for _, it := range items {
		out = append(out, it.Value)
	}
	return out
}

func TestQueueReleasesEachResourceInOrder(t *testing.T) {
	t.Parallel()
	q := NewQueue[int](10, 1000)
	a1 := &Item[int]{Value: 1, Key: 'a', Size: 10}
	a2 := &Item[int]{Value: 2, Key: 'a', Size: 20, Ready: true} // behind a1
	a3 := &Item[int]{Value: 3, Key: 'a', Size: 30}
	b1 := &Item[int]{Value: 4, Key: 'b', Size: 40}
	for _, it := range []*Item[int]{a1, a2, a3, b1} {
		q.Push(it)
	}
	n, size := q.Len()
	assert.Equal(t, []any{4, int64(100)}, []any{n, size})

	assert.Empty(t, q.TakeReady(nil), "a2 is ready but behind a1")
	a3.Ready = true
	assert.Empty(t, q.TakeReady(nil), "a3 too")
	a1.Ready = true
	assert.Equal(t, []int{1, 2, 3}, values(q.TakeReady(nil)))
	n, size = q.Len()
	assert.Equal(t, []any{1, int64(40)}, []any{n, size})

	// While a's batches are sent, a new batch of a queues behind them.
	assert.True(t, q.Queued('a'))
	adm, _ := q.Admit('a', false, 5)
	assert.Equal(t, Behind, adm)
	q.Push(&Item[int]{Value: 5, Key: 'a', Size: 5, Ready: true})
	assert.Empty(t, q.TakeReady(nil), "a is busy")
	q.Done('a')
	assert.Equal(t, []int{5}, values(q.TakeReady(nil)))
	q.Done('a')
	assert.False(t, q.Queued('a'), "a's FIFO goes once empty and sent")
	assert.True(t, q.Queued('b'))
	assert.False(t, q.Empty())
}

func TestQueueForceAllAndDrain(t *testing.T) {
	t.Parallel()
	q := NewQueue[int](10, 1000)
	for v := 1; v <= 3; v++ {
		q.Push(&Item[int]{Value: v, Key: 'a', Size: 1})
		q.Push(&Item[int]{Value: 10 + v, Key: 'b', Size: 1})
	}
	q.ForceAll('a')
	q.ForceAll('z') // no such resource: nothing happens
	assert.Equal(t, []int{1, 2, 3}, values(q.TakeReady(nil)))
	q.Done('a')

	drained := values(q.Drain(nil))
	assert.Equal(t, []int{11, 12, 13}, drained)
	assert.True(t, q.Empty())
	n, size := q.Len()
	assert.Equal(t, []any{0, int64(0)}, []any{n, size})
	q.Done('b') // after Drain: harmless
}

func TestWaits(t *testing.T) {
	t.Parallel()
	const wait = 100
	k := func(n byte) *spanindex.ResolutionKey {
		return &spanindex.ResolutionKey{TraceID: [16]byte{n}, Timestamp: int64(n), Value: uint64(n)}
	}
	w := NewWaits(64)
	steps := []struct {
		key          byte
		now          int64
		wantDeadline int64
		wantWait     bool
	}{
		{key: 1, now: 1000, wantDeadline: 1100, wantWait: true},  // first seen: waits
		{key: 1, now: 1050, wantDeadline: 1100, wantWait: true},  // seen again while it waits: same deadline
		{key: 2, now: 1060, wantDeadline: 1160, wantWait: true},  // another exemplar
		{key: 1, now: 1100, wantDeadline: 1100, wantWait: false}, // timed out: does not wait again
		{key: 1, now: 9000, wantDeadline: 1100, wantWait: false}, // ever
		{key: 2, now: 1159, wantDeadline: 1160, wantWait: true},
	}
	for i, s := range steps {
		d, ok := w.Begin(k(s.key), s.now, wait)
		assert.Equal(t, s.wantDeadline, d, "step %d", i)
		assert.Equal(t, s.wantWait, ok, "step %d", i)
	}
}

func TestWaitsIsBounded(t *testing.T) {
	// Not parallel: AllocsPerRun.
	w := NewWaits(8)
	require.Len(t, w.sets, 2, "8 entries in sets of 4, whatever is added")
	key := func(n int) *spanindex.ResolutionKey {
		return &spanindex.ResolutionKey{TraceID: [16]byte{byte(n), byte(n >> 8)}, Value: uint64(n)}
	}
	for n := range 1000 {
		w.Begin(key(n), 0, 10)
	}
	require.Len(t, w.sets, 2)
	// The newest is remembered, and timed out by now.
	_, wait := w.Begin(key(999), 20, 10)
	assert.False(t, wait)
	assert.Zero(t, testing.AllocsPerRun(100, func() { w.Begin(key(5), 30, 10) }))
}
