package main

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The test binary stands in for the collector: started as
// `<test binary> --config fake-exit` it exits with status 1 at once, as
// `--config fake-wait` it waits for a signal (at most a minute).
func TestMain(m *testing.M) {
	if len(os.Args) == 3 && os.Args[1] == "--config" {
		switch os.Args[2] {
		case "fake-exit":
			os.Exit(1)
		case "fake-wait":
			time.Sleep(time.Minute)
			os.Exit(0)
		}
	}
	os.Exit(m.Run())
}

// A collector that exits at once is reported with its log, not waited for.
func TestCollectorExitsWhileStarting(t *testing.T) {
	t.Parallel()
	log := filepath.Join(t.TempDir(), "collector.log")
	c, err := startCollector(os.Args[0], "fake-exit", log)
	require.NoError(t, err)
	defer c.stop()
	addr, _, err := freeAddr()
	require.NoError(t, err)
	err = c.waitHealthy(t.Context(), &http.Client{Timeout: time.Second}, addr, time.Minute)
	require.EqualError(t, err, "the collector exited while starting (exit status 1); see "+log)
	assert.ErrorContains(t, pause(t.Context(), c, time.Minute), "the collector exited during the run (exit status 1)")
}

// stop ends a collector that is still running, and returns once it has.
func TestCollectorStop(t *testing.T) {
	t.Parallel()
	c, err := startCollector(os.Args[0], "fake-wait", filepath.Join(t.TempDir(), "collector.log"))
	require.NoError(t, err)
	stopped := make(chan struct{})
	go func() {
		c.stop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-time.After(30 * time.Second):
		t.Fatal("stop did not return within 30 s")
	}
	select {
	case <-c.done:
	default:
		t.Fatal("stop returned with the process running")
	}
	require.Error(t, c.err, "ended by the signal")
	c.stop() // a second stop returns at once
}
