// Package traceref recognises trace and span references in exemplar labels:
// which label names hold them, and how to decode their values into OTLP
// trace and span IDs. Every function here is pure and allocation-free, since
// it runs once per exemplar label.
package traceref

import "encoding/binary"

// LabelKind says what a label holds.
type LabelKind uint8

const (
	// NotReference is any label that holds no trace or span reference.
	NotReference LabelKind = iota
	// TraceIDLabel holds a trace ID only.
	TraceIDLabel
	// SpanIDLabel holds a span ID only.
	SpanIDLabel
	// TraceContextLabel holds a whole trace context (W3C traceparent,
	// Jaeger uber-trace-id or B3 single), i.e. a trace ID and a span ID.
	TraceContextLabel
)

// Format names the encoding a reference was read from.
type Format uint8

const (
	// FormatIDLabel is a plain hex ID in a trace-ID or span-ID label.
	FormatIDLabel Format = iota
	// FormatTraceparent is a W3C traceparent value.
	FormatTraceparent
	// FormatUberTraceID is a Jaeger uber-trace-id value.
	FormatUberTraceID
	// FormatB3 is a B3 single-header value.
	FormatB3
)

// Problem says why a value could not be converted.
type Problem uint8

const (
	// OK means the value was converted.
	OK Problem = iota
	// Invalid means the value has the wrong length, characters or shape.
	Invalid
	// ZeroID means the value is well formed but an ID in it is all zeros,
	// which OTLP reserves for "no ID".
	ZeroID
)

// TraceID and SpanID are the OTLP ID sizes; they convert directly to
// pcommon.TraceID and pcommon.SpanID.
type (
	TraceID = [16]byte
	SpanID  = [8]byte
)

// BuiltinKind classifies a label name by the built-in spellings: the words
// "trace id", "span id", "traceparent", "uber trace id" or "b3" in any letter
// case, with at most one '_', '-' or '.' between words (trace_id, traceID,
// TraceId, TRACE-ID, trace.id, uber-trace-id, ...).
//
// It runs for every label of every exemplar, and most labels are none of
// these: a name of a length no spelling has is rejected here, in code small
// enough to be inlined into the caller; the others are compared in
// builtinSpelling.
func BuiltinKind(name string) LabelKind {
	// A shift of 64 or more gives 0, so long names fail the test too.
	if builtinLengths&(1<<len(name)) == 0 {
		return NotReference
	}
	return builtinSpelling(name)
}

// builtinSpellings lists every built-in label name in lower case.
var builtinSpellings = []struct {
	kind  LabelKind
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
	kind        LabelKind
}

var (
	// spellingsByLength holds the built-in spellings by their length.
	spellingsByLength [maxSpelling + 1][]foldedSpelling
	// builtinLengths has bit n set when a built-in spelling is n bytes long.
	builtinLengths uint64
)

// BuiltinLengths has bit n set when a built-in spelling is n bytes long: a
// name whose bit is clear is no built-in spelling.
func BuiltinLengths() uint64 { return builtinLengths }

func init() {
	for _, group := range builtinSpellings {
		for _, name := range group.names {
			first, rest := foldName(name)
			spellingsByLength[len(name)] = append(spellingsByLength[len(name)], foldedSpelling{first, rest, group.kind})
			builtinLengths |= 1 << len(name)
		}
	}
}

