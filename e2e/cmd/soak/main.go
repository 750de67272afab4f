// Command soak runs the built collector (prometheus receiver → exemplar_link
// → batch → googlemanagedprometheus) against a load target that serves
// exemplars in mixed label styles, a third of them malformed, and exports to
// an in-process fake of Cloud Monitoring. Every 10 s it samples the
// collector's memory and goroutines; at the end it checks that every
// exemplar the target served is accounted for: linked or unlinked by the
// processor, and linked in what reached Cloud Monitoring. It uses 127.0.0.1
// only and stops by itself after -duration.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/exemplarlink/exemplarlinkprocessor/demo/proc"
	"github.com/exemplarlink/exemplarlinkprocessor/gcpstandin"
)

func main() {
	var (
		collector  = flag.String("collector", "_build/otelcol-exemplarlink", "path to the built collector")
		duration   = flag.Duration("duration", 10*time.Minute, "how long to run the load")
		series     = flag.Int("series", 2200, "histogram series served per scrape (10 exemplars each)")
		minRate    = flag.Float64("min-rate", 20000, "fail if fewer exemplars per second were served, from the first scrape to the last (0: no check)")
		interval   = flag.Duration("scrape-interval", time.Second, "prometheus receiver scrape interval")
		sample     = flag.Duration("sample-every", 10*time.Second, "how often to sample memory and goroutines")
		maxGrowth  = flag.Float64("max-rss-growth", 0.25, "fail if RSS in the last third exceeds the second third by more than this fraction")
		reportPath = flag.String("report", "", "also write the report (markdown) to this file")
		workDir    = flag.String("workdir", "", "where to keep the config and collector log (default: a temp dir)")
	)
	flag.Parse()
	if err := run(*collector, *duration, *series, *interval, *sample, *maxGrowth, *minRate, *reportPath, *workDir); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

// styles are the exemplar label sets the target serves, in rotation; the
// last third are malformed. %[1]s is a 32-hex trace ID, %[2]s a 16-hex span
// ID, %[3]s the trace ID's low 64 bits.
var styles = []struct {
	name      string
	labels    string
	malformed bool
}{
	{"prom-client camelCase", `traceID="%[1]s",spanID="%[2]s"`, false},
	{"OpenMetrics snake_case", `trace_id="%[1]s",span_id="%[2]s"`, false},
	{"upper-case hex", `TraceId="%[4]s",SpanId="%[5]s"`, false},
	{"traceparent", `traceparent="00-%[1]s-%[2]s-01"`, false},
	{"64-bit trace ID", `trace_id="%[3]s",span_id="%[2]s"`, false},
	{"b3", `b3="%[1]s-%[2]s-1"`, false},
	{"31-digit trace ID", `traceID="%[6]s",spanID="%[2]s"`, true},
	{"traceparent version ff", `traceparent="ff-%[1]s-%[2]s-01"`, true},
	{"0x span ID", `traceID="%[1]s",spanID="0x"`, true},
}

// target serves OpenMetrics with fresh exemplar IDs on every scrape and
// counts what it served completely.
type target struct {
	series    int
	scrapes   atomic.Int64
	valid     atomic.Int64
	malformed atomic.Int64
	stopped   atomic.Bool

	// The first scrape's counts: the exporter keeps each cumulative series'
	// first point as its reset baseline (cumulative_normalization, on by
	// default) and sends nothing for it.
	firstOnce               sync.Once
	firstValid, firstServed int64
	// When the first and the latest complete scrape were served.
	firstAt time.Time
	lastAt  atomic.Int64 // UnixNano
}

// sustainedRate is the exemplars served per second after the first scrape,
// over the time from the first complete scrape to the last: it leaves out
// the collector's start-up and the drain at the end.
func (t *target) sustainedRate() float64 {
	served := t.valid.Load() + t.malformed.Load() - t.firstServed
	window := time.Unix(0, t.lastAt.Load()).Sub(t.firstAt)
	if window <= 0 {
		return 0
	}
	return float64(served) / window.Seconds()
}

var bounds = []string{"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5"}

func (t *target) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	if t.stopped.Load() {
		http.Error(w, "stopped", http.StatusServiceUnavailable)
		return
	}
	n := t.scrapes.Load() + 1
	var body strings.Builder
	body.Grow(t.series * len(bounds) * 140)
	body.WriteString("# TYPE soak_request_duration_seconds histogram\n# HELP soak_request_duration_seconds Request duration.\n")
	var valid, malformed int64
	ids := make([]byte, 24)
	for s := range t.series {
		for b, le := range bounds {
			_, _ = rand.Read(ids)
			ids[0] |= 1 // never an all-zero ID
			trace, span := hex.EncodeToString(ids[:16]), hex.EncodeToString(ids[16:])
			style := styles[(s*len(bounds)+b)%len(styles)]
			if style.malformed {
				malformed++
			} else {
				valid++
			}
			labels := fmt.Sprintf(style.labels, trace, span, trace[16:], strings.ToUpper(trace), strings.ToUpper(span), trace[1:])
			fmt.Fprintf(&body, "soak_request_duration_seconds_bucket{series=\"%d\",le=\"%s\"} %d # {%s} %s\n",
				s, le, int64(b+1)*n, labels, le)
		}
		fmt.Fprintf(&body, "soak_request_duration_seconds_bucket{series=\"%d\",le=\"+Inf\"} %d\n", s, int64(len(bounds)+1)*n)
		fmt.Fprintf(&body, "soak_request_duration_seconds_count{series=\"%d\"} %d\n", s, int64(len(bounds)+1)*n)
		fmt.Fprintf(&body, "soak_request_duration_seconds_sum{series=\"%d\"} %d\n", s, n)
	}
	body.WriteString("# EOF\n")
	w.Header().Set("Content-Type", "application/openmetrics-text; version=1.0.0; charset=utf-8")
	if _, err := io.WriteString(w, body.String()); err != nil {
		return // not served completely: not counted
	}
	now := time.Now()
	t.firstOnce.Do(func() { t.firstValid, t.firstServed, t.firstAt = valid, valid+malformed, now })
	t.lastAt.Store(now.UnixNano())
	t.scrapes.Add(1)
	t.valid.Add(valid)
	t.malformed.Add(malformed)
}

