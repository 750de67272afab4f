package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLabelsMarshalKeepsOrder(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(Labels{{"traceID", tT}, {"spanID", tS}, {"a\"b", "\x1b"}})
	require.NoError(t, err)
	assert.Equal(t, `{"traceID":"`+tT+`","spanID":"`+tS+`","a\"b":"\u001b"}`, string(b))
	b, err = json.Marshal(Labels{})
	require.NoError(t, err)
	assert.Equal(t, `{}`, string(b))
}

// rec is a record of the histogram "h".
func rec(linked, stock bool, reason string, ls ...label) Record {
	r := Record{Metric: "h", MetricType: typeHistogram, LabelsIn: ls, Linked: linked, StockLinked: stock, Reason: reason}
	if linked {
		r.SpanName = "projects/p/traces/" + tT + "/spans/" + tS
	}
	r.style = labelStyle(ls)
	r.verdict = verdict{Linked: linked, Reason: reason, ReferencesTrace: reason != ReasonNoTraceReference, Judged: reason != ReasonFirstScrape}
	return r
}

func TestBuildReport(t *testing.T) {
	t.Parallel()
	records := []Record{
		rec(true, false, "", label{"traceID", tT}, label{"spanID", tS}),
		rec(true, true, "", label{"trace_id", tT}, label{"span_id", tS}),
		rec(false, false, "missing_span_id", label{"traceID", tT}),
		rec(true, false, "", label{"traceID", tT}, label{"spanID", tS}),
		rec(false, false, ReasonNoTraceReference, label{"route", "/"}),
		rec(false, false, ReasonFirstScrape, label{"traceID", tT}, label{"spanID", tS}),
	}
	rep := buildReport(Summary{Protocol: ProtocolOpenMetrics1}, records, nil, 2)
	s := rep.Summary
	assert.Equal(t, 6, s.Exemplars)
	assert.Equal(t, 4, s.ReferencesTrace, "judged exemplars that reference a trace")
	assert.Equal(t, 3, s.Linked)
	assert.Equal(t, 1, s.StockLinked)
	assert.Equal(t, map[string]int{"missing_span_id": 1, ReasonNoTraceReference: 1, ReasonFirstScrape: 1}, s.NotLinked)
	assert.Equal(t, 1, s.ExitStatus)
	assert.Equal(t, []string{PitfallTraceWithoutSpan}, ids(s.Pitfalls...))
	require.Len(t, s.Groups, 4)
	assert.Equal(t, Group{Metric: "h", MetricType: typeHistogram, Style: "traceID+spanID", Exemplars: 3, Linked: 2,
		NotLinked: map[string]int{ReasonFirstScrape: 1}, ExampleSpanName: records[0].SpanName,
		ExampleLabelsIn: records[5].LabelsIn}, s.Groups[0])
	assert.Equal(t, "trace_id+span_id", s.Groups[1].Style)
	assert.Equal(t, 1, s.Groups[1].StockLinked)
	assert.Equal(t, map[string]int{"missing_span_id": 1}, s.Groups[2].NotLinked)
	assert.Equal(t, Labels{{"traceID", tT}}, s.Groups[2].ExampleLabelsIn)
	assert.Nil(t, s.Groups[3].ExampleLabelsIn, "an exemplar without a trace reference is no example of a failed link")

	// At most 2 listed, the unlinked one that references a trace first.
	assert.Equal(t, 2, s.Listed)
	assert.Equal(t, 4, s.NotListed)
	require.Len(t, rep.Exemplars, 2)
	assert.Equal(t, "missing_span_id", rep.Exemplars[0].Reason)
	assert.True(t, rep.Exemplars[1].Linked)
}

func TestBuildReportEmpty(t *testing.T) {
	t.Parallel()
	rep := buildReport(Summary{Protocol: ProtocolPromText}, nil, nil, 10)
	assert.Equal(t, 1, rep.Summary.ExitStatus)
	var b bytes.Buffer
	require.NoError(t, writeJSON(&b, rep))
	assert.Contains(t, b.String(), `"exemplars": []`)
	assert.Contains(t, b.String(), `"id": "prometheus_text"`)
}

func TestWriteTable(t *testing.T) {
	t.Parallel()
	records := []Record{
		rec(true, false, "", label{"traceID", tT}, label{"spanID", tS}),
		rec(false, false, "missing_span_id", label{"traceID", "\x1b[2J" + tT}),
	}
	rep := buildReport(Summary{Target: "http://x/metrics", Protocol: ProtocolOpenMetrics1, Scrapes: 3}, records, nil, 10)
	var plain, colored bytes.Buffer
	require.NoError(t, writeTable(&plain, rep, palette{}))
	require.NoError(t, writeTable(&colored, rep, palette{on: true}))
	out := plain.String()
	assert.NotContains(t, out, "\x1b", "no escape codes without a terminal, and none from label values")
	assert.Contains(t, out, `traceID="\x1b[2J`+tT[:10])
	assert.Contains(t, out, "FAIL: 1 of 2 exemplars that reference a trace link in Cloud Monitoring (stock pipeline: 0)")
	assert.Contains(t, out, "trace_id_without_span_id [1]")
	lines := strings.Split(out, "\n")
	var header, row string
	for i, l := range lines {
		if strings.HasPrefix(l, "METRIC") {
			header, row = l, lines[i+1]
		}
	}
	require.NotEmpty(t, header)
	assert.Equal(t, strings.Index(header, "EXEMPLARS"), strings.Index(row, "1 "), "columns are aligned")
	assert.Contains(t, colored.String(), "\x1b[31mFAIL\x1b[0m")
	assert.NotContains(t, colored.String(), "\x1b[2J", "label values stay escaped with colour on")
}

func TestIsTerminal(t *testing.T) {
	t.Parallel()
	assert.False(t, isTerminal(&bytes.Buffer{}), "not a file")
	f, err := os.CreateTemp(t.TempDir(), "out")
	require.NoError(t, err)
	defer f.Close()
	assert.False(t, isTerminal(f), "a regular file is no terminal")
}