// builtinSpelling looks a name up among the built-in spellings of its
// length. It compares two folded words per spelling instead of lower-casing
// the name into a buffer and comparing strings.
func builtinSpelling(name string) LabelKind {
	if len(name) > maxSpelling {
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

// foldName returns the bytes of name as two little-endian words, bytes 0-7
// and 8-15, zero-padded, with ASCII upper-case letters lower-cased. Other
// bytes keep their values except that bytes of 0x80 and above may gain
// 0x20, which leaves them above 0x80: they never equal ASCII. Bytes past 16
// are ignored, and a name of 0, 1 or 3 bytes folds to zero: no built-in
// spelling has those lengths. The name is read in overlapping words, not
// byte by byte.
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

// load32 reads s[0:4] as a little-endian word.
func load32(s string) uint32 {
	_ = s[3]
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

// lowerLanes adds 0x20 to every byte of w from 'A' to 'Z'.
func lowerLanes(w uint64) uint64 {
	ascii := w &^ laneHigh // lanesInRange needs bytes below 0x80
	upper := lanesInRange(ascii, 'A', 'Z')
	return w | upper>>2 // 0x80 >> 2 is 0x20
}

// ParseTraceID decodes a trace-ID label value: 32 hex digits, or 16 when
// pad64 is set (a 64-bit ID, left-padded with zeros as Jaeger and B3 do),
// either letter case, optionally behind "0x". Nothing is trimmed.
func ParseTraceID(s string, pad64 bool) (TraceID, Problem) {
	hi, lo, ok := traceIDDigits(trimHexPrefix(s), pad64)
	switch {
	case !ok:
		return TraceID{}, Invalid
	case hi|lo == 0:
		return TraceID{}, ZeroID
	}
	return traceIDOf(hi, lo), OK
}

// traceIDDigits decodes 32 hex digits, or 16 when pad64 is set, into the
// trace ID's first and last eight bytes (see hex16).
func traceIDDigits(s string, pad64 bool) (hi, lo uint64, ok bool) {
	switch {
	case len(s) == 32:
		hi, okHi := hex16(s)
		lo, okLo := hex16(s[16:])
		return hi, lo, okHi && okLo
	case len(s) == 16 && pad64:
		lo, ok := hex16(s)
		return 0, lo, ok
	}
	return 0, 0, false
}

// traceIDOf returns the trace ID made of hi's bytes then lo's (see hex16).
func traceIDOf(hi, lo uint64) (id TraceID) {
	binary.LittleEndian.PutUint64(id[:8], hi)
	binary.LittleEndian.PutUint64(id[8:], lo)
	return id
}

// spanIDOf returns the span ID made of w's bytes (see hex16).
func spanIDOf(w uint64) (id SpanID) {
	binary.LittleEndian.PutUint64(id[:], w)
	return id
}

// ParseSpanID decodes a span-ID label value: exactly 16 hex digits, either
// letter case, optionally behind "0x".
func ParseSpanID(s string) (SpanID, Problem) {
	s = trimHexPrefix(s)
	if len(s) != 16 {
		return SpanID{}, Invalid
	}
	w, ok := hex16(s)
	switch {
	case !ok:
		return SpanID{}, Invalid
	case w == 0:
		return SpanID{}, ZeroID
	}
	return spanIDOf(w), OK
}

// ParseTraceContext decodes a whole trace context. The format is told by
// the value's shape, so a label may carry any of the three:
//   - W3C traceparent: version-traceid-spanid-flags, 2-32-16-2 hex digits;
//     version ff is invalid, version 00 has exactly four fields, later
//     versions may append fields after a '-'.
//   - Jaeger uber-trace-id: trace:span:parent:flags, hex fields whose leading
//     zeros may be dropped (trace up to 32 digits, the others up to 16).
//   - B3 single: traceid-spanid[-sampled[-parentspanid]], trace 32 or 16
//     hex digits, span 16.
//
// A trace ID of 16 digits or fewer is 64 bits wide and is converted only
// when pad64 is set.
func ParseTraceContext(s string, pad64 bool) (TraceID, SpanID, Format, Problem) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ':':
			t, sp, p := parseUberTraceID(s, pad64)
			return t, sp, FormatUberTraceID, p
		case '-':
			if i == 2 {
				t, sp, p := parseTraceparent(s)
				return t, sp, FormatTraceparent, p
			}
			t, sp, p := parseB3(s, pad64)
			return t, sp, FormatB3, p
		}
	}
	return TraceID{}, SpanID{}, FormatB3, Invalid
}

