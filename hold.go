package exemplarlinkprocessor // import "github.com/exemplarlink/exemplarlinkprocessor"

import (
	"context"
	"errors"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/exemplarlink/exemplarlinkprocessor/internal/hold"
	"github.com/exemplarlink/exemplarlinkprocessor/internal/linkplan"
	"github.com/exemplarlink/exemplarlinkprocessor/internal/metadata"
	"github.com/exemplarlink/exemplarlinkprocessor/internal/spanindex"
)

// This file holds the wait for spans that arrive after the scrape. The
// metrics side leaves a trace-only exemplar whose span is not in the index
// yet as it came and notes it as pending (wait); processorhelper then hands
// the batch to the holder, its next consumer, so that the collector's item
// counts stay right. The holder passes a batch with nothing pending at
// once, unless an earlier batch of the same resource is held: then it
// queues behind it. A batch with pending exemplars is moved into a batch
// the holder owns and held, without blocking the sender, until every
// pending exemplar's span arrived or the wait ended; then its pending
// exemplars are linked, or left unlinked as before, and it goes on.

// exemplarPath is where an exemplar is in its batch.
type exemplarPath struct {
	resource, scope, metric, point, exemplar int
}

// pendingExemplar is an exemplar that waits for its span: a trace-only
// one, or a link whose span must be exported (span set).
type pendingExemplar struct {
	at       exemplarPath
	key      spanindex.ResolutionKey
	span     pcommon.SpanID
	hasTime  bool
	resolved bool
	// deadline is when it stops waiting, in ns since the epoch.
	deadline int64
}

// pendingBatch lists a batch's pending exemplars in walk order.
type pendingBatch struct {
	exemplars []pendingExemplar
}

// wait reports whether ex, a trace-only exemplar that lookUpSpan could not
// link (ev says why), waits for its span. Only an exemplar whose span may
// still come waits, and each distinct exemplar only until its first
// wait's deadline.
func (p *exemplarLinkProcessor) wait(ex pmetric.Exemplar, ev *linkplan.Evidence, batch *batchState) bool {
	if !ev.Traces.Done {
		return false
	}
	switch ev.Traces.Result.Outcome {
	case spanindex.TraceNotSeen, spanindex.NoSpan, spanindex.NoEntrySpan:
	default:
		return false // linked, or ambiguous: more spans will not change that
	}
	return p.waitForSpan(ex, ev.Traces.TraceID, zeroSpanID, batch)
}

// waitForSpan reports whether ex, of trace, waits for a span: the one it
// names (span), or for a trace-only exemplar (span zero) one its lookup
// can choose. Each distinct exemplar waits only until its first wait's
// deadline.
func (p *exemplarLinkProcessor) waitForSpan(ex pmetric.Exemplar, trace pcommon.TraceID, span pcommon.SpanID, batch *batchState) bool {
	if batch.final {
		return false
	}
	key, hasTime := traceOnlyKey(ex, trace, batch.pointTime)
	if batch.now == 0 {
		batch.now = time.Now().UnixNano()
	}
	deadline, ok := p.holder.waitMemory().Begin(&key, batch.now, int64(p.cfg.Wait.MaxWait))
	if !ok {
		return false // it waited before and its span did not come
	}
	if batch.pending == nil {
		batch.pending = &pendingBatch{}
	}
	batch.pending.exemplars = append(batch.pending.exemplars, pendingExemplar{
		at: batch.at, key: key, span: span, hasTime: hasTime, deadline: deadline,
	})
	return true
}

// finish links or leaves unlinked, now for good, the pending exemplars of
// md (at their paths), and counts them.
func (p *exemplarLinkProcessor) finish(ctx context.Context, md pmetric.Metrics, pending []pendingExemplar) {
	if len(pending) == 0 {
		return
	}
	var batch batchState
	p.startBatch(&batch)
	batch.final = true
	rms := md.ResourceMetrics()
	for i := range pending {
		at := &pending[i].at
		m := rms.At(at.resource).ScopeMetrics().At(at.scope).Metrics().At(at.metric)
		ex, pointTime, ok := exemplarAt(m, at.point, at.exemplar)
		if !ok {
			continue
		}
		batch.pointTime = pointTime
		p.linkExemplar(m.Name(), ex, &batch)
	}
	p.endBatch(ctx, &batch)
}

