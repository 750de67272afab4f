package spanindex

import (
	"sync"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// DefaultMaxResolutions holds the resolved exemplars of a node agent's
// targets: 16,384 distinct exemplars (series × buckets) in 768 KiB.
const DefaultMaxResolutions = 16_384

// ResolutionKey names one exemplar as a target re-exposes it on every
// scrape until a newer one replaces it: its trace ID, its own timestamp
// (0 when it has none) and its value's bits.
type ResolutionKey struct {
	TraceID   pcommon.TraceID
	Timestamp int64
	Value     uint64
}

type resolution struct {
	key  ResolutionKey
	span pcommon.SpanID
	// used is a clock tick of the last Put or hit; 0 is empty.
	used uint64
}

// ways is the associativity: a key lives in one set of ways entries, and
// the least recently used of the set makes room.
const ways = 4

// Resolutions remembers which span each exemplar was linked to, so that it
// stays linked on later scrapes after its spans left the Index. It holds at
// most the number of entries it was made with (48 bytes each), in sets of
// four; a full set forgets its least recently used entry. It is safe for
// concurrent use and never allocates after NewResolutions.
type Resolutions struct {
	mu    sync.Mutex
	sets  [][ways]resolution
	clock uint64
}

// NewResolutions returns a cache of about maxEntries entries (rounded up
// to whole sets), or nil for 0: a nil cache holds nothing.
func NewResolutions(maxEntries int) *Resolutions {
	if maxEntries <= 0 {
		return nil
	}
	return &Resolutions{sets: make([][ways]resolution, (maxEntries+ways-1)/ways)}
}

func (c *Resolutions) set(k *ResolutionKey) *[ways]resolution {
	h := traceHash(k.TraceID) ^ uint64(k.Timestamp)*0xC2B2AE3D27D4EB4F ^ k.Value*0x165667B19E3779F9
	h *= 0x9E3779B97F4A7C15
	return &c.sets[(h>>32)*uint64(len(c.sets))>>32]
}

// Get returns the span k was resolved to.
func (c *Resolutions) Get(k *ResolutionKey) (pcommon.SpanID, bool) {
	if c == nil {
		return pcommon.SpanID{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.set(k)
	for i := range s {
		if s[i].used != 0 && s[i].key == *k {
			c.clock++
			s[i].used = c.clock
			return s[i].span, true
		}
	}
	return pcommon.SpanID{}, false
}

// Put remembers that k resolved to span.
func (c *Resolutions) Put(k *ResolutionKey, span pcommon.SpanID) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.clock++
	s := c.set(k)
	victim := 0
	for i := range s {
		if s[i].used != 0 && s[i].key == *k {
			victim = i
			break
		}
		if s[i].used < s[victim].used {
			victim = i
		}
	}
	s[victim] = resolution{key: *k, span: span, used: c.clock}
}

// ValueBits returns the key bits of an exemplar's value: a double's bits,
// or an integer's marked so that 1 and 1.0 differ (they are different
// exemplars to the exporter too).
func ValueBits(isInt bool, intValue int64, doubleBits uint64) uint64 {
	if isInt {
		return uint64(intValue) ^ 0xA5A5A5A5A5A5A5A5
	}
	return doubleBits
}
