package linksummary

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/exemplarlink/exemplarlinkprocessor/internal/metadata"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func newTestLogger(interval time.Duration) (*Logger, *fakeClock, *observer.ObservedLogs) {
	core, logs := observer.New(zapcore.InfoLevel)
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	return NewLogger(zap.New(core), interval, clock.now), clock, logs
}

// TestRateLimit proves the bound under a flood of bad exemplars: however
// many batches arrive, at most one line per interval is written.
func TestRateLimit(t *testing.T) {
	t.Parallel()
	l, clock, logs := newTestLogger(time.Minute)
	for i := range 10_000 {
		var c Counts
		c.AddUnlinked(ReasonInvalidValue, "m", "traceID", strings.Repeat("x", i%200))
		l.Add(&c)
		clock.t = clock.t.Add(time.Millisecond) // 10 s in all
	}
	assert.Zero(t, logs.Len())

	clock.t = clock.t.Add(time.Minute)
	var c Counts
	c.AddLinked(SourceTraceparent)
	l.Add(&c)
	require.Equal(t, 1, logs.Len())
	fields := logs.All()[0].ContextMap()
	assert.Equal(t, int64(1), fields["linked"])
	assert.Equal(t, int64(10_000), fields["unlinked"])
	assert.Equal(t, map[string]any{"traceparent": int64(1)}, fields["linked_by_source"])
	assert.Equal(t, map[string]any{"invalid_value": int64(10_000)}, fields["unlinked_by_reason"])
	assert.Equal(t, "invalid_value", fields["example_reason"])
	assert.Empty(t, fields["example_value"], "the first example of the interval is kept")
	assert.Equal(t, "1m10s", fields["interval"])

	l.Flush()
	assert.Equal(t, 1, logs.Len(), "nothing new to flush")
}

func TestNothingToReport(t *testing.T) {
	t.Parallel()
	l, clock, logs := newTestLogger(time.Second)
	clock.t = clock.t.Add(time.Hour)
	l.Add(&Counts{})
	l.Flush()
	assert.Zero(t, logs.Len())
}

func TestSummaryOff(t *testing.T) {
	t.Parallel()
	l, clock, logs := newTestLogger(0)
	var c Counts
	c.AddLinked(SourceIDLabel)
	l.Add(&c)
	clock.t = clock.t.Add(time.Hour)
	l.Add(&c)
	l.Flush()
	assert.Zero(t, logs.Len())
}

func TestTruncate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 8, "short"},
		{"exactly8", 8, "exactly8"},
		{"longer than eight", 8, "longer t…"},
		{"ééééé", 5, "éé…"}, // never splits a two-byte character
		{"\xff\xff\xff\xff", 2, "\xff\xff…"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Truncate(tt.in, tt.n), tt.in)
	}
}

func TestEnumNames(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "exemplar_fields", SourceExemplarFields.String())
	assert.Equal(t, "missing_span_id", ReasonMissingSpanID.String())
}

// TestEveryValueIsDeclared holds each Source and Reason to the attribute
// value it is counted under (String indexes metadata's enum lists, so a
// constant moved in one list and not the other would count under another
// value) and every constant to a value.
func TestEveryValueIsDeclared(t *testing.T) {
	t.Parallel()
	sources := map[Source]string{
		SourceIDLabel:        "id_label",
		SourceTraceparent:    "traceparent",
		SourceUberTraceID:    "uber_trace_id",
		SourceB3:             "b3",
		SourceExemplarFields: "exemplar_fields",
		SourceByValue:        "by_value",
		SourceTraces:         "traces",
	}
	reasons := map[Reason]string{
		ReasonInvalidValue:   "invalid_value",
		ReasonZeroID:         "zero_id",
		ReasonMissingSpanID:  "missing_span_id",
		ReasonMissingTraceID: "missing_trace_id",
		ReasonConflict:       "conflict",
		ReasonAmbiguous:      "ambiguous",
		ReasonUnsampled:      "unsampled",
		ReasonTraceNotSeen:   "trace_not_seen",
		ReasonSpanNotFound:   "span_not_found",
		ReasonNoEntrySpan:    "no_entry_span",
	}
	require.Len(t, sources, int(NumSources))
	require.Len(t, metadata.AttributeSourceValues, int(NumSources))
	for s, want := range sources {
		assert.Equal(t, want, s.String())
	}
	require.Len(t, reasons, int(NumReasons))
	require.Len(t, metadata.AttributeReasonValues, int(NumReasons))
	for r, want := range reasons {
		assert.Equal(t, want, r.String())
	}
}
