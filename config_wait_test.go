package exemplarlinkprocessor

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/exemplarlink/exemplarlinkprocessor/internal/metadata"
)

func TestLoadWaitConfig(t *testing.T) {
	t.Parallel()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "wait_config.yaml"))
	require.NoError(t, err)
	withWait := func(w WaitConfig) *Config {
		c := defaultConfig()
		c.Wait = w
		return c
	}
	tests := []struct {
		name         string
		expected     *Config
		errorMessage string
	}{
		{name: "", expected: defaultConfig()},
		{name: "custom", expected: withWait(WaitConfig{MaxWait: 2 * time.Second, MaxHeldBatches: 10, MaxHeldBytes: 1 << 20})},
		{name: "off", expected: withWait(WaitConfig{MaxWait: 0, MaxHeldBatches: defaultWaitMaxHeldBatches, MaxHeldBytes: defaultWaitMaxHeldBytes})},
		{name: "negative_wait", errorMessage: "wait::max_wait: must be between 0s and 1m0s, got -1s"},
		{name: "long_wait", errorMessage: "wait::max_wait: must be between 0s and 1m0s, got 1m1s"},
		{name: "no_batches", errorMessage: "wait::max_held_batches: must be at least 1, got 0"},
		{name: "no_bytes", errorMessage: "wait::max_held_bytes: must be at least 1, got 0"},
	}
	for _, tt := range tests {
		id := component.NewIDWithName(metadata.Type, tt.name)
		t.Run(id.String(), func(t *testing.T) {
			t.Parallel()
			cfg := NewFactory().CreateDefaultConfig()
			sub, err := cm.Sub(id.String())
			require.NoError(t, err)
			require.NoError(t, sub.Unmarshal(cfg))
			if tt.errorMessage != "" {
				assert.EqualError(t, confmap.Validate(cfg), tt.errorMessage)
				return
			}
			assert.NoError(t, confmap.Validate(cfg))
			assert.Equal(t, tt.expected, cfg)
		})
	}
}

// TestREADMEWaitDefaults keeps the README's rows for the wait block in
// step with createDefaultConfig.
func TestREADMEWaitDefaults(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	cfg := defaultConfig()
	for key, want := range map[string]string{
		"wait::max_wait":         "6s",
		"wait::max_held_batches": "1000",
		"wait::max_held_bytes":   "33554432",
	} {
		row := regexp.MustCompile("(?m)^\\| `" + key + "` \\| `([^`]*)` \\|").FindSubmatch(readme)
		require.NotNil(t, row, "README has no configuration row for %s", key)
		assert.Equal(t, want, string(row[1]), key)
	}
	assert.Equal(t, 6*time.Second, cfg.Wait.MaxWait)
	assert.Equal(t, 1000, cfg.Wait.MaxHeldBatches)
	assert.Equal(t, int64(33554432), cfg.Wait.MaxHeldBytes)
}
