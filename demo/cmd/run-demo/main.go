// Command run-demo runs the demo app, the collector and (in the console
// view) the Cloud Monitoring and Cloud Trace stand-in side by side on
// 127.0.0.1, then says what came of the exemplars.
//
//	run-demo -root DIR demo    # `make demo`: run DEMO_DURATION seconds or until Ctrl-C, then report
//	run-demo -root DIR smoke   # `make collector-smoke`: fail unless exemplars were linked
//
// `make demo` (DEMO_VIEW=console, the default) runs the production pipeline
// of examples/googlecloud.yaml against the stand-in (bin/gcp-standin),
// prints its console URL and at the end:
//   - the stand-in's /api/summary: how many exemplars Cloud Monitoring
//     received, how many are linked and how many links resolve to a span
//     Cloud Trace received, and the resolving links by the app's style
//     (the demo.exemplar_style attribute of the span they open), the
//     trace-only styles (names ending in "-only") counted apart;
//   - exemplar_link's own counters, read from the collector's Prometheus
//     endpoint (the stand-in knows nothing of the collector): the links
//     the app named (exemplars_linked by every source but traces) and the
//     span IDs filled in from traces (source traces);
//   - the links it checked against the spans (links_checked, distinct
//     exemplars; counted only when exemplar_link is in the traces pipeline
//     too), its dangling count beside the stand-in's. Both are read after
//     the grace period: the app stops, the runner waits until
//     dangling_after (DEMO_DANGLING_AFTER) and 3 s more have passed, reads
//     until two reads a second apart agree (at most 10), then stops the
//     collector. The runner counts the stand-in's dangling links from
//     /api/exemplars as the processor counts them, distinct by trace ID,
//     span ID and exemplar time (the stand-in's own distinct exemplars are
//     per series, and a twin histogram carries a link twice), leaving out
//     links to spans the stand-in dropped itself for its caps (evicted).
//     The collector runs with the prometheus receiver's feature gate
//     receiver.prometheusreceiver.EnableCreatedTimestampZeroIngestion:
//     with the app's OpenMetrics _created samples a series' first point
//     has a start time, and googlemanagedprometheus writes it instead of
//     keeping it to itself as its reset point, so the stand-in receives
//     every exemplar that exemplar_link checked.
//
// DEMO_VIEW=text runs examples/local.yaml (the debug exporter writes each
// exemplar to the collector log) and ends with exemplar_link's own
// counters. DEMO_BACKEND=prometheus runs examples/prometheus.yaml into a
// local Prometheus (PROMETHEUS, on a free port with its remote-write
// receiver and exemplar storage on and a temporary storage directory,
// removed at the end), through the prometheus_remote_write exporter; so
// that Prometheus' answer can be read by style, it runs one app per style
// (all of them for DEMO_STYLE=mixed, each of a comma-separated list,
// sharing DEMO_RATE), each scraped as a
// target labelled style=<style> (the scrape job in
// DEMO_LOG_DIR/scrape-targets.yaml is merged over the example's), and ends
// with /api/v1/query_exemplars by metric, style and label names, and the
// processor's counters. Without a Prometheus binary it says how to
// install one. The smoke test runs the text view and passes once the
// counters show exemplars that the processor linked from their labels and
// the exporter sent metric points without failures.
//
// Settings (environment):
//
//	COLLECTOR        collector binary            [ROOT/_build/otelcol-exemplarlink]
//	DEMO_APP         demo app binary             [ROOT/bin/exemplar-demo]
//	STANDIN          stand-in binary             [ROOT/bin/gcp-standin]
//	PROMETHEUS       Prometheus binary, a path or a name on PATH [prometheus]
//	DEMO_BACKEND     google or prometheus        [google]
//	DEMO_VIEW        console or text (google)    [console; smoke: text]
//	CONFIG           collector config            [examples/googlecloud.yaml; text view: examples/local.yaml;
//	                                              prometheus: examples/prometheus.yaml]
//	DEMO_DURATION    seconds the demo runs       [60]
//	SMOKE_DURATION   seconds the smoke run may take at most [40]
//	DEMO_STYLE       exemplar label style        [mixed; smoke: mixed] (see exemplar-demo -help)
//	DEMO_RATE        demo requests per second    [5]
//	DEMO_LINK_ONLY_EXPORTED  1: exemplar_link's link_only_exported_spans: true [0; smoke: 0]
//	DEMO_DANGLING_AFTER      exemplar_link's dangling_after, set on the collector's
//	                 command line when given     [10s, the processor's default; smoke: not set]
//	PROJECT          project of the Cloud Trace span names [demo-project]
//	EL_LOG_LEVEL     collector log level         [debug]
//	DEMO_LOG_DIR     where the logs go           [ROOT/_build/demo or ROOT/_build/smoke]
//	DEMO_APP_PORT, OTLP_GRPC_PORT, OTLP_HTTP_PORT, HEALTH_PORT, TELEMETRY_PORT,
//	STANDIN_PORT, CONSOLE_PORT
//	                 ports on 127.0.0.1; "auto" (the default) picks free ones
//	                 (the prometheus view's apps and Prometheus always take free ones)
//
// DEMO_LINK_ONLY_EXPORTED and DEMO_DANGLING_AFTER reach the collector as
// --set=processors::exemplar_link::...; the config must name exemplar_link.
//
// Everything it starts runs in a process group of its own and is stopped on
// exit, on Ctrl-C and on failure; every wait is bounded.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/exemplarlink/exemplarlinkprocessor/demo/proc"
)

