package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/exemplarlink/exemplarlinkprocessor/demo/proc"
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

// A collector that exits is reported with its log: while starting, not
// waited for, and during the run, ending the pause.
func TestCollectorExits(t *testing.T) {
	t.Parallel()
	log := filepath.Join(t.TempDir(), "collector.log")
	c, err := proc.StartCollector(t.Context(), proc.Start, os.Args[0], "fake-exit", log, "")
	require.NoError(t, err)
	defer func() { _ = c.Stop(time.Second) }()
	ports, err := proc.FreePorts(1)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	require.ErrorContains(t, proc.WaitHTTP(ctx, "http://"+proc.Addr(ports[0])+"/", c), "exited (exit status 1)")
	assert.EqualError(t, pause(t.Context(), c, time.Minute), "the collector exited during the run (exit status 1); see "+log)
}

// pause returns when its time is up or the run is interrupted.
func TestPause(t *testing.T) {
	t.Parallel()
	c, err := proc.StartCollector(t.Context(), proc.Start, os.Args[0], "fake-wait", filepath.Join(t.TempDir(), "collector.log"), "")
	require.NoError(t, err)
	defer func() { _ = c.Stop(time.Second) }()
	assert.NoError(t, pause(t.Context(), c, time.Millisecond))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	assert.ErrorIs(t, pause(ctx, c, time.Minute), context.Canceled)
}
