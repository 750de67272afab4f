package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseReleases(t *testing.T) {
	t.Parallel()
	r, err := parseReleases("# comment\nCOLLECTOR_RELEASE := v0.165.0\n\nCOLLECTOR_MIN_RELEASE := v0.162.0\nCOLLECTOR_HELD := " + contrib + "processor/transformprocessor@v0.161.0\n")
	require.NoError(t, err)
	assert.Equal(t, releases{newest: "v0.165.0", min: "v0.162.0", heldPath: contrib + "processor/transformprocessor", heldVersion: "v0.161.0"}, r)

	_, err = parseReleases("COLLECTOR_RELEASE := v0.165.0\n")
	require.EqualError(t, err, `release.mk: COLLECTOR_MIN_RELEASE: "" is not a collector release v0.N.x`)
	_, err = parseReleases("COLLECTOR_RELEASE := v0.165.0\nCOLLECTOR_MIN_RELEASE := v0.162.0\nCOLLECTOR_HELD := nope\n")
	require.EqualError(t, err, `release.mk: COLLECTOR_HELD "nope" is not path@version`)
}

func TestStable(t *testing.T) {
	t.Parallel()
	for release, want := range map[string]string{"v0.165.0": "v1.71.0", "v0.162.0": "v1.68.0", "v0.165.1": "v1.71.0"} {
		got, err := stable(release)
		require.NoError(t, err)
		assert.Equal(t, want, got, release)
	}
	for _, bad := range []string{"v1.71.0", "0.165.0", "v0.x.0", "v0.12.0", ""} {
		_, err := stable(bad)
		assert.Error(t, err, bad)
	}
}

func TestPickVersion(t *testing.T) {
	t.Parallel()
	got, err := pickVersion([]string{core + "pdata", "v1.70.0", "v1.71.0"}, "v0.165.0")
	require.NoError(t, err)
	assert.Equal(t, "v1.71.0", got, "a module stable by the release takes its 1.x version")
	got, err = pickVersion([]string{core + "processor/processorhelper", "v0.164.0", "v0.165.0"}, "v0.165.0")
	require.NoError(t, err)
	assert.Equal(t, "v0.165.0", got)
}

func TestCollectorModules(t *testing.T) {
	t.Parallel()
	out := core + "pdata v1.71.0\n\ngithub.com/stretchr/testify v1.11.1\n" + contrib + "pkg/golden v0.165.0\n" + core + "pdata v1.71.0\n"
	assert.Equal(t, []module{{contrib + "pkg/golden", "v0.165.0"}, {core + "pdata", "v1.71.0"}}, collectorModules(out))
}

func TestOffRelease(t *testing.T) {
	t.Parallel()
	h := held{contrib + "processor/transformprocessor", "v0.161.0"}
	onRelease := []module{{core + "pdata", "v1.71.0"}, {core + "processor/processorhelper", "v0.165.0"}, {contrib + "pkg/golden", "v0.165.1"}}
	bad, err := offRelease("e2e", onRelease, "v0.165.0", h)
	require.NoError(t, err)
	assert.Empty(t, bad)

	bad, err = offRelease("e2e", append(onRelease, module{core + "pdata", "v1.70.0"}, module{contrib + "pkg/ottl", "v0.164.0"}), "v0.165.0", h)
	require.NoError(t, err)
	assert.Equal(t, []string{
		"e2e: " + core + "pdata v1.70.0 (want v0.165.0)",
		"e2e: " + contrib + "pkg/ottl v0.164.0 (want v0.165.0)",
	}, bad)

	// The held module's own contrib dependencies at its version are
	// tolerated only where the held module is built.
	alongHeld := module{contrib + "pkg/ottl", "v0.161.0"}
	bad, err = offRelease("bench", append(onRelease, alongHeld, module(h)), "v0.165.0", h)
	require.NoError(t, err)
	assert.Empty(t, bad)
	bad, err = offRelease("demo", append(onRelease, alongHeld), "v0.165.0", h)
	require.NoError(t, err)
	assert.Equal(t, []string{"demo: " + contrib + "pkg/ottl v0.161.0 (want v0.165.0)"}, bad)
}

const manifest = `dist:
  name: otelcol-exemplarlink
exporters:
  - gomod: go.opentelemetry.io/collector/exporter/debugexporter v0.165.0
  - gomod: github.com/open-telemetry/opentelemetry-collector-contrib/exporter/googlecloudexporter v0.164.0
processors:
  - gomod: github.com/exemplarlink/exemplarlinkprocessor v0.0.0
    path: ./
`

func TestManifest(t *testing.T) {
	t.Parallel()
	assert.Equal(t, []string{"builder-config.yaml: " + contrib + "exporter/googlecloudexporter v0.164.0 (want v0.165.0)"}, manifestOffRelease(manifest, "v0.165.0"))
	moved := moveManifest(manifest, "v0.166.0")
	assert.Empty(t, manifestOffRelease(moved, "v0.166.0"))
	assert.Contains(t, moved, "github.com/exemplarlink/exemplarlinkprocessor v0.0.0", "other modules keep their versions")
}
