// Command fuzzrun runs Go fuzz targets one after another for a fixed time
// each and says, from the test output, whose failure a failure is:
//
//   - the code's, when the output names an input: a seed corpus entry that
//     failed, or a new input the engine wrote to testdata/fuzz. Never
//     retried: the input is named so it can be rerun and committed.
//   - the build's, when the package did not compile. Never retried.
//   - the fuzz engine's, when the run failed without naming an input (a
//     worker lost on a starved machine: golang/go#56238, #52569). Retried
//     once, and the report says so.
//
// Usage: fuzzrun [-fuzztime 10s] [-go go] pkg:FuzzName ...
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
)

func main() {
	fuzztime := flag.String("fuzztime", "10s", "how long each target is fuzzed (go test -fuzztime)")
	goTool := flag.String("go", "go", "the go command")
	flag.Parse()
	if flag.NArg() == 0 {
		_, _ = fmt.Fprintln(os.Stderr, "usage: fuzzrun [-fuzztime 10s] [-go go] pkg:FuzzName ...")
		os.Exit(2)
	}
	for _, target := range flag.Args() {
		pkg, name, ok := strings.Cut(target, ":")
		if !ok || pkg == "" || name == "" {
			_, _ = fmt.Fprintf(os.Stderr, "fuzzrun: %q is not pkg:FuzzName\n", target)
			os.Exit(2)
		}
		run := func() ([]byte, error) {
			cmd := exec.Command(*goTool,
				"test", "-run", "^$", "-fuzz", "^"+name+"$", "-fuzztime", *fuzztime, pkg)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			return out.Bytes(), err
		}
		if !fuzzTarget(os.Stdout, pkg, name, *fuzztime, run) {
			os.Exit(1)
		}
	}
}

// fuzzTarget runs one target through run, retrying once on an engine
// failure, writes the report to w and says whether the target passed.
func fuzzTarget(w io.Writer, pkg, name, fuzztime string, run func() ([]byte, error)) bool {
	_, _ = fmt.Fprintf(w, "fuzz %s (%s)\n", name, fuzztime)
	for attempt := 1; ; attempt++ {
		out, err := run()
		if err == nil {
			if line := lastLine(out, "fuzz: elapsed"); line != "" {
				_, _ = fmt.Fprintln(w, line)
			}
			if attempt > 1 {
				_, _ = fmt.Fprintf(w, "fuzz %s: passed on the retry after a fuzz engine failure\n", name)
			}
			return true
		}
		_, _ = w.Write(out)
		v := classify(out)
		switch v.kind {
		case codeFailure:
			_, _ = fmt.Fprintf(w, "fuzz %s: CODE FAILURE on input %s\n  rerun it: go test -run '^%s$' %s\n  (a new input: fix the code, then commit the file as a seed)\n",
				name, v.input, strings.Replace(v.input, "/", "$/^", 1), pkg)
			return false
		case buildFailure:
			_, _ = fmt.Fprintf(w, "fuzz %s: BUILD FAILURE: the package did not compile\n", name)
			return false
		}
		if attempt == 2 {
			_, _ = fmt.Fprintf(w, "fuzz %s: FUZZ ENGINE FAILURE again on the retry (no failing input was named: %s)\n", name, v.detail)
			return false
		}
		_, _ = fmt.Fprintf(w, "fuzz %s: fuzz engine failure, no failing input named (%s); retrying once (golang/go#56238, #52569)\n", name, v.detail)
	}
}

type kind int

const (
	engineFailure kind = iota
	codeFailure
	buildFailure
)

type verdict struct {
	kind kind
	// input names the failing input as FuzzName/entry (code failures).
	input string
	// detail is the engine's own words (engine failures).
	detail string
}

var (
	// The engine's words for an input that made the code fail: a seed
	// entry when it runs the corpus first, a new one it wrote, and the
	// subtest of a corpus entry when the seeds run as plain tests.
	seedFailure  = regexp.MustCompile(`failure while testing seed corpus entry: (\S+)`)
	inputWritten = regexp.MustCompile(`Failing input written to testdata/fuzz/(\S+)`)
	subtestFail  = regexp.MustCompile(`(?m)^\s*--- FAIL: (Fuzz\w+/\S+)`)
	buildFailed  = regexp.MustCompile(`(?m)\[(build|setup) failed\]|^# \S+\n.*\.go:\d+:\d+: `)
	engineWords  = regexp.MustCompile(`(?m)^.*(fuzzing process|fuzz engine|communicating with|terminated unexpectedly|hung).*$`)
)

// classify reads a failed run's output.
func classify(out []byte) verdict {
	for _, re := range []*regexp.Regexp{seedFailure, inputWritten, subtestFail} {
		if m := re.FindSubmatch(out); m != nil {
			return verdict{kind: codeFailure, input: string(m[1])}
		}
	}
	if buildFailed.Match(out) {
		return verdict{kind: buildFailure}
	}
	detail := "the run failed without a message"
	if m := engineWords.Find(out); m != nil {
		detail = strings.TrimSpace(string(m))
	}
	return verdict{kind: engineFailure, detail: detail}
}

// lastLine returns the last line of out that starts with prefix.
func lastLine(out []byte, prefix string) string {
	last := ""
	for line := range strings.SplitSeq(string(out), "\n") {
		if strings.HasPrefix(line, prefix) {
			last = line
		}
	}
	return last
}
