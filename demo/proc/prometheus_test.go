package proc

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestFindPrometheusMissing(t *testing.T) {
	_, err := FindPrometheus("/nonexistent/prometheus")
	if !errors.Is(err, ErrNoPrometheus) || !strings.Contains(err.Error(), "apt-get install prometheus") {
		t.Errorf("FindPrometheus = %v, want ErrNoPrometheus with the install hint", err)
	}
}

// A binary that exits at once is tried on every attempt, then reported
// with its log; nothing is left behind.
func TestStartPrometheusFails(t *testing.T) {
	bin, err := exec.LookPath("false")
	if err != nil {
		t.Skip("no false command")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	starts := 0
	start := func(name, logPath string, env []string, bin string, args ...string) (*Child, error) {
		starts++
		return StartAttached(name, logPath, env, bin, args...)
	}
	_, err = StartPrometheus(ctx, start, bin, t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "prometheus did not start") || !strings.Contains(err.Error(), "exit status 1") {
		t.Errorf("StartPrometheus = %v, want a start failure naming the exit status", err)
	}
	if starts != prometheusAttempts {
		t.Errorf("%d starts, want %d", starts, prometheusAttempts)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("left %d storage directories behind", len(left))
	}
}

// The real thing, where installed: ready, with exemplar storage and the
// remote-write receiver on, and its storage gone after Stop.
func TestStartPrometheus(t *testing.T) {
	bin, err := FindPrometheus(os.Getenv("PROMETHEUS"))
	if err != nil {
		t.Skip(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p, err := StartPrometheus(ctx, StartAttached, bin, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := p.Stop(prometheusStopGrace); err != nil {
			t.Error(err)
		}
	}()
	// The receiver answers an empty POST with 400 (not 404: it is on).
	resp, err := http.Post("http://"+p.Addr+"/api/v1/write", "application/x-protobuf", strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		t.Errorf("POST /api/v1/write: %s, want the remote-write receiver on", resp.Status)
	}
	resp, err = http.Get("http://" + p.Addr + "/api/v1/query_exemplars?query=up")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("query_exemplars: %s", resp.Status)
	}
	if err := p.Stop(prometheusStopGrace); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(p.Data); !os.IsNotExist(err) {
		t.Errorf("storage %s still there after Stop (%v)", p.Data, err)
	}
}
