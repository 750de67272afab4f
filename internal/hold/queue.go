// Package hold keeps the batches exemplar_link holds while their
// trace-only exemplars wait for spans: one FIFO per resource, bounded in
// batches and bytes (Queue), and a bounded memory of how long each
// distinct exemplar may wait (Waits). It knows nothing of pdata or
// goroutines; the caller locks.
package hold

// Admission is what happens to a resource's batch that arrives.
type Admission uint8

const (
	// Pass: nothing of the batch waits and nothing of its resource is
	// held; it goes on at once.
	Pass Admission = iota
	// Hold: it waits for its exemplars' spans, in its resource's FIFO.
	Hold
	// Behind: nothing of it waits, but an earlier batch of its resource is
	// held; it waits behind that one, so that it does not overtake it.
	Behind
	// OverBound: it would wait, but the bounds are reached and nothing of
	// its resource is held; it goes on at once, without waiting.
	OverBound
	// FlushBehind: an earlier batch of its resource is held and the bounds
	// are reached; the resource's held batches leave now, in order, and
	// this one after them.
	FlushBehind
)

var admissionNames = [...]string{"pass", "hold", "behind", "over_bound", "flush_behind"}

func (a Admission) String() string { return admissionNames[a] }

// Bound names the bound that made a batch pass or flush.
type Bound uint8

const (
	NoBound Bound = iota
	MaxBatches
	MaxBytes
)

// Item is one held batch. Ready says it may leave once the batches before
// it in its FIFO have left; the caller sets it, or ForceAll does.
type Item[T any] struct {
	Value T
	Key   uint64
	Size  int64
	Ready bool
}

type fifo[T any] struct {
	items []*Item[T]
	// busy says that items taken from this FIFO are being sent: the FIFO
	// stays, so that a new batch of the resource queues behind them.
	busy bool
}

// Queue holds batches in one FIFO per resource key, at most MaxBatches
// batches and MaxBytes bytes in all. A resource's FIFO exists while it
// holds a batch or its batches are being sent.
type Queue[T any] struct {
	maxBatches int
	maxBytes   int64
	fifos      map[uint64]*fifo[T]
	batches    int
	bytes      int64
}

// NewQueue returns an empty queue with the given bounds (both at least 1).
func NewQueue[T any](maxBatches int, maxBytes int64) *Queue[T] {
	return &Queue[T]{maxBatches: maxBatches, maxBytes: maxBytes, fifos: make(map[uint64]*fifo[T])}
}

// Admit decides what happens to a batch of size bytes for resource key
// that wants to wait (wait) or not. It changes nothing: Hold, Behind and
// FlushBehind are to be followed by Push, FlushBehind also by ForceAll.
func (q *Queue[T]) Admit(key uint64, wait bool, size int64) (Admission, Bound) {
	_, queued := q.fifos[key]
	if !queued && !wait {
		return Pass, NoBound
	}
	bound := NoBound
	switch {
	case q.batches+1 > q.maxBatches:
		bound = MaxBatches
	case q.bytes+size > q.maxBytes:
		bound = MaxBytes
	}
	switch {
	case bound != NoBound && queued:
		return FlushBehind, bound
	case bound != NoBound:
		return OverBound, bound
	case wait:
		return Hold, NoBound
	default:
		return Behind, NoBound
	}
}

// Queued reports whether key has a FIFO: a batch of it is held or being
// sent.
func (q *Queue[T]) Queued(key uint64) bool {
	_, ok := q.fifos[key]
	return ok
}

// Empty reports whether no FIFO exists.
func (q *Queue[T]) Empty() bool { return len(q.fifos) == 0 }

// Push appends it to its resource's FIFO. It may exceed the bounds (after
// FlushBehind, until the flush has taken the FIFO).
func (q *Queue[T]) Push(it *Item[T]) {
	f := q.fifos[it.Key]
	if f == nil {
		f = &fifo[T]{}
		q.fifos[it.Key] = f
	}
	f.items = append(f.items, it)
	q.batches++
	q.bytes += it.Size
}

// ForceAll makes every batch of key ready.
func (q *Queue[T]) ForceAll(key uint64) {
	if f := q.fifos[key]; f != nil {
		for _, it := range f.items {
			it.Ready = true
		}
	}
}

// Each calls fn for every held batch, each FIFO from its head.
func (q *Queue[T]) Each(fn func(*Item[T])) {
	for _, f := range q.fifos {
		for _, it := range f.items {
			fn(it)
		}
	}
}

// TakeReady removes, from every FIFO that is not busy, the ready batches
// at its head, appends them to dst in FIFO order and marks the FIFO busy
// until Done. It returns dst.
func (q *Queue[T]) TakeReady(dst []*Item[T]) []*Item[T] {
	for _, f := range q.fifos {
		if f.busy {
			continue
		}
		n := 0
		for n < len(f.items) && f.items[n].Ready {
			n++
		}
		if n == 0 {
			continue
		}
		dst = q.take(f, n, dst)
		f.busy = true
	}
	return dst
}

func (q *Queue[T]) take(f *fifo[T], n int, dst []*Item[T]) []*Item[T] {
	for _, it := range f.items[:n] {
		q.batches--
		q.bytes -= it.Size
	}
	dst = append(dst, f.items[:n]...)
	clear(f.items[:n])
	f.items = f.items[n:]
	return dst
}

// Done says that the batches TakeReady took of key were sent: the FIFO is
// no longer busy, and goes when it holds nothing more.
func (q *Queue[T]) Done(key uint64) {
	f := q.fifos[key]
	if f == nil {
		return
	}
	f.busy = false
	if len(f.items) == 0 {
		delete(q.fifos, key)
	}
}

// Drain removes every batch, each FIFO in order, and every FIFO, for
// shutdown; FIFOs still busy are the caller's to finish first.
func (q *Queue[T]) Drain(dst []*Item[T]) []*Item[T] {
	for key, f := range q.fifos {
		dst = q.take(f, len(f.items), dst)
		delete(q.fifos, key)
	}
	return dst
}

// Len returns how many batches and bytes are held.
func (q *Queue[T]) Len() (int, int64) { return q.batches, q.bytes }
