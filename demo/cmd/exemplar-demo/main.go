// Command exemplar-demo is a small traced HTTP service that exposes a
// request-duration histogram with exemplars, the Go counterpart of the Flask
// app in Google Cloud's "prometheus_exemplars" guide.
//
// Every request gets a server span from the OpenTelemetry Go SDK (exported
// over OTLP/HTTP to a collector), and its duration is observed with
// ObserveWithExemplar, the exemplar labels taken from the active span. The
// metrics are served as OpenMetrics on /metrics, so a Prometheus scrape
// (or the collector's prometheus receiver) sees the exemplars. A built-in
// load generator keeps requests flowing at a bounded rate.
//
// -style chooses how the exemplar labels spell the trace reference, so each
// rule of the exemplar_link processor can be seen at work (T and S are the
// server span's trace and span IDs):
//
//	prom-client               traceID=T spanID=S              (default; as prom-client does)
//	otel                      trace_id=T span_id=S            (converted by the prometheus receiver itself)
//	client-golang-trace-only  trace_id=T                      (client_golang's guide; linked only from the traces side)
//	prom-client-trace-only    traceID=T                       (prom-client's guide; also -style trace-only)
//	64bit                     traceID=<16 hex> spanID=S       (a 64-bit trace ID; the span's trace ID has its upper half zero)
//	traceparent               traceparent=00-T-S-01
//	uber-trace-id             uber_trace_id=T:S:0:1           (leading zeros dropped, as Jaeger clients do)
//	b3                        b3=T-S-1
//	upper-hex                 TraceID=<T upper> SpanID=<S upper>
//	invalid                   traceID=<31 hex digits> spanID=S (stays unlinked: invalid value)
//	mixed                     rotates through all of the above, request by request
//
// A comma-separated list of styles rotates through those. The SDK samples
// at the head, ParentBased(TraceIDRatioBased(-sample-ratio)): a request of
// a sampled-out trace exports no span, yet it still gets its exemplar, as
// the guides' code does (it looks only at HasTraceID).
//
// With -twin every request is also observed, with the same value and
// labels, into http_server_request_duration_twin_seconds, whose exemplar
// names both IDs (trace_id, span_id) of the same server span, whatever the
// style, whether it was sampled (sampled="true"/"false") and the request's
// style (style=...): ground truth for tests of the trace-only styles.
//
// Spans leave in batches every 2 s; with OTEL_BSP_SCHEDULE_DELAY set, as
// the SDK reads it (its default is 5000 ms).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

const maxRate = 200 // requests per second, whatever -rate says

func main() {
	var (
		listen       = flag.String("listen", "127.0.0.1:9464", "address for the app endpoints and /metrics")
		otlpEndpoint = flag.String("otlp-endpoint", "127.0.0.1:4318", "OTLP/HTTP endpoint (host:port) for spans; empty disables span export")
		style        = flag.String("style", "prom-client", "exemplar label style: "+strings.Join(styleNames(), ", "))
		rate         = flag.Float64("rate", 5, fmt.Sprintf("load generator requests per second (0 disables it, at most %d)", maxRate))
		duration     = flag.Duration("duration", 0, "stop after this long (0: run until SIGINT/SIGTERM)")
		serviceName  = flag.String("service-name", "exemplarlink-demo", "service.name of the spans")
		sampleRatio  = flag.Float64("sample-ratio", 0.8, "share of traces the SDK samples at the head, 0 to 1 (ParentBased(TraceIDRatioBased)); 1 samples all")
		twin         = flag.Bool("twin", false, "also observe every request into http_server_request_duration_twin_seconds, its exemplar naming both IDs, whether the trace was sampled and the style")
	)
	flag.Parse()
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	log.SetPrefix("exemplar-demo: ")

	labeler, err := newLabeler(*style)
	if err != nil {
		log.Print(err)
		flag.Usage()
		os.Exit(2)
	}
	if *rate < 0 || *rate > maxRate {
		log.Printf("-rate must be between 0 and %d", maxRate)
		os.Exit(2)
	}
	if !(*sampleRatio >= 0 && *sampleRatio <= 1) { // NaN too
		log.Printf("-sample-ratio must be between 0 and 1, not %g", *sampleRatio)
		os.Exit(2)
	}

	// Exit with run's status once the deferred cleanups below have run (a
	// panic still propagates: the status is only set on an error).
	exitCode := 0
	defer func() {
		if exitCode != 0 {
			os.Exit(exitCode)
		}
	}()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}

	o := options{listen: *listen, otlpEndpoint: *otlpEndpoint, serviceName: *serviceName,
		rate: *rate, sampleRatio: *sampleRatio, twin: *twin}
	if err := run(ctx, o, labeler); err != nil {
		log.Print(err)
		exitCode = 1
	}
}

