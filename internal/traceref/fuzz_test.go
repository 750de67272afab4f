package traceref

import (
	"encoding/hex"
	"strings"
	"testing"
)

// FuzzParseTraceID checks that any accepted value decodes to exactly the
// digits it holds (after the optional 0x and 64-bit padding), and that
// nothing else is accepted.
func FuzzParseTraceID(f *testing.F) {
	for _, seed := range []string{traceHex, strings.ToUpper(traceHex), "0x" + traceHex, spanHex, "", "0x", strings.Repeat("0", 32), " " + traceHex} {
		f.Add(seed, true)
		f.Add(seed, false)
	}
	f.Fuzz(func(t *testing.T, value string, pad64 bool) {
		id, problem := ParseTraceID(value, pad64)
		digits := strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(value, "0x"), "0X"))
		if len(digits) == 16 && pad64 {
			digits = strings.Repeat("0", 16) + digits
		}
		decoded, err := hex.DecodeString(digits)
		wellFormed := err == nil && len(decoded) == 16
		switch problem {
		case OK:
			if !wellFormed || hex.EncodeToString(id[:]) != digits {
				t.Fatalf("ParseTraceID(%q, %v) accepted %x", value, pad64, id)
			}
		case ZeroID:
			if !wellFormed || digits != strings.Repeat("0", 32) {
				t.Fatalf("ParseTraceID(%q, %v) reported a zero ID", value, pad64)
			}
		case Invalid:
			if wellFormed {
				t.Fatalf("ParseTraceID(%q, %v) rejected a well-formed ID", value, pad64)
			}
		}
	})
}

// FuzzParseSpanID is FuzzParseTraceID for span IDs, which are never padded.
func FuzzParseSpanID(f *testing.F) {
	for _, seed := range []string{spanHex, "0x" + spanHex, spanHex[1:], "", strings.Repeat("0", 16)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, value string) {
		id, problem := ParseSpanID(value)
		digits := strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(value, "0x"), "0X"))
		decoded, err := hex.DecodeString(digits)
		wellFormed := err == nil && len(decoded) == 8
		switch problem {
		case OK:
			if !wellFormed || hex.EncodeToString(id[:]) != digits {
				t.Fatalf("ParseSpanID(%q) accepted %x", value, id)
			}
		case ZeroID:
			if !wellFormed || digits != strings.Repeat("0", 16) {
				t.Fatalf("ParseSpanID(%q) reported a zero ID", value)
			}
		case Invalid:
			if wellFormed {
				t.Fatalf("ParseSpanID(%q) rejected a well-formed ID", value)
			}
		}
	})
}

// FuzzParseTraceContext checks that an accepted context has non-zero IDs
// whose hex digits appear in the value (IDs are never invented).
func FuzzParseTraceContext(f *testing.F) {
	for _, seed := range []string{
		"00-" + traceHex + "-" + spanHex + "-01",
		"ff-" + traceHex + "-" + spanHex + "-01",
		"01-" + traceHex + "-" + spanHex + "-01-x",
		traceHex + ":" + spanHex + ":0:1",
		"abc:def:0:1",
		traceHex + "-" + spanHex + "-1-" + spanHex,
		spanHex + "-" + spanHex,
		"", ":", "-", ":::", "---",
	} {
		f.Add(seed, true)
		f.Add(seed, false)
	}
	f.Fuzz(func(t *testing.T, value string, pad64 bool) {
		trace, span, _, problem := ParseTraceContext(value, pad64)
		if problem != OK {
			return
		}
		if trace == (TraceID{}) || span == (SpanID{}) {
			t.Fatalf("ParseTraceContext(%q) accepted a zero ID", value)
		}
		lower := strings.ToLower(value)
		if !strings.Contains(lower, strings.TrimLeft(hex.EncodeToString(trace[:]), "0")) ||
			!strings.Contains(lower, strings.TrimLeft(hex.EncodeToString(span[:]), "0")) {
			t.Fatalf("ParseTraceContext(%q) = %x, %x: IDs not in the value", value, trace, span)
		}
	})
}

// FuzzBuiltinKind checks BuiltinKind's list of spellings against the rule
// it documents (referenceKind).
func FuzzBuiltinKind(f *testing.F) {
	for _, seed := range []string{"trace_id", "TraceID", "uber-trace_id", "B3", "trace__id", "span.id", "spanid", "tracep4rent", "TRACE\xffID", ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if got, want := BuiltinKind(name), referenceKind(name); got != want {
			t.Fatalf("BuiltinKind(%q) = %d, the documented rule says %d", name, got, want)
		}
	})
}
