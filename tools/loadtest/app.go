package main

import (
	"context"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// app is one instrumented service: a target exposing its request-duration
// histogram with exemplars, and the spans of the same requests, sent by
// OTLP/gRPC in batches as the SDK's batch span processor sends them.
type app struct {
	index  int
	routes []string

	mu       sync.Mutex
	page     page
	lastSize int

	scrapes atomic.Int64 // scrapes served completely

	sent, failed, dropped atomic.Int64 // spans
	firstErr              sync.Once
	exportErr             atomic.Value // error: the first export error
}

func newApp(index, numSeries int) *app {
	a := &app{index: index, page: newPage(numSeries), routes: make([]string, numSeries)}
	for s := range a.routes {
		a.routes[s] = "/api/" + strconv.Itoa(s)
	}
	return a
}

func (a *app) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	a.mu.Lock()
	body := appendOpenMetrics(make([]byte, 0, a.lastSize+4096), &a.page)
	a.lastSize = len(body)
	a.mu.Unlock()
	w.Header().Set("Content-Type", "application/openmetrics-text; version=1.0.0; charset=utf-8")
	if _, err := w.Write(body); err == nil {
		a.scrapes.Add(1)
	}
}

// request is one request to the app: a server span and one child span (a
// database call) of the same trace. Its duration is the value it observes.
type request struct {
	traceID              [16]byte
	serverSpan, dbSpan   [8]byte
	start, end           time.Time
	series, bucket       int
	value                float64
	observedAtUnixMillis int64
}

// minDuration keeps the exemplar's millisecond timestamp inside the server
// span and after the child span (see newRequest).
const minDuration = 0.003

// newRequest makes a request that ends at end and falls into bucket b. The
// histogram observes it 0.3 ms before the end, as a handler's deferred
// observation does, and the timestamp is cut to the millisecond as client
// libraries write it: at most 1.3 ms before the end. The child span ends
// halfway through, so with at least 3 ms the exemplar lies in the server
// span only.
func newRequest(rng *rand.Rand, s, b int, end time.Time) request {
	lo := minDuration
	if b > 0 {
		lo = bounds[b-1]
	}
	v := lo + (bounds[b]-lo)*(0.1+0.8*rng.Float64())
	d := time.Duration(v * float64(time.Second))
	r := request{series: s, bucket: b, value: v, start: end.Add(-d), end: end}
	putID(rng, r.traceID[:8])
	putID(rng, r.traceID[8:])
	putID(rng, r.serverSpan[:])
	putID(rng, r.dbSpan[:])
	r.observedAtUnixMillis = end.Add(-300 * time.Microsecond).UnixMilli()
	return r
}

func putID(rng *rand.Rand, dst []byte) {
	binary.LittleEndian.PutUint64(dst, rng.Uint64()|1) // never all zero
}

func (r *request) exemplar() exemplar {
	return exemplar{traceID: r.traceID, spanID: r.serverSpan, value: r.value, unixMilli: r.observedAtUnixMillis}
}

// loadSettings is what every app sends.
type loadSettings struct {
	requestsPerSecond float64 // per app
	batchSize         int     // spans per export, as the SDK's max export batch size
	queueSize         int     // spans waiting for export; beyond it new batches are dropped, as the SDK drops
	scheduleDelay     time.Duration
	exportTimeout     time.Duration
}

