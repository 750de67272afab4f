package linksummary

import (
	"strings"
	"testing"
	"time"

	"github.com/exemplarlink/exemplarlinkprocessor/internal/linkplan"

	"github.com/stretchr/testify/assert"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
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
		c.AddUnlinked(linkplan.ReasonInvalidValue, "m", "traceID", strings.Repeat("x", i%200))
		l.Add(&c)
		clock.t = clock.t.Add(time.Millisecond) // 10 s in all
	}
	assert.Zero(t, logs.Len())

	clock.t = clock.t.Add(time.Minute)
	var c Counts
	c.AddLinked(linkplan.SourceTraceparent)
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
	c.AddLinked(linkplan.SourceIDLabel)
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