const configTemplate = `receivers:
  prometheus:
    config:
      scrape_configs:
        - job_name: soak
          scrape_interval: %[1]s
          scrape_timeout: %[1]s
          scrape_protocols: [OpenMetricsText1.0.0]
          static_configs:
            - targets: ["%[2]s"]
processors:
  exemplar_link:
    summary_interval: 10s
  batch:
    timeout: 200ms
exporters:
  googlemanagedprometheus:
    project: soak-project
    metric:
      endpoint: %[3]s
      use_insecure: true
    sending_queue:
      enabled: false
extensions:
  health_check:
    endpoint: %[6]s
  pprof:
    endpoint: %[4]s
service:
  extensions: [health_check, pprof]
  telemetry:
    logs:
      level: info
    metrics:
      level: normal
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: %[5]d
  pipelines:
    metrics:
      receivers: [prometheus]
      processors: [exemplar_link, batch]
      exporters: [googlemanagedprometheus]
`

type sampleRow struct {
	at         time.Duration
	rssMiB     float64
	goroutines int
	served     int64
	linked     int64
	unlinked   int64
	gcmLinked  int
}

func run(collectorPath string, duration time.Duration, series int, interval, sampleEvery time.Duration, maxGrowth, minRate float64, reportPath, workDir string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if workDir == "" {
		dir, err := os.MkdirTemp("", "exemplarlink-soak-")
		if err != nil {
			return err
		}
		workDir = dir
	}
	gcm, err := gcpstandin.Start(gcpstandin.CountOnly())
	if err != nil {
		return err
	}
	defer gcm.Stop()

	tgt := &target{series: series}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: tgt, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(lis) }()
	defer srv.Close()

	ports, err := proc.FreePorts(3)
	if err != nil {
		return err
	}
	pprofAddr, telemetryAddr, healthAddr := proc.Addr(ports[0]), proc.Addr(ports[1]), proc.Addr(ports[2])
	cfgPath := filepath.Join(workDir, "soak.yaml")
	cfg := fmt.Sprintf(configTemplate, interval, lis.Addr(), gcm.Addr(), pprofAddr, ports[1], healthAddr)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return err
	}
	logPath := filepath.Join(workDir, "collector.log")
	startCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	col, err := proc.StartCollector(startCtx, proc.Start, collectorPath, cfgPath, logPath, "http://"+healthAddr+"/")
	if err != nil {
		return err
	}
	defer func() {
		if err := col.Stop(proc.CollectorStopGrace); err != nil {
			fmt.Fprintln(os.Stderr, "soak:", err)
		}
	}()

	fmt.Printf("soak: collector pid %d, target %s, fake Cloud Monitoring %s, %d exemplars per scrape every %s, for %s\n",
		col.Pid(), lis.Addr(), gcm.Addr(), series*len(bounds), interval, duration)
	fmt.Printf("soak: config %s, collector log %s\n", cfgPath, logPath)

	client := &http.Client{Timeout: 5 * time.Second}
	var rows []sampleRow
	start := time.Now()
	takeSample := func() (sampleRow, error) {
		row := sampleRow{at: time.Since(start).Round(time.Second)}
		var err error
		if row.rssMiB, err = rssMiB(col.Pid()); err != nil {
			return row, err
		}
		if row.goroutines, err = goroutines(client, pprofAddr); err != nil {
			return row, err
		}
		if row.linked, row.unlinked, err = exemplarCounters(client, telemetryAddr); err != nil {
			return row, err
		}
		row.served = tgt.valid.Load() + tgt.malformed.Load()
		row.gcmLinked = gcm.Stats().SpanContextExemplars
		return row, nil
	}

	fmt.Println("| elapsed | RSS MiB | goroutines | served | linked | unlinked | linked in Cloud Monitoring |")
	fmt.Println("| --- | --- | --- | --- | --- | --- | --- |")
	ticker := time.NewTicker(sampleEvery)
	defer ticker.Stop()
	deadline := time.After(duration)
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-col.Done():
			return fmt.Errorf("collector exited early (%w); see %s", col.ExitError(), logPath)
		case <-deadline:
			break loop
		case <-ticker.C:
			row, err := takeSample()
			if err != nil {
				fmt.Fprintf(os.Stderr, "soak: sample: %v\n", err)
				continue
			}
			rows = append(rows, row)
			fmt.Printf("| %s | %.1f | %d | %d | %d | %d | %d |\n", row.at, row.rssMiB, row.goroutines, row.served, row.linked, row.unlinked, row.gcmLinked)
		}
	}

	// Stop serving, then wait until the pipeline has drained: the counters
	// stop moving.
	tgt.stopped.Store(true)
	var final sampleRow
	stableSince := time.Now()
	for drainDeadline := time.Now().Add(60 * time.Second); time.Now().Before(drainDeadline); {
		time.Sleep(time.Second)
		row, err := takeSample()
		if err != nil {
			continue
		}
		if row.linked != final.linked || row.unlinked != final.unlinked || row.gcmLinked != final.gcmLinked {
			final, stableSince = row, time.Now()
			continue
		}
		if time.Since(stableSince) >= 3*interval+2*time.Second {
			break
		}
	}

	served, valid, malformed := tgt.valid.Load()+tgt.malformed.Load(), tgt.valid.Load(), tgt.malformed.Load()
	stats := gcm.Stats()
	elapsed := time.Since(start)
	var problems []string
	if final.linked != valid {
		problems = append(problems, fmt.Sprintf("processor linked %d, target served %d valid", final.linked, valid))
	}
	if final.unlinked != malformed {
		problems = append(problems, fmt.Sprintf("processor left %d unlinked, target served %d malformed", final.unlinked, malformed))
	}
	// What the exporter sends: everything but the first scrape, which
	// cumulative normalization keeps as each series' baseline.
	wantExported, wantExportedLinked := served-tgt.firstServed, valid-tgt.firstValid
	if int64(stats.SpanContextExemplars) != wantExportedLinked {
		problems = append(problems, fmt.Sprintf("Cloud Monitoring got %d linked exemplars, want %d (valid served after the first scrape)", stats.SpanContextExemplars, wantExportedLinked))
	}
	if int64(stats.Exemplars) != wantExported {
		problems = append(problems, fmt.Sprintf("Cloud Monitoring got %d exemplars, want %d (served after the first scrape)", stats.Exemplars, wantExported))
	}
	growth, memNote := rssGrowth(rows)
	rate := tgt.sustainedRate()
	if minRate > 0 && rate < minRate {
		problems = append(problems, fmt.Sprintf("the target served %.0f exemplars per second, fewer than %.0f", rate, minRate))
	}
	if growth > maxGrowth {
		problems = append(problems, fmt.Sprintf("RSS grew %.0f%% from the second to the last third of the run", 100*growth))
	}
	summary := summaryLine(logPath)

	var report strings.Builder
	fmt.Fprintf(&report, "Soak: %s, %d scrapes, %d exemplars served (%d valid, %d malformed), %.0f per second from the first scrape to the last.\n\n",
		elapsed.Round(time.Second), tgt.scrapes.Load(), served, valid, malformed, rate)
	fmt.Fprintln(&report, "| elapsed | RSS MiB | goroutines | served | linked | unlinked | linked in Cloud Monitoring |")
	fmt.Fprintln(&report, "| --- | --- | --- | --- | --- | --- | --- |")
	for _, r := range rows {
		fmt.Fprintf(&report, "| %s | %.1f | %d | %d | %d | %d | %d |\n", r.at, r.rssMiB, r.goroutines, r.served, r.linked, r.unlinked, r.gcmLinked)
	}
	fmt.Fprintf(&report, "\nAfter draining: processor linked %d (served valid: %d) and left %d unlinked (served malformed: %d).\n",
		final.linked, valid, final.unlinked, malformed)
	fmt.Fprintf(&report, "Cloud Monitoring received %d exemplars in %d requests, %d with a trace link; the exporter keeps the first scrape (%d exemplars, %d valid) as each cumulative series' baseline, so %d and %d were expected.\n",
		stats.Exemplars, stats.Requests, stats.SpanContextExemplars, tgt.firstServed, tgt.firstValid, wantExported, wantExportedLinked)
	fmt.Fprintf(&report, "Memory: %s\n", memNote)
	if summary != "" {
		fmt.Fprintf(&report, "Last summary line: `%s`\n", summary)
	}
	if len(problems) == 0 {
		fmt.Fprintln(&report, "\nResult: every served exemplar accounted for; memory flat.")
	} else {
		fmt.Fprintf(&report, "\nResult: FAILED\n- %s\n", strings.Join(problems, "\n- "))
	}
	fmt.Print("\n" + report.String())
	if reportPath != "" {
		if err := os.WriteFile(reportPath, []byte(report.String()), 0o600); err != nil {
			return err
		}
	}
	if len(problems) > 0 {
		return errors.New("soak checks failed")
	}
	return nil
}

