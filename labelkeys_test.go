package exemplarlinkprocessor

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/exemplarlink/exemplarlinkprocessor/internal/metadata"
)

// TestEmptyKeyLabelIsRemovedWhenLinked: "" is a label key a raw pdata map
// can hold, and a by-value reference under it goes like any other once its
// IDs are in the fields (the fuzz seeds empty_key_* found it kept).
func TestEmptyKeyLabelIsRemovedWhenLinked(t *testing.T) {
	t.Parallel()
	for name, value := range map[string]string{
		"b3":          traceHex + "-" + spanHex,
		"traceparent": "00-" + traceHex + "-" + spanHex + "-01",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := defaultConfig()
			cfg.DetectIDsByValue = true
			proc, sink := newTestProcessor(t, cfg, processortest.NewNopSettings(metadata.Type))
			in := histogramWithExemplar(t, exemplar{Labels: []label{l("", value), l("route", "/cart")}})
			require.NoError(t, proc.ConsumeMetrics(t.Context(), in))
			require.Len(t, sink.AllMetrics(), 1)
			got := firstExemplar(sink.AllMetrics()[0])
			assert.Equal(t, traceHex, got.TraceID().String())
			assert.Equal(t, spanHex, got.SpanID().String())
			assert.Equal(t, []label{l("route", "/cart")}, labelsOf(got.FilteredAttributes()))
		})
	}
}

// exemplarWithRawLabels returns a one-exemplar histogram batch whose
// exemplar holds labels exactly as given, duplicate keys included, as a
// batch decoded from the wire can (pcommon.Map's Put methods never make
// one).
func exemplarWithRawLabels(t *testing.T, labels string) pmetric.Metrics {
	t.Helper()
	md, err := (&pmetric.JSONUnmarshaler{}).UnmarshalMetrics([]byte(`{"resourceMetrics":[{"scopeMetrics":[{"metrics":[
		{"name":"latency","histogram":{"dataPoints":[{"count":"1","exemplars":[
			{"timeUnixNano":"1700000000000000000","asDouble":0.42,"filteredAttributes":[` + labels + `]}]}]}}]}]}]}`))
	require.NoError(t, err)
	return md
}

func str(k, v string) string { return `{"key":"` + k + `","value":{"stringValue":"` + v + `"}}` }

// TestDuplicateLabelKeys: a raw map can hold a key twice. Each label is
// judged by its place, and the processor never overwrites one of two
// same-named labels with the other's data.
func TestDuplicateLabelKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		configure func(*Config)
		labels    []string
		// want are the labels that leave, in order; wantTrace and wantSpan
		// the fields.
		want                []label
		wantTrace, wantSpan string
	}{
		{
			name:      "the same pair twice is linked and every copy goes",
			labels:    []string{str("traceID", traceHex), str("traceID", traceHex), str("span_id", spanHex), str("route", "/cart")},
			want:      []label{l("route", "/cart")},
			wantTrace: traceHex, wantSpan: spanHex,
		},
		{
			name: "a second trace_id holding other data leaves the exemplar as it came",
			configure: func(cfg *Config) {
				cfg.BuiltinLabelNames = false
				cfg.TraceIDLabels = []string{"traceID"}
			},
			labels: []string{str("traceID", traceHex), str("trace_id", "customer-42"), str("trace_id", traceHex)},
			want:   []label{l("traceID", traceHex), l("trace_id", "customer-42"), l("trace_id", traceHex)},
		},
		{
			name: "two trace_id labels, the first matching, still leave it as it came",
			configure: func(cfg *Config) {
				cfg.BuiltinLabelNames = false
				cfg.TraceIDLabels = []string{"traceID"}
			},
			labels: []string{str("traceID", traceHex), str("trace_id", traceHex), str("trace_id", "customer-42")},
			want:   []label{l("traceID", traceHex), l("trace_id", traceHex), l("trace_id", "customer-42")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := defaultConfig()
			if tt.configure != nil {
				tt.configure(cfg)
			}
			require.NoError(t, cfg.Validate())
			proc, sink := newTestProcessor(t, cfg, processortest.NewNopSettings(metadata.Type))
			in := exemplarWithRawLabels(t, strings.Join(tt.labels, ","))
			require.Equal(t, len(tt.labels), firstExemplar(in).FilteredAttributes().Len(), "the batch holds the duplicates")
			require.NoError(t, proc.ConsumeMetrics(t.Context(), in))
			require.Len(t, sink.AllMetrics(), 1)
			got := firstExemplar(sink.AllMetrics()[0])
			assert.Equal(t, tt.want, labelsOf(got.FilteredAttributes()))
			if tt.wantTrace == "" {
				assert.True(t, got.TraceID().IsEmpty(), "trace ID field")
			} else {
				assert.Equal(t, tt.wantTrace, got.TraceID().String())
			}
			if tt.wantSpan == "" {
				assert.True(t, got.SpanID().IsEmpty(), "span ID field")
			} else {
				assert.Equal(t, tt.wantSpan, got.SpanID().String())
			}
		})
	}
}
