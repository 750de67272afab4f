package traceref

import (
	"encoding/binary"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

const (
	traceHex = "4bf92f3577b34da6a3ce929d0e0e4736"
	spanHex  = "00f067aa0ba902b7"
)

func mustTrace(t *testing.T, s string) TraceID {
	t.Helper()
	var id TraceID
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(id) {
		t.Fatalf("bad test trace ID %q", s)
	}
	copy(id[:], b)
	return id
}

func mustSpan(t *testing.T, s string) SpanID {
	t.Helper()
	var id SpanID
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(id) {
		t.Fatalf("bad test span ID %q", s)
	}
	copy(id[:], b)
	return id
}

func TestBuiltinKind(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		want LabelKind
	}{
		{"trace_id", TraceIDLabel},
		{"traceID", TraceIDLabel},
		{"traceId", TraceIDLabel},
		{"TraceID", TraceIDLabel},
		{"TRACE_ID", TraceIDLabel},
		{"trace-id", TraceIDLabel},
		{"trace.id", TraceIDLabel},
		{"traceid", TraceIDLabel},
		{"span_id", SpanIDLabel},
		{"spanID", SpanIDLabel},
		{"SpanId", SpanIDLabel},
		{"SPAN-ID", SpanIDLabel},
		{"traceparent", TraceContextLabel},
		{"trace_parent", TraceContextLabel},
		{"Traceparent", TraceContextLabel},
		{"uber-trace-id", TraceContextLabel},
		{"uber_trace_id", TraceContextLabel},
		{"UberTraceId", TraceContextLabel},
		{"b3", TraceContextLabel},
		{"B3", TraceContextLabel},
		// Not references: other words, separators inside words, doubled or
		// leading/trailing separators, empty.
		{"", NotReference},
		{"trace", NotReference},
		{"id", NotReference},
		{"trace__id", NotReference},
		{"_trace_id", NotReference},
		{"trace_id_", NotReference},
		{"tr_ace_id", NotReference},
		{"trace id", NotReference},
		{"trace_ids", NotReference},
		{"parent_span_id", NotReference},
		{"x_b3_traceid", NotReference},
		{"trace_idx", NotReference},
		{"method", NotReference},
		{"traceparentx", NotReference},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, BuiltinKind(tt.name), "BuiltinKind(%q)", tt.name)
	}
}

// builtinNames states the built-in spellings as BuiltinKind documents
// them: words, in any letter case, with at most one separator between two
// words. referenceKind applies this rule directly; BuiltinKind, which lists
// the spellings, is tested against it.
var builtinNames = []struct {
	words []string
	kind  LabelKind
}{
	{[]string{"trace", "id"}, TraceIDLabel},
	{[]string{"span", "id"}, SpanIDLabel},
	{[]string{"trace", "parent"}, TraceContextLabel},
	{[]string{"uber", "trace", "id"}, TraceContextLabel},
	{[]string{"b3"}, TraceContextLabel},
}

