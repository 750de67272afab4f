package gcpstandin

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/trace/apiv2/tracepb"
)

// The flood test's figures. The caps are smaller than the defaults so the
// test stays fast under -race on a busy 2-core machine; the bounds scale
// with them.
const (
	floodPointBytes = 16 << 20
	floodSpanBytes  = 8 << 20
	floodMaxPoints  = 10_000
	floodMaxSpans   = 5_000
	// floodHeapBound is the most the live Go heap (after a GC) may grow by
	// while the server holds a full store: the byte caps (24 MiB) plus
	// room for the item-capped small points and spans, whose in-memory
	// size exceeds their wire size, and the indexes (measured: 23.5 MiB;
	// without the byte caps the flood's 47 MB stay).
	floodHeapBound = 40 << 20
)

// floodAnswerBound is the longest a console answer may take during the
// flood and with the store full (measured: under 0.25 s, and 1.5 s with
// -race, on a busy 2-core machine).
func floodAnswerBound() time.Duration {
	if raceEnabled {
		return 10 * time.Second
	}
	return 2 * time.Second
}

// TestFloodBounded floods the server over gRPC with large items (3.9 MB
// labels and attributes, as in issue 22) and many small ones, from
// several clients, while a client polls the console: the live heap stays
// within floodHeapBound of where it started, and every console answer
// comes within floodAnswerBound. Not parallel: it measures the heap.
func TestFloodBounded(t *testing.T) {
	s := startServer(t, WithConsole("127.0.0.1:0"),
		WithMaxPointBytes(floodPointBytes), WithMaxSpanBytes(floodSpanBytes),
		WithMaxPoints(floodMaxPoints), WithMaxSpans(floodMaxSpans))
	mc, tc := dial(t, s), dialTrace(t, s)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	base := liveHeap()
	began := time.Now()

	const (
		big     = 3_900_000 // bytes of one label or attribute
		bigN    = 8         // 31 MB of points, 16 MB of spans: twice the caps
		clients = 4
		small   = 4 // calls per client, of smallN series or spans
		smallN  = 500
	)
	var wg sync.WaitGroup
	errs := make(chan error, 4*clients)
	run := func(f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(); err != nil {
				errs <- err
			}
		}()
	}
	for c := range clients {
		run(func() error { // large points: each its own series
			for i := c; i < bigN; i += clients {
				if _, err := mc.CreateTimeSeries(ctx, bigRequest(i, big)); err != nil {
					return err
				}
			}
			return nil
		})
		run(func() error { // large spans
			for i := c; i < bigN/2; i += clients {
				if _, err := tc.BatchWriteSpans(ctx, &tracepb.BatchWriteSpansRequest{Name: "projects/p", Spans: []*tracepb.Span{bigSpan(i, big)}}); err != nil {
					return err
				}
			}
			return nil
		})
		run(func() error { // small points with exemplars, new series each call
			for i := range small {
				if _, err := mc.CreateTimeSeries(ctx, seriesRequest(fmt.Sprintf("small%d_%d", c, i), smallN)); err != nil {
					return err
				}
			}
			return nil
		})
		run(func() error { // small spans
			for i := range small {
				if _, err := tc.BatchWriteSpans(ctx, spanBatch(fmt.Sprintf("e%015x", c), i, smallN)); err != nil {
					return err
				}
			}
			return nil
		})
	}
	// The console answers while the flood goes on.
	stop := make(chan struct{})
	var slowest time.Duration
	var polls int
	pollDone := make(chan struct{})
	go func() {
		defer close(pollDone)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			d, _ := timeGet(t, s.ConsoleURL()+"api/summary")
			slowest = max(slowest, d)
			polls++
		}
	}()
	wg.Wait()
	t.Logf("flood took %v", time.Since(began))
	close(stop)
	<-pollDone
	close(errs)
	for err := range errs {
		t.Fatalf("flood: %v", err)
	}

	st, stats := s.Stored(), s.Stats()
	if st.PointBytes > floodPointBytes || st.SpanBytes > floodSpanBytes || st.Points > floodMaxPoints || st.Spans > floodMaxSpans {
		t.Errorf("Stored() = %+v, beyond the caps", st)
	}
	if stats.DroppedPoints == 0 || stats.DroppedSpans == 0 {
		t.Errorf("Stats() = %+v, want drops counted", stats)
	}
	grown := liveHeap() - base
	if grown > floodHeapBound {
		t.Errorf("after the flood: live heap grew by %.1f MiB holding %+v, want at most %d MiB", mib(grown), st, floodHeapBound>>20)
	}
	if slowest > floodAnswerBound() {
		t.Errorf("GET /api/summary took up to %v during the flood, want at most %v", slowest, floodAnswerBound())
	}
	t.Logf("flood: %d points (%.0f MiB in large labels) and %d spans (%.0f MiB in large attributes) received; held %d points in %.1f MiB, %d spans in %.1f MiB",
		stats.Points, mib(uint64(bigN*big)), stats.Spans, mib(uint64(bigN/2*big)), st.Points, mib(uint64(st.PointBytes)), st.Spans, mib(uint64(st.SpanBytes)))
	t.Logf("after the flood: live heap grew by %.1f MiB (bound %d MiB), RSS %s; /api/summary answered %d times during it, slowest in %v",
		mib(grown), floodHeapBound>>20, rss(), polls, slowest.Round(time.Microsecond))

	// Then the item caps filled with small points with exemplars and
	// spans of one trace: the most items, the most per-item overhead.
	for i := range floodMaxPoints / smallN {
		if _, err := mc.CreateTimeSeries(ctx, seriesRequest(fmt.Sprintf("full%d", i), smallN)); err != nil {
			t.Fatal(err)
		}
	}
	const trace = "f0000000000000000000000000000000"
	for i := range floodMaxSpans / smallN {
		req := spanBatch("f000000000000000", i, smallN)
		for _, sp := range req.Spans {
			sp.Name = "projects/p/traces/" + trace + "/spans/" + sp.GetSpanId()
		}
		if _, err := tc.BatchWriteSpans(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("fill took %v", time.Since(began))
	st = s.Stored()
	grown = liveHeap() - base
	if grown > floodHeapBound {
		t.Errorf("item caps full: live heap grew by %.1f MiB holding %+v, want at most %d MiB", mib(grown), st, floodHeapBound>>20)
	}
	t.Logf("item caps full (%d points in %.1f MiB, %d spans in %.1f MiB): live heap grew by %.1f MiB, RSS %s",
		st.Points, mib(uint64(st.PointBytes)), st.Spans, mib(uint64(st.SpanBytes)), mib(grown), rss())

	// Every console answer, with the store full: time and size.
	for _, p := range []string{"", "api/summary", "api/metrics", "api/exemplars", "api/exemplars?distinct=true&limit=5000",
		"api/heatmap?metric=full0", "api/traces/" + trace} {
		d, n := timeGet(t, s.ConsoleURL()+p)
		if d > floodAnswerBound() {
			t.Errorf("GET /%s took %v, want at most %v", p, d, floodAnswerBound())
		}
		t.Logf("GET /%s: %d bytes in %v", p, n, d.Round(time.Microsecond))
	}
}

// liveHeap is the Go heap in use after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	debug.FreeOSMemory()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }

// rss is the process's resident set from /proc (Linux), for the log.
func rss() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return fmt.Sprintf("%.0f MiB", float64(kb)/1024)
		}
	}
	return "unknown"
}

// timeGet GETs url and returns how long the whole answer took and its
// size; it fails the test on an error or a status other than 200.
func timeGet(t *testing.T, url string) (time.Duration, int) {
	start := time.Now()
	resp, err := http.Get(url)
	if err != nil {
		t.Errorf("GET %s: %v", url, err)
		return 0, 0
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s: %s %v", url, resp.Status, err)
	}
	return time.Since(start), int(n)
}