func rssMiB(pid int) (float64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			return kb / 1024, err
		}
	}
	return 0, errors.New("no VmRSS")
}

func goroutines(client *http.Client, pprofAddr string) (int, error) {
	resp, err := client.Get("http://" + pprofAddr + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil {
		return 0, err
	}
	var n int
	if _, err := fmt.Sscanf(line, "goroutine profile: total %d", &n); err != nil {
		return 0, fmt.Errorf("pprof: %q: %w", line, err)
	}
	return n, nil
}

// exemplarCounters reads the processor's counters from the collector's own
// Prometheus endpoint, summed over their attributes.
func exemplarCounters(client *http.Client, addr string) (linked, unlinked int64, err error) {
	resp, err := client.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		var target *int64
		switch {
		case strings.HasPrefix(line, "otelcol_processor_exemplar_link_exemplars_linked"):
			target = &linked
		case strings.HasPrefix(line, "otelcol_processor_exemplar_link_exemplars_unlinked"):
			target = &unlinked
		default:
			continue
		}
		fields := strings.Fields(line)
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err != nil {
			return 0, 0, fmt.Errorf("parsing %q: %w", line, err)
		}
		*target += int64(v)
	}
	return linked, unlinked, sc.Err()
}

// rssGrowth compares the mean RSS of the last third of the samples with the
// second third; the first third is warm-up.
func rssGrowth(rows []sampleRow) (float64, string) {
	if len(rows) < 6 {
		return 0, fmt.Sprintf("too few samples (%d) to judge growth", len(rows))
	}
	third := len(rows) / 3
	mean := func(rs []sampleRow) float64 {
		var sum float64
		for _, r := range rs {
			sum += r.rssMiB
		}
		return sum / float64(len(rs))
	}
	second, last := mean(rows[third:2*third]), mean(rows[2*third:])
	g := (last - second) / second
	return g, fmt.Sprintf("mean RSS %.1f MiB in the second third, %.1f MiB in the last third (%+.1f%%); goroutines %d at first sample, %d at last",
		second, last, 100*g, rows[0].goroutines, rows[len(rows)-1].goroutines)
}

// summaryLine returns the processor's last summary line from the log.
func summaryLine(logPath string) string {
	data, err := os.ReadFile(logPath)
	if err != nil {
		return ""
	}
	var last string
	for line := range strings.SplitSeq(string(data), "\n") {
		if strings.Contains(line, "Exemplar linkage summary") {
			last = strings.TrimSpace(line)
		}
	}
	if len(last) > 400 {
		last = last[:400] + "…"
	}
	return last
}
