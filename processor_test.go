package exemplarlinkprocessor

import (
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pmetrictest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/exemplarlink/exemplarlinkprocessor/internal/cases"
	"github.com/exemplarlink/exemplarlinkprocessor/internal/metadata"
)

const (
	traceHex = cases.T
	spanHex  = cases.S
)

// label and exemplar are the shared case table's types.
type (
	label    = cases.Label
	exemplar = cases.Exemplar
)

var l = cases.L

func buildExemplar(t testing.TB, ex pmetric.Exemplar, spec exemplar) {
	t.Helper()
	ex.SetDoubleValue(0.42)
	ex.SetTimestamp(pcommon.Timestamp(1_700_000_000_000_000_000))
	for _, lb := range spec.Labels {
		if lb.Int {
			ex.FilteredAttributes().PutInt(lb.Key, 42)
		} else {
			ex.FilteredAttributes().PutStr(lb.Key, lb.Value)
		}
	}
	if spec.TraceID != "" {
		var id pcommon.TraceID
		decodeInto(t, id[:], spec.TraceID)
		ex.SetTraceID(id)
	}
	if spec.SpanID != "" {
		var id pcommon.SpanID
		decodeInto(t, id[:], spec.SpanID)
		ex.SetSpanID(id)
	}
}

func decodeInto(t testing.TB, dst []byte, s string) {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	require.Len(t, b, len(dst))
	copy(dst, b)
}

// histogramWithExemplar returns a one-exemplar histogram batch, the shape
// the prometheus receiver produces from a scrape.
func histogramWithExemplar(t testing.TB, spec exemplar) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "checkout")
	m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("http_server_duration_seconds")
	dp := m.SetEmptyHistogram().DataPoints().AppendEmpty()
	dp.Attributes().PutStr("method", "GET")
	dp.SetCount(3)
	dp.SetSum(1.5)
	dp.ExplicitBounds().FromRaw([]float64{0.1, 1})
	dp.BucketCounts().FromRaw([]uint64{1, 1, 1})
	buildExemplar(t, dp.Exemplars().AppendEmpty(), spec)
	return md
}

func firstExemplar(md pmetric.Metrics) pmetric.Exemplar {
	return md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Histogram().DataPoints().At(0).Exemplars().At(0)
}

// configFor returns the processor configuration of a case.
func configFor(c cases.Config) *Config {
	cfg := defaultConfig()
	cfg.BuiltinLabelNames = !c.BuiltinNamesOff
	cfg.TraceIDLabels, cfg.SpanIDLabels, cfg.TraceContextLabels = c.TraceIDLabels, c.SpanIDLabels, c.TraceContextLabels
	cfg.Pad64BitTraceIDs = !c.NoPad64BitTraceIDs
	cfg.OverwriteExistingIDs = c.OverwriteExistingIDs
	if c.TraceOnlyInField {
		cfg.TraceOnlyExemplars = TraceOnlyField
	}
	cfg.DetectIDsByValue, cfg.LinkUnsampled = c.DetectIDsByValue, c.LinkUnsampled
	return cfg
}

func newTestProcessor(t *testing.T, cfg *Config, set processor.Settings) (processor.Metrics, *consumertest.MetricsSink) {
	t.Helper()
	sink := new(consumertest.MetricsSink)
	proc, err := NewFactory().CreateMetrics(t.Context(), set, cfg, sink)
	require.NoError(t, err)
	require.NoError(t, proc.Start(t.Context(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, proc.Shutdown(context.Background())) })
	return proc, sink
}

func defaultConfig() *Config { return createDefaultConfig().(*Config) }