func referenceKind(name string) LabelKind {
	for _, n := range builtinNames {
		rest, ok := strings.ToLower(name), true
		for i, word := range n.words {
			if i > 0 && rest != "" && strings.ContainsRune("_-.", rune(rest[0])) {
				rest = rest[1:]
			}
			if rest, ok = strings.CutPrefix(rest, word); !ok {
				break
			}
		}
		// ToLower also folds non-ASCII letters, which BuiltinKind must not:
		// require the name itself to be ASCII.
		if ok && rest == "" && len(name) == len(strings.ToLower(name)) && isASCII(name) {
			return n.kind
		}
	}
	return NotReference
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// TestBuiltinKindEverySpelling spells each built-in name with every
// separator choice between its words, in three letter cases, so that no
// spelling is missing from BuiltinKind's list.
func TestBuiltinKindEverySpelling(t *testing.T) {
	t.Parallel()
	separators := []string{"", "_", "-", "."}
	spelled := 0
	for _, n := range builtinNames {
		// Every way to put one of the separators between each pair of words.
		spellings := []string{n.words[0]}
		for _, word := range n.words[1:] {
			var next []string
			for _, prefix := range spellings {
				for _, sep := range separators {
					next = append(next, prefix+sep+word)
				}
			}
			spellings = next
		}
		for _, s := range spellings {
			for _, name := range []string{s, strings.ToUpper(s), strings.ToUpper(s[:1]) + s[1:]} {
				assert.Equal(t, n.kind, BuiltinKind(name), "BuiltinKind(%q)", name)
				spelled++
			}
		}
	}
	// 4 + 4 + 4 + 16 + 1 spellings, 3 cases each.
	assert.Equal(t, 87, spelled)
}

func TestParseTraceID(t *testing.T) {
	t.Parallel()
	full := mustTrace(t, traceHex)
	short := mustTrace(t, "0000000000000000"+spanHex)
	tests := []struct {
		name    string
		value   string
		pad64   bool
		want    TraceID
		problem Problem
	}{
		{"lower-case hex", traceHex, true, full, OK},
		{"upper-case hex", strings.ToUpper(traceHex), true, full, OK},
		{"mixed case", "4BF92f3577b34da6a3ce929d0e0e4736", true, full, OK},
		{"0x prefix", "0x" + traceHex, true, full, OK},
		{"0X prefix", "0X" + traceHex, true, full, OK},
		{"64-bit padded", spanHex, true, short, OK},
		{"64-bit upper-case with 0x", "0x" + strings.ToUpper(spanHex), true, short, OK},
		{"64-bit without padding", spanHex, false, TraceID{}, Invalid},
		{"all zero", strings.Repeat("0", 32), true, TraceID{}, ZeroID},
		{"all zero 64-bit", strings.Repeat("0", 16), true, TraceID{}, ZeroID},
		{"empty", "", true, TraceID{}, Invalid},
		{"0x only", "0x", true, TraceID{}, Invalid},
		{"31 digits", traceHex[1:], true, TraceID{}, Invalid},
		{"33 digits", traceHex + "a", true, TraceID{}, Invalid},
		{"24 digits", traceHex[:24], true, TraceID{}, Invalid},
		{"non-hex", "g" + traceHex[1:], true, TraceID{}, Invalid},
		{"leading space", " " + traceHex[1:], true, TraceID{}, Invalid},
		{"trailing space", traceHex + " ", true, TraceID{}, Invalid},
		{"dashed UUID", "4bf92f35-77b3-4da6-a3ce-929d0e0e4736", true, TraceID{}, Invalid},
		{"double prefix", "0x0x" + traceHex[4:], true, TraceID{}, Invalid},
		{"traceparent is not an ID", "00-" + traceHex + "-" + spanHex + "-01", true, TraceID{}, Invalid},
	}
	for _, tt := range tests {
		got, problem := ParseTraceID(tt.value, tt.pad64)
		assert.Equal(t, tt.problem, problem, tt.name)
		assert.Equal(t, tt.want, got, tt.name)
	}
}

func TestParseSpanID(t *testing.T) {
	t.Parallel()
	want := mustSpan(t, spanHex)
	tests := []struct {
		name    string
		value   string
		want    SpanID
		problem Problem
	}{
		{"lower-case", spanHex, want, OK},
		{"upper-case", strings.ToUpper(spanHex), want, OK},
		{"0x prefix", "0x" + spanHex, want, OK},
		{"all zero", strings.Repeat("0", 16), SpanID{}, ZeroID},
		{"15 digits is never padded", spanHex[1:], SpanID{}, Invalid},
		{"32 digits is never truncated", traceHex, SpanID{}, Invalid},
		{"empty", "", SpanID{}, Invalid},
		{"non-hex", "z" + spanHex[1:], SpanID{}, Invalid},
	}
	for _, tt := range tests {
		got, problem := ParseSpanID(tt.value)
		assert.Equal(t, tt.problem, problem, tt.name)
		assert.Equal(t, tt.want, got, tt.name)
	}
}

func TestParseTraceContext(t *testing.T) {
	t.Parallel()
	trace := mustTrace(t, traceHex)
	span := mustSpan(t, spanHex)
	trace64 := mustTrace(t, "0000000000000000"+"a3ce929d0e0e4736")
	unpadded := mustTrace(t, "00000000000000000000000000000abc")
	spanShort := mustSpan(t, "0000000000000def")
	tests := []struct {
		name    string
		value   string
		pad64   bool
		trace   TraceID
		span    SpanID
		format  Format
		problem Problem
	}{
		{"traceparent", "00-" + traceHex + "-" + spanHex + "-01", true, trace, span, FormatTraceparent, OK},
		{"traceparent upper-case", "00-" + strings.ToUpper(traceHex) + "-" + strings.ToUpper(spanHex) + "-01", true, trace, span, FormatTraceparent, OK},
		{"traceparent future version with extra field", "01-" + traceHex + "-" + spanHex + "-01-extra", true, trace, span, FormatTraceparent, OK},
		{"traceparent future version exact", "cc-" + traceHex + "-" + spanHex + "-00", true, trace, span, FormatTraceparent, OK},
		{"traceparent version ff", "ff-" + traceHex + "-" + spanHex + "-01", true, TraceID{}, SpanID{}, FormatTraceparent, Invalid},
		{"traceparent version 00 extra field", "00-" + traceHex + "-" + spanHex + "-01-extra", true, TraceID{}, SpanID{}, FormatTraceparent, Invalid},
		{"traceparent future version junk after flags", "01-" + traceHex + "-" + spanHex + "-01x", true, TraceID{}, SpanID{}, FormatTraceparent, Invalid},
		{"traceparent short trace", "00-" + traceHex[1:] + "-" + spanHex + "-01", true, TraceID{}, SpanID{}, FormatTraceparent, Invalid},
		{"traceparent 64-bit trace", "00-" + spanHex + "-" + spanHex + "-01", true, TraceID{}, SpanID{}, FormatTraceparent, Invalid},
		{"traceparent bad flags", "00-" + traceHex + "-" + spanHex + "-0g", true, TraceID{}, SpanID{}, FormatTraceparent, Invalid},
		{"traceparent missing flags", "00-" + traceHex + "-" + spanHex, true, TraceID{}, SpanID{}, FormatTraceparent, Invalid},
		{"traceparent zero trace", "00-" + strings.Repeat("0", 32) + "-" + spanHex + "-01", true, TraceID{}, span, FormatTraceparent, ZeroID},
		{"traceparent zero span", "00-" + traceHex + "-" + strings.Repeat("0", 16) + "-01", true, trace, SpanID{}, FormatTraceparent, ZeroID},
		{"uber-trace-id 128-bit", traceHex + ":" + spanHex + ":0:1", true, trace, span, FormatUberTraceID, OK},
		{"uber-trace-id 64-bit", "a3ce929d0e0e4736:" + spanHex + ":0:1", true, trace64, span, FormatUberTraceID, OK},
		{"uber-trace-id 64-bit without padding", "a3ce929d0e0e4736:" + spanHex + ":0:1", false, TraceID{}, SpanID{}, FormatUberTraceID, Invalid},
		{"uber-trace-id dropped leading zeros", "abc:def:0:1", true, unpadded, spanShort, FormatUberTraceID, OK},
		{"uber-trace-id 128-bit dropped leading zeros", traceHex[1:] + ":" + spanHex + ":0:1", true, mustTrace(t, "0"+traceHex[1:]), span, FormatUberTraceID, OK},
		{"uber-trace-id too few fields", traceHex + ":" + spanHex + ":0", true, TraceID{}, SpanID{}, FormatUberTraceID, Invalid},
		{"uber-trace-id too many fields", traceHex + ":" + spanHex + ":0:1:2", true, TraceID{}, SpanID{}, FormatUberTraceID, Invalid},
		{"uber-trace-id empty trace", ":" + spanHex + ":0:1", true, TraceID{}, SpanID{}, FormatUberTraceID, Invalid},
		{"uber-trace-id 33-digit trace", "a" + traceHex + ":" + spanHex + ":0:1", true, TraceID{}, SpanID{}, FormatUberTraceID, Invalid},
		{"uber-trace-id 17-digit span", traceHex + ":a" + spanHex + ":0:1", true, TraceID{}, SpanID{}, FormatUberTraceID, Invalid},
		{"uber-trace-id zero span", traceHex + ":0:0:1", true, trace, SpanID{}, FormatUberTraceID, ZeroID},
		{"b3 128-bit", traceHex + "-" + spanHex, true, trace, span, FormatB3, OK},
		{"b3 sampled", traceHex + "-" + spanHex + "-1", true, trace, span, FormatB3, OK},
		{"b3 debug with parent", traceHex + "-" + spanHex + "-d-" + "05e3ac9a4f6e3b90", true, trace, span, FormatB3, OK},
		{"b3 64-bit", "a3ce929d0e0e4736-" + spanHex + "-0", true, trace64, span, FormatB3, OK},
		{"b3 64-bit without padding", "a3ce929d0e0e4736-" + spanHex, false, TraceID{}, SpanID{}, FormatB3, Invalid},
		{"b3 bad sampling state", traceHex + "-" + spanHex + "-x", true, TraceID{}, SpanID{}, FormatB3, Invalid},
		{"b3 short parent", traceHex + "-" + spanHex + "-1-abc", true, TraceID{}, SpanID{}, FormatB3, Invalid},
		{"b3 too many fields", traceHex + "-" + spanHex + "-1-05e3ac9a4f6e3b90-x", true, TraceID{}, SpanID{}, FormatB3, Invalid},
		{"b3 sampling only", "1", true, TraceID{}, SpanID{}, FormatB3, Invalid},
		{"b3 short span", traceHex + "-" + spanHex[1:], true, TraceID{}, SpanID{}, FormatB3, Invalid},
		{"empty", "", true, TraceID{}, SpanID{}, FormatB3, Invalid},
		{"plain trace ID", traceHex, true, TraceID{}, SpanID{}, FormatB3, Invalid},
	}
	for _, tt := range tests {
		trace, span, format, problem := ParseTraceContext(tt.value, tt.pad64)
		assert.Equal(t, tt.problem, problem, tt.name)
		assert.Equal(t, tt.format, format, tt.name)
		if tt.problem == OK {
			assert.Equal(t, tt.trace, trace, tt.name)
			assert.Equal(t, tt.span, span, tt.name)
		}
	}
}

func TestParsersDoNotAllocate(t *testing.T) {
	value := "00-" + traceHex + "-" + spanHex + "-01"
	prefixed := "0x" + traceHex
	allocs := testing.AllocsPerRun(100, func() {
		BuiltinKind("Uber-Trace-Id")
		ParseTraceID(prefixed, true)
		ParseSpanID(spanHex)
		ParseTraceContext(value, true)
	})
	assert.Zero(t, allocs)
}

// TestHex16EveryByte puts every byte value at every position of a valid
// 16-digit ID and checks hex16 against encoding/hex: the word-at-a-time
// decoder must accept exactly the hex digits, in either case.
func TestHex16EveryByte(t *testing.T) {
	t.Parallel()
	for pos := range 16 {
		for b := range 256 {
			digits := []byte("0123456789abcDEF")
			digits[pos] = byte(b)
			got, ok := hex16(string(digits))
			want, err := hex.DecodeString(string(digits))
			if ok != (err == nil) {
				t.Fatalf("hex16(%q): ok = %v, encoding/hex err = %v", digits, ok, err)
			}
			if ok && spanIDOf(got) != SpanID(want) {
				t.Fatalf("hex16(%q) = %x, want %x", digits, spanIDOf(got), want)
			}
		}
	}
}

// TestFoldName checks foldName against byte-by-byte lower-casing for every
// length, so that its overlapping word loads cannot misplace a byte.
func TestFoldName(t *testing.T) {
	t.Parallel()
	const text = "TrAcE-Id.UbEr_X\xc1Zq@[`{"
	for n := 0; n <= len(text); n++ {
		name := text[:n]
		var want [16]byte
		if n != 0 && n != 1 && n != 3 {
			for i := 0; i < n && i < 16; i++ {
				c := name[i]
				if 'A' <= c && c <= 'Z' || 0xc1 <= c && c <= 0xda {
					c |= 0x20 // bytes of 0x80 and above may gain 0x20
				}
				want[i] = c
			}
		}
		first, rest := foldName(name)
		var got [16]byte
		binary.LittleEndian.PutUint64(got[:8], first)
		binary.LittleEndian.PutUint64(got[8:], rest)
		assert.Equal(t, want, got, "foldName(%q)", name)
	}
}
