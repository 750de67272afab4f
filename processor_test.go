package exemplarlinkprocessor

import (
	"context"
	"encoding/hex"
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

	"github.com/exemplarlink/exemplarlinkprocessor/internal/metadata"
)

const (
	traceHex   = "4bf92f3577b34da6a3ce929d0e0e4736"
	spanHex    = "00f067aa0ba902b7"
	otherTrace = "0af7651916cd43dd8448eb211c80319c"
	otherSpan  = "b7ad6b7169203331"
	trace64    = "a3ce929d0e0e4736"
)

// label is one exemplar label; a slice of them keeps the order, which the
// processor must preserve.
type label struct{ key, value string }

// exemplar describes an exemplar's labels and ID fields (hex, "" for unset).
type exemplar struct {
	labels      []label
	trace, span string
}

func buildExemplar(t testing.TB, ex pmetric.Exemplar, spec exemplar) {
	t.Helper()
	ex.SetDoubleValue(0.42)
	ex.SetTimestamp(pcommon.Timestamp(1_700_000_000_000_000_000))
	for _, l := range spec.labels {
		ex.FilteredAttributes().PutStr(l.key, l.value)
	}
	if spec.trace != "" {
		var id pcommon.TraceID
		decodeInto(t, id[:], spec.trace)
		ex.SetTraceID(id)
	}
	if spec.span != "" {
		var id pcommon.SpanID
		decodeInto(t, id[:], spec.span)
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

func TestProcessExemplar(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		config func(*Config)
		in     exemplar
		want   exemplar
	}{
		// Rule 1: every spelling of "trace id" / "span id".
		{name: "snake_case", in: exemplar{labels: []label{{"trace_id", traceHex}, {"span_id", spanHex}}}, want: exemplar{trace: traceHex, span: spanHex}},
		{name: "camelCase as prom-client writes it", in: exemplar{labels: []label{{"traceID", traceHex}, {"spanID", spanHex}}}, want: exemplar{trace: traceHex, span: spanHex}},
		{name: "lower camelCase", in: exemplar{labels: []label{{"traceId", traceHex}, {"spanId", spanHex}}}, want: exemplar{trace: traceHex, span: spanHex}},
		{name: "PascalCase", in: exemplar{labels: []label{{"TraceID", traceHex}, {"SpanID", spanHex}}}, want: exemplar{trace: traceHex, span: spanHex}},
		{name: "upper snake", in: exemplar{labels: []label{{"TRACE_ID", traceHex}, {"SPAN_ID", spanHex}}}, want: exemplar{trace: traceHex, span: spanHex}},
		{name: "kebab", in: exemplar{labels: []label{{"trace-id", traceHex}, {"span-id", spanHex}}}, want: exemplar{trace: traceHex, span: spanHex}},
		{name: "dotted", in: exemplar{labels: []label{{"trace.id", traceHex}, {"span.id", spanHex}}}, want: exemplar{trace: traceHex, span: spanHex}},
		{name: "mixed spellings", in: exemplar{labels: []label{{"traceID", traceHex}, {"span_id", spanHex}}}, want: exemplar{trace: traceHex, span: spanHex}},
		{
			name:   "built-in spellings switched off",
			config: func(c *Config) { c.BuiltinLabelNames = false; c.TraceIDLabels = []string{"tid"} },
			in:     exemplar{labels: []label{{"traceID", traceHex}, {"spanID", spanHex}}},
			want:   exemplar{labels: []label{{"traceID", traceHex}, {"spanID", spanHex}}},
		},
		{
			name:   "configured label names",
			config: func(c *Config) { c.TraceIDLabels = []string{"tid"}; c.SpanIDLabels = []string{"sid"} },
			in:     exemplar{labels: []label{{"tid", traceHex}, {"sid", spanHex}}},
			want:   exemplar{trace: traceHex, span: spanHex},
		},
		{
			// Names of 64 bytes or more are past the length mask that lets
			// most labels skip the name lookup.
			name: "configured names of 64 and 100 bytes",
			config: func(c *Config) {
				c.TraceIDLabels = []string{strings.Repeat("t", 64)}
				c.SpanIDLabels = []string{strings.Repeat("s", 100)}
			},
			in:   exemplar{labels: []label{{strings.Repeat("t", 64), traceHex}, {strings.Repeat("s", 100), spanHex}, {strings.Repeat("x", 64), "kept"}}},
			want: exemplar{labels: []label{{strings.Repeat("x", 64), "kept"}}, trace: traceHex, span: spanHex},
		},
		{
			name:   "configured name takes precedence over built-in spelling",
			config: func(c *Config) { c.TraceContextLabels = []string{"trace_id"} },
			in:     exemplar{labels: []label{{"trace_id", traceHex}, {"span_id", spanHex}}},
			want:   exemplar{labels: []label{{"trace_id", traceHex}, {"span_id", spanHex}}},
		},

		// Rule 2: whole trace contexts.
		{name: "traceparent", in: exemplar{labels: []label{{"traceparent", "00-" + traceHex + "-" + spanHex + "-01"}}}, want: exemplar{trace: traceHex, span: spanHex}},
		{name: "uber-trace-id", in: exemplar{labels: []label{{"uber-trace-id", traceHex + ":" + spanHex + ":0:1"}}}, want: exemplar{trace: traceHex, span: spanHex}},
		{name: "uber-trace-id with dropped leading zeros", in: exemplar{labels: []label{{"uber_trace_id", "abc:" + spanHex + ":0:1"}}}, want: exemplar{trace: strings.Repeat("0", 29) + "abc", span: spanHex}},
		{name: "b3 single", in: exemplar{labels: []label{{"b3", traceHex + "-" + spanHex + "-1"}}}, want: exemplar{trace: traceHex, span: spanHex}},
		{
			name:   "configured trace-context label",
			config: func(c *Config) { c.TraceContextLabels = []string{"ctx"} },
			in:     exemplar{labels: []label{{"ctx", "00-" + traceHex + "-" + spanHex + "-01"}}},
			want:   exemplar{trace: traceHex, span: spanHex},
		},
		{name: "traceparent version ff is kept", in: exemplar{labels: []label{{"traceparent", "ff-" + traceHex + "-" + spanHex + "-01"}}}, want: exemplar{labels: []label{{"traceparent", "ff-" + traceHex + "-" + spanHex + "-01"}}}},
		{name: "traceparent agreeing with ID labels", in: exemplar{labels: []label{{"traceparent", "00-" + traceHex + "-" + spanHex + "-01"}, {"traceID", traceHex}}}, want: exemplar{trace: traceHex, span: spanHex}},

		// Rule 3: value shapes.
		{name: "upper-case hex", in: exemplar{labels: []label{{"traceID", strings.ToUpper(traceHex)}, {"spanID", strings.ToUpper(spanHex)}}}, want: exemplar{trace: traceHex, span: spanHex}},
		{name: "0x prefix", in: exemplar{labels: []label{{"traceID", "0x" + traceHex}, {"spanID", "0x" + spanHex}}}, want: exemplar{trace: traceHex, span: spanHex}},
		{name: "64-bit trace ID padded", in: exemplar{labels: []label{{"traceID", trace64}, {"spanID", spanHex}}}, want: exemplar{trace: strings.Repeat("0", 16) + trace64, span: spanHex}},
		{
			name:   "64-bit trace ID with padding off",
			config: func(c *Config) { c.Pad64BitTraceIDs = false },
			in:     exemplar{labels: []label{{"traceID", trace64}, {"spanID", spanHex}}},
			want:   exemplar{labels: []label{{"traceID", trace64}, {"spanID", spanHex}}},
		},
		{name: "short span ID is not padded", in: exemplar{labels: []label{{"traceID", traceHex}, {"spanID", spanHex[1:]}}}, want: exemplar{labels: []label{{"spanID", spanHex[1:]}, {"trace_id", traceHex}}}},
		{name: "long trace ID is not truncated", in: exemplar{labels: []label{{"traceID", traceHex + "00"}, {"spanID", spanHex}}}, want: exemplar{labels: []label{{"traceID", traceHex + "00"}, {"spanID", spanHex}}}},
		{name: "all-zero trace ID", in: exemplar{labels: []label{{"traceID", strings.Repeat("0", 32)}, {"spanID", spanHex}}}, want: exemplar{labels: []label{{"traceID", strings.Repeat("0", 32)}, {"spanID", spanHex}}}},

		// Rules 4, 5 and 8: converted labels go, the rest stays byte for byte.
		{
			name: "other labels kept in order",
			in:   exemplar{labels: []label{{"route", "/cart"}, {"traceID", traceHex}, {"pod", "a"}, {"spanID", spanHex}, {"zone", "b"}}},
			want: exemplar{labels: []label{{"route", "/cart"}, {"pod", "a"}, {"zone", "b"}}, trace: traceHex, span: spanHex},
		},
		{
			name: "invalid label kept beside a linked pair",
			in:   exemplar{labels: []label{{"traceID", traceHex}, {"trace-id", "not-a-trace"}, {"spanID", spanHex}}},
			want: exemplar{labels: []label{{"trace-id", "not-a-trace"}}, trace: traceHex, span: spanHex},
		},
		{
			name: "invalid UTF-8 and spaces kept byte for byte",
			in:   exemplar{labels: []label{{"traceID", " " + traceHex}, {"spanID", "\xff\xfe" + spanHex}}},
			want: exemplar{labels: []label{{"traceID", " " + traceHex}, {"spanID", "\xff\xfe" + spanHex}}},
		},

		// Rule 6: IDs already on the exemplar.
		{name: "existing IDs without labels stay", in: exemplar{trace: traceHex, span: spanHex}, want: exemplar{trace: traceHex, span: spanHex}},
		{name: "redundant labels removed", in: exemplar{labels: []label{{"traceID", strings.ToUpper(traceHex)}, {"spanID", spanHex}}, trace: traceHex, span: spanHex}, want: exemplar{trace: traceHex, span: spanHex}},
		{
			name: "conflicting label kept, exemplar untouched",
			in:   exemplar{labels: []label{{"traceID", otherTrace}, {"spanID", spanHex}}, trace: traceHex, span: spanHex},
			want: exemplar{labels: []label{{"traceID", otherTrace}, {"spanID", spanHex}}, trace: traceHex, span: spanHex},
		},
		{
			name:   "overwrite_existing_ids replaces fields",
			config: func(c *Config) { c.OverwriteExistingIDs = true },
			in:     exemplar{labels: []label{{"traceID", otherTrace}, {"spanID", otherSpan}}, trace: traceHex, span: spanHex},
			want:   exemplar{trace: otherTrace, span: otherSpan},
		},
		{name: "span label completes a trace field", in: exemplar{labels: []label{{"spanID", spanHex}}, trace: traceHex}, want: exemplar{trace: traceHex, span: spanHex}},
		{
			name: "labels that disagree are all kept",
			in:   exemplar{labels: []label{{"traceID", traceHex}, {"trace_id", otherTrace}, {"spanID", spanHex}}},
			want: exemplar{labels: []label{{"traceID", traceHex}, {"trace_id", otherTrace}, {"spanID", spanHex}}},
		},

		// Rule 7: trace ID without span ID.
		{name: "trace-only label normalised into trace_id", in: exemplar{labels: []label{{"route", "/"}, {"traceID", strings.ToUpper(traceHex)}}}, want: exemplar{labels: []label{{"route", "/"}, {"trace_id", traceHex}}}},
		{name: "trace-only 64-bit label padded into trace_id", in: exemplar{labels: []label{{"trace_id", trace64}}}, want: exemplar{labels: []label{{"trace_id", strings.Repeat("0", 16) + trace64}}}},
		{name: "trace-only field moved into trace_id label", in: exemplar{trace: traceHex}, want: exemplar{labels: []label{{"trace_id", traceHex}}}},
		{
			name: "trace-only with trace_id held by other data is untouched",
			in:   exemplar{labels: []label{{"trace_id", "abc"}, {"traceID", traceHex}}},
			want: exemplar{labels: []label{{"trace_id", "abc"}, {"traceID", traceHex}}},
		},
		{
			name:   "trace-only in field mode",
			config: func(c *Config) { c.TraceOnlyExemplars = TraceOnlyField },
			in:     exemplar{labels: []label{{"traceID", strings.ToUpper(traceHex)}}},
			want:   exemplar{trace: traceHex},
		},
		{name: "span-only label kept", in: exemplar{labels: []label{{"spanID", spanHex}}}, want: exemplar{labels: []label{{"spanID", spanHex}}}},
		{name: "no reference at all", in: exemplar{labels: []label{{"route", "/"}}}, want: exemplar{labels: []label{{"route", "/"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := defaultConfig()
			if tt.config != nil {
				tt.config(cfg)
			}
			require.NoError(t, cfg.Validate())
			proc, sink := newTestProcessor(t, cfg, processortest.NewNopSettings(metadata.Type))
			require.NoError(t, proc.ConsumeMetrics(t.Context(), histogramWithExemplar(t, tt.in)))

			want := histogramWithExemplar(t, tt.want)
			require.Len(t, sink.AllMetrics(), 1)
			assert.NoError(t, pmetrictest.CompareMetrics(want, sink.AllMetrics()[0]))
			// CompareMetrics ignores attribute order; the processor must not.
			gotLabels := sink.AllMetrics()[0].ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).
				Histogram().DataPoints().At(0).Exemplars().At(0).FilteredAttributes()
			assert.Equal(t, labelsOf(want.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).
				Histogram().DataPoints().At(0).Exemplars().At(0).FilteredAttributes()), labelsOf(gotLabels))
		})
	}
}

func labelsOf(m pcommon.Map) []label {
	var out []label
	m.Range(func(k string, v pcommon.Value) bool {
		out = append(out, label{k, v.AsString()})
		return true
	})
	return out
}

// TestNonStringLabelValue covers OTLP input, where a label named like an ID
// may hold an int: it is not an ID and stays as it is.
func TestNonStringLabelValue(t *testing.T) {
	t.Parallel()
	proc, sink := newTestProcessor(t, defaultConfig(), processortest.NewNopSettings(metadata.Type))
	md := histogramWithExemplar(t, exemplar{labels: []label{{"spanID", spanHex}}})
	ex := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Histogram().DataPoints().At(0).Exemplars().At(0)
	ex.FilteredAttributes().PutInt("traceID", 42)
	want := pmetric.NewMetrics()
	md.CopyTo(want)

	require.NoError(t, proc.ConsumeMetrics(t.Context(), md))
	assert.NoError(t, pmetrictest.CompareMetrics(want, sink.AllMetrics()[0]))
}

// TestEveryMetricTypeWithExemplars checks that exemplars are linked on all
// four point types that carry them and that summaries pass through.
func TestEveryMetricTypeWithExemplars(t *testing.T) {
	t.Parallel()
	proc, sink := newTestProcessor(t, defaultConfig(), processortest.NewNopSettings(metadata.Type))
	in := exemplar{labels: []label{{"traceID", traceHex}, {"spanID", spanHex}}}
	out := exemplar{trace: traceHex, span: spanHex}

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

// TestGolden runs realistic scraped batches through the processor built
// with its default configuration.
func TestGolden(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"scrape_mixed_styles", "otlp_with_ids"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join("testdata", name)
			input, err := golden.ReadMetrics(filepath.Join(dir, "input.yaml"))
			require.NoError(t, err)
			expected, err := golden.ReadMetrics(filepath.Join(dir, "output.yaml"))
			require.NoError(t, err)

			proc, sink := newTestProcessor(t, defaultConfig(), processortest.NewNopSettings(metadata.Type))
			require.NoError(t, proc.ConsumeMetrics(t.Context(), input))
			require.Len(t, sink.AllMetrics(), 1)
			assert.NoError(t, pmetrictest.CompareMetrics(expected, sink.AllMetrics()[0]))
		})
	}
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

