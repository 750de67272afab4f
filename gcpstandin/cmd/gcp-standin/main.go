// Command gcp-standin serves the fake Cloud Monitoring MetricService of package
// gcpstandin, so a collector binary can export to it in a demo or a soak test:
//
//	gcp-standin -addr 127.0.0.1:0 -interval 10s
//
// prints the address it listens on, then at every interval (and at exit) a
// line of running totals:
//
//	gcp-standin: listening on 127.0.0.1:40123
//	gcp-standin: requests=12 rejected=0 time_series=96 points=96 exemplars=80 exemplars_with_span_context=60
//
// Point the exporter at it with `metric: {endpoint: <addr>, use_insecure:
// true}`. It keeps counts only, so its memory stays flat. It stops on
// SIGINT or SIGTERM, or after -for if that is set.
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
	addr := flag.String("addr", gcpstandin.DefaultAddr, "host:port to listen on (port 0 picks a free one)")
	interval := flag.Duration("interval", 10*time.Second, "how often to print the running totals (0: only at exit)")
	runFor := flag.Duration("for", 0, "exit after this long (0: run until SIGINT/SIGTERM)")
	flag.Parse()

	srv, err := gcpstandin.Start(gcpstandin.WithAddr(*addr), gcpstandin.CountOnly())
	if err != nil {
		fmt.Fprintln(os.Stderr, "gcp-standin:", err)
		os.Exit(1)
	}
	fmt.Printf("gcp-standin: listening on %s\n", srv.Addr())

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
			return
		}
	}
}

func printStats(s gcpstandin.Stats) {
	fmt.Printf("gcp-standin: requests=%d rejected=%d time_series=%d points=%d exemplars=%d exemplars_with_span_context=%d\n",
		s.Requests, s.Rejected, s.TimeSeries, s.Points, s.Exemplars, s.SpanContextExemplars)
}