// TestCases runs every case of the shared table (internal/cases: the
// README's before/after and hostile-input rows, the spellings and the
// settings) through the factory, and checks the exemplar that leaves, its
// label order, and the telemetry counted for it.
func TestCases(t *testing.T) {
	t.Parallel()
	for _, c := range cases.All() {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			cfg := configFor(c.Config)
			require.NoError(t, cfg.Validate())
			tel := componenttest.NewTelemetry()
			t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
			set := processortest.NewNopSettings(metadata.Type)
			set.TelemetrySettings = tel.NewTelemetrySettings()
			proc, sink := newTestProcessor(t, cfg, set)

			require.NotPanics(t, func() {
				require.NoError(t, proc.ConsumeMetrics(t.Context(), histogramWithExemplar(t, c.In)))
			})
			want := histogramWithExemplar(t, c.Out)
			require.Len(t, sink.AllMetrics(), 1)
			got := sink.AllMetrics()[0]
			assert.NoError(t, pmetrictest.CompareMetrics(want, got))
			// CompareMetrics ignores attribute order; the processor must not.
			assert.Equal(t, labelsOf(firstExemplar(want).FilteredAttributes()), labelsOf(firstExemplar(got).FilteredAttributes()))

			linked, unlinked := counterTotals(t, tel)
			wantLinked, wantUnlinked := map[string]int64{}, map[string]int64{}
			switch result, attr, _ := strings.Cut(c.Outcome, " "); result {
			case "linked":
				wantLinked[attr] = 1
			case "unlinked":
				wantUnlinked[attr] = 1
			default:
				require.Empty(t, c.Outcome, "outcome is linked <source>, unlinked <reason> or empty")
			}
			assert.Equal(t, wantLinked, linked, "linked by source")
			assert.Equal(t, wantUnlinked, unlinked, "unlinked by reason")
		})
	}
}

func labelsOf(m pcommon.Map) []label {
	var out []label
	m.Range(func(k string, v pcommon.Value) bool {
		out = append(out, l(k, v.AsString()))
		return true
	})
	return out
}

// TestEveryMetricTypeWithExemplars checks that exemplars are linked on all
// four point types that carry them and that summaries pass through.
func TestEveryMetricTypeWithExemplars(t *testing.T) {
	t.Parallel()
	proc, sink := newTestProcessor(t, defaultConfig(), processortest.NewNopSettings(metadata.Type))
	in := cases.Labels(l("traceID", traceHex), l("spanID", spanHex))
	out := cases.Linked(traceHex, spanHex)

	build := func(spec exemplar) pmetric.Metrics {
		md := pmetric.NewMetrics()
		ms := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics()
		g := ms.AppendEmpty()
		g.SetName("gauge")
		buildExemplar(t, g.SetEmptyGauge().DataPoints().AppendEmpty().Exemplars().AppendEmpty(), spec)
		s := ms.AppendEmpty()
		s.SetName("sum")
		buildExemplar(t, s.SetEmptySum().DataPoints().AppendEmpty().Exemplars().AppendEmpty(), spec)
		h := ms.AppendEmpty()
		h.SetName("histogram")
		buildExemplar(t, h.SetEmptyHistogram().DataPoints().AppendEmpty().Exemplars().AppendEmpty(), spec)
		e := ms.AppendEmpty()
		e.SetName("exponential_histogram")
		buildExemplar(t, e.SetEmptyExponentialHistogram().DataPoints().AppendEmpty().Exemplars().AppendEmpty(), spec)
		sm := ms.AppendEmpty()
		sm.SetName("summary")
		sm.SetEmptySummary().DataPoints().AppendEmpty().SetSum(1)
		ms.AppendEmpty().SetName("empty")
		return md
	}
	require.NoError(t, proc.ConsumeMetrics(t.Context(), build(in)))
	assert.NoError(t, pmetrictest.CompareMetrics(build(out), sink.AllMetrics()[0]))
}

// TestGolden runs every testdata/<case>/input.yaml through the processor,
// configured by the case's config.yaml (the default configuration when it
// has none), and compares the result with output.yaml, label order
// included.
func TestGolden(t *testing.T) {
	t.Parallel()
	inputs, err := filepath.Glob(filepath.Join("testdata", "*", "input.yaml"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(inputs), 4)
	for _, input := range inputs {
		dir := filepath.Dir(input)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			cfg := defaultConfig()
			if _, err := os.Stat(filepath.Join(dir, "config.yaml")); err == nil {
				cm, err := confmaptest.LoadConf(filepath.Join(dir, "config.yaml"))
				require.NoError(t, err)
				require.NoError(t, cm.Unmarshal(cfg))
			}
			require.NoError(t, cfg.Validate())
			in, err := golden.ReadMetrics(input)
			require.NoError(t, err)
			expected, err := golden.ReadMetrics(filepath.Join(dir, "output.yaml"))
			require.NoError(t, err)

			proc, sink := goldenProcessor(t, dir, cfg)
			require.NoError(t, proc.ConsumeMetrics(t.Context(), in))
			require.Len(t, sink.AllMetrics(), 1)
			got := sink.AllMetrics()[0]
			assert.NoError(t, pmetrictest.CompareMetrics(expected, got))
			// CompareMetrics ignores attribute order; the processor must not.
			assert.Equal(t, exemplarLabels(expected), exemplarLabels(got))
		})
	}
}

