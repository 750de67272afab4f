package main

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// benchRun is one benchmark's result line: its median is all benchcheck reads.
type benchRun struct {
	input, name, values string
}

// passing is benchmark output on which every target holds.
var passing = []benchRun{
	{"processor", "BenchmarkExemplarLink/batch=mixed/series=100", "1000 ns/op 1.0 ns/exemplar 6 allocs/op"},
	{"processor", "BenchmarkExemplarLink/batch=mixed/series=1000", "10000 ns/op 1.0 ns/exemplar 6 allocs/op"},
	{"processor", "BenchmarkExemplarLink/batch=mixed/series=10000", "100000 ns/op 1.0 ns/exemplar 7 allocs/op"},
	{"compare", "BenchmarkCompare/batch=mixed/impl=exemplar_link", "1000000 ns/op 2.0 ns/exemplar"},
	{"compare", "BenchmarkCompare/batch=mixed/impl=ottl", "50500000 ns/op 101 ns/exemplar"},
	{"compare", "BenchmarkCompare/batch=mixed/impl=gmp_exporter", "20000000 ns/op"},
	{"compare", "BenchmarkCompare/batch=no_exemplars/impl=exemplar_link", "140 ns/op"},
	{"compare", "BenchmarkCompare/batch=no_exemplars/impl=floor", "100 ns/op"},
	{"compare", "BenchmarkCompare/batch=otlp_ids/impl=exemplar_link", "150 ns/op"},
	{"compare", "BenchmarkCompare/batch=otlp_ids/impl=floor", "100 ns/op"},
	{"compare", "BenchmarkCompare/batch=unrelated_labels/impl=exemplar_link", "130 ns/op"},
	{"compare", "BenchmarkCompare/batch=unrelated_labels/impl=floor", "100 ns/op"},
	{"traces", "BenchmarkCompareTraces/spans=512/impl=exemplar_link", "10 ns/span 5 allocs/op"},
	{"traces", "BenchmarkCompareTraces/spans=4096/impl=exemplar_link", "20 ns/span 6 allocs/op"},
	{"traces", "BenchmarkCompareTraces/spans=4096/impl=googlecloud_exporter", "1000 ns/span 900 allocs/op"},
	{"clear", "BenchmarkExemplarLinkStyle/style=upper-case_hex", "120 ns/exemplar"},
	{"clear", "BenchmarkExemplarLinkStyle/style=traceparent", "100 ns/exemplar"},
}

// writeInputs writes runs as the four files benchcheck reads, twice each
// and with -2 after the name as `go test -count=2` on two cores writes
// them, and returns benchcheck's arguments. replace overrides the values
// of the runs it names.
func writeInputs(t *testing.T, runs []benchRun, replace map[string]string) []string {
	t.Helper()
	dir := t.TempDir()
	text := map[string]*strings.Builder{}
	for _, in := range inputs {
		text[in.flag] = &strings.Builder{}
		text[in.flag].WriteString("goos: linux\ngoarch: amd64\npkg: example\n")
	}
	for _, r := range runs {
		values := r.values
		if v, ok := replace[r.name]; ok {
			values = v
		}
		for range 2 {
			fmt.Fprintf(text[r.input], "%s-2 \t 100\t %s\n", r.name, values)
		}
	}
	var args []string
	for _, in := range inputs {
		path := filepath.Join(dir, in.flag+".txt")
		require.NoError(t, os.WriteFile(path, []byte(text[in.flag].String()+"PASS\n"), 0o600))
		args = append(args, "-"+in.flag, path)
	}
	return args
}

func runBenchcheck(args []string) (status int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	status = run(args, &out, &errOut)
	return status, out.String(), errOut.String()
}

func TestEveryTargetHolds(t *testing.T) {
	t.Parallel()
	status, out, _ := runBenchcheck(writeInputs(t, passing, nil))
	assert.Equal(t, 0, status, out)
	assert.NotContains(t, out, "FAIL")
	assert.Len(t, linesWith(out, "ok  "), len(targets()), out)
	assert.Contains(t, out, "info  time per exemplar by batch size (ns/exemplar)")
	assert.Contains(t, out, "100 series: 1.0, 1000 series: 1.0, 10000 series: 1.0")
	assert.True(t, strings.HasSuffix(out, "benchcheck: all performance targets hold\n"), out)
}

