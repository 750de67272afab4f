package metadata

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"gopkg.in/yaml.v3"
)

// metadataFile is the part of mdatagen's metadata.yaml schema this package
// mirrors.
type metadataFile struct {
	Type   string `yaml:"type"`
	Status struct {
		Class     string              `yaml:"class"`
		Stability map[string][]string `yaml:"stability"`
	} `yaml:"status"`
	Attributes map[string]struct {
		Description string   `yaml:"description"`
		Type        string   `yaml:"type"`
		Enum        []string `yaml:"enum"`
	} `yaml:"attributes"`
	Telemetry struct {
		Metrics map[string]struct {
			Enabled     bool     `yaml:"enabled"`
			Stability   string   `yaml:"stability"`
			Description string   `yaml:"description"`
			Unit        string   `yaml:"unit"`
			Attributes  []string `yaml:"attributes"`
			Sum         *struct {
				ValueType string `yaml:"value_type"`
				Monotonic bool   `yaml:"monotonic"`
			} `yaml:"sum"`
			Histogram *struct {
				ValueType        string    `yaml:"value_type"`
				BucketBoundaries []float64 `yaml:"bucket_boundaries"`
			} `yaml:"histogram"`
		} `yaml:"metrics"`
	} `yaml:"telemetry"`
}

// TestMatchesMetadataYAML fails when this hand-written package and
// metadata.yaml drift apart.
func TestMatchesMetadataYAML(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "metadata.yaml"))
	require.NoError(t, err)
	var md metadataFile
	require.NoError(t, yaml.Unmarshal(raw, &md))

	assert.Equal(t, md.Type, Type.String())
	assert.Equal(t, "processor", md.Status.Class)
	require.Equal(t, MetricsStability, TracesStability, "metadata.yaml lists both signals under one level")
	assert.Equal(t, map[string][]string{strings.ToLower(MetricsStability.String()): {"metrics", "traces"}},
		lowerKeys(md.Status.Stability))
	assert.Equal(t, AttributeSourceValues, md.Attributes[AttributeSource].Enum)
	assert.Equal(t, AttributeReasonValues, md.Attributes[AttributeReason].Enum)
	assert.Equal(t, AttributeSourceDescription, md.Attributes[AttributeSource].Description)
	assert.Equal(t, AttributeReasonDescription, md.Attributes[AttributeReason].Description)

	// Every declared metric is created by the builder with its description
	// and unit, and nothing else is.
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	builder, err := NewTelemetryBuilder(tel.NewTelemetrySettings())
	require.NoError(t, err)
	builder.ProcessorExemplarLinkExemplarsLinked.Add(t.Context(), 1)
	builder.ProcessorExemplarLinkExemplarsUnlinked.Add(t.Context(), 1)
	builder.ProcessorExemplarLinkBatchesHeld.Add(t.Context(), 1)
	builder.ProcessorExemplarLinkBatchHoldDuration.Record(t.Context(), 1)
	builder.ProcessorExemplarLinkBatchesNotHeld.Add(t.Context(), 1)
	builder.ProcessorExemplarLinkReleaseErrors.Add(t.Context(), 1)
	builder.ProcessorExemplarLinkLinksChecked.Add(t.Context(), 1)

	wantNames := map[string]string{
		"processor_exemplar_link_exemplars_linked":    MetricExemplarsLinked,
		"processor_exemplar_link_exemplars_unlinked":  MetricExemplarsUnlinked,
		"processor_exemplar_link_batches_held":        MetricBatchesHeld,
		"processor_exemplar_link_batch_hold_duration": MetricBatchHoldDuration,
		"processor_exemplar_link_batches_not_held":    MetricBatchesNotHeld,
		"processor_exemplar_link_release_errors":      MetricReleaseErrors,
		"processor_exemplar_link_links_checked":       MetricLinksChecked,
	}
	require.Len(t, md.Telemetry.Metrics, len(wantNames))
	for key, def := range md.Telemetry.Metrics {
		name, ok := wantNames[key]
		require.True(t, ok, "metadata.yaml declares %s, which this package does not build", key)
		assert.Equal(t, "otelcol_"+key, name)
		assert.True(t, def.Enabled, key)
		got, err := tel.GetMetric(name)
		require.NoError(t, err, key)
		assert.Equal(t, def.Unit, got.Unit, key)
		assert.Equal(t, def.Description+" ["+strings.ToUpper(def.Stability[:1])+def.Stability[1:]+"]", got.Description, key)
		if def.Histogram != nil {
			assert.Equal(t, "double", def.Histogram.ValueType, key)
			hist, ok := got.Data.(metricdata.Histogram[float64])
			require.True(t, ok, key)
			require.Len(t, hist.DataPoints, 1, key)
			assert.Equal(t, def.Histogram.BucketBoundaries, hist.DataPoints[0].Bounds, key)
			continue
		}
		require.NotNil(t, def.Sum, key)
		assert.Equal(t, "int", def.Sum.ValueType, key)
		assert.True(t, def.Sum.Monotonic, key)
		sum, ok := got.Data.(metricdata.Sum[int64])
		require.True(t, ok, key)
		assert.True(t, sum.IsMonotonic, key)
	}
	assert.Equal(t, []string{AttributeSource}, md.Telemetry.Metrics["processor_exemplar_link_exemplars_linked"].Attributes)
	assert.Equal(t, []string{AttributeReason}, md.Telemetry.Metrics["processor_exemplar_link_exemplars_unlinked"].Attributes)
	assert.Equal(t, []string{AttributeRelease}, md.Telemetry.Metrics["processor_exemplar_link_batches_held"].Attributes)
	assert.Equal(t, []string{AttributeRelease}, md.Telemetry.Metrics["processor_exemplar_link_batch_hold_duration"].Attributes)
	assert.Equal(t, []string{AttributeBound}, md.Telemetry.Metrics["processor_exemplar_link_batches_not_held"].Attributes)
	assert.Empty(t, md.Telemetry.Metrics["processor_exemplar_link_release_errors"].Attributes)
	assert.Equal(t, AttributeReleaseValues, md.Attributes[AttributeRelease].Enum)
	assert.Equal(t, AttributeBoundValues, md.Attributes[AttributeBound].Enum)
	assert.Equal(t, []string{AttributeResult}, md.Telemetry.Metrics["processor_exemplar_link_links_checked"].Attributes)
	assert.Equal(t, AttributeResultValues, md.Attributes[AttributeResult].Enum)
	assert.Equal(t, AttributeResultDescription, md.Attributes[AttributeResult].Description)
	assert.Equal(t, AttributeReleaseDescription, md.Attributes[AttributeRelease].Description)
	assert.Equal(t, AttributeBoundDescription, md.Attributes[AttributeBound].Description)
}

func lowerKeys(m map[string][]string) map[string][]string {
	out := make(map[string][]string, len(m))
	for k, v := range m {
		out[strings.ToLower(k)] = v
	}
	return out
}
