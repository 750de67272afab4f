// Package traceref recognises trace and span references in exemplar labels:
// which label names hold them, and how to decode their values into OTLP
// trace and span IDs. Every function here is pure and allocation-free, since
// it runs once per exemplar label.
package traceref

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

var (
	traceIDWords     = []string{"trace", "id"}
	spanIDWords      = []string{"span", "id"}
	traceparentWords = []string{"trace", "parent"}
	uberTraceIDWords = []string{"uber", "trace", "id"}
	b3Words          = []string{"b3"}
)

// BuiltinKind classifies a label name by the built-in spellings: the words
// "trace id", "span id", "traceparent", "uber trace id" or "b3" in any letter
// case, with at most one '_', '-' or '.' between words (trace_id, traceID,
// TraceId, TRACE-ID, trace.id, uber-trace-id, ...).
func BuiltinKind(name string) LabelKind {
	// Most labels are ruled out by their length and first byte alone: this
	// runs for every label of every exemplar.
	switch len(name) {
	case 2, 6, 7, 8, 11, 12, 13:
	default:
		return NotReference
	}
	switch name[0] | 0x20 { // ASCII lower case
	case 't':
		if matchWords(name, traceIDWords) {
			return TraceIDLabel
		}
		if matchWords(name, traceparentWords) {
			return TraceContextLabel
		}
	case 's':
		if matchWords(name, spanIDWords) {
			return SpanIDLabel
		}
	case 'u':
		if matchWords(name, uberTraceIDWords) {
			return TraceContextLabel
		}
	case 'b':
		if matchWords(name, b3Words) {
			return TraceContextLabel
		}
	}
	return NotReference
}

// matchWords reports whether s spells words in order, ASCII case-insensitive,
// with at most one separator between two words.
func matchWords(s string, words []string) bool {
	i := 0
	for n, word := range words {
		if n > 0 && i < len(s) && isSeparator(s[i]) {
			i++
		}
		if len(s)-i < len(word) || !equalFoldASCII(s[i:i+len(word)], word) {
			return false
		}
		i += len(word)
	}
	return i == len(s)
}

func isSeparator(c byte) bool { return c == '_' || c == '-' || c == '.' }

// equalFoldASCII compares s with lower, which must be lower-case ASCII.
func equalFoldASCII(s, lower string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// ParseTraceID decodes a trace-ID label value: 32 hex digits, or 16 when
// pad64 is set (a 64-bit ID, left-padded with zeros as Jaeger and B3 do),
// either letter case, optionally behind "0x". Nothing is trimmed.
func ParseTraceID(s string, pad64 bool) (TraceID, Problem) {
	var id TraceID
	s = trimHexPrefix(s)
	switch {
	case len(s) == 32:
		if !decodeHex(id[:], s) {
			return id, Invalid
		}
	case len(s) == 16 && pad64:
		if !decodeHex(id[8:], s) {
			return id, Invalid
		}
	default:
		return id, Invalid
	}
	if id == (TraceID{}) {
		return id, ZeroID
	}
	return id, OK
}

// ParseSpanID decodes a span-ID label value: exactly 16 hex digits, either
// letter case, optionally behind "0x".
func ParseSpanID(s string) (SpanID, Problem) {
	var id SpanID
	s = trimHexPrefix(s)
	if len(s) != 16 || !decodeHex(id[:], s) {
		return id, Invalid
	}
	if id == (SpanID{}) {
		return id, ZeroID
	}
	return id, OK
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
	var (
		t       TraceID
		sp      SpanID
		version [1]byte
		flags   [1]byte
	)
	const length = 2 + 1 + 32 + 1 + 16 + 1 + 2
	if len(s) < length || s[2] != '-' || s[35] != '-' || s[52] != '-' {
		return t, sp, Invalid
	}
	if !decodeHex(version[:], s[0:2]) || version[0] == 0xff {
		return t, sp, Invalid
	}
	// Version 00 is exactly 55 characters; later versions may extend it.
	if len(s) > length && (version[0] == 0 || s[length] != '-') {
		return t, sp, Invalid
	}
	if !decodeHex(t[:], s[3:35]) || !decodeHex(sp[:], s[36:52]) || !decodeHex(flags[:], s[53:55]) {
		return t, sp, Invalid
	}
	return t, sp, zeroProblem(t, sp)
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
	var (
		t  TraceID
		sp SpanID
	)
	traceHex, rest, _ := cut(s, '-')
	spanHex, rest, hasSampled := cut(rest, '-')
	if hasSampled {
		sampled, parentHex, hasParent := cut(rest, '-')
		if sampled != "0" && sampled != "1" && sampled != "d" {
			return t, sp, Invalid
		}
		if hasParent && (len(parentHex) != 16 || !isHexUpTo(parentHex, 16)) {
			return t, sp, Invalid
		}
	}
	switch {
	case len(traceHex) == 32:
		if !decodeHex(t[:], traceHex) {
			return t, sp, Invalid
		}
	case len(traceHex) == 16 && pad64:
		if !decodeHex(t[8:], traceHex) {
			return t, sp, Invalid
		}
	default:
		return t, sp, Invalid
	}
	if len(spanHex) != 16 || !decodeHex(sp[:], spanHex) {
		return t, sp, Invalid
	}
	return t, sp, zeroProblem(t, sp)
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

// decodeHex fills dst from exactly 2*len(dst) hex digits of either case.
// It looks digits up in a table and checks them once at the end: random
// hex defeats branch prediction, so a branch per digit is slow.
func decodeHex(dst []byte, s string) bool {
	if len(s) != 2*len(dst) {
		return false
	}
	var invalid byte
	for i := range dst {
		hi, lo := hexTable[s[2*i]], hexTable[s[2*i+1]]
		invalid |= hi | lo
		dst[i] = hi<<4 | lo
	}
	if invalid&notHex != 0 {
		clear(dst) // callers return the zero ID with Invalid
		return false
	}
	return true
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
