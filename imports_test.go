package exemplarlinkprocessor

import (
	"go/build"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNoPackageImportsTesting checks that no non-test source file of the
// module imports "testing": only _test.go files may.
func TestNoPackageImportsTesting(t *testing.T) {
	t.Parallel()
	dirs := []string{"."}
	require.NoError(t, filepath.WalkDir("internal", func(path string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() && d.Name() != "testdata" {
			dirs = append(dirs, path)
		}
		return err
	}))
	for _, dir := range dirs {
		pkg, err := build.ImportDir(dir, 0)
		if _, ok := err.(*build.NoGoError); ok {
			continue
		}
		require.NoError(t, err, dir)
		assert.False(t, slices.Contains(pkg.Imports, "testing"), "%s imports testing outside its tests", dir)
	}
}