// goldenProcessor returns the metrics side for a golden case; a case
// with spans.yaml first passes those spans through the traces side of the
// same component.
func goldenProcessor(t *testing.T, dir string, cfg *Config) (processor.Metrics, *consumertest.MetricsSink) {
	spansFile := filepath.Join(dir, "spans.yaml")
	if _, err := os.Stat(spansFile); err != nil {
		return newTestProcessor(t, cfg, processortest.NewNopSettings(metadata.Type))
	}
	spans, err := golden.ReadTraces(spansFile)
	require.NoError(t, err)
	p := newPair(t, NewFactory(), cfg, component.NewID(metadata.Type))
	require.NoError(t, p.traces.ConsumeTraces(t.Context(), spans))
	return p.metrics, p.sink
}

// exemplarLabels lists the labels of every exemplar of md, in order.
func exemplarLabels(md pmetric.Metrics) [][]label {
	var out [][]label
	add := func(exs pmetric.ExemplarSlice) {
		for i := 0; i < exs.Len(); i++ {
			out = append(out, labelsOf(exs.At(i).FilteredAttributes()))
		}
	}
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		sms := rms.At(i).ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			ms := sms.At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				switch m := ms.At(k); m.Type() {
				case pmetric.MetricTypeHistogram:
					for d := 0; d < m.Histogram().DataPoints().Len(); d++ {
						add(m.Histogram().DataPoints().At(d).Exemplars())
					}
				case pmetric.MetricTypeExponentialHistogram:
					for d := 0; d < m.ExponentialHistogram().DataPoints().Len(); d++ {
						add(m.ExponentialHistogram().DataPoints().At(d).Exemplars())
					}
				case pmetric.MetricTypeSum:
					for d := 0; d < m.Sum().DataPoints().Len(); d++ {
						add(m.Sum().DataPoints().At(d).Exemplars())
					}
				case pmetric.MetricTypeGauge:
					for d := 0; d < m.Gauge().DataPoints().Len(); d++ {
						add(m.Gauge().DataPoints().At(d).Exemplars())
					}
				case pmetric.MetricTypeSummary, pmetric.MetricTypeEmpty:
				}
			}
		}
	}
	return out
}

// counterValues returns a telemetry counter's points keyed by the value of
// attrKey.
func counterValues(t *testing.T, tel *componenttest.Telemetry, name, attrKey string) map[string]int64 {
	t.Helper()
	got, err := tel.GetMetric(name)
	require.NoError(t, err)
	sum, ok := got.Data.(metricdata.Sum[int64])
	require.True(t, ok)
	out := make(map[string]int64)
	for _, dp := range sum.DataPoints {
		v, ok := dp.Attributes.Value(attribute.Key(attrKey))
		require.True(t, ok)
		out[v.AsString()] = dp.Value
	}
	return out
}

func observedSettings(level zapcore.Level) (processor.Settings, *observer.ObservedLogs) {
	core, logs := observer.New(level)
	set := processortest.NewNopSettings(metadata.Type)
	set.Logger = zap.New(core)
	return set, logs
}

