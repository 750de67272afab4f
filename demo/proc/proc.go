// Package proc runs the binaries of the demo and the end-to-end tests as
// child processes: each in a process group of its own with its output in a
// log file, stopped with a bounded grace period, waited on with bounded
// health checks; StartPrometheus runs a local Prometheus that takes remote
// write and stores exemplars. `make demo` (demo/cmd/run-demo) and e2e's
// TestStandinPipeline use it; it returns errors and leaves reporting to
// them.
package proc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Child is a running (or exited) process started by Start.
type Child struct {
	// Name says what it is in messages ("collector"); Log is its log file.
	Name, Log string

	cmd      *exec.Cmd
	ownGroup bool // leads its own process group: Stop signals the group
	done     chan struct{}
	err      error // cmd.Wait's result, set before done is closed
}

// Start runs bin with args and env (nil: this process's environment), its
// stdout and stderr going to a new file at logPath. The child leads a
// process group of its own, so a Ctrl-C at the terminal does not reach it:
// the caller catches the signal and stops its children itself, in the
// order it chooses, and Stop reaches anything the child started.
func Start(name, logPath string, env []string, bin string, args ...string) (*Child, error) {
	return start(true, name, logPath, env, bin, args)
}

// StartAttached is Start for a caller that does not catch signals, such
// as a test: the child stays in the caller's process group, so a Ctrl-C at
// the terminal ends it with the caller, and Stop signals the child alone.
func StartAttached(name, logPath string, env []string, bin string, args ...string) (*Child, error) {
	return start(false, name, logPath, env, bin, args)
}

func start(ownGroup bool, name, logPath string, env []string, bin string, args []string) (*Child, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("%s: log file: %w", name, err)
	}
	cmd := exec.Command(bin, args...) //nolint:gosec // G702: the demo runs the binaries it was told to, by design
	cmd.Env, cmd.Stdout, cmd.Stderr = env, f, f
	if ownGroup {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	}
	if err := cmd.Start(); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("%s: start %s: %w", name, bin, err)
	}
	c := &Child{Name: name, Log: logPath, cmd: cmd, ownGroup: ownGroup, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		_ = f.Close()
		close(c.done)
	}()
	return c, nil
}

// Done is closed once the child has exited.
func (c *Child) Done() <-chan struct{} { return c.done }

// Exited reports whether the child has exited.
func (c *Child) Exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// Err is the child's exit error (nil for status 0) once it has exited,
// nil before.
func (c *Child) Err() error {
	if !c.Exited() {
		return nil
	}
	return c.err
}

// status is Err for messages: an exit with status 0 says so too.
func (c *Child) status() error {
	if err := c.Err(); err != nil || !c.Exited() {
		return err
	}
	return errExitedCleanly
}

var errExitedCleanly = errors.New("exit status 0")

// Stop sends SIGTERM to the child (to its process group if it leads one)
// and waits up to grace for the child to exit; past that it kills it and
// says so in the error. Whatever a group leader left behind in its group is
// killed too. A child that had already exited is left as it is.
func (c *Child) Stop(grace time.Duration) error {
	if c.Exited() {
		return nil
	}
	target := c.cmd.Process.Pid
	if c.ownGroup {
		target = -target
	}
	_ = syscall.Kill(target, syscall.SIGTERM)
	timer := time.NewTimer(grace)
	defer timer.Stop()
	var err error
	select {
	case <-c.done:
	case <-timer.C:
		err = fmt.Errorf("%s did not stop within %s of SIGTERM; killed (log %s)", c.Name, grace, c.Log)
		_ = syscall.Kill(target, syscall.SIGKILL)
		<-c.done
	}
	if c.ownGroup {
		// Grandchildren that outlived the child: ESRCH when there are none.
		_ = syscall.Kill(target, syscall.SIGKILL)
	}
	return err
}

// Tail is the last n lines of the child's log, for failure messages.
func (c *Child) Tail(n int) string {
	b, err := os.ReadFile(c.Log)
	if err != nil {
		return fmt.Sprintf("(log %s: %v)", c.Log, err)
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// pollEvery is how often WaitHTTP asks again.
const pollEvery = 200 * time.Millisecond

// WaitHTTP polls url with GET until it answers 2xx, ctx ends (its deadline
// is the bound) or c, if not nil, exits: the child that should serve url
// has failed, and waiting longer is pointless.
func WaitHTTP(ctx context.Context, url string, c *Child) error {
	client := &http.Client{Timeout: 2 * time.Second}
	var exited <-chan struct{}
	if c != nil {
		exited = c.done
	}
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	var last error
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				return nil
			}
			err = fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer 2xx: %w (last: %w)", url, ctx.Err(), last)
		case <-exited:
			return fmt.Errorf("%s exited (%w) before %s answered", c.Name, c.status(), url)
		case <-tick.C:
		}
	}
}

// FreePorts returns n distinct TCP ports on 127.0.0.1 that were free a
// moment ago: all n are held open together, so none repeats.
func FreePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("free ports: %w", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// Addr is 127.0.0.1:port.
func Addr(port int) string { return fmt.Sprintf("127.0.0.1:%d", port) }
