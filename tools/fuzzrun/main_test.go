package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The outputs in testdata are real go test -fuzz runs: a seed corpus entry
// failing (FuzzProcessor before the empty-key fix), a new input the engine
// found and wrote, a package that did not compile, and a worker killed
// with SIGKILL mid-run (what a starved machine's OOM killer or a hung
// worker looks like).
func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want verdict
	}{
		{"seed-failure.txt", verdict{kind: codeFailure, input: "FuzzProcessor/empty_key_b3_detected_by_value"}},
		{"new-input-failure.txt", verdict{kind: codeFailure, input: "FuzzToy/2a05b2db6d189648"}},
		{"build-failure.txt", verdict{kind: buildFailure}},
		{"engine-failure.txt", verdict{kind: engineFailure, detail: "fuzzing process terminated by unexpected signal; no crash will be recorded: signal: killed"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			out, err := os.ReadFile(filepath.Join("testdata", tt.file))
			require.NoError(t, err)
			assert.Equal(t, tt.want, classify(out))
		})
	}
}

// runs replays outputs, one per call, each failing unless it is "".
func runs(t *testing.T, files ...string) (func() ([]byte, error), *int) {
	calls := 0
	return func() ([]byte, error) {
		require.Less(t, calls, len(files), "run called more often than expected")
		file := files[calls]
		calls++
		if file == "" {
			return []byte("fuzz: elapsed: 10s, execs: 100 (10/sec), new interesting: 0 (total: 5)\nPASS\n"), nil
		}
		out, err := os.ReadFile(filepath.Join("testdata", file))
		require.NoError(t, err)
		return out, errors.New("exit status 1")
	}, &calls
}

func TestFuzzTarget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		outputs   []string
		wantPass  bool
		wantCalls int
		wantSays  string
	}{
		{"a pass runs once", []string{""}, true, 1, "fuzz: elapsed: 10s"},
		{"a seed failure is the code's, never retried", []string{"seed-failure.txt"}, false, 1,
			"CODE FAILURE on input FuzzProcessor/empty_key_b3_detected_by_value\n  rerun it: go test -run '^FuzzProcessor$/^empty_key_b3_detected_by_value$' ."},
		{"a new input is the code's, never retried", []string{"new-input-failure.txt"}, false, 1, "CODE FAILURE on input FuzzToy/2a05b2db6d189648"},
		{"a build failure is never retried", []string{"build-failure.txt"}, false, 1, "BUILD FAILURE"},
		{"an engine failure is retried once and the pass says so", []string{"engine-failure.txt", ""}, true, 2, "passed on the retry after a fuzz engine failure"},
		{"an engine failure twice fails", []string{"engine-failure.txt", "engine-failure.txt"}, false, 2, "FUZZ ENGINE FAILURE again on the retry"},
		{"a code failure on the retry is the code's", []string{"engine-failure.txt", "new-input-failure.txt"}, false, 2, "CODE FAILURE on input FuzzToy/2a05b2db6d189648"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			run, calls := runs(t, tt.outputs...)
			var report bytes.Buffer
			assert.Equal(t, tt.wantPass, fuzzTarget(&report, ".", "FuzzX", "10s", run))
			assert.Equal(t, tt.wantCalls, *calls)
			assert.Contains(t, report.String(), tt.wantSays)
		})
	}
}
