package exemplarlinkprocessor

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pmetrictest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.uber.org/zap/zapcore"

	"github.com/exemplarlink/exemplarlinkprocessor/internal/metadata"
)

const mib = 1 << 20

// manyLabels returns n unrelated labels, with extra appended after them.
func manyLabels(n int, extra ...label) []label {
	labels := make([]label, 0, n+len(extra))
	for i := range n {
		labels = append(labels, label{fmt.Sprintf("label_%04d", i), fmt.Sprintf("value_%d", i)})
	}
	return append(labels, extra...)
}

// traceIDSpellings returns n distinct built-in spellings of "trace id"
// (trace_id, trace-id, ..., TRACE_ID, ...), each with value.
func traceIDSpellings(n int, value string) []label {
	var labels []label
	for _, c := range []func(string) string{strings.ToLower, strings.ToUpper, func(s string) string { return strings.ToUpper(s[:1]) + s[1:] }} {
		for _, sep := range []string{"_", "-", ".", ""} {
			for _, id := range []string{"id", "ID"} {
				if len(labels) == n {
					return labels
				}
				labels = append(labels, label{c("trace") + sep + id, value})
			}
		}
	}
	panic("not enough spellings")
}

// hostileCases is the hostile-input table the README documents. outcome is
// "linked" or the unlinked reason counted in telemetry.
func hostileCases() []struct {
	name    string
	in      exemplar
	want    exemplar
	outcome string
} {
	huge := strings.Repeat("a", mib)
	pair := []label{{"traceID", traceHex}, {"spanID", spanHex}}
	tp := "00-" + traceHex + "-" + spanHex + "-01"
	keep := func(labels ...label) exemplar { return exemplar{labels: labels} }
	return []struct {
		name    string
		in      exemplar
		want    exemplar
		outcome string
	}{
		{"1 MiB trace ID value", keep(label{"traceID", huge}, label{"spanID", spanHex}), keep(label{"traceID", huge}, label{"spanID", spanHex}), "invalid_value"},
		{"1 MiB unrelated value beside a valid pair", keep(label{"payload", huge}, pair[0], pair[1]), exemplar{labels: []label{{"payload", huge}}, trace: traceHex, span: spanHex}, "linked"},
		{"1 MiB traceparent value", keep(label{"traceparent", tp + strings.Repeat("-x", mib/2)}), keep(label{"traceparent", tp + strings.Repeat("-x", mib/2)}), "invalid_value"},
		{"invalid UTF-8 in a value", keep(label{"traceID", "\xff\xfe\xfd" + traceHex[3:]}, pair[1]), keep(label{"traceID", "\xff\xfe\xfd" + traceHex[3:]}, pair[1]), "invalid_value"},
		{"invalid UTF-8 in a key", keep(label{"trace\xffid", traceHex}, pair[1]), keep(label{"trace\xffid", traceHex}, pair[1]), "missing_trace_id"},
		{"NUL byte inside an ID", keep(label{"traceID", traceHex[:16] + "\x00" + traceHex[17:]}, pair[1]), keep(label{"traceID", traceHex[:16] + "\x00" + traceHex[17:]}, pair[1]), "invalid_value"},
		{"NUL bytes after an ID", keep(label{"traceID", traceHex + "\x00\x00"}, pair[1]), keep(label{"traceID", traceHex + "\x00\x00"}, pair[1]), "invalid_value"},
		{"1,000 labels with a valid pair", keep(manyLabels(998, pair...)...), exemplar{labels: manyLabels(998), trace: traceHex, span: spanHex}, "linked"},
		{"1,000 labels without references", keep(manyLabels(1000)...), keep(manyLabels(1000)...), ""},
		{"20 spellings of one trace ID between unrelated labels, and a span ID", keep(append(manyLabels(3, traceIDSpellings(20, strings.ToUpper(traceHex))...), pair[1], label{"pod", "p"})...), exemplar{labels: manyLabels(3, label{"pod", "p"}), trace: traceHex, span: spanHex}, "linked"},
		{"9 invalid trace-ID labels before a valid pair", keep(append(traceIDSpellings(9, "0x"), label{"TraceID", traceHex}, pair[1])...), exemplar{labels: traceIDSpellings(9, "0x"), trace: traceHex, span: spanHex}, "linked"},
		{"same ID under several spellings, same value", keep(label{"traceID", traceHex}, label{"trace_id", strings.ToUpper(traceHex)}, label{"TRACE-ID", "0x" + traceHex}, pair[1]), exemplar{trace: traceHex, span: spanHex}, "linked"},
		{"same ID under several spellings, different values", keep(label{"traceID", traceHex}, label{"trace_id", otherTrace}, pair[1]), keep(label{"traceID", traceHex}, label{"trace_id", otherTrace}, pair[1]), "conflict"},
		{"traceparent disagreeing with span label", keep(label{"traceparent", tp}, label{"spanID", otherSpan}), keep(label{"traceparent", tp}, label{"spanID", otherSpan}), "conflict"},
		{"traceparent version ff", keep(label{"traceparent", "ff" + tp[2:]}), keep(label{"traceparent", "ff" + tp[2:]}), "invalid_value"},
		{"traceparent short trace field", keep(label{"traceparent", "00-" + traceHex[2:] + "-" + spanHex + "-01"}), keep(label{"traceparent", "00-" + traceHex[2:] + "-" + spanHex + "-01"}), "invalid_value"},
		{"traceparent long span field", keep(label{"traceparent", "00-" + traceHex + "-" + spanHex + "00-01"}), keep(label{"traceparent", "00-" + traceHex + "-" + spanHex + "00-01"}), "invalid_value"},
		{"traceparent version 00 with extra field", keep(label{"traceparent", tp + "-extra"}), keep(label{"traceparent", tp + "-extra"}), "invalid_value"},
		{"uber-trace-id with too many fields", keep(label{"uber-trace-id", traceHex + ":" + spanHex + ":0:1:9"}), keep(label{"uber-trace-id", traceHex + ":" + spanHex + ":0:1:9"}), "invalid_value"},
		{"uber-trace-id with too few fields", keep(label{"uber-trace-id", traceHex + ":" + spanHex + ":0"}), keep(label{"uber-trace-id", traceHex + ":" + spanHex + ":0"}), "invalid_value"},
		{"0x with nothing after it", keep(label{"traceID", "0x"}, pair[1]), keep(label{"traceID", "0x"}, pair[1]), "invalid_value"},
		{"leading space", keep(label{"traceID", " " + traceHex}, pair[1]), keep(label{"traceID", " " + traceHex}, pair[1]), "invalid_value"},
		{"trailing space", keep(pair[0], label{"spanID", spanHex + " "}), keep(label{"spanID", spanHex + " "}, label{"trace_id", traceHex}), "invalid_value"},
		{"empty value", keep(label{"traceID", ""}, pair[1]), keep(label{"traceID", ""}, pair[1]), "invalid_value"},
		{"empty key", keep(label{"", traceHex}, pair[1]), keep(label{"", traceHex}, pair[1]), "missing_trace_id"},
	}
}