// TestEachTargetFails misses one target at a time, by a little, and
// expects exactly that target's line to say FAIL, with what was measured.
func TestEachTargetFails(t *testing.T) {
	t.Parallel()
	tests := []struct {
		target   string            // a part of the target's line
		replace  map[string]string // the runs that miss it
		measured string            // what its line reports
	}{
		{
			target:   "zero allocs per exemplar",
			replace:  map[string]string{"BenchmarkExemplarLink/batch=mixed/series=10000": "100000 ns/op 1.0 ns/exemplar 8 allocs/op"},
			measured: "6 → 8 allocs/op: 0.00002 allocs/exemplar",
		},
		{
			target:   "cheaper per exemplar than OTTL",
			replace:  map[string]string{"BenchmarkCompare/batch=mixed/impl=ottl": "49500000 ns/op 99 ns/exemplar"},
			measured: "49.5× (OTTL 99 ns/exemplar, exemplar_link 2.0 ns/exemplar)",
		},
		{
			target:   "the floor without ID labels (no_exemplars)",
			replace:  map[string]string{"BenchmarkCompare/batch=no_exemplars/impl=exemplar_link": "160 ns/op"},
			measured: "1.60× (160 vs 100 ns/op)",
		},
		{
			target:   "the floor without ID labels (otlp_ids)",
			replace:  map[string]string{"BenchmarkCompare/batch=otlp_ids/impl=floor": "90 ns/op"},
			measured: "1.67× (150 vs 90 ns/op)",
		},
		{
			target:   "the floor without ID labels (unrelated_labels)",
			replace:  map[string]string{"BenchmarkCompare/batch=unrelated_labels/impl=exemplar_link": "151 ns/op"},
			measured: "1.51× (151 vs 100 ns/op)",
		},
		{
			target:   "googlemanagedprometheus exporter's cost",
			replace:  map[string]string{"BenchmarkCompare/batch=mixed/impl=gmp_exporter": "9000000 ns/op"},
			measured: "11.1% (1.00 ms vs 9.00 ms per batch)",
		},
		{
			target:   "googlecloud exporter per span",
			replace:  map[string]string{"BenchmarkCompareTraces/spans=4096/impl=exemplar_link": "30 ns/span 6 allocs/op"},
			measured: "3.00% (30 vs 1000 ns/span)",
		},
		{
			target:   "0 allocs per span",
			replace:  map[string]string{"BenchmarkCompareTraces/spans=4096/impl=exemplar_link": "20 ns/span 7 allocs/op"},
			measured: "5 → 7 allocs/op: 0.00056 allocs/span",
		},
		{
			target:   "labels cleared, not visited",
			replace:  map[string]string{"BenchmarkExemplarLinkStyle/style=upper-case_hex": "113 ns/exemplar"},
			measured: "1.13× (113.0 vs 100.0 ns/exemplar)",
		},
	}
	require.Len(t, tests, len(targets()), "a failing case per target")
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			t.Parallel()
			status, out, _ := runBenchcheck(writeInputs(t, passing, tt.replace))
			assert.Equal(t, 1, status)
			fails := linesWith(out, "FAIL  ")
			if assert.Len(t, fails, 1, out) {
				assert.Contains(t, fails[0], tt.target)
				assert.True(t, strings.HasSuffix(fails[0], "  "+tt.measured), "%q does not end in %q", fails[0], tt.measured)
			}
			assert.True(t, strings.HasSuffix(out, "benchcheck: FAIL: a performance target is missed (see above)\n"), out)
		})
	}
}

// linesWith returns the lines of out that begin with prefix.
func linesWith(out, prefix string) []string {
	var lines []string
	for line := range strings.SplitSeq(out, "\n") {
		if strings.HasPrefix(line, prefix) {
			lines = append(lines, line)
		}
	}
	return lines
}

// A benchmark that did not run fails its targets, naming it.
func TestMissingBenchmarkFails(t *testing.T) {
	t.Parallel()
	runs := slices.DeleteFunc(slices.Clone(passing), func(r benchRun) bool {
		return r.name == "BenchmarkExemplarLinkStyle/style=traceparent"
	})
	status, out, _ := runBenchcheck(writeInputs(t, runs, nil))
	assert.Equal(t, 1, status)
	fails := linesWith(out, "FAIL  ")
	require.Len(t, fails, 1, out)
	assert.True(t, strings.HasSuffix(fails[0], "missing benchmark(s): BenchmarkExemplarLinkStyle/style=upper-case_hex, BenchmarkExemplarLinkStyle/style=traceparent"), fails[0])
}

func TestUsage(t *testing.T) {
	t.Parallel()
	args := writeInputs(t, passing, nil)
	status, _, errOut := runBenchcheck(args[:len(args)-2])
	assert.Equal(t, 2, status)
	assert.Equal(t, "usage: benchcheck -processor FILE -compare FILE -traces FILE -clear FILE\n", errOut)

	status, _, errOut = runBenchcheck(append(slices.Clone(args[:len(args)-1]), filepath.Join(t.TempDir(), "absent.txt")))
	assert.Equal(t, 2, status)
	assert.Contains(t, errOut, "absent.txt")
}

func TestMedian(t *testing.T) {
	t.Parallel()
	r := results{"B": {"ns/op": {5, 1, 3}, "allocs/op": {4, 1, 3, 2}}}
	for _, tt := range []struct {
		unit string
		want float64
		ok   bool
	}{
		{"ns/op", 3, true},
		{"allocs/op", 2.5, true},
		{"B/op", 0, false},
	} {
		got, ok := r.median("B", tt.unit)
		assert.Equal(t, tt.ok, ok, tt.unit)
		assert.InDelta(t, tt.want, got, 1e-9, tt.unit)
	}
	assert.Equal(t, []float64{5, 1, 3}, r["B"]["ns/op"], "median leaves the runs as they were")
}

// parse keeps benchmark lines only, drops the -GOMAXPROCS suffix and skips
// values that are not numbers.
func TestParse(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "bench.txt")
	require.NoError(t, os.WriteFile(path, []byte(`goos: linux
BenchmarkA/x=1-2   	     100	      10.5 ns/op	       2 allocs/op
BenchmarkA/x=1-2   	     100	      11.5 ns/op	       2 allocs/op
BenchmarkB-16      	       3	       7 ns/op	     odd unit
BenchmarkC         	    many	       1 ns/op
--- BENCH: BenchmarkD
PASS
`), 0o600))
	r, err := parse(path)
	require.NoError(t, err)
	assert.Equal(t, []string{"BenchmarkA/x=1", "BenchmarkB"}, slices.Sorted(maps.Keys(r)))
	assert.Equal(t, map[string][]float64{"ns/op": {10.5, 11.5}, "allocs/op": {2, 2}}, r["BenchmarkA/x=1"])
	assert.Equal(t, map[string][]float64{"ns/op": {7}}, r["BenchmarkB"])
}
