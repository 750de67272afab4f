// Command exemplar-check tells, before you deploy, which of an app's
// Prometheus/OpenMetrics exemplars will link to their traces in Google
// Cloud Monitoring, and why the others will not.
//
//	exemplar-check [flags] URL
//	exemplar-check [flags] --file saved-metrics.txt
//
// It scrapes URL as the collector would, with the real prometheus receiver
// (scrape protocols OpenMetricsText1.0.0, OpenMetricsText0.0.1,
// PrometheusText0.0.4), at least twice, so that cumulative series pass the
// exporter's baseline. Each scrape goes through the exemplar_link processor
// (default settings, or the processors::exemplar_link section of --config)
// into the real googlemanagedprometheus exporter, and, side by side,
// straight into a second exporter (the stock pipeline). Both write to an
// in-process stand-in for Cloud Monitoring (gcpstandin); the report says
// what it received, per metric and exemplar label style, and names the
// pitfalls it detects with their fixes.
//
// With --otlp/--otlp-http it also receives the app's spans, runs
// exemplar_link in a traces pipeline too (into the googlecloud exporter and
// a Cloud Trace stand-in), and says whether each link resolves to a span
// the app exported. --destination prometheus_remote_write or prometheus
// judges what Prometheus stores instead (destination.go).
//
// Exit status: 0 when at least one exemplar references a trace and every
// one that does links; 1 otherwise; 2 on a usage or scrape error (one line
// on stderr).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/url"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.opentelemetry.io/collector/component"
	"golang.org/x/term"

	"github.com/exemplarlink/exemplarlinkprocessor"
)

const (
	exitOK    = 0
	exitFail  = 1
	exitError = 2
)

// options are the command line.
type options struct {
	target       string
	file         string
	configPath   string
	processorID  string
	format       string
	timeout      time.Duration
	interval     time.Duration
	scrapes      int
	maxBody      int64
	maxSamples   int64
	maxExemplars int
	project      string
	// otlpGRPC and otlpHTTP are where the check receives the app's spans
	// (OTLP over gRPC and over HTTP); "" for neither: no traces side.
	otlpGRPC, otlpHTTP string
	// spanWait is how long, after the last scrape went through, a link's
	// span may still arrive before the link counts as dangling.
	spanWait time.Duration
	// destination is where the verdict is about (destination.go).
	destination string
}

// otlp reports whether the check receives the app's spans.
func (o options) otlp() bool { return o.otlpGRPC != "" || o.otlpHTTP != "" }

// defaultMaxSamples is --max-samples' default: memory grows with the
// samples of an exposition, not its bytes. Peak RSS measured on a busy
// 2-core machine (the README states the figures): 150,000 counter series
// 0.66 GB; 200,000 samples of as many distinct metrics, the costliest
// shape tried, 0.79 GB.
const defaultMaxSamples = 200_000

// memoryLimit is the Go runtime's soft memory limit unless GOMEMLIMIT sets
// one: the garbage collector works harder near it instead of letting the
// heap grow to twice what is live.
const memoryLimit = 700 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	// The googlecloud exporter's trace library prints a deprecation notice
	// with the standard logger; stderr is for the check's own error line.
	log.SetOutput(io.Discard)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, isTerminal(os.Stdout))
	stop()
	os.Exit(code)
}

// isTerminal reports whether colour may be used on w.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	return term.IsTerminal(int(f.Fd()))
}

// usageError is a command-line mistake.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// newFlagSet defines the flags into o; the README's flag table states the
// same defaults (a test checks).
func newFlagSet(o *options) *flag.FlagSet {
	fs := flag.NewFlagSet("exemplar-check", flag.ContinueOnError)
	// Errors are one line; only -h prints the usage.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.StringVar(&o.file, "file", "", "check a saved exposition instead of a URL (served on 127.0.0.1 as OpenMetrics if it ends with \"# EOF\", else as Prometheus text)")
	fs.StringVar(&o.configPath, "config", "", "a collector config file; its processors::exemplar_link section configures the processor (default: the processor's defaults)")
	fs.StringVar(&o.processorID, "processor", "exemplar_link", "the processor's ID in --config, e.g. exemplar_link/custom")
	fs.StringVar(&o.format, "format", "table", "output format: table or json")
	fs.DurationVar(&o.timeout, "timeout", 2*time.Second, "scrape timeout")
	fs.DurationVar(&o.interval, "interval", 2*time.Second, "scrape interval (at least --timeout)")
	fs.IntVar(&o.scrapes, "scrapes", 3, "scrapes to make (at least 2: the exporter takes a series' first point as the baseline); the last one is reported")
	fs.Int64Var(&o.maxBody, "max-body", 10<<20, "largest exposition accepted, in bytes")
	fs.Int64Var(&o.maxSamples, "max-samples", defaultMaxSamples, "most sample lines accepted in an exposition (memory grows with them: about 1 GB at the default)")
	fs.IntVar(&o.maxExemplars, "max-exemplars", 100, "exemplars listed one by one; the rest are counted")
	fs.StringVar(&o.project, "project", "exemplar-check", "the Cloud project the exporter writes to (it appears in the span names)")
	fs.StringVar(&o.otlpGRPC, "otlp", "", "receive the app's spans with OTLP/gRPC on this address (e.g. 127.0.0.1:14317) and run exemplar_link in a traces pipeline too")
	fs.StringVar(&o.otlpHTTP, "otlp-http", "", "receive the app's spans with OTLP/HTTP on this address (e.g. 127.0.0.1:14318); like --otlp")
	fs.DurationVar(&o.spanWait, "span-wait", defaultSpanWait, "with --otlp: how long after the last scrape a link's span may still arrive before it counts as dangling")
	fs.StringVar(&o.destination, "destination", destGoogle, "where the metrics go: "+strings.Join(destinations, ", "))
	return fs
}

