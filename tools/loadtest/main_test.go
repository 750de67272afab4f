package main

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func defaultSettings() settings {
	return settings{
		runs: 5, warmup: 15 * time.Second, window: 30 * time.Second,
		spansPerSecond: 20000, exemplars: 10000, targets: 10,
		interval: time.Second, batchSize: 512, minDelivered: 0.9,
	}
}

func TestSettings(t *testing.T) {
	t.Parallel()
	s := defaultSettings()
	require.NoError(t, s.validate())
	assert.Equal(t, expected{spans: 20000, scrapes: 10, appLinked: 5000, traceLinked: 5000}, s.expected())

	bad := s
	bad.exemplars, bad.batchSize, bad.window = 10001, 511, 2*time.Second
	assert.EqualError(t, bad.validate(), "-exemplars 10001: must be a positive multiple of targets × 10\n"+
		"-batch must be an even number of spans\n"+
		"-warmup must hold two scrape intervals and -window five")
}

// telemetryAt builds the collector's counters as the pull endpoint shows
// them.
func telemetryAt(t *testing.T, spans, appLinked, traceLinked float64) samples {
	t.Helper()
	text := "otelcol_receiver_accepted_spans{receiver=\"otlp\",transport=\"grpc\"} " + ftoa(spans) + "\n" +
		"otelcol_receiver_refused_spans{receiver=\"otlp\",transport=\"grpc\"} 0\n" +
		"otelcol_processor_exemplar_link_exemplars_linked{source=\"id_label\"} " + ftoa(appLinked/2) + "\n" +
		"otelcol_processor_exemplar_link_exemplars_linked{source=\"exemplar_fields\"} " + ftoa(appLinked/2) + "\n" +
		"otelcol_processor_exemplar_link_exemplars_linked{source=\"traces\"} " + ftoa(traceLinked) + "\n"
	ss, err := parseExposition(strings.NewReader(text))
	require.NoError(t, err)
	return ss
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// A run whose load did not arrive reports its problems, and run() then
// prints no figure (it returns the problems as its error).
func TestEvaluate(t *testing.T) {
	t.Parallel()
	s := defaultSettings()
	t0 := time.Unix(1000, 0)
	before := snapshot{at: t0, cpu: 10 * time.Second, telemetry: telemetryAt(t, 0, 0, 0)}
	good := snapshot{at: t0.Add(10 * time.Second), cpu: 13 * time.Second, scrapes: 100,
		telemetry: telemetryAt(t, 200000, 50000, 50000)}
	for _, tc := range []struct {
		name  string
		v     variant
		after snapshot
		app   *app
		want  []string
	}{
		{name: "both, delivered", v: bothPipelines, after: good},
		{
			name: "metrics-only, delivered", v: metricsOnly,
			after: snapshot{at: good.at, cpu: good.cpu, scrapes: 100, telemetry: telemetryAt(t, 200000, 50000, 0)},
		},
		{
			name: "metrics-only linking from traces: the wrong config", v: metricsOnly, after: good,
			want: []string{"5000 exemplars/s linked from traces with exemplar_link in the metrics pipeline only"},
		},
		{
			name: "nothing arrived", v: bothPipelines,
			after: snapshot{at: good.at, cpu: 11 * time.Second, telemetry: telemetryAt(t, 0, 0, 0)},
			want: []string{
				"spans accepted by the OTLP receiver: 0/s, want at least 90% of 20000/s",
				"scrapes served: 0/s, want at least 90% of 10/s",
				"exemplars linked by the app's IDs: 0/s, want at least 90% of 5000/s",
				"trace-only exemplars linked from the traces side: 0/s, want at least 90% of 5000/s",
			},
		},
		{
			name: "spans short", v: bothPipelines,
			after: snapshot{at: good.at, cpu: good.cpu, scrapes: 100, telemetry: telemetryAt(t, 170000, 50000, 50000)},
			want:  []string{"spans accepted by the OTLP receiver: 17000/s, want at least 90% of 20000/s"},
		},
		{
			name: "export errors", v: bothPipelines, after: good,
			app:  func() *app { a := newApp(3, 1); a.exportErr.Store(errors.New("unavailable")); return a }(),
			want: []string{"app 3: span export failed: unavailable"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			apps := []*app{newApp(0, 1)}
			if tc.app != nil {
				apps = append(apps, tc.app)
			}
			var r result
			r.evaluate(before, tc.after, s, tc.v, apps)
			assert.Equal(t, tc.want, r.problems)
			if len(tc.want) == 0 {
				assert.InDelta(t, 0.3, r.cpu, 1e-9, "3 s of CPU in 10 s")
			}
		})
	}
}

// The variants differ in the traces pipeline's processors and nothing else.
func TestCollectorConfigVariants(t *testing.T) {
	t.Parallel()
	targets := []string{"127.0.0.1:1", "127.0.0.1:2"}
	both := strings.Split(collectorConfig(bothPipelines, targets, time.Second, "127.0.0.1:3", "127.0.0.1:4", 5, ""), "\n")
	only := strings.Split(collectorConfig(metricsOnly, targets, time.Second, "127.0.0.1:3", "127.0.0.1:4", 5, ""), "\n")
	require.Len(t, only, len(both))
	var diff []string
	for i := range both {
		if both[i] != only[i] {
			diff = append(diff, both[i]+" | "+only[i])
		}
	}
	assert.Equal(t, []string{"      processors: [exemplar_link, batch] |       processors: [batch]"}, diff)
	assert.Contains(t, both, `            - targets: ["127.0.0.1:1", "127.0.0.1:2"]`)
	assert.Contains(t, both, "  extensions: [health_check]")
	assert.Contains(t, both, "                port: 5")

	profiled := collectorConfig(bothPipelines, targets, time.Second, "127.0.0.1:3", "127.0.0.1:4", 5, "127.0.0.1:6")
	assert.Contains(t, profiled, "  extensions: [health_check, pprof]")
	assert.Contains(t, profiled, "  pprof:\n    endpoint: 127.0.0.1:6\n")
}