// Bounds of the waits.
const (
	standinStartTimeout   = 30 * time.Second
	collectorStartTimeout = 60 * time.Second
	appStartTimeout       = 30 * time.Second
	// stopGrace is each process's time to exit after SIGTERM: the
	// collector flushes its pipelines as it stops.
	stopGrace = 15 * time.Second
	// promStartTimeout bounds Prometheus' start on a busy machine.
	promStartTimeout = 60 * time.Second
)

func main() {
	root := flag.String("root", ".", "the repository (examples/, _build/, bin/)")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: run-demo [-root DIR] demo|smoke  (settings: see go doc ./demo/cmd/run-demo)")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	mode := flag.Arg(0)
	abs, err := filepath.Abs(*root)
	if err != nil {
		fmt.Fprintf(os.Stderr, "run-demo: %v\n", err)
		os.Exit(2)
	}
	s, err := load(mode, abs, os.Getenv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", mode, err)
		os.Exit(2)
	}
	// Signals stay caught until the runner exits: a second Ctrl-C must not
	// leave the children running, and every stop is bounded anyway.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err = run(ctx, s, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", mode, err)
		os.Exit(1)
	}
}

// runner holds one run's children, to stop them in reverse order of start.
type runner struct {
	s    settings
	out  io.Writer
	kids []*proc.Child
	// promData is the storage of the Prometheus it started, removed once
	// everything has stopped.
	promData string
}

func (r *runner) say(format string, args ...any) {
	fmt.Fprintf(r.out, r.s.mode+": "+format+"\n", args...)
}

func (r *runner) start(name string, env []string, bin string, args ...string) (*proc.Child, error) {
	c, err := proc.Start(name, filepath.Join(r.s.logDir, name+".log"), env, bin, args...)
	if err != nil {
		return nil, err
	}
	r.kids = append(r.kids, c)
	r.say("%-10s log %s", name, c.Log)
	return c, nil
}

// stop stops c (bounded); the error says so when it had to be killed.
func (r *runner) stop(c *proc.Child) {
	for i, k := range r.kids {
		if k == c {
			r.kids = append(r.kids[:i], r.kids[i+1:]...)
			break
		}
	}
	if err := c.Stop(stopGrace); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", r.s.mode, err)
	}
}

// stopAll stops what still runs, the last started first: the app, so its
// last spans reach the collector; the collector, which flushes to the
// stand-in; the stand-in.
func (r *runner) stopAll() {
	for len(r.kids) > 0 {
		r.stop(r.kids[len(r.kids)-1])
	}
	if r.promData != "" {
		_ = os.RemoveAll(r.promData)
		r.promData = ""
	}
}

// failed is an error with the end of a child's log.
func failed(c *proc.Child, err error) error {
	return fmt.Errorf("%w\nlast lines of %s:\n%s", err, c.Log, c.Tail(30))
}

// waitUp waits for a child's health URL, bounded by timeout and ctx.
func waitUp(ctx context.Context, c *proc.Child, url string, timeout time.Duration) error {
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := proc.WaitHTTP(wctx, url, c); err != nil {
		if ctx.Err() != nil {
			return errInterrupted
		}
		return failed(c, fmt.Errorf("%s did not start: %w", c.Name, err))
	}
	return nil
}

var errInterrupted = errors.New("interrupted")

// exitStatus is c's exit error for messages; a child that should still
// run and exited with status 0 says so too.
func exitStatus(c *proc.Child) error {
	if err := c.Err(); err != nil {
		return err
	}
	return errors.New("exit status 0")
}

