package mdlinks

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// releaseVersion is a collector version as the docs write one: v0.N.x or
// core's stable v1.N.x.
var releaseVersion = regexp.MustCompile(`\bv([01])\.(\d+)\.\d+\b`)

// TestReleasesNamed: no Markdown file states a collector release other
// than those release.mk names (the newest, the oldest the processor
// supports, the held one), or their core 1.x twins. docs/compatibility.md
// lists the releases in between, which the matrix proves.
func TestReleasesNamed(t *testing.T) {
	t.Parallel()
	root, files := markdownFiles(t)
	mk, err := os.ReadFile(filepath.Join(root, "release.mk"))
	require.NoError(t, err)
	allowed := map[string]bool{}
	for _, name := range []string{"COLLECTOR_RELEASE", "COLLECTOR_MIN_RELEASE", "COLLECTOR_HELD"} {
		m := regexp.MustCompile(`(?m)^` + name + `\s*:=\s*\S*?(v0\.(\d+)\.\d+)\s*$`).FindStringSubmatch(string(mk))
		require.NotNil(t, m, "release.mk names no %s", name)
		minor, err := strconv.Atoi(m[2])
		require.NoError(t, err)
		allowed["0."+m[2]] = true
		allowed[fmt.Sprintf("1.%d", minor-94)] = true
	}
	for _, file := range files {
		if file == "docs/compatibility.md" {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(root, file))
		require.NoError(t, err)
		for i, line := range strings.Split(string(raw), "\n") {
			for _, m := range releaseVersion.FindAllStringSubmatch(line, -1) {
				minor, _ := strconv.Atoi(m[2])
				if m[1] == "0" && minor < 100 || m[1] == "1" && !strings.Contains(line, "core") {
					continue // v0.1.0 of this module; another library's v1.x
				}
				assert.True(t, allowed[m[1]+"."+m[2]], "%s:%d names %s, a release release.mk does not", file, i+1, m[0])
			}
		}
	}
}

// TestRootREADMEIsADoor: the root README stays a page a newcomer reads in
// ten minutes; deeper material lives beside what it describes.
func TestRootREADMEIsADoor(t *testing.T) {
	t.Parallel()
	root, _ := markdownFiles(t)
	raw, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	lines := strings.Count(string(raw), "\n")
	assert.LessOrEqual(t, lines, 500, "README.md has %d lines; move detail beside what it describes (docs/, the module READMEs)", lines)
}
