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

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)

	tests := []struct {
		id           component.ID
		expected     *Config
		errorMessage string
	}{
		{
			id:       component.NewID(metadata.Type),
			expected: defaultConfig(),
		},
		{
			id: component.NewIDWithName(metadata.Type, "custom"),
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
				Wait: defaultConfig().Wait,
			},
		},
		{
			id: component.NewIDWithName(metadata.Type, "summary_off"),
			expected: func() *Config {
				c := defaultConfig()
				c.SummaryInterval = 0
				return c
			}(),
		},
		{
			id:           component.NewIDWithName(metadata.Type, "empty_name"),
			errorMessage: `trace_id_labels: "" is not a label name`,
		},
		{
			id:           component.NewIDWithName(metadata.Type, "listed_twice"),
			errorMessage: `span_id_labels: "sid" is listed twice`,
		},
		{
			id:           component.NewIDWithName(metadata.Type, "listed_for_trace_and_span"),
			errorMessage: `span_id_labels: "request_ref" is also listed in trace_id_labels`,
		},
		{
			id:           component.NewIDWithName(metadata.Type, "no_trace_source"),
			errorMessage: "builtin_label_names: is false, so trace_id_labels or trace_context_labels must name at least one label",
		},
		{
			id:           component.NewIDWithName(metadata.Type, "bad_trace_only_mode"),
			errorMessage: `trace_only_exemplars: "both" is not one of "label", "field"`,
		},
		{
			id:           component.NewIDWithName(metadata.Type, "negative_interval"),
			errorMessage: "summary_interval: must not be negative, got -1s",
		},
		{
			id:           component.NewIDWithName(metadata.Type, "no_spans"),
			errorMessage: "span_index::max_spans: must be between 1 and 16777216, got 0",
		},
		{
			id:           component.NewIDWithName(metadata.Type, "too_many_spans"),
			errorMessage: "span_index::max_spans: must be between 1 and 16777216, got 16777217",
		},
		{
			id:           component.NewIDWithName(metadata.Type, "short_max_age"),
			errorMessage: "span_index::max_age: must be at least 1s, got 500ms",
		},
		{
			id:           component.NewIDWithName(metadata.Type, "negative_resolutions"),
			errorMessage: "span_index::max_resolutions: must be between 0 and 16777216, got -1",
		},
		{
			id:           component.NewIDWithName(metadata.Type, "short_dangling_after"),
			errorMessage: "dangling_after: must be between 1s and span_index::max_age (2m0s), got 500ms",
		},
		{
			id:           component.NewIDWithName(metadata.Type, "dangling_after_past_max_age"),
			errorMessage: "dangling_after: must be between 1s and span_index::max_age (2m0s), got 3m0s",
		},
		{
			id:           component.NewIDWithName(metadata.Type, "negative_checked_links"),
			errorMessage: "span_index::max_checked_links: must be between 0 and 16777216, got -1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.id.String(), func(t *testing.T) {
			t.Parallel()
			cfg := NewFactory().CreateDefaultConfig()
			sub, err := cm.Sub(tt.id.String())
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

func TestUnknownConfigKeyIsRejected(t *testing.T) {
	t.Parallel()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, "unknown_key").String())
	require.NoError(t, err)
	err = sub.Unmarshal(NewFactory().CreateDefaultConfig())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "trace_labels")
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