func parseArgs(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := newFlagSet(&o)
	// Flags may come after the URL too.
	var positional []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprintln(stderr, "usage: exemplar-check [flags] URL\n       exemplar-check [flags] --file EXPOSITION")
				fs.SetOutput(stderr)
				fs.PrintDefaults()
				return o, err
			}
			return o, usageError{err.Error()}
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	switch {
	case len(positional) > 1:
		return o, usageError{"one URL at most, got " + fmt.Sprint(len(positional))}
	case len(positional) == 1 && o.file != "":
		return o, usageError{"give a URL or --file, not both"}
	case len(positional) == 0 && o.file == "":
		return o, usageError{"no URL (or --file) to check"}
	case o.format != "table" && o.format != "json":
		return o, usageError{fmt.Sprintf("--format %q: want table or json", o.format)}
	case o.scrapes < 2 || o.scrapes > 100:
		return o, usageError{fmt.Sprintf("--scrapes %d: want 2 to 100", o.scrapes)}
	case o.timeout <= 0:
		return o, usageError{"--timeout must be positive"}
	case o.interval < o.timeout:
		return o, usageError{fmt.Sprintf("--interval %s is shorter than --timeout %s", o.interval, o.timeout)}
	case o.maxBody <= 0:
		return o, usageError{"--max-body must be positive"}
	case o.maxSamples <= 0:
		return o, usageError{"--max-samples must be positive"}
	case o.maxExemplars < 0:
		return o, usageError{"--max-exemplars must not be negative"}
	case o.project == "":
		return o, usageError{"--project must not be empty"}
	case o.spanWait <= 0 || o.spanWait > maxSpanWait:
		return o, usageError{fmt.Sprintf("--span-wait %s: want more than 0s and at most %s", o.spanWait, maxSpanWait)}
	case o.otlpGRPC != "" && o.otlpGRPC == o.otlpHTTP:
		return o, usageError{"--otlp and --otlp-http need different addresses"}
	case badListenAddr(o.otlpGRPC):
		return o, usageError{fmt.Sprintf("--otlp %q: want HOST:PORT with a fixed port the app can send to, e.g. 127.0.0.1:14317", o.otlpGRPC)}
	case badListenAddr(o.otlpHTTP):
		return o, usageError{fmt.Sprintf("--otlp-http %q: want HOST:PORT with a fixed port the app can send to, e.g. 127.0.0.1:14318", o.otlpHTTP)}
	case !validDestination(o.destination):
		return o, usageError{fmt.Sprintf("--destination %q: want one of %s", o.destination, strings.Join(destinations, ", "))}
	}
	if o.destination == destRemoteWriteOld {
		o.destination = destRemoteWrite
	}
	if len(positional) == 1 {
		o.target = positional[0]
		u, err := url.Parse(o.target)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return o, usageError{fmt.Sprintf("%q is not an http:// or https:// URL", o.target)}
		}
	}
	return o, nil
}

// run is the whole command; it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, color bool) int {
	o, err := parseArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "exemplar-check: "+err.Error())
		return exitError
	}
	rep, err := check(ctx, o)
	if err != nil {
		fmt.Fprintln(stderr, "exemplar-check: "+oneLine(err.Error()))
		return exitError
	}
	if o.format == "json" {
		err = writeJSON(stdout, rep)
	} else {
		err = writeTable(stdout, rep, palette{on: color})
	}
	if err != nil {
		fmt.Fprintln(stderr, "exemplar-check: write the report: "+oneLine(err.Error()))
		return exitError
	}
	return rep.Summary.ExitStatus
}

