package main

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// exemplarOf builds an exemplar with IDs in its fields (traceID, spanID hex,
// "" for none) and labels as filtered attributes, in order.
func exemplarOf(t *testing.T, traceID, spanID string, ls ...label) pmetric.Exemplar {
	t.Helper()
	ex := pmetric.NewExemplar()
	ex.SetDoubleValue(0.1)
	if traceID != "" {
		b, err := hex.DecodeString(traceID)
		require.NoError(t, err)
		ex.SetTraceID(pcommon.TraceID(b))
	}
	if spanID != "" {
		b, err := hex.DecodeString(spanID)
		require.NoError(t, err)
		ex.SetSpanID(pcommon.SpanID(b))
	}
	for _, l := range ls {
		ex.FilteredAttributes().PutStr(l.Name, l.Value)
	}
	return ex
}

// TestPromStore: the exporters' rules, on rows of docs/prometheus.md's
// table measured against a real Prometheus (exemplar as it leaves
// exemplar_link in, label names stored out).
func TestPromStore(t *testing.T) {
	t.Parallel()
	// A route that makes trace_id+span_id (63 runes) plus route
	// (5 + len) exactly 128 runes, and one two runes longer.
	atLimit := strings.Repeat("r", 60)
	pastLimit := strings.Repeat("r", 62)
	tests := []struct {
		name       string
		dest, typ  string
		ex         pmetric.Exemplar
		wantLabels []string // names stored, nil for no exemplar
		wantResult string
		wantDrop   []string
	}{
		{"remote write, linked", destRemoteWrite, typeHistogram, exemplarOf(t, tT, tS),
			[]string{"trace_id", "span_id"}, PromTraceAndSpan, nil},
		{"remote write, stock traceID/spanID", destRemoteWrite, typeHistogram, exemplarOf(t, "", "", label{"spanID", tS}, label{"traceID", tT}),
			[]string{"spanID", "traceID"}, PromNoTraceID, nil},
		{"remote write, linked with route", destRemoteWrite, typeHistogram, exemplarOf(t, tT, tS, label{"route", "/checkout"}),
			[]string{"trace_id", "span_id", "route"}, PromTraceAndSpan, nil},
		{"remote write, trace-only as a label (label mode)", destRemoteWrite, typeHistogram, exemplarOf(t, "", "", label{"trace_id", tT}),
			[]string{"trace_id"}, PromTraceOnly, nil},
		{"remote write, trace-only in the field (field mode)", destRemoteWrite, typeHistogram, exemplarOf(t, tT, ""),
			[]string{"trace_id"}, PromTraceOnly, nil},
		{"remote write, invalid: 15-digit spanID beside the trace ID", destRemoteWrite, typeHistogram, exemplarOf(t, "", "", label{"spanID", tS[1:]}, label{"trace_id", tT}),
			[]string{"spanID", "trace_id"}, PromTraceOnly, nil},
		{"remote write, 128 runes once linked: kept", destRemoteWrite, typeHistogram, exemplarOf(t, tT, tS, label{"route", atLimit}),
			[]string{"trace_id", "span_id", "route"}, PromTraceAndSpan, nil},
		{"remote write, 130 runes once linked: only the IDs", destRemoteWrite, typeHistogram, exemplarOf(t, tT, tS, label{"route", pastLimit}),
			[]string{"trace_id", "span_id"}, PromTraceAndSpan, []string{"route"}},
		{"remote write, the same stock: 61 runes of IDs, kept", destRemoteWrite, typeHistogram, exemplarOf(t, "", "", label{"route", pastLimit}, label{"spanID", tS}, label{"traceID", tT}),
			[]string{"route", "spanID", "traceID"}, PromNoTraceID, nil},
		{"remote write, on a counter", destRemoteWrite, typeSum, exemplarOf(t, tT, tS),
			[]string{"trace_id", "span_id"}, PromTraceAndSpan, nil},
		{"remote write, on a gauge: none", destRemoteWrite, typeGauge, exemplarOf(t, tT, tS),
			nil, PromNoExemplar, nil},
		{"scrape, linked", destPrometheus, typeHistogram, exemplarOf(t, tT, tS, label{"route", "/x"}),
			[]string{"trace_id", "span_id"}, PromTraceAndSpan, nil},
		{"scrape, stock traceID/spanID: no exemplar", destPrometheus, typeHistogram, exemplarOf(t, "", "", label{"spanID", tS}, label{"traceID", tT}),
			nil, PromNoExemplar, nil},
		{"scrape, trace-only as a label: lost", destPrometheus, typeHistogram, exemplarOf(t, "", "", label{"trace_id", tT}),
			nil, PromNoExemplar, nil},
		{"scrape, trace-only in the field", destPrometheus, typeHistogram, exemplarOf(t, tT, ""),
			[]string{"trace_id"}, PromTraceOnly, nil},
		{"scrape, past the limit: only the IDs anyway", destPrometheus, typeHistogram, exemplarOf(t, tT, tS, label{"route", pastLimit}),
			[]string{"trace_id", "span_id"}, PromTraceAndSpan, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stored, ok, dropped := promStore(tt.dest, tt.typ, tt.ex)
			var names []string
			if ok {
				names = []string{}
				for _, l := range stored {
					names = append(names, l.Name)
				}
			}
			assert.Equal(t, tt.wantLabels, names)
			assert.Equal(t, tt.wantResult, promResult(stored, ok))
			assert.Equal(t, tt.wantDrop, dropped)
		})
	}
}

func TestPromExitStatus(t *testing.T) {
	t.Parallel()
	ref := func(result string) Record {
		return Record{Prometheus: &PromRecord{Result: result}, verdict: verdict{ReferencesTrace: true}}
	}
	noRef := Record{Prometheus: &PromRecord{Result: PromNoTraceID}}
	dangling := ref(PromTraceAndSpan)
	dangling.Resolution = ResolutionDangling
	firstScrape := ref(PromTraceAndSpan) // judged: Prometheus keeps a series' first point
	assert.Equal(t, 0, promExitStatus([]Record{ref(PromTraceAndSpan), ref(PromTraceOnly), noRef, firstScrape}))
	assert.Equal(t, 1, promExitStatus([]Record{ref(PromTraceAndSpan), ref(PromNoTraceID)}))
	assert.Equal(t, 1, promExitStatus([]Record{ref(PromTraceAndSpan), ref(PromNoExemplar)}))
	assert.Equal(t, 1, promExitStatus([]Record{ref(PromTraceAndSpan), dangling}))
	assert.Equal(t, 1, promExitStatus([]Record{noRef}))
	assert.Equal(t, 1, promExitStatus(nil))
}
