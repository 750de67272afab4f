package exemplarlinkprocessor // import "github.com/exemplarlink/exemplarlinkprocessor"

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/exemplarlink/exemplarlinkprocessor/internal/linkcheck"
	"github.com/exemplarlink/exemplarlinkprocessor/internal/linksummary"
)

// This file holds the link check: with the component also in a traces
// pipeline, every exemplar that leaves linked is checked, once per
// distinct exemplar, against the spans that passed: resolved when its
// span was seen, dangling when it still was not dangling_after later
// (links_checked). The walk notes the links (noteLink); the batch's end
// hands them to the checker; a timer judges the links whose grace ended
// when no batch comes to do it.

// linkChecks is a metrics-side instance's link check.
type linkChecks struct {
	p       *exemplarLinkProcessor
	checker *linkcheck.Checker
	// buf is the batches' link list, reused by one batch at a time
	// (bufMu.TryLock); a batch that finds it taken makes its own.
	// BenchmarkHoldNothingPending guards it: a sync.Pool lost its lists to
	// every garbage collection, 370 KB a 10,000-exemplar batch.
	bufMu sync.Mutex
	buf   []linkcheck.Link

	mu sync.Mutex
	// link is the instance's, from start to shutdown: the timer reads the
	// span index through it.
	link   *sharedLink
	timer  *time.Timer
	due    int64 // when the timer fires (ns), 0 when it is not set
	closed bool
}

func newLinkChecks(p *exemplarLinkProcessor) *linkChecks {
	return &linkChecks{
		p:       p,
		checker: linkcheck.New(p.cfg.SpanIndex.MaxCheckedLinks, p.cfg.DanglingAfter),
	}
}

// noteLink notes a link that leaves, for the check at the batch's end. An
// exemplar without a timestamp of its own (the receiver stamps it with the
// scrape's time) is not checked: it cannot be told from an old one that a
// target re-exposes.
func (p *exemplarLinkProcessor) noteLink(ex pmetric.Exemplar, trace pcommon.TraceID, span pcommon.SpanID, batch *batchState) {
	at := ex.Timestamp()
	if p.checks == nil || at == 0 || at == batch.pointTime {
		return
	}
	if !batch.checking {
		// Once per batch: most exemplars of a quiet target are older than
		// what can be judged, and are left out here.
		batch.checking, batch.checkAfter = true, p.checks.checker.NotJudgedUpTo(batch.traces.index)
		batch.links, batch.ownsBuf = p.checks.takeBuf()
	}
	if t := toNanos(at); t > batch.checkAfter {
		batch.links = append(batch.links, linkcheck.Link{TraceID: trace, SpanID: span, Time: t})
	}
}

// takeBuf returns the shared link list when no other batch has it.
func (c *linkChecks) takeBuf() ([]linkcheck.Link, bool) {
	if c.bufMu.TryLock() {
		return c.buf[:0], true
	}
	return nil, false
}

// putBuf gives the shared list back, keeping what it grew to unless a
// huge batch grew it.
func (c *linkChecks) putBuf(links []linkcheck.Link, owned bool) {
	if !owned {
		return
	}
	if cap(links) <= 1<<16 {
		c.buf = links[:0]
	}
	c.bufMu.Unlock()
}

// check judges a batch's links, and those whose grace has ended; nil-safe.
func (c *linkChecks) check(ctx context.Context, traces *traceState, links []linkcheck.Link) {
	if c == nil || traces == nil {
		return
	}
	now := time.Now().UnixNano()
	var r linkcheck.Result
	c.checker.Check(links, traces.index, now, &r)
	c.sweep(ctx, traces, now, &r)
}

// sweep judges the links whose grace ended by now, counts r and sets the
// timer for the next.
func (c *linkChecks) sweep(ctx context.Context, traces *traceState, now int64, r *linkcheck.Result) {
	next := c.checker.Sweep(traces.index, now, r)
	c.p.recordChecks(ctx, r)
	c.arm(next)
}

// arm sets the timer for next (ns), unless it fires before; 0 is none.
func (c *linkChecks) arm(next int64) {
	if next == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.due != 0 && c.due <= next {
		return
	}
	c.due = next
	d := time.Duration(next - time.Now().UnixNano())
	if c.timer == nil {
		c.timer = time.AfterFunc(d, c.fire)
		return
	}
	c.timer.Reset(d)
}

// start gives the check the instance's link; nil-safe.
func (c *linkChecks) start(link *sharedLink) {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.link = link
	c.mu.Unlock()
}

// traces returns the traces side's state, nil without one.
func (c *linkChecks) traces() *traceState {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.link == nil {
		return nil
	}
	return c.link.traces.Load()
}

// fire judges the links whose grace ended when no batch came to.
func (c *linkChecks) fire() {
	c.mu.Lock()
	c.due = 0
	c.mu.Unlock()
	traces := c.traces()
	if traces == nil {
		return // shut down
	}
	var r linkcheck.Result
	c.sweep(context.Background(), traces, time.Now().UnixNano(), &r)
}

// shutdown stops the timer and counts the pending links whose span
// arrived; the others' grace has not ended, and they are not judged.
// nil-safe.
func (c *linkChecks) shutdown() {
	if c == nil {
		return
	}
	traces := c.traces()
	c.mu.Lock()
	c.closed, c.link = true, nil
	if c.timer != nil {
		c.timer.Stop()
	}
	c.mu.Unlock()
	if traces != nil {
		var r linkcheck.Result
		c.checker.Drain(traces.index, &r)
		c.p.recordChecks(context.Background(), &r)
	}
}

// recordChecks counts verdicts in telemetry and the log summary.
func (p *exemplarLinkProcessor) recordChecks(ctx context.Context, r *linkcheck.Result) {
	if r.Resolved == 0 && r.Dangling == 0 {
		return
	}
	if r.Resolved > 0 {
		p.telemetry.ProcessorExemplarLinkLinksChecked.Add(ctx, r.Resolved, p.checkedOptions[resultResolved])
	}
	if r.Dangling > 0 {
		p.telemetry.ProcessorExemplarLinkLinksChecked.Add(ctx, r.Dangling, p.checkedOptions[resultDangling])
	}
	counts := linksummary.Counts{LinksResolved: r.Resolved, LinksDangling: r.Dangling}
	if r.Dangling > 0 {
		counts.DanglingExample = r.Example
	}
	p.summary.Add(&counts)
}
