package exemplarlinkprocessor // import "github.com/exemplarlink/exemplarlinkprocessor"

import (
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/collector/component"

	"github.com/exemplarlink/exemplarlinkprocessor/internal/spanindex"
)

// sharedLinks is the state that instances of one component ID share across
// pipelines: the collector creates one instance per pipeline and signal,
// each with the same ID and *Config. It lives in the factory value, not in
// a package variable, because tests (and collectors built in one process)
// create several factories with the same IDs.
//
// A link is created at its first instance's Start and freed at its last
// Shutdown; creating an instance allocates nothing here, since `otelcol
// validate` creates instances and never starts or shuts them down.
type sharedLinks struct {
	mu   sync.Mutex
	byID map[component.ID]*sharedLink
}

func newSharedLinks() *sharedLinks {
	return &sharedLinks{byID: make(map[component.ID]*sharedLink)}
}

// sharedLink is what the instances of one component ID share.
type sharedLink struct {
	// started counts the instances started and not yet shut down; guarded
	// by sharedLinks.mu.
	started int
	// traces is set at the first Start of a traces-side instance; until
	// then (and forever when the ID is in metrics pipelines only) the
	// metrics side links as it always has. It is read once per batch.
	traces atomic.Pointer[traceState]
	// spans wakes the metrics side's holders when spans were recorded
	// (hold.go).
	spans spanSignal
}

// traceState is what the traces side records for the metrics side.
type traceState struct {
	index       *spanindex.Index
	resolutions *spanindex.Resolutions
}

// acquire returns the link of id for an instance that starts, creating it
// if it is the first, and its traces state if traces is set.
func (links *sharedLinks) acquire(id component.ID, cfg *Config, traces bool) *sharedLink {
	links.mu.Lock()
	defer links.mu.Unlock()
	l := links.byID[id]
	if l == nil {
		l = &sharedLink{}
		links.byID[id] = l
	}
	l.started++
	if traces && l.traces.Load() == nil {
		l.traces.Store(&traceState{
			index: spanindex.New(spanindex.Config{
				MaxSpans: cfg.SpanIndex.MaxSpans,
				MaxAge:   cfg.SpanIndex.MaxAge,
			}),
			resolutions: spanindex.NewResolutions(cfg.SpanIndex.MaxResolutions),
		})
	}
	return l
}

// release is acquire's counterpart, at Shutdown: the last instance frees
// the link and its index.
func (links *sharedLinks) release(id component.ID, l *sharedLink) {
	links.mu.Lock()
	defer links.mu.Unlock()
	l.started--
	if l.started == 0 {
		l.traces.Store(nil)
		delete(links.byID, id)
	}
}

// live returns how many links are held, for tests.
func (links *sharedLinks) live() int {
	links.mu.Lock()
	defer links.mu.Unlock()
	return len(links.byID)
}
