// Command loadtest measures what exemplar_link costs a whole collector: the
// distribution's binary under a load of spans (OTLP/gRPC) and scraped
// exemplars that reference them, with exemplar_link in the metrics and the
// traces pipeline ("both") and in the metrics pipeline only, the same binary
// and otherwise the same configuration. Runs alternate between the two;
// each measures the collector's CPU time per wall-clock second
// (/proc/PID/stat, utime+stime) over a window after a warm-up, and its peak
// RSS. A run counts only if the collector's own telemetry shows the load
// arrived: spans accepted, exemplars linked by the app's IDs and, in "both",
// from the traces side. It prints every run, then the median and range of
// each variant and their ratio. 127.0.0.1 only.
//
//	make collector
//	cd tools/loadtest && go run . -collector ../../_build/otelcol-exemplarlink
//
// `make load` does both (docs/performance.md, "Collector cost").
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/exemplarlink/exemplarlinkprocessor/demo/proc"
)

type settings struct {
	collector      string
	runs           int
	warmup, window time.Duration
	spansPerSecond float64
	exemplars      int
	targets        int
	interval       time.Duration
	batchSize      int
	minDelivered   float64
	workDir        string
	report         string
	profile        bool
}

func main() {
	var s settings
	flag.StringVar(&s.collector, "collector", "_build/otelcol-exemplarlink", "path to the built collector (make collector)")
	flag.IntVar(&s.runs, "runs", 5, "runs of each variant, interleaved: both, metrics-only, both, ...")
	flag.DurationVar(&s.warmup, "warmup", 15*time.Second, "load before the measurement window: start-up, first scrapes, the span index filling")
	flag.DurationVar(&s.window, "window", 30*time.Second, "measurement window of each run")
	flag.Float64Var(&s.spansPerSecond, "spans-per-second", 20000, "spans sent per second, in total (two per request)")
	flag.IntVar(&s.exemplars, "exemplars", 10000, "histogram exemplars exposed per scrape, in total (a multiple of targets × 10)")
	flag.IntVar(&s.targets, "targets", 10, "apps scraped, each with its own port")
	flag.DurationVar(&s.interval, "scrape-interval", time.Second, "prometheus receiver scrape interval")
	flag.IntVar(&s.batchSize, "batch", 512, "spans per OTLP export (the SDK batch span processor's default)")
	flag.Float64Var(&s.minDelivered, "min-delivered", 0.9, "a run fails if less than this share of the load (spans accepted, scrapes, exemplars linked) arrived")
	flag.StringVar(&s.workDir, "workdir", "", "where to keep configs and collector logs (default: a new temp dir)")
	flag.StringVar(&s.report, "report", "", "also write the report (markdown) to this file")
	flag.BoolVar(&s.profile, "cpuprofile", false, "also take a CPU profile of the collector over each window (pprof extension, in both variants), into -workdir")
	flag.Parse()
	if err := run(s); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func (s settings) validate() error {
	var errs []error
	if s.runs < 1 {
		errs = append(errs, errors.New("-runs must be at least 1"))
	}
	if s.targets < 1 {
		errs = append(errs, errors.New("-targets must be at least 1"))
	}
	if s.exemplars < 1 || s.targets >= 1 && s.exemplars%(s.targets*len(bounds)) != 0 {
		errs = append(errs, fmt.Errorf("-exemplars %d: must be a positive multiple of targets × %d", s.exemplars, len(bounds)))
	}
	if s.spansPerSecond < 2 {
		errs = append(errs, errors.New("-spans-per-second must be at least 2"))
	}
	if s.batchSize < 2 || s.batchSize%2 != 0 {
		errs = append(errs, errors.New("-batch must be an even number of spans"))
	}
	if s.warmup < 2*s.interval || s.window < 5*s.interval {
		errs = append(errs, errors.New("-warmup must hold two scrape intervals and -window five"))
	}
	return errors.Join(errs...)
}

// expected is the load per second that the telemetry should show.
type expected struct {
	spans, scrapes, appLinked, traceLinked float64
}

func (s settings) expected() expected {
	perTarget := s.exemplars / s.targets
	var traceOnly int
	for slot := range perTarget {
		if styleOf(slot).traceOnly() {
			traceOnly++
		}
	}
	perSecond := float64(time.Second) / float64(s.interval)
	return expected{
		spans:       s.spansPerSecond,
		scrapes:     float64(s.targets) * perSecond,
		appLinked:   float64((perTarget-traceOnly)*s.targets) * perSecond,
		traceLinked: float64(traceOnly*s.targets) * perSecond,
	}
}

func run(s settings) error {
	if err := s.validate(); err != nil {
		return err
	}
	if _, err := os.Stat(s.collector); err != nil {
		return fmt.Errorf("no collector at %s (make collector): %w", s.collector, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if s.workDir == "" {
		dir, err := os.MkdirTemp("", "exemplarlink-loadtest-")
		if err != nil {
			return err
		}
		s.workDir = dir
	} else if err := os.MkdirAll(s.workDir, 0o750); err != nil {
		return err
	}

	exp := s.expected()
	intro := fmt.Sprintf("loadtest: %s, %d runs of each variant interleaved, %s warm-up + %s window each; %.0f spans/s, %d exemplars per %s scrape over %d targets (%.0f/s with both IDs, %.0f/s trace-only); %d CPUs; logs in %s\n",
		s.collector, s.runs, s.warmup, s.window, s.spansPerSecond, s.exemplars, s.interval, s.targets, exp.appLinked, exp.traceLinked, runtime.NumCPU(), s.workDir)
	fmt.Print(intro)
	header := "| run | variant | collector CPU (s/s) | peak RSS (MiB) | spans accepted/s | spans lost by the apps/s | linked by the app's IDs/s | linked from traces/s | links resolved/s | links dangling/s | scrapes/s | loadtest CPU (s/s) | load average |\n" +
		"| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n"
	fmt.Print(header)
	var rows strings.Builder
	results := map[string][]float64{}
	rss := map[string][]float64{}
	for i := range 2 * s.runs {
		v := []variant{bothPipelines, metricsOnly}[i%2]
		r, err := measure(ctx, s, v, i+1)
		if err != nil {
			return fmt.Errorf("run %d (%s): %w", i+1, v.name, err)
		}
		row := r.row(i + 1)
		fmt.Print(row)
		rows.WriteString(row)
		if len(r.problems) > 0 {
			return fmt.Errorf("run %d (%s) did not get its load, no figure reported:\n- %s\nsee %s",
				i+1, v.name, strings.Join(r.problems, "\n- "), r.logPath)
		}
		results[v.name] = append(results[v.name], r.cpu)
		rss[v.name] = append(rss[v.name], r.peakRSSMiB)
	}

	summary, err := summarizeRuns(results, rss)
	if err != nil {
		return err
	}
	fmt.Print("\n" + summary)
	if s.report != "" {
		report := fmt.Sprintf("%s %s\n%s%s\n%s", time.Now().UTC().Format(time.RFC3339), intro, header, rows.String(), summary)
		return os.WriteFile(s.report, []byte(report), 0o600)
	}
	return nil
}

// summarizeRuns writes the medians, ranges and ratios of both variants.
func summarizeRuns(cpu, rss map[string][]float64) (string, error) {
	var b strings.Builder
	b.WriteString("| variant | collector CPU (s/s): median (min–max, n) | peak RSS (MiB): median (min–max, n) |\n| --- | --- | --- |\n")
	for _, v := range []variant{bothPipelines, metricsOnly} {
		c, err := summarize(cpu[v.name])
		if err != nil {
			return "", fmt.Errorf("%s CPU: %w", v.name, err)
		}
		m, err := summarize(rss[v.name])
		if err != nil {
			return "", fmt.Errorf("%s RSS: %w", v.name, err)
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", v.name, c.format(4), m.format(1))
	}
	for _, q := range []struct {
		what, unit string
		m          map[string][]float64
	}{{"CPU", "s/s", cpu}, {"peak RSS", "MiB", rss}} {
		both, _ := summarize(q.m[bothPipelines.name])
		only, _ := summarize(q.m[metricsOnly.name])
		pairs, err := ratios(q.m[bothPipelines.name], q.m[metricsOnly.name])
		if err != nil {
			return "", err
		}
		p, err := summarize(pairs)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "\n%s, both ÷ metrics-only: ratio of medians %.3f (difference %+.4g %s); per interleaved pair %s\n",
			q.what, both.median/only.median, both.median-only.median, q.unit, p.format(3))
	}
	return b.String(), nil
}

// result is one run's measurement, rates per second of the window.
type result struct {
	variant                     string
	cpu, harnessCPU, peakRSSMiB float64
	spans, refused              float64
	appLinked, traceLinked      float64
	resolved, dangling          float64
	hasLinkCheck                bool
	scrapes                     float64
	sent, lost                  float64 // spans/s the apps got accepted, and failed or dropped
	loadAverage, logPath        string
	problems                    []string
}

func (r result) row(n int) string {
	checked := func(v float64) string {
		if !r.hasLinkCheck {
			return "–"
		}
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("| %d | %s | %.3f | %.1f | %.0f | %.0f | %.0f | %.0f | %s | %s | %.1f | %.3f | %s |\n",
		n, r.variant, r.cpu, r.peakRSSMiB, r.spans, r.lost, r.appLinked, r.traceLinked, checked(r.resolved), checked(r.dangling), r.scrapes, r.harnessCPU, r.loadAverage)
}

// snapshot is what is read at either end of the window.
type snapshot struct {
	at                    time.Time
	cpu, harnessCPU       time.Duration
	telemetry             samples
	scrapes               int64
	sent, failed, dropped int64 // spans, by the apps
}

func take(client *http.Client, pid, telemetryAddr string, apps []*app) (snapshot, error) {
	sn := snapshot{at: time.Now()}
	var err error
	if sn.cpu, err = cpuTime(pid); err != nil {
		return sn, err
	}
	if sn.harnessCPU, err = cpuTime("self"); err != nil {
		return sn, err
	}
	if sn.telemetry, err = telemetry(client, telemetryAddr); err != nil {
		return sn, fmt.Errorf("collector telemetry: %w", err)
	}
	for _, a := range apps {
		sn.scrapes += a.scrapes.Load()
		sn.sent += a.sent.Load()
		sn.failed += a.failed.Load()
		sn.dropped += a.dropped.Load()
	}
	return sn, nil
}

const (
	linkedMetric  = "otelcol_processor_exemplar_link_exemplars_linked"
	checkedMetric = "otelcol_processor_exemplar_link_links_checked"
	acceptedSpans = "otelcol_receiver_accepted_spans"
	refusedSpans  = "otelcol_receiver_refused_spans"
)

// measure runs the collector in one variant under the load and reads the
// window.
func measure(ctx context.Context, s settings, v variant, n int) (result, error) {
	r := result{variant: v.name}
	numSeries := s.exemplars / s.targets / len(bounds)
	apps := make([]*app, s.targets)
	targets := make([]string, s.targets)
	for i := range apps {
		apps[i] = newApp(i, numSeries)
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return r, err
		}
		srv := &http.Server{Handler: apps[i], ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(lis) }()
		defer srv.Close()
		targets[i] = lis.Addr().String()
	}
	ports, err := proc.FreePorts(4)
	if err != nil {
		return r, err
	}
	otlpAddr, healthAddr, telemetryAddr, telemetryPort := proc.Addr(ports[0]), proc.Addr(ports[1]), proc.Addr(ports[2]), ports[2]
	var pprofAddr string
	if s.profile {
		pprofAddr = proc.Addr(ports[3])
	}
	base := filepath.Join(s.workDir, fmt.Sprintf("run%02d-%s", n, v.name))
	if err := os.WriteFile(base+".yaml", []byte(collectorConfig(v, targets, s.interval, otlpAddr, healthAddr, telemetryPort, pprofAddr)), 0o600); err != nil {
		return r, err
	}
	r.logPath = base + ".log"
	startCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	col, err := proc.StartCollector(startCtx, proc.Start, s.collector, base+".yaml", r.logPath, "http://"+healthAddr+"/")
	if err != nil {
		return r, err
	}
	defer func() {
		if err := col.Stop(proc.CollectorStopGrace); err != nil {
			fmt.Fprintln(os.Stderr, "loadtest:", err)
		}
	}()
	client := &http.Client{Timeout: 5 * time.Second}

	conn, err := grpc.NewClient(otlpAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return r, err
	}
	defer conn.Close()
	exporter := ptraceotlp.NewGRPCClient(conn)
	load := loadSettings{
		requestsPerSecond: s.spansPerSecond / 2 / float64(s.targets),
		batchSize:         s.batchSize,
		queueSize:         2048,
		scheduleDelay:     5 * time.Second,
		exportTimeout:     30 * time.Second,
	}
	loadCtx, stopLoad := context.WithCancel(ctx)
	var running sync.WaitGroup
	for _, a := range apps {
		running.Go(func() { a.run(loadCtx, exporter, load) })
	}
	defer func() {
		stopLoad()
		running.Wait()
	}()

	if err := pause(ctx, col, s.warmup); err != nil {
		return r, err
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		r.loadAverage = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	pid := strconv.Itoa(col.Pid())
	before, err := take(client, pid, telemetryAddr, apps)
	if err != nil {
		return r, err
	}
	profiled := make(chan error, 1)
	if s.profile {
		go func() { profiled <- cpuProfile(pprofAddr, s.window, base+".pprof") }()
	} else {
		profiled <- nil
	}
	if err := pause(ctx, col, s.window); err != nil {
		return r, err
	}
	after, err := take(client, pid, telemetryAddr, apps)
	if err != nil {
		return r, err
	}
	if r.peakRSSMiB, err = peakRSSMiB(pid); err != nil {
		return r, err
	}
	r.evaluate(before, after, s, v, apps)
	if err := <-profiled; err != nil {
		return r, fmt.Errorf("CPU profile: %w", err)
	}
	return r, nil
}

// pause waits d unless the collector exits or the run is interrupted.
func pause(ctx context.Context, col *proc.Child, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-col.Done():
		return fmt.Errorf("the collector exited during the run (%w); see %s", col.ExitError(), col.Log)
	case <-t.C:
		return nil
	}
}

// evaluate turns the two snapshots into rates and lists what shows that
// the load did not arrive.
func (r *result) evaluate(before, after snapshot, s settings, v variant, apps []*app) {
	wall := after.at.Sub(before.at).Seconds()
	r.cpu = (after.cpu - before.cpu).Seconds() / wall
	r.harnessCPU = (after.harnessCPU - before.harnessCPU).Seconds() / wall
	rate := func(name string, match map[string]string) float64 {
		a, _ := after.telemetry.sum(name, match)
		b, _ := before.telemetry.sum(name, match)
		return (a - b) / wall
	}
	r.spans = rate(acceptedSpans, map[string]string{"receiver": "otlp"})
	r.refused = rate(refusedSpans, map[string]string{"receiver": "otlp"})
	r.traceLinked = rate(linkedMetric, map[string]string{"source": "traces"})
	r.appLinked = (after.telemetry.sumExcept(linkedMetric, "source", "traces") - before.telemetry.sumExcept(linkedMetric, "source", "traces")) / wall
	_, r.hasLinkCheck = after.telemetry.sum(checkedMetric, nil)
	r.resolved = rate(checkedMetric, map[string]string{"result": "resolved"})
	r.dangling = rate(checkedMetric, map[string]string{"result": "dangling"})
	r.scrapes = float64(after.scrapes-before.scrapes) / wall
	r.sent = float64(after.sent-before.sent) / wall
	r.lost = float64(after.failed-before.failed+after.dropped-before.dropped) / wall

	exp := s.expected()
	short := func(what string, got, want float64) {
		if got < s.minDelivered*want {
			r.problems = append(r.problems, fmt.Sprintf("%s: %.0f/s, want at least %.0f%% of %.0f/s", what, got, 100*s.minDelivered, want))
		}
	}
	short("spans accepted by the OTLP receiver", r.spans, exp.spans)
	short("scrapes served", r.scrapes, exp.scrapes)
	short("exemplars linked by the app's IDs", r.appLinked, exp.appLinked)
	if r.refused > 0 {
		r.problems = append(r.problems, fmt.Sprintf("the OTLP receiver refused %.0f spans/s", r.refused))
	}
	switch v {
	case bothPipelines:
		short("trace-only exemplars linked from the traces side", r.traceLinked, exp.traceLinked)
	case metricsOnly:
		if r.traceLinked > 0 {
			r.problems = append(r.problems, fmt.Sprintf("%.0f exemplars/s linked from traces with exemplar_link in the metrics pipeline only", r.traceLinked))
		}
	}
	for _, a := range apps {
		if err, ok := a.exportErr.Load().(error); ok {
			r.problems = append(r.problems, fmt.Sprintf("app %d: span export failed: %v", a.index, err))
			break
		}
	}
}