func parseTraceparent(s string) (TraceID, SpanID, Problem) {
	const length = 2 + 1 + 32 + 1 + 16 + 1 + 2
	if len(s) < length || s[2] != '-' || s[35] != '-' || s[52] != '-' {
		return TraceID{}, SpanID{}, Invalid
	}
	version, ok := hexByte(s[0:2])
	if !ok || version == 0xff {
		return TraceID{}, SpanID{}, Invalid
	}
	// Version 00 is exactly 55 characters; later versions may extend it.
	if len(s) > length && (version == 0 || s[length] != '-') {
		return TraceID{}, SpanID{}, Invalid
	}
	hi, lo, okTrace := traceIDDigits(s[3:35], false)
	span, okSpan := hex16(s[36:52])
	if _, okFlags := hexByte(s[53:55]); !okTrace || !okSpan || !okFlags {
		return TraceID{}, SpanID{}, Invalid
	}
	return contextOf(hi, lo, span)
}

// contextOf returns a decoded trace context's IDs, and ZeroID when either
// is all zeros.
func contextOf(hi, lo, span uint64) (TraceID, SpanID, Problem) {
	if hi|lo == 0 || span == 0 {
		return TraceID{}, SpanID{}, ZeroID
	}
	return traceIDOf(hi, lo), spanIDOf(span), OK
}

func parseUberTraceID(s string, pad64 bool) (TraceID, SpanID, Problem) {
	var (
		t  TraceID
		sp SpanID
	)
	traceHex, rest, ok := cut(s, ':')
	if !ok {
		return t, sp, Invalid
	}
	spanHex, rest, ok := cut(rest, ':')
	if !ok {
		return t, sp, Invalid
	}
	parentHex, flagsHex, ok := cut(rest, ':')
	if !ok || !isHexUpTo(parentHex, 16) || !isHexUpTo(flagsHex, 16) {
		return t, sp, Invalid
	}
	if len(traceHex) <= 16 && !pad64 {
		return t, sp, Invalid
	}
	if !decodeHexPadded(t[:], traceHex) || !decodeHexPadded(sp[:], spanHex) {
		return t, sp, Invalid
	}
	return t, sp, zeroProblem(t, sp)
}

func parseB3(s string, pad64 bool) (TraceID, SpanID, Problem) {
	traceHex, rest, _ := cut(s, '-')
	spanHex, rest, hasSampled := cut(rest, '-')
	if hasSampled {
		sampled, parentHex, hasParent := cut(rest, '-')
		if sampled != "0" && sampled != "1" && sampled != "d" {
			return TraceID{}, SpanID{}, Invalid
		}
		if hasParent && (len(parentHex) != 16 || !isHexUpTo(parentHex, 16)) {
			return TraceID{}, SpanID{}, Invalid
		}
	}
	hi, lo, okTrace := traceIDDigits(traceHex, pad64)
	if !okTrace || len(spanHex) != 16 {
		return TraceID{}, SpanID{}, Invalid
	}
	span, okSpan := hex16(spanHex)
	if !okSpan {
		return TraceID{}, SpanID{}, Invalid
	}
	return contextOf(hi, lo, span)
}

func zeroProblem(t TraceID, sp SpanID) Problem {
	if t == (TraceID{}) || sp == (SpanID{}) {
		return ZeroID
	}
	return OK
}

// cut is strings.Cut for one byte, kept local so the hot path stays
// obviously allocation-free.
func cut(s string, sep byte) (before, after string, found bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func trimHexPrefix(s string) string {
	if len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		return s[2:]
	}
	return s
}

// hex16 decodes the 16 hex digits of s (len(s) must be 16) of either case
// into 8 bytes, returned as a little-endian word: the first byte is the
// lowest, so binary.LittleEndian.PutUint64 writes them in order. Working on
// words rather than bytes keeps the IDs in registers until they are stored
// once, and the branch-free lane arithmetic suits random hex, which defeats
// branch prediction.
func hex16(s string) (uint64, bool) {
	first, second := load64(s), load64(s[8:])
	lettersFirst, lettersSecond := hexLetters(first), hexLetters(second)
	bad := hexBad(first, lettersFirst) | hexBad(second, lettersSecond)
	word := uint64(hexWordValue(first, lettersFirst)) | uint64(hexWordValue(second, lettersSecond))<<32
	return word, bad == 0
}

