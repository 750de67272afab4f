package main

import (
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/prometheusexporter"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/translator/prometheusremotewrite"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"
	"go.uber.org/zap"

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
			// The exporters themselves agree: the remote-write one's
			// translator, and the prometheus exporter as scraped.
			got, found := translatorExemplar(t, tt.typ, tt.ex)
			if tt.dest == destPrometheus {
				got, found = exporterExemplar(t, tt.typ, tt.ex)
			}
			assert.Equal(t, ok, found, "the exporter writes an exemplar: %v", got)
			if found {
				assert.Equal(t, promSorted(stored), promSorted(got))
			}
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

// TestDestinationDemo: the demo app checked for each Prometheus
// destination: which exemplars reach it with trace_id/span_id.
func TestDestinationDemo(t *testing.T) {
	t.Parallel()
	fieldConfig := filepath.Join(t.TempDir(), "field.yaml")
	require.NoError(t, os.WriteFile(fieldConfig, []byte("processors:\n  exemplar_link:\n    trace_only_exemplars: field\n"), 0o600))
	tests := []struct {
		name, style, dest string
		config            string
		wantCode          int
		wantResult        string
		wantStock         bool
		wantPitfalls      []string
	}{
		{name: "prom-client through remote write", style: "prom-client", dest: destRemoteWrite,
			wantResult: PromTraceAndSpan, wantPitfalls: []string{}},
		{name: "prom-client through the prometheus exporter", style: "prom-client", dest: destPrometheus,
			wantResult: PromTraceAndSpan, wantPitfalls: []string{}},
		{name: "otel style, stock gets there too", style: "otel", dest: destPrometheus,
			wantResult: PromTraceAndSpan, wantStock: true, wantPitfalls: []string{}},
		{name: "trace-only through remote write", style: "trace-only", dest: destRemoteWrite,
			wantResult: PromTraceOnly, wantPitfalls: []string{}},
		{name: "trace-only through the prometheus exporter, label mode: lost", style: "trace-only", dest: destPrometheus,
			wantCode: 1, wantResult: PromNoExemplar, wantPitfalls: []string{PitfallTraceOnlyLost}},
		{name: "trace-only through the prometheus exporter, field mode", style: "trace-only", dest: destPrometheus, config: fieldConfig,
			wantResult: PromTraceOnly, wantPitfalls: []string{}},
		{name: "invalid through remote write: as it came", style: "invalid", dest: destRemoteWrite,
			wantCode: 1, wantResult: PromNoTraceID, wantPitfalls: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url := startDemo(t, tt.style, "")
			args := []string{"--destination", tt.dest, "--max-exemplars", "1000", url}
			if tt.config != "" {
				args = append(args, "--config", tt.config)
			}
			code, rep := checkJSON(t, append(args, fast...)...)
			assert.Equal(t, tt.wantCode, code)
			assert.Equal(t, tt.dest, rep.Summary.Destination)
			assert.Equal(t, tt.wantPitfalls, rep.pitfalls())
			require.NotNil(t, rep.Summary.Prometheus)
			require.NotEmpty(t, rep.Exemplars)
			for _, r := range rep.Exemplars {
				require.NotNil(t, r.Prometheus, "%+v", r)
				assert.Equal(t, tt.wantResult, r.Prometheus.Result, "%+v", r)
				assert.Equal(t, tt.wantStock, promReaches(r.Prometheus.Stock), "%+v", r.Prometheus)
				assert.False(t, r.Prometheus.OverRuneLimit)
				switch r.Prometheus.Result {
				case PromTraceAndSpan:
					assert.Equal(t, map[string]string{"trace_id": r.TraceID, "span_id": r.SpanID}, r.Prometheus.Labels, "exactly the two, no leftover ID label")
				case PromTraceOnly:
					assert.Equal(t, map[string]string{"trace_id": r.LabelsIn["traceID"]}, r.Prometheus.Labels)
				case PromNoExemplar:
					assert.Empty(t, r.Prometheus.Labels)
				}
			}
		})
	}
}

// TestDestinationRuneLimit: an exemplar whose labels fit stock but pass
// 128 runes once linked (docs/prometheus.md's last row) is warned about.
func TestDestinationRuneLimit(t *testing.T) {
	t.Parallel()
	route := strings.Repeat("r", 62)
	exposition := "# TYPE http_request_duration_seconds histogram\n" +
		"http_request_duration_seconds_bucket{le=\"0.1\"} 1 # {route=\"" + route + "\",spanID=\"" + tS + "\",traceID=\"" + tT + "\"} 0.05 1700000000.000\n" +
		"http_request_duration_seconds_bucket{le=\"+Inf\"} 1\n" +
		"http_request_duration_seconds_sum 0.05\n" +
		"http_request_duration_seconds_count 1\n" +
		"# EOF\n"
	file := filepath.Join(t.TempDir(), "long.om")
	require.NoError(t, os.WriteFile(file, []byte(exposition), 0o600))

	code, rep := checkJSON(t, append([]string{"--destination", destRemoteWrite, "--file", file}, fast...)...)
	assert.Equal(t, 0, code, "the IDs reach Prometheus; the other labels do not")
	assert.Equal(t, []string{PitfallRuneLimit}, rep.pitfalls())
	require.Len(t, rep.Exemplars, 1)
	p := rep.Exemplars[0].Prometheus
	require.NotNil(t, p)
	assert.Equal(t, PromTraceAndSpan, p.Result)
	assert.True(t, p.OverRuneLimit)
	assert.Equal(t, []string{"route"}, p.DroppedLabels)
	assert.Equal(t, map[string]string{"trace_id": tT, "span_id": tS}, p.Labels)
	assert.False(t, p.StockOverRuneLimit, "stock, traceID/spanID take 2 runes fewer: it fits")
	assert.Equal(t, PromNoTraceID, p.Stock)
	assert.Equal(t, 1, rep.Summary.Prometheus.OverRuneLimit)

	res := runCheck(t, append([]string{"--destination", destRemoteWrite, "--file", file}, fast...)...)
	assert.Contains(t, res.stdout, "destination: prometheus_remote_write")
	assert.Contains(t, res.stdout, "TRACE+SPAN  TRACE ONLY  NO TRACE_ID  NO EXEMPLAR  STOCK  OVER 128 RUNES  STORED AS")
	assert.Contains(t, res.stdout, "exemplar_labels_over_128_runes [1]")
	assert.Contains(t, res.stdout, "PASS: 1 of 1 exemplars that reference a trace reach Prometheus with a trace_id label, 1 of them with span_id (stock pipeline: 0)")

	// The same exposition for Google Cloud: no rune limit there.
	_, rep = checkJSON(t, append([]string{"--file", file}, fast...)...)
	assert.Equal(t, destGoogle, rep.Summary.Destination)
	assert.Nil(t, rep.Summary.Prometheus)
	assert.Nil(t, rep.Exemplars[0].Prometheus)
	assert.Empty(t, rep.pitfalls())
}