// options are the app's settings from its flags.
type options struct {
	listen, otlpEndpoint, serviceName string
	rate, sampleRatio                 float64
	twin                              bool
}

func run(ctx context.Context, o options, labeler *labeler) error {
	listen, rate := o.listen, o.rate
	tp, err := newTracerProvider(ctx, o.otlpEndpoint, o.serviceName, o.sampleRatio)
	if err != nil {
		return err
	}
	defer func() {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := tp.Shutdown(shutdownCtx); err != nil {
			log.Printf("tracer shutdown: %v", err)
		}
	}()
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})

	reg := prometheus.NewRegistry()
	app := newApp(tp.Tracer("github.com/exemplarlink/exemplarlinkprocessor/demo"), reg, labeler, o.twin)

	mux := http.NewServeMux()
	mux.Handle("/work", app)
	mux.Handle("/checkout", app)
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true, EnableOpenMetricsTextCreatedSamples: true}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })

	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.Printf("serving on http://%s (metrics on /metrics), style %s, %.1f req/s, sample ratio %g, spans to %q",
		listen, labeler.name, rate, o.sampleRatio, o.otlpEndpoint)

	var wg sync.WaitGroup
	loadCtx, stopLoad := context.WithCancel(ctx)
	if rate > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			generateLoad(loadCtx, "http://"+listen, rate)
		}()
	}

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		stopLoad()
		wg.Wait()
		return fmt.Errorf("http server: %w", err)
	}
	stopLoad()
	wg.Wait()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("http shutdown: %w", err)
	}
	log.Printf("stopped after %d requests", app.requests.Load())
	return nil
}

func newTracerProvider(ctx context.Context, endpoint, serviceName string, sampleRatio float64) (*sdktrace.TracerProvider, error) {
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(
		attribute.String("service.name", serviceName),
	))
	if err != nil {
		return nil, err
	}
	opts := []sdktrace.TracerProviderOption{
		sdktrace.WithResource(res),
		// TraceIDRatioBased(1) samples every trace, like AlwaysSample.
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(sampleRatio))),
		sdktrace.WithIDGenerator(&idGenerator{}),
	}
	if endpoint != "" {
		exp, err := otlptracehttp.New(ctx,
			otlptracehttp.WithEndpoint(endpoint),
			otlptracehttp.WithInsecure(),
			otlptracehttp.WithTimeout(5*time.Second),
		)
		if err != nil {
			return nil, err
		}
		// 2 s keeps the demo brisk; OTEL_BSP_SCHEDULE_DELAY (ms), read by
		// the SDK when no option overrides it, models an app on the SDK's
		// default of 5 s.
		var bsp []sdktrace.BatchSpanProcessorOption
		if os.Getenv("OTEL_BSP_SCHEDULE_DELAY") == "" {
			bsp = append(bsp, sdktrace.WithBatchTimeout(2*time.Second))
		}
		opts = append(opts, sdktrace.WithBatcher(exp, bsp...))
	}
	return sdktrace.NewTracerProvider(opts...), nil
}

// app serves the traced endpoints and records their durations.
type app struct {
	tracer   trace.Tracer
	duration *prometheus.HistogramVec
	// twin, when set, gets every observation of duration again, with an
	// exemplar naming both IDs.
	twin     *prometheus.HistogramVec
	labeler  *labeler
	requests atomic.Int64
}