func TestHostileInputs(t *testing.T) {
	t.Parallel()
	for _, tt := range hostileCases() {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tel := componenttest.NewTelemetry()
			t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
			set := processortest.NewNopSettings(metadata.Type)
			set.TelemetrySettings = tel.NewTelemetrySettings()
			proc, sink := newTestProcessor(t, defaultConfig(), set)

			require.NotPanics(t, func() {
				require.NoError(t, proc.ConsumeMetrics(t.Context(), histogramWithExemplar(t, tt.in)))
			})
			want := histogramWithExemplar(t, tt.want)
			got := sink.AllMetrics()[0]
			assert.NoError(t, pmetrictest.CompareMetrics(want, got))
			assert.Equal(t, labelsOf(firstExemplar(want).FilteredAttributes()), labelsOf(firstExemplar(got).FilteredAttributes()))

			linked, unlinked := counterTotals(t, tel)
			switch tt.outcome {
			case "":
				assert.Empty(t, linked)
				assert.Empty(t, unlinked)
			case "linked":
				assert.Equal(t, int64(1), sumValues(linked))
				assert.Empty(t, unlinked)
			default:
				assert.Empty(t, linked)
				assert.Equal(t, map[string]int64{tt.outcome: 1}, unlinked)
			}
		})
	}
}

func firstExemplar(md pmetric.Metrics) pmetric.Exemplar {
	return md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Histogram().DataPoints().At(0).Exemplars().At(0)
}

// counterTotals returns the linked and unlinked counters by attribute; a
// counter never recorded reads as empty.
func counterTotals(t *testing.T, tel *componenttest.Telemetry) (linked, unlinked map[string]int64) {
	t.Helper()
	read := func(name, attr string) map[string]int64 {
		if _, err := tel.GetMetric(name); err != nil {
			return map[string]int64{}
		}
		return counterValues(t, tel, name, attr)
	}
	return read(metadata.MetricExemplarsLinked, metadata.AttributeSource), read(metadata.MetricExemplarsUnlinked, metadata.AttributeReason)
}

func sumValues(m map[string]int64) (n int64) {
	for _, v := range m {
		n += v
	}
	return n
}