func TestLogs(t *testing.T) {
	t.Parallel()
	linkedPair := cases.Labels(l("traceID", traceHex), l("spanID", spanHex))

	t.Run("start line with effective settings", func(t *testing.T) {
		t.Parallel()
		set, logs := observedSettings(zapcore.InfoLevel)
		newTestProcessor(t, defaultConfig(), set)
		started := logs.FilterMessage("Exemplar link processor started").All()
		require.Len(t, started, 1)
		fields := started[0].ContextMap()
		assert.Equal(t, true, fields["builtin_label_names"])
		assert.Equal(t, "label", fields["trace_only_exemplars"])
		assert.Equal(t, time.Minute, fields["summary_interval"])
	})

	t.Run("no line per exemplar at info", func(t *testing.T) {
		t.Parallel()
		set, logs := observedSettings(zapcore.InfoLevel)
		proc, _ := newTestProcessor(t, defaultConfig(), set)
		for range 100 {
			require.NoError(t, proc.ConsumeMetrics(t.Context(), histogramWithExemplar(t, linkedPair)))
		}
		assert.Equal(t, 1, logs.Len(), "only the start line within the summary interval")
	})

	t.Run("debug line per linked exemplar", func(t *testing.T) {
		t.Parallel()
		set, logs := observedSettings(zapcore.DebugLevel)
		proc, _ := newTestProcessor(t, defaultConfig(), set)
		require.NoError(t, proc.ConsumeMetrics(t.Context(), histogramWithExemplar(t, linkedPair)))
		linked := logs.FilterMessage("Exemplar linked").All()
		require.Len(t, linked, 1)
		assert.Equal(t, map[string]any{
			"metric":      "http_server_duration_seconds",
			"source":      "id_label",
			"trace_label": "traceID",
			"span_label":  "spanID",
			"trace_id":    traceHex,
			"span_id":     spanHex,
		}, linked[0].ContextMap())
	})

	t.Run("summary at shutdown", func(t *testing.T) {
		t.Parallel()
		set, logs := observedSettings(zapcore.InfoLevel)
		sink := new(consumertest.MetricsSink)
		proc, err := NewFactory().CreateMetrics(t.Context(), set, defaultConfig(), sink)
		require.NoError(t, err)
		require.NoError(t, proc.Start(t.Context(), componenttest.NewNopHost()))
		require.NoError(t, proc.ConsumeMetrics(t.Context(), histogramWithExemplar(t, linkedPair)))
		huge := strings.Repeat("f", 1<<20)
		require.NoError(t, proc.ConsumeMetrics(t.Context(), histogramWithExemplar(t, cases.Labels(l("traceID", huge)))))
		require.NoError(t, proc.Shutdown(t.Context()))

		summaries := logs.FilterMessage("Exemplar linkage summary").All()
		require.Len(t, summaries, 1)
		fields := summaries[0].ContextMap()
		assert.Equal(t, int64(1), fields["linked"])
		assert.Equal(t, int64(1), fields["unlinked"])
		assert.Equal(t, map[string]any{"invalid_value": int64(1)}, fields["unlinked_by_reason"])
		assert.Equal(t, "http_server_duration_seconds", fields["example_metric"])
		assert.Equal(t, "traceID", fields["example_label"])
		assert.Equal(t, strings.Repeat("f", 64)+"…", fields["example_value"], "values are truncated")
	})
}

// TestConcurrentConsumers feeds one processor from many goroutines, as a
// pipeline with several receivers does; run with -race.
func TestConcurrentConsumers(t *testing.T) {
	t.Parallel()
	cfg := defaultConfig()
	cfg.SummaryInterval = time.Nanosecond // exercise the summary path too
	proc, sink := newTestProcessor(t, cfg, processortest.NewNopSettings(metadata.Type))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				assert.NoError(t, proc.ConsumeMetrics(context.Background(), histogramWithExemplar(t,
					cases.Labels(l("traceID", traceHex), l("spanID", spanHex)))))
			}
		})
	}
	wg.Wait()
	require.Len(t, sink.AllMetrics(), 400)
	want := histogramWithExemplar(t, cases.Linked(traceHex, spanHex))
	for _, got := range sink.AllMetrics() {
		assert.NoError(t, pmetrictest.CompareMetrics(want, got))
	}
}

// TestContextPropagation checks that the processor hands the caller's
// context on to the next consumer.
func TestContextPropagation(t *testing.T) {
	t.Parallel()
	type ctxKey struct{}
	next := &contextCapture{}
	proc, err := NewFactory().CreateMetrics(t.Context(), processortest.NewNopSettings(metadata.Type), defaultConfig(), next)
	require.NoError(t, err)
	require.NoError(t, proc.Start(t.Context(), componenttest.NewNopHost()))
	ctx := context.WithValue(t.Context(), ctxKey{}, "value")
	require.NoError(t, proc.ConsumeMetrics(ctx, histogramWithExemplar(t, exemplar{})))
	require.NoError(t, proc.Shutdown(t.Context()))
	assert.Equal(t, "value", next.ctx.Value(ctxKey{}))
}

type contextCapture struct {
	consumertest.MetricsSink
	ctx context.Context
}

func (c *contextCapture) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	c.ctx = ctx
	return c.MetricsSink.ConsumeMetrics(ctx, md)
}

var _ component.Config = (*Config)(nil)