// exemplarAt returns exemplar j of data point i of m, and the point's
// timestamp; wait noted them in a point type that has exemplars, so ok is
// false only if that no longer holds.
func exemplarAt(m pmetric.Metric, i, j int) (ex pmetric.Exemplar, ts pcommon.Timestamp, ok bool) {
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		dp := m.Gauge().DataPoints().At(i)
		return dp.Exemplars().At(j), dp.Timestamp(), true
	case pmetric.MetricTypeSum:
		dp := m.Sum().DataPoints().At(i)
		return dp.Exemplars().At(j), dp.Timestamp(), true
	case pmetric.MetricTypeHistogram:
		dp := m.Histogram().DataPoints().At(i)
		return dp.Exemplars().At(j), dp.Timestamp(), true
	case pmetric.MetricTypeExponentialHistogram:
		dp := m.ExponentialHistogram().DataPoints().At(i)
		return dp.Exemplars().At(j), dp.Timestamp(), true
	case pmetric.MetricTypeSummary, pmetric.MetricTypeEmpty:
	}
	return ex, ts, false
}

// spanSignal wakes the holders of one component ID when its traces side
// recorded spans. The traces side pays one atomic load per batch when no
// holder listens.
type spanSignal struct {
	n     atomic.Int32
	mu    sync.Mutex
	chans []chan struct{}
}

func (s *spanSignal) add(c chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chans = append(s.chans, c)
	s.n.Store(int32(len(s.chans)))
}

func (s *spanSignal) remove(c chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, other := range s.chans {
		if other == c {
			s.chans = append(s.chans[:i], s.chans[i+1:]...)
			break
		}
	}
	s.n.Store(int32(len(s.chans)))
}

func (s *spanSignal) notify() {
	if s.n.Load() == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.chans {
		select {
		case c <- struct{}{}:
		default: // a wake-up is already due
		}
	}
}

// heldBatch is one resource's batch the holder owns while it is held.
type heldBatch struct {
	// ctx is the sender's, without its cancellation: the sender has gone.
	ctx     context.Context
	md      pmetric.Metrics
	pending []pendingExemplar
	// unresolved counts pending exemplars whose span has not been found;
	// only the holder's goroutine changes it.
	unresolved int
	since      time.Time
	deadline   time.Time
	// sent is closed, and err set, once a batch that a sender waits for
	// (it arrived past the bounds behind held batches) has been sent.
	sent chan struct{}
	err  error
}

// errLogInterval rate-limits the warning about downstream errors of
// released batches.
const errLogInterval = 10 * time.Second

// holder is the next consumer of the metrics side's processorhelper.
type holder struct {
	p      *exemplarLinkProcessor
	next   consumer.Metrics
	logger *zap.Logger
	seed   maphash.Seed
	sizer  pmetric.ProtoMarshaler
	// waits is made at the first exemplar that would wait (see
	// waitMemory): a metrics-only pipeline, or `otelcol validate`, never
	// pays its 768 KiB.
	waitsOnce sync.Once
	waits     *hold.Waits

	// active is non-zero while a batch is registered or held: below it,
	// ConsumeMetrics passes batches on with one atomic load.
	active atomic.Int32

	mu         sync.Mutex
	queue      *hold.Queue[*heldBatch]
	registered map[pmetric.Metrics]*pendingBatch
	closed     bool
	running    bool

	// wake is signalled when a batch is queued, spans when spans were
	// recorded; stop ends the goroutine, which closes done.
	wake, spans, stop, done chan struct{}
	link                    *sharedLink

	releaseOptions [len(releaseNames)]metric.MeasurementOption
	boundOptions   [3]metric.AddOption
	// Only the holder's goroutine, or shutdown after it ended, logs.
	lastErrLog time.Time
	suppressed int
}

// Why a held batch left, the release attribute.
type releaseCause uint8

const (
	releaseResolved releaseCause = iota
	releaseTimeout
	releaseBehind
	releaseBound
	releaseShutdown
)

