package proc

import (
	"context"
	"fmt"
	"time"
)

// CollectorStopGrace is a collector's time to exit after SIGTERM: it
// drains its pipelines and shuts its components down.
const CollectorStopGrace = 20 * time.Second

// StartCollector runs the collector binary bin with --config configPath,
// its output in logPath, and, when healthURL is not empty, waits (bounded
// by ctx) until healthURL, its health_check extension, answers 2xx. When
// it does not, the collector is stopped and the error holds the last lines
// of its log. start is Start or StartAttached. The load test
// (tools/loadtest) and the soak (e2e/cmd/soak) run the built collector
// with it.
func StartCollector(ctx context.Context, start func(name, logPath string, env []string, bin string, args ...string) (*Child, error),
	bin, configPath, logPath, healthURL string,
) (*Child, error) {
	c, err := start("collector", logPath, nil, bin, "--config", configPath)
	if err != nil || healthURL == "" {
		return c, err
	}
	if err := WaitHTTP(ctx, healthURL, c); err != nil {
		_ = c.Stop(CollectorStopGrace)
		return nil, fmt.Errorf("the collector did not become healthy: %w\nlast lines of %s:\n%s", err, c.Log, c.Tail(10))
	}
	return c, nil
}

// Pid is the child's process ID, for reading /proc/PID.
func (c *Child) Pid() int { return c.cmd.Process.Pid }

// ExitError is how the child exited, for messages: its exit error, or
// "exit status 0"; nil while it runs.
func (c *Child) ExitError() error { return c.status() }