// TestLogFloodIsBounded plays a target that sends nothing but bad IDs at a
// high rate: the log gets the start line and at most one summary per
// interval, however many exemplars arrive.
func TestLogFloodIsBounded(t *testing.T) {
	t.Parallel()
	set, logs := observedSettings(zapcore.DebugLevel)
	cfg := defaultConfig()
	cfg.SummaryInterval = time.Hour
	proc, err := NewFactory().CreateMetrics(t.Context(), set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, proc.Start(t.Context(), componenttest.NewNopHost()))

	bad := strings.Repeat("z", 4096)
	md := pmetric.NewMetrics()
	dps := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty().SetEmptyHistogram().DataPoints()
	for range 100 {
		exs := dps.AppendEmpty().Exemplars()
		for range 10 {
			buildExemplar(t, exs.AppendEmpty(), exemplar{labels: []label{{"traceID", bad}, {"spanID", "\xff" + bad}}})
		}
	}
	for range 200 { // 200,000 bad exemplars
		batch := pmetric.NewMetrics()
		md.CopyTo(batch)
		require.NoError(t, proc.ConsumeMetrics(t.Context(), batch))
	}
	assert.Equal(t, 1, logs.Len(), "only the start line while the interval runs, even at debug level")

	require.NoError(t, proc.Shutdown(t.Context()))
	require.Equal(t, 2, logs.Len())
	summary := logs.All()[1]
	assert.Equal(t, "Exemplar linkage summary", summary.Message)
	fields := summary.ContextMap()
	assert.Equal(t, int64(200_000), fields["unlinked"])
	for _, key := range []string{"example_label", "example_value", "example_metric"} {
		assert.LessOrEqual(t, len(fields[key].(string)), 2*64+len("…"), key)
	}
}

// TestDownstreamErrorDoesNotChangeLaterBatches: when the next consumer
// (an exporter) fails, the error reaches the caller and the processor
// handles the following batches exactly as before.
func TestDownstreamErrorDoesNotChangeLaterBatches(t *testing.T) {
	t.Parallel()
	next := &failingSink{failures: 3}
	proc, err := NewFactory().CreateMetrics(t.Context(), processortest.NewNopSettings(metadata.Type), defaultConfig(), next)
	require.NoError(t, err)
	require.NoError(t, proc.Start(t.Context(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, proc.Shutdown(context.Background())) })

	in := exemplar{labels: []label{{"route", "/"}, {"traceparent", "00-" + traceHex + "-" + spanHex + "-01"}}}
	want := histogramWithExemplar(t, exemplar{labels: []label{{"route", "/"}}, trace: traceHex, span: spanHex})
	for i := range 6 {
		err := proc.ConsumeMetrics(t.Context(), histogramWithExemplar(t, in))
		if i < 3 {
			assert.ErrorIs(t, err, errDownstream)
		} else {
			assert.NoError(t, err)
		}
	}
	require.Len(t, next.AllMetrics(), 6, "every batch reached the next consumer")
	for _, got := range next.AllMetrics() {
		assert.NoError(t, pmetrictest.CompareMetrics(want, got))
	}
}

var errDownstream = fmt.Errorf("downstream unavailable")

// failingSink records every batch and fails the first few.
type failingSink struct {
	consumertest.MetricsSink
	failures int
}

func (s *failingSink) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	_ = s.MetricsSink.ConsumeMetrics(ctx, md)
	if s.failures > 0 {
		s.failures--
		return errDownstream
	}
	return nil
}

// BenchmarkHostileValueSize shows that the cost of a huge label value is
// bounded: an ID label is rejected on its length without reading it, so
// time does not grow with the value.
func BenchmarkHostileValueSize(b *testing.B) {
	for _, size := range []int{1 << 10, 1 << 15, 1 << 20} {
		b.Run(fmt.Sprintf("bytes=%d", size), func(b *testing.B) {
			benchmarkExemplar(b, exemplar{labels: []label{{"traceID", strings.Repeat("a", size)}, {"traceparent", "00-" + strings.Repeat("b", size)}}})
		})
	}
}

// BenchmarkLabelsPerExemplar shows time linear in the number of labels.
func BenchmarkLabelsPerExemplar(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("labels=%d", n), func(b *testing.B) {
			benchmarkExemplar(b, exemplar{labels: manyLabels(n-2, label{"traceID", traceHex}, label{"spanID", spanHex})})
		})
	}
}

func benchmarkExemplar(b *testing.B, spec exemplar) {
	template := histogramWithExemplar(b, spec)
	p, err := newExemplarLinkProcessor(defaultConfig(), processortest.NewNopSettings(metadata.Type).TelemetrySettings)
	require.NoError(b, err)
	batch := pmetric.NewMetrics()
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		template.CopyTo(batch)
		b.StartTimer()
		_, _ = p.processMetrics(b.Context(), batch)
	}
}
