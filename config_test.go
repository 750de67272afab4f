package exemplarlinkprocessor

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/exemplarlink/exemplarlinkprocessor/internal/metadata"
)

// TestLoadConfig loads every component ID of testdata/config.yaml into the
// factory's default config: valid ones must equal expected, invalid ones
// fail Validate (errorMessage, exactly) or Unmarshal (unmarshalError, a
// part of the message).
func TestLoadConfig(t *testing.T) {
	t.Parallel()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	with := func(change func(*Config)) *Config {
		c := defaultConfig()
		change(c)
		return c
	}

	tests := []struct {
		name           string
		expected       *Config
		errorMessage   string
		unmarshalError string
	}{
		{name: "", expected: defaultConfig()},
		{
			name: "custom",
			expected: &Config{
				BuiltinLabelNames:     false,
				TraceIDLabels:         []string{"tid"},
				SpanIDLabels:          []string{"sid"},
				TraceContextLabels:    []string{"ctx"},
				Pad64BitTraceIDs:      false,
				OverwriteExistingIDs:  true,
				TraceOnlyExemplars:    TraceOnlyField,
				DetectIDsByValue:      true,
				LinkUnsampled:         true,
				SummaryInterval:       10 * time.Second,
				LinkOnlyExportedSpans: true,
				DanglingAfter:         30 * time.Second,
				SpanIndex: SpanIndexConfig{
					MaxSpans:        50_000,
					MaxAge:          90 * time.Second,
					MaxResolutions:  0,
					MaxCheckedLinks: 1000,
				},
				Wait: WaitConfig{MaxWait: 2 * time.Second, MaxHeldBatches: 10, MaxHeldBytes: 1 << 20},
			},
		},
		{name: "summary_off", expected: with(func(c *Config) { c.SummaryInterval = 0 })},
		{name: "wait_off", expected: with(func(c *Config) { c.Wait.MaxWait = 0 })},
		{name: "unknown_key", unmarshalError: "trace_labels"},
		{name: "empty_name", errorMessage: `trace_id_labels: "" is not a label name`},
		{name: "listed_twice", errorMessage: `span_id_labels: "sid" is listed twice`},
		{name: "listed_for_trace_and_span", errorMessage: `span_id_labels: "request_ref" is also listed in trace_id_labels`},
		{name: "no_trace_source", errorMessage: "builtin_label_names: is false, so trace_id_labels or trace_context_labels must name at least one label"},
		{name: "bad_trace_only_mode", errorMessage: `trace_only_exemplars: "both" is not one of "label", "field"`},
		{name: "negative_interval", errorMessage: "summary_interval: must not be negative, got -1s"},
		{name: "no_spans", errorMessage: "span_index::max_spans: must be between 1 and 16777216, got 0"},
		{name: "too_many_spans", errorMessage: "span_index::max_spans: must be between 1 and 16777216, got 16777217"},
		{name: "short_max_age", errorMessage: "span_index::max_age: must be at least 1s, got 500ms"},
		{name: "negative_resolutions", errorMessage: "span_index::max_resolutions: must be between 0 and 16777216, got -1"},
		{name: "short_dangling_after", errorMessage: "dangling_after: must be between 1s and span_index::max_age (2m0s), got 500ms"},
		{name: "dangling_after_past_max_age", errorMessage: "dangling_after: must be between 1s and span_index::max_age (2m0s), got 3m0s"},
		{name: "negative_checked_links", errorMessage: "span_index::max_checked_links: must be between 0 and 16777216, got -1"},
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
			err = sub.Unmarshal(cfg)
			if tt.unmarshalError != "" {
				assert.ErrorContains(t, err, tt.unmarshalError)
				return
			}
			require.NoError(t, err)
			if tt.errorMessage != "" {
				assert.EqualError(t, confmap.Validate(cfg), tt.errorMessage)
				return
			}
			assert.NoError(t, confmap.Validate(cfg))
			assert.Equal(t, tt.expected, cfg)
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	t.Parallel()
	cfg := defaultConfig()
	cfg.TraceIDLabels = []string{"", "x"}
	cfg.TraceContextLabels = []string{"x"}
	cfg.TraceOnlyExemplars = "nowhere"
	assert.EqualError(t, cfg.Validate(), `trace_id_labels: "" is not a label name
trace_context_labels: "x" is also listed in trace_id_labels
trace_only_exemplars: "nowhere" is not one of "label", "field"`)
}