var releaseNames = [...]string{
	metadata.AttributeReleaseResolved, metadata.AttributeReleaseTimeout, metadata.AttributeReleaseBehind,
	metadata.AttributeReleaseBound, metadata.AttributeReleaseShutdown,
}

func newHolder(p *exemplarLinkProcessor, next consumer.Metrics) *holder {
	h := &holder{
		p:          p,
		next:       next,
		logger:     p.logger,
		seed:       maphash.MakeSeed(),
		queue:      hold.NewQueue[*heldBatch](p.cfg.Wait.MaxHeldBatches, p.cfg.Wait.MaxHeldBytes),
		registered: make(map[pmetric.Metrics]*pendingBatch),
		wake:       make(chan struct{}, 1),
		spans:      make(chan struct{}, 1),
		stop:       make(chan struct{}),
		done:       make(chan struct{}),
	}
	for c, name := range releaseNames {
		h.releaseOptions[c] = metric.WithAttributeSet(attribute.NewSet(attribute.String(metadata.AttributeRelease, name)))
	}
	h.boundOptions[hold.MaxBatches] = metric.WithAttributeSet(attribute.NewSet(
		attribute.String(metadata.AttributeBound, metadata.AttributeBoundMaxHeldBatches)))
	h.boundOptions[hold.MaxBytes] = metric.WithAttributeSet(attribute.NewSet(
		attribute.String(metadata.AttributeBound, metadata.AttributeBoundMaxHeldBytes)))
	return h
}

func (h *holder) waitMemory() *hold.Waits {
	h.waitsOnce.Do(func() { h.waits = hold.NewWaits(hold.DefaultMaxWaits) })
	return h.waits
}

func (h *holder) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: true}
}

// start listens to the traces side of link; nil-safe.
func (h *holder) start(link *sharedLink) {
	if h == nil {
		return
	}
	h.link = link
	link.spans.add(h.spans)
}

// register notes md's pending exemplars for ConsumeMetrics, which
// processorhelper calls next with md.
func (h *holder) register(md pmetric.Metrics, pb *pendingBatch) {
	h.mu.Lock()
	h.registered[md] = pb
	h.syncActive()
	h.mu.Unlock()
}

// syncActive is called with mu held whenever registered or the queue
// changes.
func (h *holder) syncActive() {
	n := len(h.registered)
	if !h.queue.Empty() {
		n++
	}
	h.active.Store(int32(n))
}

// ConsumeMetrics passes md on at once, or holds the parts that wait and
// the parts that must stay behind held batches of their resource.
func (h *holder) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	if h.active.Load() == 0 {
		return h.next.ConsumeMetrics(ctx, md)
	}
	return h.admit(ctx, md)
}

// resourceKey hashes a resource's attributes, in any order: a scrape
// target's batches all carry the same. Two resources with the same key
// only keep each other's order.
func (h *holder) resourceKey(r pcommon.Resource) uint64 {
	var sum uint64
	var mh maphash.Hash
	r.Attributes().Range(func(k string, v pcommon.Value) bool {
		mh.SetSeed(h.seed)
		mh.WriteString(k)
		mh.WriteByte(0)
		mh.WriteString(v.AsString())
		sum += mh.Sum64()
		return true
	})
	return sum
}

