package main

import (
	"bytes"
	"encoding/hex"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mustID16(t *testing.T, s string) (id [16]byte) {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	require.Len(t, b, 16)
	copy(id[:], b)
	return id
}

func mustID8(t *testing.T, s string) (id [8]byte) {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	require.Len(t, b, 8)
	copy(id[:], b)
	return id
}

// The exposition of a page with two series, some buckets observed twice,
// some never, in every exemplar style: testdata/page.txt. Set
// UPDATE_GOLDEN=1 to rewrite it after a deliberate change.
func TestAppendOpenMetricsGolden(t *testing.T) {
	t.Parallel()
	p := newPage(2)
	trace := mustID16(t, "4bf92f3577b34da6a3ce929d0e0e4736")
	span := mustID8(t, "00f067aa0ba902b7")
	// Series 0: slots 0-9; series 1: slots 10-19. Styles rotate per slot.
	p.observe(0, 0, exemplar{traceID: trace, spanID: span, value: 0.004, unixMilli: 1733312345007})
	p.observe(0, 1, exemplar{traceID: trace, spanID: span, value: 0.0071, unixMilli: 1733312345120})
	p.observe(0, 1, exemplar{traceID: trace, spanID: span, value: 0.0082, unixMilli: 1733312345999})
	p.observe(0, 2, exemplar{traceID: trace, spanID: span, value: 0.015, unixMilli: 1733312346000})
	p.observe(0, 3, exemplar{traceID: trace, spanID: span, value: 0.025, unixMilli: 1733312346050})
	p.observe(1, 9, exemplar{traceID: trace, spanID: span, value: 0.25, unixMilli: 1733312346500})

	got := appendOpenMetrics(nil, &p)
	golden := filepath.Join("testdata", "page.txt")
	if os.Getenv("UPDATE_GOLDEN") != "" {
		require.NoError(t, os.WriteFile(golden, got, 0o600))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got))
}

// Every bucket line has an exemplar once observed, in its slot's style:
// half the slots name both IDs, half only the trace.
func TestAppendOpenMetricsStyles(t *testing.T) {
	t.Parallel()
	const numSeries = 4
	p := newPage(numSeries)
	trace := mustID16(t, "0af7651916cd43dd8448eb211c80319c")
	span := mustID8(t, "b7ad6b7169203331")
	for s := range numSeries {
		for b := range bounds {
			p.observe(s, b, exemplar{traceID: trace, spanID: span, value: bounds[b], unixMilli: 1})
		}
	}
	out := appendOpenMetrics(nil, &p)
	total := exemplarSlots(numSeries)
	assert.Equal(t, total, bytes.Count(out, []byte(" # {")), "one exemplar per bucket")
	assert.Equal(t, total/2, bytes.Count(out, []byte("span")), "half with a span ID")
	assert.Equal(t, total/2, bytes.Count(out, []byte(`trace_id="0af7651916cd43dd8448eb211c80319c"`)))
	assert.Equal(t, total/2, bytes.Count(out, []byte(`traceID="0af7651916cd43dd8448eb211c80319c"`)))
	assert.True(t, bytes.HasSuffix(out, []byte("\n# EOF\n")))
}

func TestAppendMillis(t *testing.T) {
	t.Parallel()
	for ms, want := range map[int64]string{
		1733312345007: "1733312345.007",
		1733312345070: "1733312345.070",
		1733312345700: "1733312345.700",
		1733312345000: "1733312345.000",
		999:           "0.999",
	} {
		assert.Equal(t, want, string(appendMillis(nil, ms)), ms)
	}
}

// The exemplar's millisecond timestamp lies inside its server span and
// after the child span, so a trace-only exemplar has one span to be linked
// to; its value lies in its bucket.
func TestRequestExemplarInsideServerSpan(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	end := time.Unix(1733312345, 0)
	for i := range 20000 {
		b := i % len(bounds)
		// Ends anywhere within a millisecond, as requests do.
		r := newRequest(rng, 3, b, end.Add(time.Duration(i)*37*time.Microsecond))
		lo := minDuration
		if b > 0 {
			lo = bounds[b-1]
		}
		require.Greater(t, r.value, lo, "value in bucket %d", b)
		require.LessOrEqual(t, r.value, bounds[b], "value in bucket %d", b)
		at := time.UnixMilli(r.observedAtUnixMillis)
		dbEnd := r.start.Add(r.end.Sub(r.start) / 2)
		require.True(t, at.After(dbEnd), "request %d: exemplar at %s, child span ends %s", i, at, dbEnd)
		require.False(t, at.After(r.end), "request %d: exemplar at %s after the span's end %s", i, at, r.end)
		e := r.exemplar()
		require.Equal(t, r.traceID, e.traceID)
		require.Equal(t, r.serverSpan, e.spanID)
		require.NotEqual(t, [8]byte{}, r.serverSpan)
		require.NotEqual(t, [16]byte{}, r.traceID)
	}
}
