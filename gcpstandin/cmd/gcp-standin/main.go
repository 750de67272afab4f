// Command gcp-standin serves the stand-in Cloud Monitoring MetricService
// and Cloud Trace TraceService of package gcpstandin, and its console page,
// so a collector binary can export to it in a demo or a soak test:
//
//	gcp-standin -addr 127.0.0.1:18443 -console 127.0.0.1:18990 -interval 10s
//
// prints the addresses it listens on, then at every interval (and at exit)
// a line of running totals, and at exit the exemplar summary:
//
//	gcp-standin: listening on 127.0.0.1:18443
//	gcp-standin: console on http://127.0.0.1:18990/
//	gcp-standin: requests=12 rejected=0 time_series=96 points=96 exemplars=80 exemplars_with_span_context=60 span_requests=4 spans=120 dropped_points=0 dropped_spans=0 out_of_order_points=0
//	gcp-standin: summary: exemplars=40 linked=30 resolved=30 dangling=0 dangling_evicted=0 unlinked=10 occurrences=80 spans=120
//
// Point the exporters at it with `metric: {endpoint: <addr>, use_insecure:
// true}` and `trace: {endpoint: <addr>, use_insecure: true}`. The ports
// above are examples that stay clear of a collector's OTLP defaults (4317,
// 4318); -addr and -console default to free ports, printed at start. It
// records what it receives within -max-points, -max-point-bytes,
// -max-spans and -max-span-bytes (oldest dropped first), or with
// -count-only keeps counts only. Like Cloud Monitoring it refuses points
// written out of order for their series (counted in out_of_order_points). It stops on SIGINT or
// SIGTERM, or after -for if that is set.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/exemplarlink/exemplarlinkprocessor/gcpstandin"
)

func main() {
	addr := flag.String("addr", gcpstandin.DefaultAddr, "host:port of the gRPC services, e.g. 127.0.0.1:18443 (port 0 picks a free one; avoid 4317 and 4318, a collector's OTLP ports)")
	console := flag.String("console", "", "host:port of the console page, e.g. 127.0.0.1:18990 or 127.0.0.1:0 (empty: no console)")
	countOnly := flag.Bool("count-only", false, "keep counts only, not what was received (no console data, flat memory)")
	maxPoints := flag.Int("max-points", gcpstandin.DefaultMaxPoints, "metric points kept at most (oldest dropped first)")
	maxSpans := flag.Int("max-spans", gcpstandin.DefaultMaxSpans, "spans kept at most (oldest dropped first)")
	maxPointBytes := flag.Int("max-point-bytes", gcpstandin.DefaultMaxPointBytes, "bytes of metric write requests kept at most, as protobuf wire size, oldest dropped first (134217728 is 128 MiB)")
	maxSpanBytes := flag.Int("max-span-bytes", gcpstandin.DefaultMaxSpanBytes, "bytes of spans kept at most, as protobuf wire size, oldest dropped first (67108864 is 64 MiB)")
	interval := flag.Duration("interval", 10*time.Second, "how often to print the running totals (0: only at exit)")
	runFor := flag.Duration("for", 0, "exit after this long (0: run until SIGINT/SIGTERM)")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "gcp-standin: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}

	opts := []gcpstandin.Option{gcpstandin.WithAddr(*addr), gcpstandin.WithMaxPoints(*maxPoints), gcpstandin.WithMaxSpans(*maxSpans),
		gcpstandin.WithMaxPointBytes(*maxPointBytes), gcpstandin.WithMaxSpanBytes(*maxSpanBytes)}
	if *countOnly {
		opts = append(opts, gcpstandin.CountOnly())
	}
	if *console != "" {
		opts = append(opts, gcpstandin.WithConsole(*console))
	}
	srv, err := gcpstandin.Start(opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gcp-standin:", err)
		os.Exit(1)
	}
	fmt.Printf("gcp-standin: listening on %s\n", srv.Addr())
	if u := srv.ConsoleURL(); u != "" {
		fmt.Printf("gcp-standin: console on %s\n", u)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *runFor > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *runFor)
		defer cancel()
	}

	var tick <-chan time.Time
	if *interval > 0 {
		ticker := time.NewTicker(*interval)
		defer ticker.Stop()
		tick = ticker.C
	}
	for {
		select {
		case <-tick:
			printStats(srv.Stats())
		case <-ctx.Done():
			srv.Stop()
			printStats(srv.Stats())
			if !*countOnly {
				fmt.Printf("gcp-standin: summary: %s\n", srv.Summary())
			}
			return
		}
	}
}

func printStats(s gcpstandin.Stats) {
	fmt.Printf("gcp-standin: requests=%d rejected=%d time_series=%d points=%d exemplars=%d exemplars_with_span_context=%d span_requests=%d spans=%d dropped_points=%d dropped_spans=%d out_of_order_points=%d\n",
		s.Requests, s.Rejected, s.TimeSeries, s.Points, s.Exemplars, s.SpanContextExemplars, s.SpanRequests, s.Spans, s.DroppedPoints, s.DroppedSpans, s.OutOfOrderPoints)
}
