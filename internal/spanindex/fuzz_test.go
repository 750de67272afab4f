package spanindex

import (
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// reference is the index written plainly: a slice in insertion order.
type reference struct {
	max    int
	maxAge int64 // seconds
	spans  []refSpan
}

type refSpan struct {
	Span
	added int64
}

func (r *reference) add(now int64, s Span) {
	kept := r.spans[:0]
	for _, old := range r.spans {
		if now-old.added < r.maxAge {
			kept = append(kept, old)
		}
	}
	r.spans = kept
	for _, old := range r.spans {
		if old.TraceID == s.TraceID && old.SpanID == s.SpanID {
			return
		}
	}
	if len(r.spans) == r.max {
		r.spans = r.spans[1:]
	}
	r.spans = append(r.spans, refSpan{s, now})
}

func (r *reference) lookup(trace pcommon.TraceID, at int64, hasTime bool) Result {
	var of []Span
	for _, s := range r.spans {
		if s.TraceID == trace {
			of = append(of, s.Span)
		}
	}
	return Choose(of, at, hasTime)
}

// FuzzIndex plays random interleavings of added spans, passing time and
// lookups against the index and the reference; they must agree on every
// lookup and on the number of live spans. Few trace and span IDs and
// times on a coarse grid make collisions, duplicates, nesting and
// evictions common.
func FuzzIndex(f *testing.F) {
	f.Add(uint8(3), []byte{0, 1, 1, 5, 9, 0, 1, 2, 3, 4, 2, 1, 3, 0, 0})
	f.Add(uint8(1), []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0})
	f.Add(uint8(8), []byte{0, 1, 2, 3, 4, 5, 0, 1, 3, 4, 5, 6, 0, 2, 2, 2, 2, 2, 1, 5, 2, 1, 9, 9, 9})
	f.Fuzz(func(t *testing.T, capacity uint8, ops []byte) {
		maxSpans := int(capacity%16) + 1
		const maxAge = 3
		x := New(Config{MaxSpans: maxSpans, MaxAge: maxAge * time.Second})
		x.base = t0
		ref := reference{max: maxSpans, maxAge: maxAge}
		now := int64(0)
		var buf []Span
		for len(ops) >= 5 {
			op, a, b, c, d := ops[0]%4, ops[1], ops[2], ops[3], ops[4]
			ops = ops[5:]
			traceID := pcommon.TraceID{15: a % 4}
			switch op {
			case 0, 1: // add a span
				s := Span{
					TraceID: traceID,
					SpanID:  pcommon.SpanID{7: b % 8},
					Start:   int64(c%16) * ms,
					End:     int64(c%16+d%16) * ms,
					Entry:   d&0x80 != 0,
				}
				add(x, t0.Add(time.Duration(now)*time.Second), s)
				ref.add(now, s)
			case 2: // time passes
				now += int64(b % 3)
				add(x, t0.Add(time.Duration(now)*time.Second))
				ref.add(now, Span{TraceID: pcommon.TraceID{0: 0xff}}) // a marker span
				add(x, t0.Add(time.Duration(now)*time.Second), Span{TraceID: pcommon.TraceID{0: 0xff}})
			case 3: // look up
				at, hasTime := int64(c%40)*ms/2, d&1 == 0
				want := ref.lookup(traceID, at, hasTime)
				var got Result
				got, buf = x.Lookup(traceID, at, hasTime, buf)
				if got != want {
					t.Fatalf("lookup of trace %d at %d ms (time %v): index %+v, reference %+v", a%4, at/ms, hasTime, got, want)
				}
			}
			if x.Len() != len(ref.spans) {
				t.Fatalf("index holds %d spans, reference %d", x.Len(), len(ref.spans))
			}
		}
	})
}