// admit is ConsumeMetrics while batches are registered or held. Each
// resource of md that has pending exemplars, or has a held batch ahead of
// it, is moved into a batch the holder owns and queued; the rest, and
// what the bounds refuse to hold, goes on now, its pending exemplars
// finished first. A sender whose batch made the holder flush its
// resource's queue (FlushBehind) waits until that batch is sent and gets
// its error.
func (h *holder) admit(ctx context.Context, md pmetric.Metrics) error {
	rms := md.ResourceMetrics()
	keys := make([]uint64, rms.Len())
	for i := range keys {
		keys[i] = h.resourceKey(rms.At(i).Resource())
	}
	arrived := time.Now()

	h.mu.Lock()
	pb := h.registered[md]
	delete(h.registered, md)
	var pending []pendingExemplar
	if pb != nil {
		pending = pb.exemplars
	}
	if h.closed {
		h.syncActive()
		h.mu.Unlock()
		h.p.finish(ctx, md, pending)
		return h.next.ConsumeMetrics(ctx, md)
	}
	var (
		moved   []bool
		passing []pendingExemplar // pending exemplars of parts that pass now
		waiters []*heldBatch
		queued  bool
	)
	for i, key := range keys {
		// pending is in walk order: this resource's come first.
		n := 0
		for n < len(pending) && pending[n].at.resource == i {
			n++
		}
		mine := pending[:n]
		pending = pending[n:]
		if len(mine) == 0 && !h.queue.Queued(key) {
			continue
		}
		// MoveTo swaps the resource's contents into a batch the holder
		// owns, in O(1), leaving an empty one in md: once the call
		// returns, the receiver may recycle md (pdata proto pooling) and
		// recycles nothing of ours. It needs md mutable, which
		// MutatesData true guarantees; CopyTo would copy the whole batch.
		owned := pmetric.NewMetrics()
		rms.At(i).MoveTo(owned.ResourceMetrics().AppendEmpty())
		size := int64(h.sizer.MetricsSize(owned))
		adm, bound := h.queue.Admit(key, len(mine) > 0, size)
		if bound != hold.NoBound {
			h.p.telemetry.ProcessorExemplarLinkBatchesNotHeld.Add(ctx, 1, h.boundOptions[bound])
		}
		if adm == hold.Pass || adm == hold.OverBound {
			owned.ResourceMetrics().At(0).MoveTo(rms.At(i))
			passing = append(passing, mine...)
			continue
		}
		hb := newHeldBatch(ctx, owned, arrived, mine)
		it := &hold.Item[*heldBatch]{Value: hb, Key: key, Size: size, Ready: adm != hold.Hold}
		if adm == hold.FlushBehind {
			h.queue.ForceAll(key)
			hb.sent = make(chan struct{})
			waiters = append(waiters, hb)
		}
		h.queue.Push(it)
		if moved == nil {
			moved = make([]bool, len(keys))
		}
		moved[i], queued = true, true
	}
	if queued && !h.running {
		h.running = true
		go h.loop()
	}
	h.syncActive()
	h.mu.Unlock()
	if queued {
		signal(h.wake)
	}

	h.p.finish(ctx, md, passing)
	if moved != nil {
		i := 0
		rms.RemoveIf(func(pmetric.ResourceMetrics) bool {
			m := moved[i]
			i++
			return m
		})
	}
	var err error
	if rms.Len() > 0 {
		err = h.next.ConsumeMetrics(ctx, md)
	}
	for _, hb := range waiters {
		<-hb.sent
		err = errors.Join(err, hb.err)
	}
	return err
}