// childEnv is this process's environment with the collector's addresses
// and the exporters pointed at the stand-in (console view) or at
// Prometheus' promAddr (prometheus view).
func childEnv(s settings, promAddr string) []string {
	var env []string
	for _, kv := range os.Environ() {
		// The stand-in needs no credentials; a key file would make the
		// exporters try to use it.
		if s.view == "console" && strings.HasPrefix(kv, "GOOGLE_APPLICATION_CREDENTIALS=") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"EL_APP_ADDR="+s.addr(portApp),
		"EL_OTLP_GRPC_ADDR="+s.addr(portOTLPGRPC),
		"EL_OTLP_HTTP_ADDR="+s.addr(portOTLPHTTP),
		"EL_HEALTH_ADDR="+s.addr(portHealth),
		fmt.Sprintf("EL_TELEMETRY_PORT=%d", s.ports[portTelemetry]),
		"EL_LOG_LEVEL="+s.logLevel,
	)
	if s.view == "prometheus" && promAddr != "" {
		env = append(env, "EL_PROMETHEUS_ADDR="+promAddr)
	}
	if s.view == "console" {
		env = append(env,
			"GOOGLE_CLOUD_PROJECT="+s.project,
			"GCP_MONITORING_ENDPOINT="+s.addr(portStandin),
			"GCP_TRACE_ENDPOINT="+s.addr(portStandin),
			"GCP_USE_INSECURE=true",
		)
	}
	return env
}

