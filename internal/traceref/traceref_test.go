package traceref

import (
	"encoding/binary"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

const (
	traceHex = "4bf92f3577b34da6a3ce929d0e0e4736"
	spanHex  = "00f067aa0ba902b7"
)

func mustTrace(t *testing.T, s string) pcommon.TraceID {
	t.Helper()
	var id pcommon.TraceID
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(id) {
		t.Fatalf("bad test trace ID %q", s)
	}
	copy(id[:], b)
	return id
}

func mustSpan(t *testing.T, s string) pcommon.SpanID {
	t.Helper()
	var id pcommon.SpanID
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
		want Kind
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
		assert.Equal(t, tt.want, builtinKind(tt.name), "builtinKind(%q)", tt.name)
	}
}

// builtinNames lists the words of the built-in names, as BuiltinKind
// documents them.
var builtinNames = []struct {
	words []string
	kind  Kind
}{
	{[]string{"trace", "id"}, TraceIDLabel},
	{[]string{"span", "id"}, SpanIDLabel},
	{[]string{"trace", "parent"}, TraceContextLabel},
	{[]string{"uber", "trace", "id"}, TraceContextLabel},
	{[]string{"b3"}, TraceContextLabel},
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
				assert.Equal(t, n.kind, builtinKind(name), "builtinKind(%q)", name)
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
		want    pcommon.TraceID
		problem Problem
	}{
		{"lower-case hex", traceHex, true, full, OK},
		{"upper-case hex", strings.ToUpper(traceHex), true, full, OK},
		{"mixed case", "4BF92f3577b34da6a3ce929d0e0e4736", true, full, OK},
		{"0x prefix", "0x" + traceHex, true, full, OK},
		{"0X prefix", "0X" + traceHex, true, full, OK},
		{"64-bit padded", spanHex, true, short, OK},
		{"64-bit upper-case with 0x", "0x" + strings.ToUpper(spanHex), true, short, OK},
		{"64-bit without padding", spanHex, false, pcommon.TraceID{}, Invalid},
		{"all zero", strings.Repeat("0", 32), true, pcommon.TraceID{}, ZeroID},
		{"all zero 64-bit", strings.Repeat("0", 16), true, pcommon.TraceID{}, ZeroID},
		{"empty", "", true, pcommon.TraceID{}, Invalid},
		{"0x only", "0x", true, pcommon.TraceID{}, Invalid},
		{"31 digits", traceHex[1:], true, pcommon.TraceID{}, Invalid},
		{"33 digits", traceHex + "a", true, pcommon.TraceID{}, Invalid},
		{"24 digits", traceHex[:24], true, pcommon.TraceID{}, Invalid},
		{"non-hex", "g" + traceHex[1:], true, pcommon.TraceID{}, Invalid},
		{"leading space", " " + traceHex[1:], true, pcommon.TraceID{}, Invalid},
		{"trailing space", traceHex + " ", true, pcommon.TraceID{}, Invalid},
		{"dashed UUID", "4bf92f35-77b3-4da6-a3ce-929d0e0e4736", true, pcommon.TraceID{}, Invalid},
		{"double prefix", "0x0x" + traceHex[4:], true, pcommon.TraceID{}, Invalid},
		{"traceparent is not an ID", "00-" + traceHex + "-" + spanHex + "-01", true, pcommon.TraceID{}, Invalid},
	}
	for _, tt := range tests {
		got, problem := parseTraceID(tt.value, tt.pad64)
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
		want    pcommon.SpanID
		problem Problem
	}{
		{"lower-case", spanHex, want, OK},
		{"upper-case", strings.ToUpper(spanHex), want, OK},
		{"0x prefix", "0x" + spanHex, want, OK},
		{"all zero", strings.Repeat("0", 16), pcommon.SpanID{}, ZeroID},
		{"15 digits is never padded", spanHex[1:], pcommon.SpanID{}, Invalid},
		{"32 digits is never truncated", traceHex, pcommon.SpanID{}, Invalid},
		{"empty", "", pcommon.SpanID{}, Invalid},
		{"non-hex", "z" + spanHex[1:], pcommon.SpanID{}, Invalid},
	}
	for _, tt := range tests {
		got, problem := parseSpanID(tt.value)
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
		trace   pcommon.TraceID
		span    pcommon.SpanID
		format  Format
		problem Problem
	}{
		{"traceparent", "00-" + traceHex + "-" + spanHex + "-01", true, trace, span, FormatTraceparent, OK},
		{"traceparent upper-case", "00-" + strings.ToUpper(traceHex) + "-" + strings.ToUpper(spanHex) + "-01", true, trace, span, FormatTraceparent, OK},
		{"traceparent future version with extra field", "01-" + traceHex + "-" + spanHex + "-01-extra", true, trace, span, FormatTraceparent, OK},
		{"traceparent future version exact", "cc-" + traceHex + "-" + spanHex + "-00", true, trace, span, FormatTraceparent, OK},
		{"traceparent version ff", "ff-" + traceHex + "-" + spanHex + "-01", true, pcommon.TraceID{}, pcommon.SpanID{}, FormatTraceparent, Invalid},
		{"traceparent version 00 extra field", "00-" + traceHex + "-" + spanHex + "-01-extra", true, pcommon.TraceID{}, pcommon.SpanID{}, FormatTraceparent, Invalid},
		{"traceparent future version junk after flags", "01-" + traceHex + "-" + spanHex + "-01x", true, pcommon.TraceID{}, pcommon.SpanID{}, FormatTraceparent, Invalid},
		{"traceparent short trace", "00-" + traceHex[1:] + "-" + spanHex + "-01", true, pcommon.TraceID{}, pcommon.SpanID{}, FormatTraceparent, Invalid},
		{"traceparent 64-bit trace", "00-" + spanHex + "-" + spanHex + "-01", true, pcommon.TraceID{}, pcommon.SpanID{}, FormatTraceparent, Invalid},
		{"traceparent bad flags", "00-" + traceHex + "-" + spanHex + "-0g", true, pcommon.TraceID{}, pcommon.SpanID{}, FormatTraceparent, Invalid},
		{"traceparent missing flags", "00-" + traceHex + "-" + spanHex, true, pcommon.TraceID{}, pcommon.SpanID{}, FormatTraceparent, Invalid},
		{"traceparent zero trace", "00-" + strings.Repeat("0", 32) + "-" + spanHex + "-01", true, pcommon.TraceID{}, span, FormatTraceparent, ZeroID},
		{"traceparent zero span", "00-" + traceHex + "-" + strings.Repeat("0", 16) + "-01", true, trace, pcommon.SpanID{}, FormatTraceparent, ZeroID},
		{"uber-trace-id 128-bit", traceHex + ":" + spanHex + ":0:1", true, trace, span, FormatUberTraceID, OK},
		{"uber-trace-id 64-bit", "a3ce929d0e0e4736:" + spanHex + ":0:1", true, trace64, span, FormatUberTraceID, OK},
		{"uber-trace-id 64-bit without padding", "a3ce929d0e0e4736:" + spanHex + ":0:1", false, pcommon.TraceID{}, pcommon.SpanID{}, FormatUberTraceID, Invalid},
		{"uber-trace-id dropped leading zeros", "abc:def:0:1", true, unpadded, spanShort, FormatUberTraceID, OK},
		{"uber-trace-id 128-bit dropped leading zeros", traceHex[1:] + ":" + spanHex + ":0:1", true, mustTrace(t, "0"+traceHex[1:]), span, FormatUberTraceID, OK},
		{"uber-trace-id too few fields", traceHex + ":" + spanHex + ":0", true, pcommon.TraceID{}, pcommon.SpanID{}, FormatUberTraceID, Invalid},
		{"uber-trace-id too many fields", traceHex + ":" + spanHex + ":0:1:2", true, pcommon.TraceID{}, pcommon.SpanID{}, FormatUberTraceID, Invalid},
		{"uber-trace-id empty trace", ":" + spanHex + ":0:1", true, pcommon.TraceID{}, pcommon.SpanID{}, FormatUberTraceID, Invalid},
		{"uber-trace-id 33-digit trace", "a" + traceHex + ":" + spanHex + ":0:1", true, pcommon.TraceID{}, pcommon.SpanID{}, FormatUberTraceID, Invalid},
		{"uber-trace-id 17-digit span", traceHex + ":a" + spanHex + ":0:1", true, pcommon.TraceID{}, pcommon.SpanID{}, FormatUberTraceID, Invalid},
		{"uber-trace-id zero span", traceHex + ":0:0:1", true, trace, pcommon.SpanID{}, FormatUberTraceID, ZeroID},
		{"b3 128-bit", traceHex + "-" + spanHex, true, trace, span, FormatB3, OK},
		{"b3 sampled", traceHex + "-" + spanHex + "-1", true, trace, span, FormatB3, OK},
		{"b3 debug with parent", traceHex + "-" + spanHex + "-d-" + "05e3ac9a4f6e3b90", true, trace, span, FormatB3, OK},
		{"b3 64-bit", "a3ce929d0e0e4736-" + spanHex + "-0", true, trace64, span, FormatB3, OK},
		{"b3 64-bit without padding", "a3ce929d0e0e4736-" + spanHex, false, pcommon.TraceID{}, pcommon.SpanID{}, FormatB3, Invalid},
		{"b3 bad sampling state", traceHex + "-" + spanHex + "-x", true, pcommon.TraceID{}, pcommon.SpanID{}, FormatB3, Invalid},
		{"b3 short parent", traceHex + "-" + spanHex + "-1-abc", true, pcommon.TraceID{}, pcommon.SpanID{}, FormatB3, Invalid},
		{"b3 too many fields", traceHex + "-" + spanHex + "-1-05e3ac9a4f6e3b90-x", true, pcommon.TraceID{}, pcommon.SpanID{}, FormatB3, Invalid},
		{"b3 sampling only", "1", true, pcommon.TraceID{}, pcommon.SpanID{}, FormatB3, Invalid},
		{"b3 short span", traceHex + "-" + spanHex[1:], true, pcommon.TraceID{}, pcommon.SpanID{}, FormatB3, Invalid},
		{"empty", "", true, pcommon.TraceID{}, pcommon.SpanID{}, FormatB3, Invalid},
		{"plain trace ID", traceHex, true, pcommon.TraceID{}, pcommon.SpanID{}, FormatB3, Invalid},
	}
	for _, tt := range tests {
		c, format := parseTraceContext(tt.value, tt.pad64)
		assert.Equal(t, tt.problem, c.problem, tt.name)
		assert.Equal(t, tt.format, format, tt.name)
		if tt.problem == OK {
			assert.Equal(t, tt.trace, c.trace, tt.name)
			assert.Equal(t, tt.span, c.span, tt.name)
		}
	}
}