func newApp(tracer trace.Tracer, reg prometheus.Registerer, l *labeler, twin bool) *app {
	// The twin has the same labels and buckets, so that a bucket's
	// exemplar in both is usually the same request's.
	histogram := func(name, help string) *prometheus.HistogramVec {
		h := prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    name,
			Help:    help,
			Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1},
		}, []string{"route", "method", "code"})
		reg.MustRegister(h)
		return h
	}
	a := &app{
		tracer:   tracer,
		labeler:  l,
		duration: histogram("http_server_request_duration_seconds", "Duration of HTTP requests served by the demo app."),
	}
	if twin {
		a.twin = histogram("http_server_request_duration_twin_seconds",
			"The same observations as http_server_request_duration_seconds, each exemplar naming trace_id and span_id.")
	}
	return a
}

func (a *app) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	n := a.requests.Add(1)
	style := a.labeler.pick(n)

	// The style is decided before the span starts, so that the ID
	// generator can give a "64bit" request a trace ID with a zero upper
	// half: the padded 64-bit exemplar then names a real trace.
	ctx := otel.GetTextMapPropagator().Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	ctx = context.WithValue(ctx, styleKey{}, style)
	ctx, span := a.tracer.Start(ctx, r.Method+" "+r.URL.Path,
		trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(
			attribute.String("http.request.method", r.Method),
			attribute.String("url.path", r.URL.Path),
			attribute.String("demo.exemplar_style", style.name),
		))

	code := http.StatusOK
	if err := a.work(ctx, r.URL.Path); err != nil {
		code = http.StatusInternalServerError
		span.SetStatus(codes.Error, err.Error())
	}
	span.SetAttributes(attribute.Int("http.response.status_code", code))
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	// Only the hex IDs the SDK generated go into the text/plain answer.
	_, _ = fmt.Fprintf(w, "trace %s span %s\n", span.SpanContext().TraceID(), span.SpanContext().SpanID()) //nolint:gosec // G705: no request data is echoed

	// The exemplar comes from the span that is still active here, sampled
	// or not.
	labels := []string{r.URL.Path, r.Method, fmt.Sprint(code)}
	elapsed := time.Since(start).Seconds()
	sc := trace.SpanFromContext(ctx).SpanContext()
	observe(a.duration.WithLabelValues(labels...), elapsed, style.labels(sc))
	if a.twin != nil && sc.IsValid() {
		observe(a.twin.WithLabelValues(labels...), elapsed, prometheus.Labels{
			"trace_id": sc.TraceID().String(), "span_id": sc.SpanID().String(),
			"sampled": strconv.FormatBool(sc.IsSampled()), "style": style.name,
		}) // 104 runes at most, within OpenMetrics' 128
	}
	span.End()
}

// observe records v with the exemplar labels, or without an exemplar when
// there are none.
func observe(o prometheus.Observer, v float64, exemplar prometheus.Labels) {
	if exemplar == nil {
		o.Observe(v)
		return
	}
	o.(prometheus.ExemplarObserver).ObserveWithExemplar(v, exemplar)
}

// work simulates the request's work in a child span.
func (a *app) work(ctx context.Context, path string) error {
	_, span := a.tracer.Start(ctx, "compute")
	defer span.End()
	base := 10 * time.Millisecond
	if path == "/checkout" {
		base = 40 * time.Millisecond
	}
	d := time.Duration(float64(base) * rand.ExpFloat64())
	if d > 800*time.Millisecond {
		d = 800 * time.Millisecond
	}
	select {
	case <-time.After(d):
	case <-ctx.Done():
		return ctx.Err()
	}
	if rand.IntN(50) == 0 {
		err := errors.New("simulated failure")
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		return err
	}
	return nil
}

// generateLoad calls the app at most rate times a second, with at most 16
// requests in flight, until ctx is done.
func generateLoad(ctx context.Context, base string, rate float64) {
	client := &http.Client{Timeout: 5 * time.Second}
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	inFlight := make(chan struct{}, 16)
	var wg sync.WaitGroup
	defer wg.Wait()
	paths := []string{"/work", "/work", "/work", "/checkout"}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		select {
		case inFlight <- struct{}{}:
		default:
			continue // saturated: skip this tick rather than queue up
		}
		wg.Add(1)
		go func(path string) {
			defer wg.Done()
			defer func() { <-inFlight }()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
			if err != nil {
				return
			}
			resp, err := client.Do(req)
			if err != nil {
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
		}(paths[rand.IntN(len(paths))]) // at random: a style list rotating in step would pin each style to a route
	}
}
