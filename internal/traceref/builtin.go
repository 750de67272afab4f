package traceref

// builtinSpellings lists every built-in label name in lower case: the words
// "trace id", "span id", "traceparent", "uber trace id" or "b3", with at
// most one '_', '-' or '.' between words. builtinKind matches them in any
// letter case (trace_id, traceID, TraceId, TRACE-ID, trace.id,
// uber-trace-id, ...).
var builtinSpellings = []struct {
	kind  Kind
	names []string
}{
	{TraceIDLabel, []string{"traceid", "trace_id", "trace-id", "trace.id"}},
	{SpanIDLabel, []string{"spanid", "span_id", "span-id", "span.id"}},
	{TraceContextLabel, []string{
		"traceparent", "trace_parent", "trace-parent", "trace.parent",
		"b3",
		"ubertraceid", "uber_traceid", "uber-traceid", "uber.traceid",
		"ubertrace_id", "uber_trace_id", "uber-trace_id", "uber.trace_id",
		"ubertrace-id", "uber_trace-id", "uber-trace-id", "uber.trace-id",
		"ubertrace.id", "uber_trace.id", "uber-trace.id", "uber.trace.id",
	}},
}

// maxSpelling is the length of the longest built-in spelling.
const maxSpelling = len("uber-trace-id")

// foldedSpelling is a spelling as foldName returns it.
type foldedSpelling struct {
	first, rest uint64
	kind        Kind
}

var (
	// spellingsByLength holds the built-in spellings by their length.
	spellingsByLength [maxSpelling + 1][]foldedSpelling
	// builtinLengths has bit n set when a built-in spelling is n bytes long.
	builtinLengths uint64
)

func init() {
	for _, group := range builtinSpellings {
		for _, name := range group.names {
			first, rest := foldName(name)
			spellingsByLength[len(name)] = append(spellingsByLength[len(name)], foldedSpelling{first, rest, group.kind})
			builtinLengths |= 1 << len(name)
		}
	}
}

// builtinKind looks a name up among the built-in spellings of its length,
// in any letter case. It compares the name folded into two words
// (foldName) with the spellings folded the same way at init: 4.9 ns a name
// against 19.7 ns for lower-casing into a buffer and a map look-up
// (BenchmarkBuiltinKind, go1.26, 2 CPUs), paid for every label whose name
// has the length of a recognised name.
func builtinKind(name string) Kind {
	if len(name) > maxSpelling || builtinLengths&(1<<len(name)) == 0 {
		return NotReference
	}
	first, rest := foldName(name)
	for _, s := range spellingsByLength[len(name)] {
		if s.first == first && s.rest == rest {
			return s.kind
		}
	}
	return NotReference
}

// foldName returns the bytes of name as two words (see the package
// comment), bytes 0-7 and 8-15, zero-padded, with ASCII upper-case letters
// lower-cased. Other bytes keep their values except that bytes of 0x80 and
// above may gain 0x20, which leaves them above 0x80: they never equal
// ASCII. Bytes past 16 are ignored, and a name of 0, 1 or 3 bytes folds to
// zero: no built-in spelling has those lengths. The name is read in
// overlapping words, not byte by byte.
func foldName(name string) (first, rest uint64) {
	switch n := len(name); {
	case n >= 16:
		first, rest = load64(name), load64(name[8:])
	case n >= 8:
		first = load64(name)
		// The last eight bytes, shifted so that byte 8 lands lowest.
		rest = load64(name[n-8:]) >> (8 * (16 - n))
	case n >= 4:
		// The first four bytes and the last four; where they overlap, both
		// put the same byte in the same place.
		first = uint64(load32(name)) | uint64(load32(name[n-4:]))<<(8*(n-4))
	case n == 2:
		first = uint64(name[0]) | uint64(name[1])<<8
	}
	return lowerLanes(first), lowerLanes(rest)
}

// lowerLanes adds 0x20 to every lane of w from 'A' to 'Z'.
func lowerLanes(w uint64) uint64 {
	ascii := w &^ laneHigh // lanesInRange needs bytes below 0x80
	upper := lanesInRange(ascii, 'A', 'Z')
	return w | upper>>2 // 0x80 >> 2 is 0x20
}
