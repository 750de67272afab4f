package hold

import (
	"encoding/binary"
	"sync"

	"github.com/exemplarlink/exemplarlinkprocessor/internal/spanindex"
)

// DefaultMaxWaits is how many distinct exemplars Waits remembers: as many
// as the resolution cache holds resolved ones, 16,384 in 768 KiB.
const DefaultMaxWaits = spanindex.DefaultMaxResolutions

type waitEntry struct {
	key      spanindex.ResolutionKey
	deadline int64
	// used is a clock tick of the last Begin that found or made it; 0 is
	// empty.
	used uint64
}

const ways = 4

// Waits remembers, per distinct exemplar (keyed like the resolution
// cache), until when it may wait for its spans: the first time it is
// seen pending plus the wait. An exemplar that waited its time before
// does not wait again; without that, under head sampling almost every
// scrape would carry an exemplar whose trace never comes, and wait the
// whole time. It holds about the number of entries it was made with (48
// bytes each), in sets of four; a full set forgets its least recently
// used entry (that exemplar may then wait once more). Safe for concurrent
// use; it never allocates after NewWaits.
type Waits struct {
	mu    sync.Mutex
	sets  [][ways]waitEntry
	clock uint64
}

// NewWaits returns a memory of about maxEntries exemplars (at least one
// set).
func NewWaits(maxEntries int) *Waits {
	return &Waits{sets: make([][ways]waitEntry, max(1, (maxEntries+ways-1)/ways))}
}

func (w *Waits) set(k *spanindex.ResolutionKey) *[ways]waitEntry {
	h := binary.LittleEndian.Uint64(k.TraceID[:8]) ^ binary.LittleEndian.Uint64(k.TraceID[8:])*0xC2B2AE3D27D4EB4F
	h ^= uint64(k.Timestamp)*0x165667B19E3779F9 ^ k.Value*0x27D4EB2F165667C5
	h *= 0x9E3779B97F4A7C15
	return &w.sets[(h>>32)*uint64(len(w.sets))>>32]
}

// Begin returns until when (ns) the exemplar k, pending at now, may wait:
// now+maxWait when it is new, its earlier deadline otherwise. wait is
// false when that deadline has passed: it waited before and timed out.
func (w *Waits) Begin(k *spanindex.ResolutionKey, now, maxWait int64) (deadline int64, wait bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.clock++
	s := w.set(k)
	victim := 0
	for i := range s {
		if s[i].used != 0 && s[i].key == *k {
			s[i].used = w.clock
			return s[i].deadline, now < s[i].deadline
		}
		if s[i].used < s[victim].used {
			victim = i
		}
	}
	s[victim] = waitEntry{key: *k, deadline: now + maxWait, used: w.clock}
	return now + maxWait, true
}
