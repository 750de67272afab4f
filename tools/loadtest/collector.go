package main

import (
	"cmp"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// variant is one of the two compared collector configurations; they differ
// only in the traces pipeline's processors.
type variant struct {
	name            string
	tracesProcessor string
}

var (
	bothPipelines = variant{name: "both", tracesProcessor: "[exemplar_link, batch]"}
	metricsOnly   = variant{name: "metrics-only", tracesProcessor: "[batch]"}
)

// collectorConfig is the configuration of a run: the prometheus receiver
// scraping the apps, the OTLP/gRPC receiver taking their spans,
// exemplar_link with its defaults, the batch processor, and the debug
// exporter at basic verbosity (one log line per exported batch: the
// distribution has no nop exporter), so that the exporters cost little
// and the same in both variants.
//
// pprofAddr, when not empty, adds the pprof extension (to both variants).
func collectorConfig(v variant, targets []string, interval time.Duration, otlpAddr, healthAddr string, telemetryPort int, pprofAddr string) string {
	quoted := make([]string, len(targets))
	for i, t := range targets {
		quoted[i] = strconv.Quote(t)
	}
	extensions := "[health_check]"
	if pprofAddr != "" {
		extensions = "[health_check, pprof]"
	}
	return fmt.Sprintf(`extensions:
  health_check:
    endpoint: %[4]s
  pprof:
    endpoint: %[7]s
receivers:
  prometheus:
    config:
      scrape_configs:
        - job_name: loadtest
          scrape_interval: %[1]s
          scrape_timeout: %[1]s
          scrape_protocols: [OpenMetricsText1.0.0]
          static_configs:
            - targets: [%[2]s]
  otlp:
    protocols:
      grpc:
        endpoint: %[3]s
processors:
  exemplar_link: {}
  batch: {}
exporters:
  debug:
    verbosity: basic
service:
  extensions: %[8]s
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
      exporters: [debug]
    traces:
      receivers: [otlp]
      processors: %[6]s
      exporters: [debug]
`, interval, strings.Join(quoted, ", "), otlpAddr, healthAddr, telemetryPort, v.tracesProcessor, cmp.Or(pprofAddr, "127.0.0.1:0"), extensions)
}

// telemetry reads the collector's own metrics.
func telemetry(client *http.Client, addr string) (samples, error) {
	resp, err := client.Get("http://" + addr + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("telemetry endpoint: %s", resp.Status)
	}
	return parseExposition(resp.Body)
}

// cpuProfile fetches a CPU profile of the collector over d from its pprof
// extension and writes it to path.
func cpuProfile(addr string, d time.Duration, path string) error {
	client := &http.Client{Timeout: d + 30*time.Second}
	resp, err := client.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, int(d.Seconds())))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("pprof: %s", resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
