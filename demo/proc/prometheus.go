package proc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// PrometheusInstall says how to get the binary that FindPrometheus looks
// for.
const PrometheusInstall = "install Debian's or Ubuntu's package (sudo apt-get install prometheus, " +
	"then sudo systemctl disable --now prometheus if you do not want its service), " +
	"or set PROMETHEUS to a Prometheus binary (2.42 or later)"

// ErrNoPrometheus is returned by FindPrometheus when there is no binary.
var ErrNoPrometheus = errors.New("no prometheus binary")

// FindPrometheus returns the path of name (a path, or a command looked up
// on PATH; "" means "prometheus"); when there is none the error wraps
// ErrNoPrometheus and says how to install it.
func FindPrometheus(name string) (string, error) {
	if name == "" {
		name = "prometheus"
	}
	bin, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%w (%s: %w): %s", ErrNoPrometheus, name, errors.Unwrap(err), PrometheusInstall)
	}
	return bin, nil
}

// Prometheus is a Prometheus server started by StartPrometheus.
type Prometheus struct {
	*Child
	// Addr is the host:port of its web API, remote write included
	// (http://Addr/api/v1/write).
	Addr string
	// Data is its temporary storage directory, removed by Stop.
	Data string
}

// prometheusAttempts is how many free ports StartPrometheus tries: a port
// found free may be taken before Prometheus binds it.
const prometheusAttempts = 3

// StartPrometheus runs bin on a free 127.0.0.1 port with the remote-write
// receiver and exemplar storage on, no scrape jobs and a new temporary
// storage directory, its log in logDir/prometheus.log, and waits until it
// is ready, bounded by ctx. start is Start or StartAttached.
func StartPrometheus(ctx context.Context, start func(name, logPath string, env []string, bin string, args ...string) (*Child, error),
	bin, logDir string,
) (*Prometheus, error) {
	cfg := filepath.Join(logDir, "prometheus.yml")
	// Remote write needs no scrape job; "scrape_configs: []" keeps
	// Prometheus from scraping itself.
	if err := os.WriteFile(cfg, []byte("global:\n  scrape_interval: 10s\nscrape_configs: []\n"), 0o600); err != nil {
		return nil, err
	}
	var lastErr error
	for range prometheusAttempts {
		ports, err := FreePorts(1)
		if err != nil {
			return nil, err
		}
		data, err := os.MkdirTemp("", "run-demo-prometheus-")
		if err != nil {
			return nil, err
		}
		p := &Prometheus{Addr: Addr(ports[0]), Data: data}
		p.Child, err = start("prometheus", filepath.Join(logDir, "prometheus.log"), nil, bin,
			"--config.file="+cfg,
			"--storage.tsdb.path="+data,
			"--web.listen-address="+p.Addr,
			"--web.enable-remote-write-receiver",
			"--enable-feature=exemplar-storage",
		)
		if err != nil {
			_ = os.RemoveAll(data)
			return nil, err
		}
		err = WaitHTTP(ctx, "http://"+p.Addr+"/-/ready", p.Child)
		if err == nil {
			return p, nil
		}
		_ = p.Stop(prometheusStopGrace)
		lastErr = fmt.Errorf("%w\nlast lines of %s:\n%s", err, p.Log, p.Tail(10))
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("prometheus did not start: %w", lastErr)
}

// prometheusStopGrace is Prometheus' time to exit after SIGTERM (it writes
// its head block out).
const prometheusStopGrace = 15 * time.Second

// Stop stops Prometheus (bounded) and removes its storage.
func (p *Prometheus) Stop(grace time.Duration) error {
	err := p.Child.Stop(grace)
	if rmErr := os.RemoveAll(p.Data); rmErr != nil && err == nil { //nolint:gosec // G703: StartPrometheus made this directory
		err = rmErr
	}
	return err
}