func run(ctx context.Context, s settings, out io.Writer) error {
	need := []string{s.collector, s.app}
	if s.view == "console" {
		need = append(need, s.standin)
	}
	for _, f := range need {
		if st, err := os.Stat(f); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			return fmt.Errorf("%s is missing; run 'make collector demo-app gcp-standin' first", f)
		}
	}
	var promBin string
	if s.view == "prometheus" {
		var err error
		if promBin, err = proc.FindPrometheus(s.prometheus); err != nil {
			return fmt.Errorf("DEMO_BACKEND=prometheus needs Prometheus: %w", err)
		}
	}
	if err := os.MkdirAll(s.logDir, 0o755); err != nil {
		return err
	}
	if err := s.pickPorts(); err != nil {
		return err
	}
	r := &runner{s: s, out: out}
	defer r.stopAll()

	var standin *proc.Child
	if s.view == "console" {
		var err error
		standin, err = r.start("standin", childEnv(s, ""), s.standin,
			"-addr", s.addr(portStandin), "-console", s.addr(portConsole), "-interval", "0")
		if err != nil {
			return err
		}
		if err := waitUp(ctx, standin, "http://"+s.addr(portConsole)+"/api/summary", standinStartTimeout); err != nil {
			return err
		}
		r.say("Cloud Monitoring and Cloud Trace stand-in on %s (project %s, no credentials)", s.addr(portStandin), s.project)
	}

	// The apps to run: one, or in the prometheus view one per style.
	apps := []appTarget{{style: s.style, addr: s.addr(portApp)}}
	var prom *proc.Prometheus
	var extraConfig []string
	if s.view == "prometheus" {
		pctx, cancel := context.WithTimeout(ctx, promStartTimeout)
		p, err := proc.StartPrometheus(pctx, proc.Start, promBin, s.logDir)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return errInterrupted
			}
			return err
		}
		prom, r.promData = p, p.Data
		r.kids = append(r.kids, p.Child)
		r.say("%-10s log %s", "prometheus", p.Log)
		r.say("Prometheus on http://%s (remote write, exemplar storage; storage %s, removed at the end)", p.Addr, p.Data)
		if apps, err = promApps(ctx, s); err != nil {
			return err
		}
		path := scrapeTargetsFile(s.logDir)
		if err := writeScrapeTargets(path, apps); err != nil {
			return err
		}
		extraConfig = append(extraConfig, "file:"+path)
	}
	promAddr := ""
	if prom != nil {
		promAddr = prom.Addr
	}
	env := childEnv(s, promAddr)

	col, err := r.start("collector", env, s.collector, s.collectorArgs(extraConfig...)...)
	if err != nil {
		return err
	}
	if err := waitUp(ctx, col, "http://"+s.addr(portHealth)+"/", collectorStartTimeout); err != nil {
		return err
	}
	r.say("collector up (%s; OTLP/HTTP %s, health %s, own metrics http://%s/metrics)",
		filepath.Base(s.config), s.addr(portOTLPHTTP), s.addr(portHealth), s.addr(portTelemetry))
	if s.linkOnlyExported {
		r.say("exemplar_link with link_only_exported_spans: true (DEMO_LINK_ONLY_EXPORTED)")
	}

	// Each app outlives the run by a margin: the runner stops it. Several
	// apps share the rate.
	rate, _ := strconv.ParseFloat(s.rate, 64) // checked by load
	appRate := strconv.FormatFloat(rate/float64(len(apps)), 'g', 4, 64)
	var running []*proc.Child
	for i, a := range apps {
		name := "app"
		if len(apps) > 1 {
			name = fmt.Sprintf("app-%d", i+1)
		}
		app, err := r.start(name, env, s.app, "-listen", a.addr, "-otlp-endpoint", s.addr(portOTLPHTTP),
			"-style", a.style, "-rate", appRate, "-duration", (s.duration + 30*time.Second).String())
		if err != nil {
			return err
		}
		if err := waitUp(ctx, app, "http://"+a.addr+"/healthz", appStartTimeout); err != nil {
			return err
		}
		running = append(running, app)
	}
	if len(apps) == 1 {
		r.say("demo app up on http://%s (style %s, %s req/s)", apps[0].addr, apps[0].style, s.rate)
	} else {
		r.say("%d demo apps up, one per style, %s req/s each (%s req/s in all)", len(apps), appRate, s.rate)
	}
	if s.view == "console" {
		fmt.Fprintf(out, "\n    Console: http://%s/   (the first points arrive after ~20 s)\n\n", s.addr(portConsole))
	}

	if s.mode == "smoke" {
		return r.smoke(ctx, col, running[0])
	}

	r.say("running for %s (Ctrl-C stops it early)", s.duration)
	started := time.Now()
	timer := time.NewTimer(s.duration)
	defer timer.Stop()
	var standinDone <-chan struct{}
	if standin != nil {
		standinDone = standin.Done()
	}
	appDone := anyDone(running)
	var promDone <-chan struct{}
	if prom != nil {
		promDone = prom.Done()
	}
	select {
	case <-timer.C:
	case <-ctx.Done():
		r.say("interrupted after %s; stopping", time.Since(started).Round(time.Second))
	case <-col.Done():
		return failed(col, fmt.Errorf("the collector exited early: %w", exitStatus(col)))
	case app := <-appDone:
		return failed(app, fmt.Errorf("the demo app exited early: %w", exitStatus(app)))
	case <-standinDone:
		return failed(standin, fmt.Errorf("the stand-in exited early: %w", exitStatus(standin)))
	case <-promDone:
		return failed(prom.Child, fmt.Errorf("prometheus exited early: %w", exitStatus(prom.Child)))
	}

	// A fresh context: the run's may be cancelled by Ctrl-C, and the
	// report is still wanted.
	rctx := context.Background()
	for _, app := range running {
		r.stop(app)
	}
	appsStopped := time.Now()
	switch s.view {
	case "text":
		c, err := fetchCounters(rctx, s.addr(portTelemetry))
		r.stop(col)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "\n== exemplar_link's own counters (the collector's telemetry), after %s:\n%s", time.Since(started).Round(time.Second), formatCounters(c))
		fmt.Fprintf(out, "\nThe debug exporter's text, each exemplar with its Trace ID and Span ID, and the processor's\n\"Exemplar linked\" lines (EL_LOG_LEVEL=debug): %s\n", col.Log)
		return nil
	case "prometheus":
		c, err := fetchCounters(rctx, s.addr(portTelemetry))
		// The collector flushes to Prometheus as it stops.
		r.stop(col)
		if err != nil {
			return err
		}
		got, err := queryPromExemplars(rctx, prom.Addr)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "\n%s\n== exemplar_link's own counters (the collector's telemetry), after %s:\n%s",
			formatPromExemplars(prom.Addr, promStyles(apps), got), time.Since(started).Round(time.Second), formatCounters(c))
		fmt.Fprintf(out, "\nLogs: %s (Prometheus and its storage are gone with the run)\n", s.logDir)
		return nil
	}
	c, err := r.countersAfterGrace(rctx, col, appsStopped)
	// The collector flushes to the stand-in as it stops; the summary is
	// read after that and before the stand-in stops.
	r.stop(col)
	if err != nil {
		return err
	}
	sum, err := fetchSummary(rctx, s.addr(portConsole))
	if err != nil {
		return err
	}
	links, err := fetchStandinLinks(rctx, s.addr(portConsole))
	r.stop(standin)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\n%s%s\n%s", formatSummary(s.project, sum), formatStyles(links), formatLinkCounters(c, time.Since(appsStopped), s.danglingAfter))
	if d := formatDangling(c, links, sum); d != "" {
		fmt.Fprintf(out, "\n%s", d)
	}
	fmt.Fprintf(out, "\nLogs: %s (the console closed with the stand-in; run again to see it)\n", s.logDir)
	return nil
}

