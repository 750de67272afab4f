package mdlinks

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// maxShellLines is where a shell script's logic belongs in Go instead,
// where it is tested (issue 21: no shell script over about 100 lines).
const maxShellLines = 100

func TestNoLongShellScripts(t *testing.T) {
	root, files := trackedFiles(t, "*.sh", ".ci/*")
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		if n := bytes.Count(b, []byte("\n")); n > maxShellLines {
			t.Errorf("%s is %d lines of shell, over %d: move its logic into a Go command under tools/ (as tools/release did for release.sh)", f, n, maxShellLines)
		}
	}
}
