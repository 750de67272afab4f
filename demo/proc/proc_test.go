package proc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the child: PROC_TEST_HELPER names what it
// does instead of running the tests.
const helperEnv = "PROC_TEST_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "term": // exits 0 on SIGTERM, saying so
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGTERM)
		fmt.Println("ready")
		<-ch
		fmt.Println("stopping on SIGTERM")
		os.Exit(0)
	case "ignore-term": // only SIGKILL ends it
		signal.Ignore(syscall.SIGTERM)
		fmt.Println("ready")
		select {}
	case "grandchild": // starts a child that ignores SIGTERM, prints its pid
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), helperEnv+"=ignore-term")
		if err := cmd.Start(); err != nil {
			fmt.Println("start:", err)
			os.Exit(1)
		}
		fmt.Printf("grandchild %d\n", cmd.Process.Pid)
		signal.Ignore(syscall.SIGTERM)
		select {}
	case "exit3":
		fmt.Println("failing")
		os.Exit(3)
	}
	os.Exit(2)
}

func startHelper(t *testing.T, mode string) *Child {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	c, err := Start(mode, filepath.Join(t.TempDir(), mode+".log"), append(os.Environ(), helperEnv+"="+mode), exe)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop(time.Second) })
	return c
}

// waitLog waits (bounded) until the child's log holds want.
func waitLog(t *testing.T, c *Child, want string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, _ := os.ReadFile(c.Log)
		if strings.Contains(string(b), want) {
			return string(b)
		}
		if c.Exited() || time.Now().After(deadline) {
			t.Fatalf("%s: log never showed %q (exited %v): %q", c.Name, want, c.Exited(), b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestStopWithSIGTERM(t *testing.T) {
	c := startHelper(t, "term")
	waitLog(t, c, "ready")
	if c.Exited() {
		t.Fatal("exited before Stop")
	}
	start := time.Now()
	if err := c.Stop(20 * time.Second); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if !c.Exited() || c.Err() != nil {
		t.Errorf("after Stop: exited %v, err %v; want exited with status 0", c.Exited(), c.Err())
	}
	if log := c.Tail(10); !strings.Contains(log, "stopping on SIGTERM") {
		t.Errorf("log %q: the child did not see SIGTERM", log)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Stop took %s for a child that exits on SIGTERM", d)
	}
	if err := c.Stop(time.Second); err != nil {
		t.Errorf("second Stop: %v, want nil", err)
	}
}

// A child of Start leads its own process group; one of StartAttached
// stays in ours, and its Stop must not signal our group (it would end this
// test binary).
func TestProcessGroups(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		start func(name, logPath string, env []string, bin string, args ...string) (*Child, error)
		own   bool
	}{{"Start", Start, true}, {"StartAttached", StartAttached, false}} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.start(tt.name, filepath.Join(t.TempDir(), "x.log"), append(os.Environ(), helperEnv+"=term"), exe)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = c.Stop(time.Second) }()
			waitLog(t, c, "ready")
			pgid, err := syscall.Getpgid(c.cmd.Process.Pid)
			if err != nil {
				t.Fatal(err)
			}
			if own := pgid == c.cmd.Process.Pid; own != tt.own || (!own && pgid != syscall.Getpgrp()) {
				t.Errorf("child %d in group %d (ours %d), want own group %v", c.cmd.Process.Pid, pgid, syscall.Getpgrp(), tt.own)
			}
			stopped := make(chan error, 1)
			go func() { stopped <- c.Stop(10 * time.Second) }()
			select {
			case err := <-stopped:
				if err != nil || c.Err() != nil {
					t.Errorf("Stop = %v, exit %v; want a clean stop on SIGTERM", err, c.Err())
				}
			case <-time.After(30 * time.Second):
				_ = c.cmd.Process.Kill()
				t.Fatal("Stop did not return within 30 s: it signalled the wrong process or group")
			}
		})
	}
}

func TestStopKillsAfterGrace(t *testing.T) {
	c := startHelper(t, "ignore-term")
	waitLog(t, c, "ready")
	err := c.Stop(300 * time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "did not stop within 300ms") {
		t.Fatalf("Stop = %v, want the kill reported", err)
	}
	if !c.Exited() || c.Err() == nil {
		t.Errorf("after Stop: exited %v, err %v; want killed", c.Exited(), c.Err())
	}
}

// Stop reaches what the child started: its process group.
func TestStopReachesGrandchildren(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc")
	}
	c := startHelper(t, "grandchild")
	log := waitLog(t, c, "\n")
	var pid int
	if _, err := fmt.Sscanf(log, "grandchild %d", &pid); err != nil {
		t.Fatalf("log %q: %v", log, err)
	}
	_ = c.Stop(300 * time.Millisecond)
	deadline := time.Now().Add(10 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("grandchild %d still runs 10 s after Stop", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// alive: pid exists and is no zombie (a zombie waits only to be reaped).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

func TestExitStatus(t *testing.T) {
	c := startHelper(t, "exit3")
	select {
	case <-c.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("helper did not exit")
	}
	var ee *exec.ExitError
	if err := c.Err(); err == nil || !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Errorf("Err = %v, want exit status 3", c.Err())
	}
	if got := c.Tail(5); got != "failing" {
		t.Errorf("Tail = %q, want %q", got, "failing")
	}
}

func TestStartMissingBinary(t *testing.T) {
	_, err := Start("nothing", filepath.Join(t.TempDir(), "x.log"), nil, "/nonexistent/binary")
	if err == nil || !strings.Contains(err.Error(), "nothing: start /nonexistent/binary") {
		t.Errorf("Start = %v, want an error naming the child and the binary", err)
	}
	_, err = Start("nolog", "/nonexistent/dir/x.log", nil, "/bin/true")
	if err == nil || !strings.Contains(err.Error(), "nolog: log file") {
		t.Errorf("Start = %v, want the log file's error", err)
	}
}

func TestWaitHTTP(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if calls.Add(1) < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := WaitHTTP(ctx, srv.URL, nil); err != nil {
		t.Fatalf("WaitHTTP: %v", err)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("%d requests, want 3 (two 503s, then 200)", n)
	}
}

func TestWaitHTTPBounded(t *testing.T) {
	ports, err := FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = WaitHTTP(ctx, "http://"+Addr(ports[0])+"/", nil)
	if err == nil || !strings.Contains(err.Error(), "did not answer 2xx") {
		t.Errorf("WaitHTTP = %v, want a timeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("WaitHTTP took %s with a 500ms deadline", d)
	}
}

// A child that exits ends the wait for its URL at once.
func TestWaitHTTPChildExited(t *testing.T) {
	c := startHelper(t, "exit3")
	ports, err := FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	err = WaitHTTP(ctx, "http://"+Addr(ports[0])+"/", c)
	if err == nil || !strings.Contains(err.Error(), "exit3 exited (exit status 3)") {
		t.Errorf("WaitHTTP = %v, want the child's exit", err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("WaitHTTP took %s for a child that exits at once", d)
	}
}

func TestFreePorts(t *testing.T) {
	ports, err := FreePorts(7)
	if err != nil {
		t.Fatal(err)
	}
	seen := make(map[int]bool)
	for _, p := range ports {
		if p <= 0 || seen[p] {
			t.Fatalf("ports %v: want 7 distinct positive ports", ports)
		}
		seen[p] = true
		l, err := net.Listen("tcp", Addr(p))
		if err != nil {
			t.Errorf("port %d is not free after FreePorts: %v", p, err)
			continue
		}
		_ = l.Close()
	}
}