// graceMargin is how long past dangling_after the runner waits before it
// reads the links checked, and settleReads how many more reads a second
// apart it makes at most until two agree.
const (
	graceMargin = 3 * time.Second
	settleReads = 10
)

// countersAfterGrace reads the collector's counters once the links of the
// last scrape before stopped are past dangling_after, and have settled: a
// link counts as dangling only that long after its batch. Without links
// checked (exemplar_link not in the traces pipeline) there is nothing to
// wait for.
func (r *runner) countersAfterGrace(ctx context.Context, col *proc.Child, stopped time.Time) (counters, error) {
	addr := r.s.addr(portTelemetry)
	c, err := fetchCounters(ctx, addr)
	if err != nil || !c.checked() {
		return c, err
	}
	if wait := time.Until(stopped.Add(r.s.danglingAfter + graceMargin)); wait > 0 {
		r.say("waiting %s past dangling_after (%s): the last links' spans may still arrive", wait.Round(time.Second), r.s.danglingAfter)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-col.Done():
			t.Stop()
			return nil, failed(col, fmt.Errorf("the collector exited early: %w", exitStatus(col)))
		}
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	last := counters(nil)
	for range settleReads {
		if c, err = fetchCounters(ctx, addr); err != nil {
			return nil, err
		}
		if last != nil && maps.Equal(last[metricChecked], c[metricChecked]) {
			break
		}
		last = c
		select {
		case <-tick.C:
		case <-col.Done():
			return nil, failed(col, fmt.Errorf("the collector exited early: %w", exitStatus(col)))
		}
	}
	return c, nil
}

// anyDone sends the first of children to exit.
func anyDone(children []*proc.Child) <-chan *proc.Child {
	ch := make(chan *proc.Child, len(children))
	for _, c := range children {
		go func() {
			<-c.Done()
			ch <- c
		}()
	}
	return ch
}

// promApps are the prometheus view's apps: one per style (of all for
// "mixed", of each in a comma-separated list) on a free port.
func promApps(ctx context.Context, s settings) ([]appTarget, error) {
	styles := strings.Split(s.style, ",")
	if s.style == "mixed" {
		var err error
		if styles, err = appStyles(ctx, s.app); err != nil {
			return nil, err
		}
	}
	// Free now, and none of the ports picked for the collector, which
	// has not bound them yet.
	free, err := proc.FreePorts(len(styles) + numPorts)
	if err != nil {
		return nil, err
	}
	apps := make([]appTarget, 0, len(styles))
	for _, p := range free {
		if len(apps) < len(styles) && !slices.Contains(s.ports[:], p) {
			apps = append(apps, appTarget{style: styles[len(apps)], addr: proc.Addr(p)})
		}
	}
	return apps, nil
}

func promStyles(apps []appTarget) []string {
	out := make([]string, len(apps))
	for i, a := range apps {
		out[i] = a.style
	}
	return out
}

// smoke waits (up to the duration) until the collector's own counters show
// exemplars that exemplar_link linked from their labels and metric points
// the exporter sent, none failed.
func (r *runner) smoke(ctx context.Context, col, app *proc.Child) error {
	r.say("waiting up to %s for linked exemplars", r.s.duration)
	started := time.Now()
	deadline := time.NewTimer(r.s.duration)
	defer deadline.Stop()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var last counters
	var lastErr error
	for {
		select {
		case <-ctx.Done():
			return errInterrupted
		case <-col.Done():
			return failed(col, fmt.Errorf("the collector exited early: %w", exitStatus(col)))
		case <-app.Done():
			return failed(app, fmt.Errorf("the demo app exited early: %w", exitStatus(app)))
		case <-deadline.C:
			if lastErr != nil {
				return failed(col, fmt.Errorf("FAIL after %s: %w", r.s.duration, lastErr))
			}
			return failed(col, fmt.Errorf("FAIL after %s: want exemplars linked from labels and metric points sent, none failed; the collector's counters:\n%s",
				r.s.duration, formatCounters(last)))
		case <-tick.C:
		}
		c, err := fetchCounters(ctx, r.s.addr(portTelemetry))
		if err != nil {
			lastErr = err
			continue
		}
		last, lastErr = c, nil
		if smokePassed(c) {
			r.say("PASS after %s: the collector's counters:\n%s", time.Since(started).Round(time.Second), formatCounters(c))
			return nil
		}
	}
}

// smokePassed: the processor linked exemplars from their labels (not only
// ones whose IDs the receiver had put in the fields), and the exporter sent
// metric points without a failure.
func smokePassed(c counters) bool {
	return c.labelLinked() > 0 && c.total(metricSent) > 0 && c.total(metricSendFailed) == 0
}