// pointWith returns a batch of one point of a metric of type typ, carrying
// ex, as the prometheus receiver hands on a scrape.
func pointWith(t *testing.T, typ string, ex pmetric.Exemplar) pmetric.Metrics {
	t.Helper()
	md := pmetric.NewMetrics()
	m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("m")
	now := pcommon.NewTimestampFromTime(time.Now())
	var exs pmetric.ExemplarSlice
	switch typ {
	case typeHistogram:
		h := m.SetEmptyHistogram()
		h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		dp := h.DataPoints().AppendEmpty()
		dp.SetTimestamp(now)
		dp.SetCount(1)
		dp.SetSum(0.1)
		dp.ExplicitBounds().FromRaw([]float64{1})
		dp.BucketCounts().FromRaw([]uint64{1, 0})
		exs = dp.Exemplars()
	case typeSum:
		sum := m.SetEmptySum()
		sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		sum.SetIsMonotonic(true)
		dp := sum.DataPoints().AppendEmpty()
		dp.SetTimestamp(now)
		dp.SetDoubleValue(1)
		exs = dp.Exemplars()
	case typeGauge:
		dp := m.SetEmptyGauge().DataPoints().AppendEmpty()
		dp.SetTimestamp(now)
		dp.SetDoubleValue(1)
		exs = dp.Exemplars()
	default:
		t.Fatalf("no point of type %s here", typ)
	}
	ex.CopyTo(exs.AppendEmpty())
	return md
}

// translatorExemplar runs ex, on a point of a metric of type typ, through
// the prometheus_remote_write exporter's translator (the release the
// project names) and returns the labels of the exemplar it writes, if any.
func translatorExemplar(t *testing.T, typ string, ex pmetric.Exemplar) (Labels, bool) {
	t.Helper()
	tss, err := prometheusremotewrite.FromMetrics(pointWith(t, typ, ex), prometheusremotewrite.Settings{})
	require.NoError(t, err)
	var out []Labels
	for _, ts := range tss {
		for _, e := range ts.Exemplars {
			ls := Labels{}
			for _, l := range e.Labels {
				ls = append(ls, label{l.Name, l.Value})
			}
			out = append(out, ls)
		}
	}
	require.LessOrEqual(t, len(out), 1, "one exemplar in, at most one out: %v", out)
	if len(out) == 0 {
		return nil, false
	}
	return out[0], true
}

// exporterExemplar runs ex, on a point of a metric of type typ, through the
// prometheus exporter (enable_open_metrics) and returns the labels of the
// exemplar it serves, as Prometheus scrapes it, if any.
func exporterExemplar(t *testing.T, typ string, ex pmetric.Exemplar) (Labels, bool) {
	t.Helper()
	f := prometheusexporter.NewFactory()
	cfg := f.CreateDefaultConfig()
	addr := freePort(t)
	require.NoError(t, unmarshalInto(cfg, map[string]any{"endpoint": addr, "enable_open_metrics": true}))
	exp, err := f.CreateMetrics(t.Context(), exporter.Settings{
		ID:                component.NewID(f.Type()),
		TelemetrySettings: telemetrySettings(zap.NewNop()),
		BuildInfo:         component.NewDefaultBuildInfo(),
	}, cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(t.Context(), nopHost{}))
	defer func() { require.NoError(t, exp.Shutdown(context.Background())) }()
	require.NoError(t, exp.ConsumeMetrics(t.Context(), pointWith(t, typ, ex)))

	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+addr+"/metrics", nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "application/openmetrics-text; version=1.0.0")
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	client.CloseIdleConnections()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	// An OpenMetrics exemplar: `sample # {name="value",...} value [ts]`.
	// The exporter writes only hex IDs, so the values need no unescaping.
	var out []Labels
	for _, line := range strings.Split(string(body), "\n") {
		_, exemplar, ok := strings.Cut(line, " # {")
		if !ok {
			continue
		}
		set, _, _ := strings.Cut(exemplar, "}")
		ls := Labels{}
		for _, m := range omLabel.FindAllStringSubmatch(set, -1) {
			ls = append(ls, label{m[1], m[2]})
		}
		out = append(out, ls)
	}
	require.LessOrEqual(t, len(out), 1, "one exemplar in, at most one out: %s", body)
	if len(out) == 0 {
		return nil, false
	}
	return out[0], true
}

var omLabel = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"`)

// promSorted sorts labels by name: the prometheus exporter serves them
// sorted (client_golang), the remote-write one in its own order.
func promSorted(ls Labels) Labels {
	out := append(Labels(nil), ls...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