// run makes requests at the set rate until ctx ends, records each in the
// page and exports its spans. It returns once the last export finished.
func (a *app) run(ctx context.Context, client ptraceotlp.GRPCClient, set loadSettings) {
	queue := make(chan ptrace.Traces, max(1, set.queueSize/set.batchSize))
	var exporting sync.WaitGroup
	exporting.Go(func() {
		for td := range queue {
			a.export(client, td, set.exportTimeout)
		}
	})
	defer func() {
		close(queue)
		exporting.Wait()
	}()

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(a.index)))
	slots := exemplarSlots(len(a.page.series))
	spacing := time.Duration(float64(time.Second) / set.requestsPerSecond)
	var reqs []request
	batch, spans := a.newBatch(set.batchSize)
	batchStart := time.Now()
	enqueue := func() {
		select {
		case queue <- batch:
		default:
			a.dropped.Add(int64(spans.Len()))
		}
		batch, spans = a.newBatch(set.batchSize)
		batchStart = time.Now()
	}

	start := time.Now()
	var made int64
	slot := 0
	ticker := time.NewTicker(10 * time.Millisecond)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			if spans.Len() > 0 {
				enqueue()
			}
			return
		case now := <-ticker.C:
			due := int64(now.Sub(start).Seconds()*set.requestsPerSecond) - made
			if due <= 0 {
				continue
			}
			made += due
			reqs = reqs[:0]
			for i := range due {
				// Spread the requests since the last tick over it.
				end := now.Add(-time.Duration(due-1-i) * spacing)
				reqs = append(reqs, newRequest(rng, slot/len(bounds), slot%len(bounds), end))
				slot = (slot + 1) % slots
			}
			a.mu.Lock()
			for i := range reqs {
				a.page.observe(reqs[i].series, reqs[i].bucket, reqs[i].exemplar())
			}
			a.mu.Unlock()
			for i := range reqs {
				a.appendSpans(spans, &reqs[i])
				if spans.Len() >= set.batchSize {
					enqueue()
				}
			}
			if spans.Len() > 0 && time.Since(batchStart) >= set.scheduleDelay {
				enqueue()
			}
		}
	}
}

func (a *app) newBatch(size int) (ptrace.Traces, ptrace.SpanSlice) {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "loadtest-app")
	rs.Resource().Attributes().PutStr("service.instance.id", "app-"+strconv.Itoa(a.index))
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("loadtest")
	ss.Spans().EnsureCapacity(size)
	return td, ss.Spans()
}

func (a *app) appendSpans(spans ptrace.SpanSlice, r *request) {
	d := r.end.Sub(r.start)
	server := spans.AppendEmpty()
	server.SetTraceID(r.traceID)
	server.SetSpanID(r.serverSpan)
	server.SetName("GET /api/{id}")
	server.SetKind(ptrace.SpanKindServer)
	server.SetStartTimestamp(pcommon.NewTimestampFromTime(r.start))
	server.SetEndTimestamp(pcommon.NewTimestampFromTime(r.end))
	server.Attributes().PutStr("http.request.method", "GET")
	server.Attributes().PutStr("http.route", a.routes[r.series])
	server.Attributes().PutInt("http.response.status_code", 200)

	db := spans.AppendEmpty()
	db.SetTraceID(r.traceID)
	db.SetSpanID(r.dbSpan)
	db.SetParentSpanID(r.serverSpan)
	db.SetName("SELECT items")
	db.SetKind(ptrace.SpanKindClient)
	db.SetStartTimestamp(pcommon.NewTimestampFromTime(r.start.Add(d / 10)))
	db.SetEndTimestamp(pcommon.NewTimestampFromTime(r.start.Add(d / 2)))
	db.Attributes().PutStr("db.system.name", "postgresql")
}

func (a *app) export(client ptraceotlp.GRPCClient, td ptrace.Traces, timeout time.Duration) {
	n := int64(td.SpanCount())
	// Not the run's context: a batch already handed over is finished, as
	// the SDK's shutdown flushes, within the timeout.
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	resp, err := client.Export(ctx, ptraceotlp.NewExportRequestFromTraces(td))
	if err != nil {
		a.failed.Add(n)
		a.firstErr.Do(func() { a.exportErr.Store(err) })
		return
	}
	rejected := resp.PartialSuccess().RejectedSpans()
	a.sent.Add(n - rejected)
	if rejected > 0 {
		a.failed.Add(rejected)
		a.firstErr.Do(func() { a.exportErr.Store(errors.New(resp.PartialSuccess().ErrorMessage())) })
	}
}
