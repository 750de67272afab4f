package spanindex

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

const ms = int64(1e6)

var (
	trace  = pcommon.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	server = pcommon.SpanID{0xa1}
	child  = pcommon.SpanID{0xa2}
	other  = pcommon.SpanID{0xa3}
	client = pcommon.SpanID{0xa4}
)

func span(id pcommon.SpanID, start, end int64, entry bool) Span {
	return Span{TraceID: trace, SpanID: id, Start: start * ms, End: end * ms, Entry: entry}
}

// TestChoose is the span-choice table of issue 23. Times are in ms; the
// request: a client span 0..100 in the caller, the server span 10..90 in
// the service, a child (a database call) 20..40 inside it.
func TestChoose(t *testing.T) {
	t.Parallel()
	request := []Span{span(client, 0, 100, false), span(server, 10, 90, true), span(child, 20, 40, false)}
	for _, tc := range []struct {
		name    string
		spans   []Span
		at      int64 // ms
		hasTime bool
		want    Result
	}{
		{"server span: observed in the handler, outside any child", request, 60, true, Result{server, Found}},
		{"child span: observed during the database call", request, 30, true, Result{child, Found}},
		{"server span: a timestamp cut to the ms the child ended in (observed after it, in the handler)", request, 40, true, Result{server, Found}},
		{"child span: the child ends 1 ms after the cut timestamp", request, 39, true, Result{child, Found}},
		{"server span: child and server end in that ms, the outermost candidate wins", []Span{span(server, 10, 40, true), span(child, 20, 40, false)}, 40, true, Result{server, Found}},
		{"3 ms after the end: prom-client observes in res.on('finish')", request[1:], 93, true, Result{server, Found}},
		{"3 ms after the end, a child that ended earlier is farther", []Span{span(server, 10, 90, true), span(child, 80, 88, false)}, 93, true, Result{server, Found}},
		{"1 ms before the start: a timestamp truncated to ms", request[1:], 9, true, Result{server, Found}},
		{"beyond the tolerance after the end", request[1:], 90 + ToleranceAfter/ms + 1, true, Result{Outcome: NoSpan}},
		{"beyond the tolerance before the start", request[1:], 10 - ToleranceBefore/ms - 1, true, Result{Outcome: NoSpan}},
		{"no timestamp: the single entry span", request, 0, false, Result{server, Found}},
		{"no timestamp, no entry span", []Span{span(child, 20, 40, false)}, 0, false, Result{Outcome: NoEntrySpan}},
		{"no timestamp, two entry spans", []Span{span(server, 10, 90, true), span(other, 95, 99, true)}, 0, false, Result{Outcome: Ambiguous}},
		{"no timestamp, one entry span listed twice", []Span{span(server, 10, 90, true), span(server, 10, 90, true)}, 0, false, Result{server, Found}},
		{"two non-nested candidates: parallel siblings", []Span{span(server, 10, 90, true), span(child, 20, 40, false), span(other, 30, 50, false)}, 35, true, Result{Outcome: Ambiguous}},
		{"two candidates with the same interval", []Span{span(child, 20, 40, false), span(other, 20, 40, false)}, 30, true, Result{Outcome: Ambiguous}},
		{"siblings that do not overlap at the time", []Span{span(server, 10, 90, true), span(child, 20, 40, false), span(other, 45, 50, false)}, 47, true, Result{other, Found}},
		{"between two spans: 5 ms after one, 5 ms before the next", []Span{span(child, 20, 40, false), span(other, 50, 60, false)}, 45, true, Result{child, Found}},
		{"two spans equally near within the tolerance", []Span{span(child, 20, 40, false), span(other, 42, 60, false)}, 41, true, Result{Outcome: Ambiguous}},
		{"trace never seen", nil, 30, true, Result{Outcome: TraceNotSeen}},
		{"trace never seen, no timestamp", nil, 0, false, Result{Outcome: TraceNotSeen}},
		{"same span listed twice", []Span{span(child, 20, 40, false), span(child, 20, 40, false)}, 30, true, Result{child, Found}},
	} {
		spans := append([]Span(nil), tc.spans...)
		assert.Equal(t, tc.want, Choose(spans, tc.at*ms, tc.hasTime), tc.name)
		// Order never matters.
		reversed := make([]Span, len(tc.spans))
		for i, s := range tc.spans {
			reversed[len(reversed)-1-i] = s
		}
		assert.Equal(t, tc.want, Choose(reversed, tc.at*ms, tc.hasTime), tc.name+" (reversed)")
	}
}

// TestChooseTruncatedTimestamp: only a timestamp on a whole millisecond
// stands for the millisecond after it; one with finer digits is taken as
// the instant it says.
func TestChooseTruncatedTimestamp(t *testing.T) {
	t.Parallel()
	request := []Span{span(server, 10, 90, true), {TraceID: trace, SpanID: child, Start: 20 * ms, End: 40*ms + 500}}
	for _, tc := range []struct {
		name string
		at   int64 // ns
		want pcommon.SpanID
	}{
		{"cut to the ms the child ended in", 40 * ms, server},
		{"the instant the child ended, to the ns", 40*ms + 500, child},
		{"1 ns before the child ended", 40*ms + 499, child},
		{"a whole ms 1 ms before the child ended", 39 * ms, child},
	} {
		assert.Equal(t, Result{tc.want, Found}, Choose(append([]Span(nil), request...), tc.at, true), tc.name)
	}
}

// TestChooseExtremeTimes: timestamps come from the wire; far apart, they
// must not overflow into a match.
func TestChooseExtremeTimes(t *testing.T) {
	t.Parallel()
	spans := []Span{{TraceID: trace, SpanID: server, Start: 1 << 62, End: 1<<62 + 1}}
	assert.Equal(t, Result{Outcome: NoSpan}, Choose(spans, -1<<62, true))
	spans = []Span{{TraceID: trace, SpanID: server, Start: -1 << 62, End: -1<<62 + 1}}
	assert.Equal(t, Result{Outcome: NoSpan}, Choose(spans, 1<<62, true))
}
