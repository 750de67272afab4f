package main

// The demo app (demo/cmd/exemplar-demo) as the tests run it: built once by
// TestMain, started per test on a free 127.0.0.1 port, stopped when the
// test ends.

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// demoApp is the demo app's binary, built by TestMain.
var demoApp string

// buildDemoApp builds the demo app of this checkout into dir.
func buildDemoApp(dir string) (string, error) {
	bin := filepath.Join(dir, "exemplar-demo")
	build := exec.Command("go", "build", "-o", bin, "./cmd/exemplar-demo")
	build.Dir = filepath.Join("..", "..", "demo")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the demo app: %w\n%s", err, out)
	}
	return bin, nil
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// Bounds of the demo app's start and stop on a busy 2-core CI machine.
const (
	demoStartTimeout = 15 * time.Second
	demoStopGrace    = 10 * time.Second
)

// startDemo runs the demo app in one label style at 40 requests a second,
// its spans sent with OTLP/HTTP to otlp ("" for none), with further flags,
// and returns its /metrics once that serves an exemplar.
func startDemo(t *testing.T, style, otlp string, flags ...string) string {
	t.Helper()
	addr := freePort(t)
	args := append([]string{"-listen", addr, "-otlp-endpoint", otlp, "-style", style, "-rate", "40", "-duration", "2m"}, flags...)
	cmd := exec.Command(demoApp, args...)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(demoStopGrace):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	url := "http://" + addr + "/metrics"
	waitForExemplar(t, url, &logs)
	return url
}

// waitForExemplar polls the demo app's /metrics, as OpenMetrics, until it
// holds an exemplar of its load generator's requests (at most
// demoStartTimeout).
func waitForExemplar(t *testing.T, url string, logs *bytes.Buffer) {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(demoStartTimeout)
	var last string
	for {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
		require.NoError(t, err)
		req.Header.Set("Accept", "application/openmetrics-text; version=1.0.0")
		resp, err := client.Do(req)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.Contains(string(body), " # {") {
				return
			}
			last = resp.Status + ", no exemplar yet"
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			t.Fatalf("demo app serves no exemplar after %v: %s\n%s", demoStartTimeout, last, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
