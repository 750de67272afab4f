package exemplarlinkprocessor

import (
	"context"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pipeline"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.uber.org/goleak"

	"github.com/exemplarlink/exemplarlinkprocessor/internal/metadata"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestComponentFactoryType(t *testing.T) {
	require.Equal(t, component.MustNewType("exemplar_link"), NewFactory().Type())
}

func TestComponentConfigStruct(t *testing.T) {
	require.NoError(t, componenttest.CheckConfigStruct(NewFactory().CreateDefaultConfig()))
}

func TestDefaultConfigIsValid(t *testing.T) {
	require.NoError(t, defaultConfig().Validate())
}

func TestFactoryOffersMetricsAndTraces(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, metadata.MetricsStability, f.MetricsStability())
	assert.Equal(t, metadata.TracesStability, f.TracesStability())
	_, err := f.CreateLogs(t.Context(), processortest.NewNopSettings(metadata.Type), f.CreateDefaultConfig(), consumertest.NewNop())
	assert.ErrorIs(t, err, pipeline.ErrSignalNotSupported)
}

func TestComponentLifecycle(t *testing.T) {
	factory := NewFactory()
	cfg := factory.CreateDefaultConfig()

	t.Run("metrics-shutdown", func(t *testing.T) {
		c, err := factory.CreateMetrics(context.Background(), processortest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
		require.NoError(t, err)
		require.NoError(t, c.Shutdown(context.Background()))
	})
	t.Run("metrics-lifecycle", func(t *testing.T) {
		c, err := factory.CreateMetrics(context.Background(), processortest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
		require.NoError(t, err)
		require.NoError(t, c.Start(context.Background(), componenttest.NewNopHost()))
		assert.True(t, c.Capabilities().MutatesData)
		var consumeErr error
		require.NotPanics(t, func() { consumeErr = c.ConsumeMetrics(context.Background(), generateLifecycleTestMetrics()) })
		require.NoError(t, consumeErr)
		require.NoError(t, c.Shutdown(context.Background()))
	})
}

func generateLifecycleTestMetrics() pmetric.Metrics {
	metrics := pmetric.NewMetrics()
	rm := metrics.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("resource", "R1")
	m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("test_metric")
	dp := m.SetEmptyGauge().DataPoints().AppendEmpty()
	dp.Attributes().PutStr("test_attr", "value_1")
	dp.SetIntValue(123)
	dp.SetTimestamp(pcommon.NewTimestampFromTime(time.Now()))
	return metrics
}

// TestREADMEDefaults keeps the README's configuration table in step with
// createDefaultConfig.
func TestREADMEDefaults(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	cfg := defaultConfig()
	for key, want := range map[string]string{
		"builtin_label_names":         "true",
		"trace_id_labels":             "[]",
		"span_id_labels":              "[]",
		"trace_context_labels":        "[]",
		"pad_64bit_trace_ids":         "true",
		"overwrite_existing_ids":      "false",
		"trace_only_exemplars":        "label",
		"detect_ids_by_value":         "false",
		"link_unsampled":              "false",
		"summary_interval":            "1m",
		"span_index::max_spans":       "200000",
		"span_index::max_age":         "2m",
		"span_index::max_resolutions": "16384",
	} {
		row := regexp.MustCompile("(?m)^\\| `" + key + "` \\| `([^`]*)` \\|").FindSubmatch(readme)
		require.NotNil(t, row, "README has no configuration row for %s", key)
		assert.Equal(t, want, string(row[1]), key)
	}
	assert.True(t, cfg.BuiltinLabelNames)
	assert.Empty(t, cfg.TraceIDLabels)
	assert.Empty(t, cfg.SpanIDLabels)
	assert.Empty(t, cfg.TraceContextLabels)
	assert.True(t, cfg.Pad64BitTraceIDs)
	assert.False(t, cfg.OverwriteExistingIDs)
	assert.Equal(t, TraceOnlyLabel, cfg.TraceOnlyExemplars)
	assert.False(t, cfg.DetectIDsByValue)
	assert.False(t, cfg.LinkUnsampled)
	assert.Equal(t, time.Minute, cfg.SummaryInterval)
	assert.Equal(t, 200_000, cfg.SpanIndex.MaxSpans)
	assert.Equal(t, 2*time.Minute, cfg.SpanIndex.MaxAge)
	assert.Equal(t, 16_384, cfg.SpanIndex.MaxResolutions)
}

var _ processor.Factory = NewFactory()
