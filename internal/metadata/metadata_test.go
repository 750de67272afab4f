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
			Sum         struct {
				ValueType string `yaml:"value_type"`
				Monotonic bool   `yaml:"monotonic"`
			} `yaml:"sum"`
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

	wantNames := map[string]string{
		"processor_exemplar_link_exemplars_linked":   MetricExemplarsLinked,
		"processor_exemplar_link_exemplars_unlinked": MetricExemplarsUnlinked,
	}
	require.Len(t, md.Telemetry.Metrics, len(wantNames))
	for key, def := range md.Telemetry.Metrics {
		name, ok := wantNames[key]
		require.True(t, ok, "metadata.yaml declares %s, which this package does not build", key)
		assert.Equal(t, "otelcol_"+key, name)
		assert.True(t, def.Enabled, key)
		assert.Equal(t, "int", def.Sum.ValueType, key)
		assert.True(t, def.Sum.Monotonic, key)
		got, err := tel.GetMetric(name)
		require.NoError(t, err, key)
		assert.Equal(t, def.Unit, got.Unit, key)
		assert.Equal(t, def.Description+" ["+strings.ToUpper(def.Stability[:1])+def.Stability[1:]+"]", got.Description, key)
		sum, ok := got.Data.(metricdata.Sum[int64])
		require.True(t, ok, key)
		assert.True(t, sum.IsMonotonic, key)
	}
	assert.Equal(t, []string{AttributeSource}, md.Telemetry.Metrics["processor_exemplar_link_exemplars_linked"].Attributes)
	assert.Equal(t, []string{AttributeReason}, md.Telemetry.Metrics["processor_exemplar_link_exemplars_unlinked"].Attributes)
}

func lowerKeys(m map[string][]string) map[string][]string {
	out := make(map[string][]string, len(m))
	for k, v := range m {
		out[strings.ToLower(k)] = v
	}
	return out
}