func TestParsersDoNotAllocate(t *testing.T) {
	value := "00-" + traceHex + "-" + spanHex + "-01"
	prefixed := "0x" + traceHex
	r := NewReader(Config{BuiltinNames: true, TraceIDNames: []string{"tid"}, Pad64BitTraceIDs: true})
	allocs := testing.AllocsPerRun(100, func() {
		r.Kind("Uber-Trace-Id")
		r.Kind("tid")
		var ref Ref
		r.Decode(&ref, TraceContextLabel, value)
		builtinKind("Uber-Trace-Id")
		parseTraceID(prefixed, true)
		parseSpanID(spanHex)
		parseTraceContext(value, true)
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
			if ok && spanIDOf(got) != pcommon.SpanID(want) {
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

func TestReaderKind(t *testing.T) {
	t.Parallel()
	long64, long100 := strings.Repeat("t", 64), strings.Repeat("s", 100)
	tests := []struct {
		name string
		cfg  Config
		want map[string]Kind
	}{
		{
			name: "built-in spellings only",
			cfg:  Config{BuiltinNames: true},
			want: map[string]Kind{"traceID": TraceIDLabel, "SPAN-ID": SpanIDLabel, "b3": TraceContextLabel, "tid": NotReference, "route": NotReference, "": NotReference},
		},
		{
			name: "configured names beside the built-in spellings",
			cfg:  Config{BuiltinNames: true, TraceIDNames: []string{"tid"}, SpanIDNames: []string{"sid"}, TraceContextNames: []string{"ctx"}},
			want: map[string]Kind{"tid": TraceIDLabel, "sid": SpanIDLabel, "ctx": TraceContextLabel, "traceID": TraceIDLabel, "Tid": NotReference},
		},
		{
			name: "a configured name takes precedence over a built-in spelling",
			cfg:  Config{BuiltinNames: true, TraceContextNames: []string{"trace_id"}},
			want: map[string]Kind{"trace_id": TraceContextLabel, "TRACE_ID": TraceIDLabel},
		},
		{
			name: "built-in spellings off",
			cfg:  Config{TraceIDNames: []string{"tid"}},
			want: map[string]Kind{"tid": TraceIDLabel, "traceID": NotReference, "spanID": NotReference},
		},
		{
			name: "configured names of 64 bytes and more, past the length mask",
			cfg:  Config{TraceIDNames: []string{long64}, SpanIDNames: []string{long100}},
			want: map[string]Kind{long64: TraceIDLabel, long100: SpanIDLabel, strings.Repeat("x", 64): NotReference, "tid": NotReference},
		},
	}
	for _, tt := range tests {
		r := NewReader(tt.cfg)
		for name, want := range tt.want {
			assert.Equal(t, want, r.Kind(name), "%s: Kind(%q)", tt.name, name)
		}
	}
}

func TestReaderDecode(t *testing.T) {
	t.Parallel()
	trace, span := mustTrace(t, traceHex), mustSpan(t, spanHex)
	padded, unpadded := NewReader(Config{Pad64BitTraceIDs: true}), NewReader(Config{})
	tests := []struct {
		name   string
		reader *Reader
		kind   Kind
		value  string
		want   Ref
	}{
		{"trace ID", padded, TraceIDLabel, traceHex, Ref{TraceID: trace, Kind: TraceIDLabel}},
		{"64-bit trace ID padded", padded, TraceIDLabel, spanHex, Ref{TraceID: mustTrace(t, strings.Repeat("0", 16)+spanHex), Kind: TraceIDLabel}},
		{"64-bit trace ID not padded", unpadded, TraceIDLabel, spanHex, Ref{Kind: TraceIDLabel, Problem: Invalid}},
		{"span ID", padded, SpanIDLabel, spanHex, Ref{SpanID: span, Kind: SpanIDLabel}},
		{"zero span ID", padded, SpanIDLabel, strings.Repeat("0", 16), Ref{Kind: SpanIDLabel, Problem: ZeroID}},
		{"traceparent", padded, TraceContextLabel, "00-" + traceHex + "-" + spanHex + "-01", Ref{TraceID: trace, SpanID: span, Kind: TraceContextLabel, Format: FormatTraceparent}},
		{"uber-trace-id with a zero span keeps neither ID", padded, TraceContextLabel, traceHex + ":0:0:1", Ref{Kind: TraceContextLabel, Format: FormatUberTraceID, Problem: ZeroID}},
		{"b3", padded, TraceContextLabel, traceHex + "-" + spanHex, Ref{TraceID: trace, SpanID: span, Kind: TraceContextLabel, Format: FormatB3}},
		{"a value that is not a string reads as empty", padded, TraceIDLabel, "", Ref{Kind: TraceIDLabel, Problem: Invalid}},
		{"not a reference", padded, NotReference, traceHex, Ref{Problem: Invalid}},
	}
	for _, tt := range tests {
		var got Ref
		tt.reader.Decode(&got, tt.kind, tt.value)
		assert.Equal(t, tt.want, got, tt.name)
	}
}

// TestSampledFlag checks which trace contexts say their span was not
// sampled.
func TestSampledFlag(t *testing.T) {
	t.Parallel()
	r := NewReader(Config{Pad64BitTraceIDs: true})
	tests := []struct {
		value     string
		unsampled bool
	}{
		{"00-" + traceHex + "-" + spanHex + "-01", false},
		{"00-" + traceHex + "-" + spanHex + "-00", true},
		{"00-" + traceHex + "-" + spanHex + "-02", true},
		{"00-" + traceHex + "-" + spanHex + "-03", false},
		{traceHex + "-" + spanHex, false},
		{traceHex + "-" + spanHex + "-1", false},
		{traceHex + "-" + spanHex + "-d", false},
		{traceHex + "-" + spanHex + "-0", true},
		{traceHex + "-" + spanHex + "-0-" + spanHex, true},
		{traceHex + ":" + spanHex + ":0:1", false},
		{traceHex + ":" + spanHex + ":0:0", true},
		{traceHex + ":" + spanHex + ":0:3", false},
		{traceHex + ":" + spanHex + ":0:02", true},
	}
	for _, tt := range tests {
		var ref Ref
		r.Decode(&ref, TraceContextLabel, tt.value)
		assert.Equal(t, OK, ref.Problem, tt.value)
		assert.Equal(t, tt.unsampled, ref.Unsampled, tt.value)
	}
}

func TestDecodeByValue(t *testing.T) {
	t.Parallel()
	r := NewReader(Config{Pad64BitTraceIDs: true})
	tests := []struct {
		value string
		kind  Kind
		ok    bool
	}{
		{traceHex, TraceIDLabel, true},
		{"0x" + strings.ToUpper(traceHex), TraceIDLabel, true},
		{spanHex, SpanIDLabel, true},
		{"00-" + traceHex + "-" + spanHex + "-01", TraceContextLabel, true},
		{traceHex + "-" + spanHex + "-1", TraceContextLabel, true},
		{traceHex + ":" + spanHex + ":0:1", TraceContextLabel, true},
		// Not by value: short trace contexts, zero IDs, other lengths.
		{"a3ce929d0e0e4736:" + spanHex + ":0:1", NotReference, false},
		{"a3ce929d0e0e4736-" + spanHex + "-1", NotReference, false},
		// A short uber-trace-id whose later ':' happens to stand at 32
		// (FuzzProcessor seed short_uber_trace_id_detected_by_value).
		{"0000000000001:0000000000000001:0:1", NotReference, false},
		{"0000000000001-0000000000000001-1-x", NotReference, false},
		{"12:30:00:1", NotReference, false},
		{strings.Repeat("0", 32), NotReference, false},
		{traceHex[1:], NotReference, false},
		{"/api/v1/items/4bf92f3577b34da6a3ce929d0e0e4736", NotReference, false},
		{"", NotReference, false},
	}
	for _, tt := range tests {
		ref, ok := r.DecodeByValue(tt.value)
		assert.Equal(t, tt.ok, ok, tt.value)
		if ok {
			assert.Equal(t, tt.kind, ref.Kind, tt.value)
		}
	}
}
