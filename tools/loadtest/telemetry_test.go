package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const exposition = `# HELP otelcol_receiver_accepted_spans Number of spans successfully pushed into the pipeline. [alpha]
# TYPE otelcol_receiver_accepted_spans counter
otelcol_receiver_accepted_spans{receiver="otlp",transport="grpc"} 1.2e+06
otelcol_receiver_accepted_spans{receiver="otlp/2",transport="http"} 5
otelcol_processor_exemplar_link_exemplars_linked{source="id_label"} 7500
otelcol_processor_exemplar_link_exemplars_linked{source="exemplar_fields"} 7500
otelcol_processor_exemplar_link_exemplars_linked_total{source="traces"} 15000 1733312345000
otelcol_process_uptime 3.96
weird{a="x\"y\\z,}",b="2"} 1
`

func TestParseExposition(t *testing.T) {
	t.Parallel()
	ss, err := parseExposition(strings.NewReader(exposition))
	require.NoError(t, err)
	require.Len(t, ss, 7)
	assert.Equal(t, sample{name: "weird", labels: map[string]string{"a": `x"y\z,}`, "b": "2"}, value: 1}, ss[6])

	got, ok := ss.sum("otelcol_receiver_accepted_spans", map[string]string{"receiver": "otlp"})
	assert.True(t, ok)
	assert.Equal(t, 1.2e6, got)
	got, ok = ss.sum("otelcol_processor_exemplar_link_exemplars_linked", map[string]string{"source": "traces"})
	assert.True(t, ok, "found with the _total suffix")
	assert.Equal(t, 15000.0, got)
	assert.Equal(t, 15000.0, ss.sumExcept("otelcol_processor_exemplar_link_exemplars_linked", "source", "traces"))
	got, ok = ss.sum("otelcol_processor_exemplar_link_exemplars_linked", nil)
	assert.True(t, ok)
	assert.Equal(t, 30000.0, got)
	_, ok = ss.sum("otelcol_processor_exemplar_link_links_checked", nil)
	assert.False(t, ok)
}

func TestParseExpositionErrors(t *testing.T) {
	t.Parallel()
	for line, want := range map[string]string{
		"novalue":                  "no value",
		`m{a="1"`:                  "malformed label set",
		`m{a=1} 2`:                 "malformed label set",
		`m{a="1"} two`:             "invalid syntax",
		`m{a="1"} 1 2 3`:           "want a value and at most a timestamp",
		`m{a="unterminated} 1`:     "unterminated label value",
		"ok 1\nm{a=\"1\"} 1 2 3\n": `telemetry line 2`,
	} {
		_, err := parseExposition(strings.NewReader(line))
		assert.ErrorContains(t, err, want, line)
	}
}