func TestTelemetry(t *testing.T) {
	t.Parallel()
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := processortest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	proc, _ := newTestProcessor(t, defaultConfig(), set)

	for _, spec := range []exemplar{
		{labels: []label{{"traceID", traceHex}, {"spanID", spanHex}}},
		{labels: []label{{"trace_id", traceHex}, {"span_id", spanHex}}},
		{labels: []label{{"traceparent", "00-" + traceHex + "-" + spanHex + "-01"}}},
		{labels: []label{{"uber-trace-id", traceHex + ":" + spanHex + ":0:1"}}},
		{labels: []label{{"b3", traceHex + "-" + spanHex}}},
		{trace: traceHex, span: spanHex},
		{labels: []label{{"traceID", "xyz"}}},
		{labels: []label{{"traceID", strings.Repeat("0", 32)}, {"spanID", spanHex}}},
		{labels: []label{{"traceID", traceHex}}},
		{labels: []label{{"spanID", spanHex}}},
		{labels: []label{{"traceID", traceHex}, {"spanID", spanHex}}, trace: otherTrace, span: spanHex},
		{labels: []label{{"route", "/"}}},
	} {
		require.NoError(t, proc.ConsumeMetrics(t.Context(), histogramWithExemplar(t, spec)))
	}

	assert.Equal(t, map[string]int64{
		"id_label": 2, "traceparent": 1, "uber_trace_id": 1, "b3": 1, "exemplar_fields": 1,
	}, counterValues(t, tel, metadata.MetricExemplarsLinked, metadata.AttributeSource))
	assert.Equal(t, map[string]int64{
		"invalid_value": 1, "zero_id": 1, "missing_span_id": 1, "missing_trace_id": 1, "conflict": 1,
	}, counterValues(t, tel, metadata.MetricExemplarsUnlinked, metadata.AttributeReason))
}

func observedSettings(level zapcore.Level) (processor.Settings, *observer.ObservedLogs) {
	core, logs := observer.New(level)
	set := processortest.NewNopSettings(metadata.Type)
	set.Logger = zap.New(core)
	return set, logs
}

func TestLogs(t *testing.T) {
	t.Parallel()
	linkedPair := exemplar{labels: []label{{"traceID", traceHex}, {"spanID", spanHex}}}

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
		require.NoError(t, proc.ConsumeMetrics(t.Context(), histogramWithExemplar(t, exemplar{labels: []label{{"traceID", huge}}})))
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
					exemplar{labels: []label{{"traceID", traceHex}, {"spanID", spanHex}}})))
			}
		})
	}
	wg.Wait()
	require.Len(t, sink.AllMetrics(), 400)
	want := histogramWithExemplar(t, exemplar{trace: traceHex, span: spanHex})
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
