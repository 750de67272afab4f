package proc

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// startCollectorHelper runs StartCollector with the test binary as the
// collector, in helper mode mode (see TestMain). started is the child it
// started, whatever StartCollector returned.
func startCollectorHelper(ctx context.Context, t *testing.T, mode, healthURL string) (c, started *Child, err error) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	asHelper := func(name, logPath string, _ []string, bin string, args ...string) (*Child, error) {
		started, err = Start(name, logPath, append(os.Environ(), helperEnv+"="+mode), bin, args...)
		if started != nil {
			t.Cleanup(func() { _ = started.Stop(time.Second) })
		}
		return started, err
	}
	dir := t.TempDir()
	c, err = StartCollector(ctx, asHelper, exe, filepath.Join(dir, "config.yaml"), filepath.Join(dir, "collector.log"), healthURL)
	return c, started, err
}

// A collector is started with --config and returned once healthy; Stop
// ends it with SIGTERM.
func TestStartCollectorHealthy(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	c, _, err := startCollectorHelper(ctx, t, "term", srv.URL)
	if err != nil {
		t.Fatalf("StartCollector: %v", err)
	}
	if c.Name != "collector" || filepath.Base(c.Log) != "collector.log" {
		t.Errorf("Name %q, Log %q: want collector, .../collector.log", c.Name, c.Log)
	}
	if args := c.cmd.Args[1:]; !slices.Equal(args, []string{"--config", filepath.Join(filepath.Dir(c.Log), "config.yaml")}) {
		t.Errorf("args %q, want --config and the config path", args)
	}
	if c.Pid() != c.cmd.Process.Pid || c.Exited() || c.ExitError() != nil {
		t.Errorf("Pid %d (want %d), Exited %v, ExitError %v: want a running child", c.Pid(), c.cmd.Process.Pid, c.Exited(), c.ExitError())
	}
	waitLog(t, c, "ready")
	if err := c.Stop(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	if err := c.ExitError(); err == nil || err.Error() != "exit status 0" {
		t.Errorf("ExitError = %v, want exit status 0", err)
	}
}

// A collector that exits while starting is reported at once, with its log.
func TestStartCollectorExits(t *testing.T) {
	ports, err := FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	start := time.Now()
	c, _, err := startCollectorHelper(ctx, t, "exit3", "http://"+Addr(ports[0])+"/")
	if c != nil || err == nil {
		t.Fatalf("StartCollector = %v, %v: want an error", c, err)
	}
	for _, want := range []string{"the collector did not become healthy: collector exited (exit status 3)", "collector.log:\nfailing"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("StartCollector took %s for a collector that exits at once", d)
	}
}

// A collector that never becomes healthy is waited for until ctx ends, and
// stopped.
func TestStartCollectorNeverHealthy(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	_, child, err := startCollectorHelper(ctx, t, "term", srv.URL)
	if err == nil || !strings.Contains(err.Error(), "did not answer 2xx") {
		t.Errorf("StartCollector = %v, want a timeout", err)
	}
	if child == nil || !child.Exited() {
		t.Error("the collector still runs after StartCollector failed")
	}
}

// Without a health URL, StartCollector does not wait.
func TestStartCollectorNoHealthCheck(t *testing.T) {
	c, _, err := startCollectorHelper(t.Context(), t, "term", "")
	if err != nil {
		t.Fatal(err)
	}
	waitLog(t, c, "ready")
	if c.Exited() {
		t.Error("the collector exited")
	}
}
