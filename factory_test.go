package exemplarlinkprocessor

import (
	"context"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
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
// createDefaultConfig: every key of Config (nested blocks as parent::key,
// confmap's separator)
// has a row, and the row's default, read as the field's type, is the
// default's value.
func TestREADMEDefaults(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	keys := 0
	forEachKey(reflect.ValueOf(*defaultConfig()), "", func(key string, def reflect.Value) {
		keys++
		row := regexp.MustCompile("(?m)^\\| `" + regexp.QuoteMeta(key) + "` \\| `([^`]*)` \\|").FindSubmatch(readme)
		if !assert.NotNil(t, row, "README has no configuration row for %s", key) {
			return
		}
		assertREADMEValue(t, key, string(row[1]), def)
	})
	assert.Positive(t, keys)
}

// forEachKey calls f with every configuration key of the struct v and its
// default value.
func forEachKey(v reflect.Value, prefix string, f func(key string, def reflect.Value)) {
	for i := 0; i < v.NumField(); i++ {
		tag, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("mapstructure"), ",")
		if tag == "" || tag == "-" {
			continue
		}
		field := v.Field(i)
		if field.Kind() == reflect.Struct && field.Type() != reflect.TypeFor[time.Duration]() {
			forEachKey(field, prefix+tag+"::", f)
			continue
		}
		f(prefix+tag, field)
	}
}

// assertREADMEValue reads the README's default as def's type.
func assertREADMEValue(t *testing.T, key, readme string, def reflect.Value) {
	t.Helper()
	switch {
	case def.Type() == reflect.TypeFor[time.Duration]():
		d, err := time.ParseDuration(readme)
		if assert.NoError(t, err, key) {
			assert.Equal(t, def.Interface(), d, key)
		}
	case def.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(readme)
		if assert.NoError(t, err, key) {
			assert.Equal(t, def.Bool(), b, key)
		}
	case def.Kind() == reflect.Slice:
		assert.Equal(t, "[]", readme, "%s: only empty lists are written as defaults", key)
		assert.Zero(t, def.Len(), key)
	case def.Kind() == reflect.String:
		assert.Equal(t, def.String(), readme, key)
	case def.CanInt():
		n, err := strconv.ParseInt(strings.ReplaceAll(readme, ",", ""), 10, 64)
		if assert.NoError(t, err, key) {
			assert.Equal(t, def.Int(), n, key)
		}
	default:
		t.Errorf("%s: no README reading for %s", key, def.Type())
	}
}

var _ processor.Factory = NewFactory()
