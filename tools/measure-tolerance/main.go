// Command measure-tolerance measures how far the exemplar timestamps a
// client_golang app exposes fall outside the server span that was active
// when the exemplar was observed (issue 23: exemplar_link's ToleranceBefore
// and ToleranceAfter in internal/spanindex).
//
// It serves, on 127.0.0.1 only, a handler traced by otelhttp (OpenTelemetry
// Go SDK, spans kept by an in-memory exporter) that observes a histogram
// with ObserveWithExemplar(trace_id) inside the span, as the client_golang
// guides write. Requests are sent one at a time; after each, the OpenMetrics
// exposition is scraped and the exemplar of that request's trace is read,
// its timestamp converted as the Prometheus scraper does (seconds ->
// int64(ts*1000) ms), and compared with the span's start and end.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"net"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/exemplarlink/exemplarlinkprocessor/internal/spanindex"
)

func main() {
	n := flag.Int("n", 2000, "requests to send (bounded)")
	work := flag.Duration("work", 0, "time the handler spends inside the span before observing (0: observe at once, the worst case for 'before the start')")
	flag.Parse()
	if *n <= 0 || *n > 100000 {
		log.Fatal("-n must be in 1..100000")
	}
	if err := run(*n, *work, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

var exemplarRE = regexp.MustCompile(`# \{trace_id="([0-9a-f]{32})"\} \S+ (\S+)`)

func run(n int, work time.Duration, out io.Writer) error {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	defer func() { _ = tp.Shutdown(context.Background()) }()

	reg := prometheus.NewRegistry()
	hist := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "request_duration_seconds",
		Help: "Request duration.",
		// One finite bucket that every observation falls in: the bucket's
		// exemplar is always the latest request's.
		Buckets: []float64{10},
	})
	reg.MustRegister(hist)

	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		began := time.Now()
		if work > 0 {
			time.Sleep(work)
		}
		w.WriteHeader(http.StatusOK)
		sc := trace.SpanContextFromContext(r.Context())
		hist.(prometheus.ExemplarObserver).ObserveWithExemplar(time.Since(began).Seconds(),
			prometheus.Labels{"trace_id": sc.TraceID().String()})
		_, _ = fmt.Fprintln(w, sc.TraceID().String())
	})
	mux := http.NewServeMux()
	mux.Handle("/work", otelhttp.NewHandler(handler, "GET /work", otelhttp.WithTracerProvider(tp)))
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true}))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer func() { _ = srv.Close() }()
	base := "http://" + ln.Addr().String()
	client := &http.Client{Timeout: 5 * time.Second}

	var before, after, rawBefore, rawAfter []float64 // ms
	inside, rawInside := 0, 0
	for i := range n {
		body, err := get(client, base+"/work")
		if err != nil {
			return fmt.Errorf("request %d: %w", i, err)
		}
		traceID := string(body[:min(32, len(body))])
		expo, err := get(client, base+"/metrics")
		if err != nil {
			return fmt.Errorf("scrape %d: %w", i, err)
		}
		tsText := ""
		for _, m := range exemplarRE.FindAllSubmatch(expo, -1) {
			if string(m[1]) == traceID {
				tsText = string(m[2])
			}
		}
		if tsText == "" {
			return fmt.Errorf("request %d: no exemplar for trace %s in the exposition", i, traceID)
		}
		tsSec, err := strconv.ParseFloat(tsText, 64)
		if err != nil {
			return fmt.Errorf("request %d: exemplar timestamp %q: %w", i, tsText, err)
		}
		// As the Prometheus OpenMetrics parser does (model/textparse):
		// int64(ts*1000) milliseconds, then ns in the collector.
		scraped := int64(tsSec*1000) * 1e6
		raw := int64(math.Round(tsSec * 1e9))

		span, err := spanOf(exp, traceID)
		if err != nil {
			return fmt.Errorf("request %d: %w", i, err)
		}
		start, end := span.StartTime.UnixNano(), span.EndTime.UnixNano()
		classify(scraped, start, end, &before, &after, &inside)
		classify(raw, start, end, &rawBefore, &rawAfter, &rawInside)
	}
	spansNote := "server span from otelhttp.NewHandler; exemplar observed inside it"
	fmt.Fprintf(out, "client_golang + otelhttp, %d requests, handler work %v (%s)\n", n, work, spansNote)
	fmt.Fprintf(out, "timestamp as scraped (Prometheus parser: int64(ts*1000) ms):\n")
	report(out, n, inside, before, after)
	fmt.Fprintf(out, "timestamp as exposed (float seconds, no truncation):\n")
	report(out, n, rawInside, rawBefore, rawAfter)
	fmt.Fprintf(out, "exemplar_link tolerances: before %v, after %v\n",
		time.Duration(spanindex.ToleranceBefore), time.Duration(spanindex.ToleranceAfter))
	return nil
}

func classify(ts, start, end int64, before, after *[]float64, inside *int) {
	switch {
	case ts < start:
		*before = append(*before, float64(start-ts)/1e6)
	case ts > end:
		*after = append(*after, float64(ts-end)/1e6)
	default:
		*inside++
	}
}

func report(out io.Writer, n, inside int, before, after []float64) {
	fmt.Fprintf(out, "  inside [start, end]: %d of %d\n", inside, n)
	fmt.Fprintf(out, "  before the start:    %d of %d  %s\n", len(before), n, dist(before))
	fmt.Fprintf(out, "  after the end:       %d of %d  %s\n", len(after), n, dist(after))
}

// dist gives min, p50, p99 and max in ms (nearest-rank percentiles).
func dist(v []float64) string {
	if len(v) == 0 {
		return "(none)"
	}
	s := slices.Clone(v)
	slices.Sort(s)
	q := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(s)))) - 1
		return s[max(i, 0)]
	}
	return fmt.Sprintf("min %.3f ms, p50 %.3f ms, p99 %.3f ms, max %.3f ms", s[0], q(0.5), q(0.99), s[len(s)-1])
}

func get(c *http.Client, url string) ([]byte, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	// As the Prometheus scraper asks: only the OpenMetrics format carries
	// exemplars.
	req.Header.Set("Accept", "application/openmetrics-text;version=1.0.0;q=0.9,text/plain;q=0.1")
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(bufio.NewReader(io.LimitReader(resp.Body, 1<<20)))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: status %d", url, resp.StatusCode)
	}
	return b, nil
}

// spanOf finds the ended server span of the trace. otelhttp ends the span
// after the handler returned, which can be after the client read the
// answer: wait for it, bounded.
func spanOf(exp *tracetest.InMemoryExporter, traceID string) (tracetest.SpanStub, error) {
	deadline := time.Now().Add(2 * time.Second)
	for {
		for _, s := range exp.GetSpans() {
			if s.SpanContext.TraceID().String() == traceID && s.SpanKind == trace.SpanKindServer {
				exp.Reset()
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			return tracetest.SpanStub{}, errors.New("server span of trace " + traceID + " not exported within 2s")
		}
		time.Sleep(time.Millisecond)
	}
}