// newHeldBatch makes the held batch of owned, a one-resource batch whose
// pending exemplars are mine: it waits until the latest of their
// deadlines.
func newHeldBatch(ctx context.Context, owned pmetric.Metrics, arrived time.Time, mine []pendingExemplar) *heldBatch {
	hb := &heldBatch{
		ctx: context.WithoutCancel(ctx), md: owned, since: arrived,
		pending: make([]pendingExemplar, len(mine)), unresolved: len(mine),
	}
	for j, pe := range mine {
		pe.at.resource = 0 // owned holds this resource only
		hb.pending[j] = pe
		if d := time.Unix(0, pe.deadline); d.After(hb.deadline) {
			hb.deadline = d
		}
	}
	return hb
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// loop releases held batches as their spans arrive or their wait ends.
func (h *holder) loop() {
	defer close(h.done)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var taken []*hold.Item[*heldBatch]
	var buf []spanindex.Span
	for {
		select {
		case <-h.stop:
			timer.Stop()
			return
		case <-h.wake:
		case <-h.spans:
		case <-timer.C:
		}
		// A batch queued just after spans were signalled was not looked
		// at then: look at every held batch on every wake-up.
		buf = h.recheck(buf)
		var next time.Time
		next, taken = h.releaseReady(taken)
		timer.Stop()
		if !next.IsZero() {
			timer.Reset(time.Until(next))
		}
	}
}

// recheck asks the index again about the pending exemplars that are not
// resolved yet.
func (h *holder) recheck(buf []spanindex.Span) []spanindex.Span {
	if h.link == nil {
		return buf
	}
	traces := h.link.traces.Load()
	if traces == nil {
		return buf
	}
	var waiting []*heldBatch
	h.mu.Lock()
	h.queue.Each(func(it *hold.Item[*heldBatch]) {
		if !it.Ready && it.Value.unresolved > 0 {
			waiting = append(waiting, it.Value)
		}
	})
	h.mu.Unlock()
	for _, hb := range waiting {
		for i := range hb.pending {
			pe := &hb.pending[i]
			if pe.resolved {
				continue
			}
			if pe.span != zeroSpanID {
				if traces.index.Has(pe.key.TraceID, pe.span) {
					pe.resolved = true
					hb.unresolved--
				}
				continue
			}
			var res spanindex.Result
			res, buf = traces.resolve(&pe.key, pe.hasTime, buf)
			if res.Outcome == spanindex.Found || res.Outcome == spanindex.Ambiguous {
				pe.resolved = true
				hb.unresolved--
			}
		}
	}
	return buf
}

// releaseReady sends every batch that may leave, each resource's in
// order, and returns when the next wait ends (zero for none).
func (h *holder) releaseReady(taken []*hold.Item[*heldBatch]) (time.Time, []*hold.Item[*heldBatch]) {
	for {
		var next time.Time
		h.mu.Lock()
		now := time.Now()
		h.queue.Each(func(it *hold.Item[*heldBatch]) {
			hb := it.Value
			switch {
			case it.Ready:
			case hb.unresolved == 0 || !now.Before(hb.deadline):
				it.Ready = true
			case next.IsZero() || hb.deadline.Before(next):
				next = hb.deadline
			}
		})
		taken = h.queue.TakeReady(taken[:0])
		h.mu.Unlock()
		if len(taken) == 0 {
			return next, taken
		}
		for _, it := range taken {
			h.release(it.Value, false)
		}
		h.mu.Lock()
		for _, it := range taken {
			h.queue.Done(it.Key)
		}
		h.syncActive()
		h.mu.Unlock()
		clear(taken)
	}
}

// release finishes a held batch's pending exemplars and sends it on. A
// downstream error can no longer reach the sender: it is counted and
// logged, unless a sender waits for this batch.
func (h *holder) release(hb *heldBatch, shutdown bool) {
	now := time.Now()
	cause := releaseBound
	switch {
	case len(hb.pending) == 0:
		cause = releaseBehind
	case hb.unresolved == 0:
		cause = releaseResolved
	case shutdown:
		cause = releaseShutdown
	case !now.Before(hb.deadline):
		cause = releaseTimeout
	}
	h.p.finish(hb.ctx, hb.md, hb.pending)
	tel := h.p.telemetry
	if hb.sent == nil { // a batch a sender waits for was not held: it is counted as not held
		tel.ProcessorExemplarLinkBatchesHeld.Add(hb.ctx, 1, h.releaseOptions[cause])
		tel.ProcessorExemplarLinkBatchHoldDuration.Record(hb.ctx, now.Sub(hb.since).Seconds(), h.releaseOptions[cause])
	}
	err := h.next.ConsumeMetrics(hb.ctx, hb.md)
	if hb.sent != nil {
		hb.err = err
		close(hb.sent)
		return
	}
	if err == nil {
		return
	}
	tel.ProcessorExemplarLinkReleaseErrors.Add(hb.ctx, 1)
	if now.Sub(h.lastErrLog) < errLogInterval {
		h.suppressed++
		return
	}
	h.logger.Warn("Next consumer refused a held batch after its release; the batch is dropped here",
		zap.Error(err), zap.Int("data_points", hb.md.DataPointCount()), zap.Int("suppressed", h.suppressed))
	h.lastErrLog, h.suppressed = now, 0
}

// shutdown stops waiting and sends everything held at once, each
// resource's batches in order; nil-safe.
func (h *holder) shutdown() {
	if h == nil {
		return
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	running := h.running
	h.mu.Unlock()
	if running {
		close(h.stop)
		<-h.done
	}
	h.mu.Lock()
	items := h.queue.Drain(nil)
	h.syncActive()
	h.mu.Unlock()
	for _, it := range items {
		h.release(it.Value, true)
	}
	if h.link != nil {
		h.link.spans.remove(h.spans)
		h.link = nil
	}
}