// hexLetters sets the top bit of every byte of x that is 'a'-'f' or 'A'-'F'.
func hexLetters(x uint64) uint64 {
	lower := (x &^ laneHigh) | 0x20*lanes // 'A'-'F' to 'a'-'f'; no other byte becomes one
	return lanesInRange(lower, 'a', 'f')
}

// hexBad is zero when every byte of x is a hex digit; letters is
// hexLetters(x).
func hexBad(x, letters uint64) uint64 {
	ascii := x &^ laneHigh
	digits := lanesInRange(ascii, '0', '9')
	return (digits | letters) ^ laneHigh | x&laneHigh
}

// hexWordValue decodes the eight hex digits of x (the first digit in the
// lowest byte) into four bytes (the first in the lowest byte); letters is
// hexLetters(x). A digit's low four bits are its value; a letter's plus 9.
func hexWordValue(x, letters uint64) uint32 {
	return packNibbles(x&(0x0f*lanes) + (letters>>7)*9)
}

// hexByte decodes two hex digits.
func hexByte(s string) (byte, bool) {
	hi, lo := hexTable[s[0]], hexTable[s[1]]
	return hi<<4 | lo, (hi|lo)&notHex == 0
}

// load64 reads s[0:8] as a little-endian word (one load once compiled).
func load64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// Byte-lane constants for hexWord.
const (
	lanes    = 0x0101010101010101 // 1 in every byte
	laneHigh = 0x8080808080808080 // the top bit of every byte
)

// lanesAtLeast sets the top bit of every byte of x that is >= c. x's bytes
// must be below 0x80 and c at most 0x80, so no lane carries into the next.
func lanesAtLeast(x, c uint64) uint64 {
	return (x + (0x80-c)*lanes) & laneHigh
}

// lanesInRange sets the top bit of every byte of x from lo to hi, both
// included; x's bytes must be below 0x80 and hi below 0x80.
func lanesInRange(x, lo, hi uint64) uint64 {
	return lanesAtLeast(x, lo) &^ lanesAtLeast(x, hi+1)
}

// packNibbles joins eight nibbles (the first in the lowest byte) into four
// bytes (the first in the lowest byte).
func packNibbles(n uint64) uint32 {
	pairs := (n&0x000f000f000f000f)<<4 | (n>>8)&0x000f000f000f000f
	pairs = (pairs | pairs>>8) & 0x0000ffff0000ffff
	return uint32(pairs | pairs>>16)
}

// decodeHexPadded fills dst from 1 to 2*len(dst) hex digits, right-aligned:
// the leading zeros a writer dropped are put back.
func decodeHexPadded(dst []byte, s string) bool {
	if len(s) == 0 || len(s) > 2*len(dst) {
		return false
	}
	for i := range dst {
		dst[i] = 0
	}
	for i := 0; i < len(s); i++ {
		v, ok := hexValue(s[len(s)-1-i])
		if !ok {
			return false
		}
		dst[len(dst)-1-i/2] |= v << (4 * (i % 2))
	}
	return true
}

func isHexUpTo(s string, maxDigits int) bool {
	if len(s) == 0 || len(s) > maxDigits {
		return false
	}
	for i := 0; i < len(s); i++ {
		if _, ok := hexValue(s[i]); !ok {
			return false
		}
	}
	return true
}

func hexValue(c byte) (byte, bool) {
	v := hexTable[c]
	return v, v&notHex == 0
}

// notHex marks a byte that is not a hex digit in hexTable; digit values
// never have this bit.
const notHex = 0x80

// hexTable maps every byte to its hex digit value, or to notHex.
var hexTable = func() (t [256]byte) {
	for i := range t {
		t[i] = notHex
	}
	for c := byte('0'); c <= '9'; c++ {
		t[c] = c - '0'
	}
	for c := byte('a'); c <= 'f'; c++ {
		t[c] = c - 'a' + 10
		t[c-'a'+'A'] = c - 'a' + 10
	}
	return t
}()
