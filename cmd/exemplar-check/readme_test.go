package main

import (
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadmeFlags: the flag table of this command's README names every
// flag with its default.
func TestReadmeFlags(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	section := string(readme)

	row := regexp.MustCompile("(?m)^\\| `--([a-z-]+)[^`]*` \\| ([^|]+) \\|")
	documented := map[string]string{}
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		def := strings.Trim(strings.TrimSpace(m[2]), "`")
		if def == "none" {
			def = ""
		}
		documented[m[1]] = def
	}
	var o options
	fs := newFlagSet(&o)
	defined := map[string]string{}
	fs.VisitAll(func(f *flag.Flag) { defined[f.Name] = f.DefValue })
	assert.Equal(t, defined, documented)
}