// check runs the scrapes and builds the report. Its error is a setup or
// scrape error (exit status 2).
func check(ctx context.Context, o options) (Report, error) {
	procCfg, contextLabels, err := processorConfig(ctx, o.configPath, o.processorID)
	if err != nil {
		return Report{}, err
	}
	target, name := o.target, o.target
	if o.file != "" {
		body, err := readLimited(o.file, o.maxBody)
		if err != nil {
			return Report{}, err
		}
		// Refused before anything starts; a URL's answer is counted as
		// it passes through.
		if c := (&sampleCounter{w: io.Discard, max: o.maxSamples}); !countSamples(c, body) {
			return Report{}, fmt.Errorf("%s has more than %d samples (--max-samples)", o.file, o.maxSamples)
		}
		srv, err := serveLoopback(fileHandler(body, fileContentType(body)))
		if err != nil {
			return Report{}, fmt.Errorf("serve %s: %w", o.file, err)
		}
		defer srv.Stop()
		target, name = "http://"+srv.addr+"/metrics", o.file
	}

	pt := newPassThrough(target, o.timeout, o.maxBody, o.maxSamples)
	defer pt.transport.CloseIdleConnections()
	ptSrv, err := serveLoopback(pt)
	if err != nil {
		return Report{}, fmt.Errorf("listen on 127.0.0.1: %w", err)
	}
	defer ptSrv.Stop()

	rp, err := newReplay(ctx, procCfg, o.otlp())
	if err != nil {
		return Report{}, err
	}
	defer rp.Close()

	set := pipelineSettings{
		ProcessorConfig: procCfg,
		Project:         o.project,
		Interval:        o.interval,
		Timeout:         o.timeout,
		BodyLimit:       o.maxBody,
		Scrapes:         o.scrapes,
		SpanWait:        o.spanWait,
		HoldLimit:       holdLimit(procCfg),
	}
	if o.otlp() {
		set.Spans = &spanSettings{GRPC: o.otlpGRPC, HTTP: o.otlpHTTP, Project: o.project, Replay: rp.traces}
	}
	res, err := runPipeline(ctx, set, ptSrv.addr, pt)
	if err != nil {
		return Report{}, err
	}
	if res.Failure != "" {
		return Report{}, fmt.Errorf("%s: %s", name, res.Failure)
	}
	records, err := evaluate(ctx, res.Last, rp, res.ReceiverStart, o.destination)
	if err != nil {
		return Report{}, err
	}
	s := Summary{Target: name, Scrapes: res.Batches, Destination: o.destination}
	if n := len(res.Scrapes); n > 0 {
		s.ContentType = res.Scrapes[n-1].ContentType
		s.Protocol, _ = protocolOf(s.ContentType)
	}
	if res.LinkedErr != nil {
		s.Notes = append(s.Notes, "the exporter after exemplar_link failed: "+oneLine(res.LinkedErr.Error()))
	}
	if res.StockErr != nil {
		s.Notes = append(s.Notes, "the stock pipeline's exporter failed: "+oneLine(res.StockErr.Error()))
	}
	if res.HeldTooLong {
		s.Notes = append(s.Notes, fmt.Sprintf("exemplar_link held a batch for its spans longer than %s; what it sent later is not judged", set.HoldLimit))
	}
	if o.otlp() {
		s.OTLP = &OTLPSummary{GRPC: o.otlpGRPC, HTTP: o.otlpHTTP, Spans: res.Spans, SpanWait: o.spanWait.String()}
		if res.Spans == 0 && res.Failure == "" {
			s.Notes = append(s.Notes, "no spans came to the OTLP receiver: point the app's span exporter at it (e.g. OTEL_EXPORTER_OTLP_ENDPOINT=http://"+otlpExample(o)+"), and run the app while the check runs")
		}
		if res.TraceErr != nil {
			s.Notes = append(s.Notes, "the googlecloud exporter (spans to Cloud Trace) failed: "+oneLine(res.TraceErr.Error()))
		}
		if res.DroppedSpans > 0 {
			s.Notes = append(s.Notes, fmt.Sprintf("the Cloud Trace stand-in dropped %d spans to stay within its cap; links to them may show as dangling", res.DroppedSpans))
		}
	}
	return buildReport(s, records, contextLabels, o.maxExemplars), nil
}

// readLimited reads a saved exposition of at most limit bytes.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	body, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes (--max-body)", path, limit)
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil, fmt.Errorf("%s is empty", path)
	}
	return body, nil
}

// countSamples reports whether body is within c's limit.
func countSamples(c *sampleCounter, body []byte) bool {
	_, err := c.Write(body)
	return err == nil
}

// holdLimit is how long the check waits for exemplar_link to let a batch
// go that it holds for spans: its wait::max_wait, and 10 s for a busy
// machine.
func holdLimit(cfg component.Config) time.Duration {
	const margin = 10 * time.Second
	if c, ok := cfg.(*exemplarlinkprocessor.Config); ok {
		return c.Wait.MaxWait + margin
	}
	return margin
}

// otlpExample is an address of the OTLP receiver for the note above.
func otlpExample(o options) string {
	if o.otlpHTTP != "" {
		return o.otlpHTTP
	}
	return o.otlpGRPC + " with OTEL_EXPORTER_OTLP_PROTOCOL=grpc"
}

// badListenAddr reports whether addr is set and not HOST:PORT with a port
// from 1 to 65535 (port 0 would pick one the app cannot know).
func badListenAddr(addr string) bool {
	if addr == "" {
		return false
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return true
	}
	n, err := strconv.Atoi(port)
	return err != nil || n < 1 || n > 65535
}
