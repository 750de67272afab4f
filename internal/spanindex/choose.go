package spanindex

import (
	"slices"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Tolerances around a span's interval within which an exemplar's timestamp
// still counts as "during the span", used only when no span of the trace
// contains the timestamp exactly.
//
//   - ToleranceBefore: exemplar timestamps are truncated to milliseconds
//     (the Prometheus scraper keeps int64(seconds*1000); prom-client
//     writes milliseconds to begin with), so an
//     observation made in the first millisecond of a span can read up to
//     1 ms before its start; 2 ms leaves room for rounding clients.
//   - ToleranceAfter: clients often observe just after the server span
//     ended (prom-client in res.on('finish'), middleware that records
//     after the handler returned): the span ends, then the histogram is
//     observed, then the timestamp is truncated.
//
// Measured (tools/measure-tolerance; docs/trace-aware-linking.md,
// "Tolerances, measured"; 2,000 requests a run on 127.0.0.1), timestamps
// cut to milliseconds as the scraper does: client_golang exemplars
// observed at once in an otelhttp span fell up to 0.994 ms before its
// start (p99 0.979 ms); prom-client 15 exemplars observed in
// res.on('finish') fell up to 0.877 ms after the http instrumentation's
// server span ended (p99 0.750 ms; the JS SDK's span clock is anchored
// to a millisecond Date.now()), and up to 4.739 ms (p99 0.971 ms) when
// observed in res.on('close'), after the span ended. Both tolerances
// cover p99 and max of every run.
const (
	ToleranceBefore int64 = 2e6  // 2 ms, in ns
	ToleranceAfter  int64 = 10e6 // 10 ms, in ns
)

// Truncation is the resolution exemplar timestamps arrive in: a timestamp
// on a whole millisecond stands for an instant somewhere in the
// millisecond that follows.
const Truncation int64 = 1e6 // 1 ms, in ns

// Span is what the index keeps of one span, and what Choose chooses from.
type Span struct {
	TraceID pcommon.TraceID
	SpanID  pcommon.SpanID
	// Start and End are the span's interval, in nanoseconds since the Unix
	// epoch.
	Start, End int64
	// Entry says that the span is where its trace entered a service: kind
	// SERVER or CONSUMER, or a remote parent.
	Entry bool
}

// Outcome is what Choose found.
type Outcome uint8

const (
	// Found: Result.SpanID is the span.
	Found Outcome = iota
	// TraceNotSeen: no span of the trace is known.
	TraceNotSeen
	// NoSpan: spans of the trace are known, none was active at the time.
	NoSpan
	// NoEntrySpan: the exemplar has no timestamp and the trace has no
	// entry span.
	NoEntrySpan
	// Ambiguous: several spans qualify and none is clearly the one: two
	// active spans that do not nest, two entry spans, or two spans equally
	// near the time.
	Ambiguous
)

// Result is Choose's answer.
type Result struct {
	SpanID  pcommon.SpanID
	Outcome Outcome
}

// Choose picks, among the spans recorded for one trace, the span that was
// active when an exemplar of that trace was observed at time at
// (nanoseconds since the Unix epoch); hasTime false says the exemplar has
// no timestamp of its own. It is a pure function of its arguments, except
// that it reorders spans. The rules, in order:
//
//  1. No spans: TraceNotSeen.
//  2. No timestamp: the trace's single entry span; none is NoEntrySpan,
//     several are Ambiguous.
//  3. The spans whose interval contains at (ends included): if they all
//     nest, the innermost, which is the one that started last; if two do
//     not nest (parallel siblings, another service's span), or two
//     different spans have the same interval, Ambiguous. When at is on a
//     whole millisecond (cut to it, as the scraper does), a span that ends
//     within that millisecond gives way to the span around it: the app
//     observed after it ended, in its parent, as an exemplar recorded
//     when the handler returns does just after its last child span ended
//     (the e2e test TestTraceOnlyLinksTheObservedSpan saw 63 of 64 such
//     client_golang exemplars fall inside the child once cut).
//  4. Otherwise the span whose start or end is nearest to at, within
//     ToleranceBefore before its start or ToleranceAfter after its end;
//     two different spans at the same distance are Ambiguous, none is
//     NoSpan.
//
// The same span listed twice counts once.
func Choose(spans []Span, at int64, hasTime bool) Result {
	if len(spans) == 0 {
		return Result{Outcome: TraceNotSeen}
	}
	if !hasTime {
		return chooseEntry(spans)
	}
	k := 0
	for i := range spans {
		if spans[i].Start <= at && at <= spans[i].End {
			spans[k], spans[i] = spans[i], spans[k]
			k++
		}
	}
	if k > 0 {
		return chooseInnermost(spans[:k], at)
	}
	return chooseNearest(spans, at)
}

func chooseEntry(spans []Span) Result {
	found := -1
	for i := range spans {
		if !spans[i].Entry {
			continue
		}
		if found >= 0 && spans[found].SpanID != spans[i].SpanID {
			return Result{Outcome: Ambiguous}
		}
		found = i
	}
	if found < 0 {
		return Result{Outcome: NoEntrySpan}
	}
	return Result{SpanID: spans[found].SpanID, Outcome: Found}
}

// chooseInnermost takes spans that all contain the instant at. Sorted by
// start, then by end descending, they form a chain of nested intervals
// exactly when each contains the next.
func chooseInnermost(spans []Span, at int64) Result {
	slices.SortFunc(spans, func(a, b Span) int {
		switch {
		case a.Start != b.Start:
			return cmpInt64(a.Start, b.Start)
		case a.End != b.End:
			return cmpInt64(b.End, a.End)
		default:
			return cmpSpanID(a.SpanID, b.SpanID)
		}
	})
	for i := 1; i < len(spans); i++ {
		outer, inner := &spans[i-1], &spans[i]
		switch {
		case outer.SpanID == inner.SpanID:
		case inner.End > outer.End:
			return Result{Outcome: Ambiguous}
		case inner.Start == outer.Start && inner.End == outer.End:
			return Result{Outcome: Ambiguous}
		}
	}
	i := len(spans) - 1
	if at%Truncation == 0 {
		for i > 0 && gap(at, spans[i].End) < uint64(Truncation) {
			i--
		}
	}
	return Result{SpanID: spans[i].SpanID, Outcome: Found}
}

func chooseNearest(spans []Span, at int64) Result {
	best, bestDist, tie := -1, uint64(0), false
	for i := range spans {
		var dist uint64
		switch s := &spans[i]; {
		case at < s.Start && gap(at, s.Start) <= uint64(ToleranceBefore):
			dist = gap(at, s.Start)
		case at > s.End && gap(s.End, at) <= uint64(ToleranceAfter):
			dist = gap(s.End, at)
		default:
			continue
		}
		switch {
		case best < 0 || dist < bestDist:
			best, bestDist, tie = i, dist, false
		case dist == bestDist && spans[best].SpanID != spans[i].SpanID:
			tie = true
		}
	}
	switch {
	case best < 0:
		return Result{Outcome: NoSpan}
	case tie:
		return Result{Outcome: Ambiguous}
	}
	return Result{SpanID: spans[best].SpanID, Outcome: Found}
}

// relevant reports whether Choose could pick s for at and hasTime: Lookup
// copies only those out of the index.
func relevant(s *Span, at int64, hasTime bool) bool {
	if !hasTime {
		return s.Entry
	}
	return (at >= s.Start || gap(at, s.Start) <= uint64(ToleranceBefore)) &&
		(at <= s.End || gap(s.End, at) <= uint64(ToleranceAfter))
}

// gap returns b-a for a <= b without overflowing: timestamps come from
// the wire and may be anywhere in the int64 range.
func gap(a, b int64) uint64 { return uint64(b) - uint64(a) }

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpSpanID(a, b pcommon.SpanID) int {
	for i := range a {
		if a[i] != b[i] {
			return cmpInt64(int64(a[i]), int64(b[i]))
		}
	}
	return 0
}
