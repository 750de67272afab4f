package traceref

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/exemplarlink/exemplarlinkprocessor/internal/testing/oracle"
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
		id, problem := parseTraceID(value, pad64)
		digits := strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(value, "0x"), "0X"))
		if len(digits) == 16 && pad64 {
			digits = strings.Repeat("0", 16) + digits
		}
		decoded, err := hex.DecodeString(digits)
		wellFormed := err == nil && len(decoded) == 16
		switch problem {
		case OK:
			if !wellFormed || hex.EncodeToString(id[:]) != digits {
				t.Fatalf("parseTraceID(%q, %v) accepted %x", value, pad64, id)
			}
		case ZeroID:
			if !wellFormed || digits != strings.Repeat("0", 32) {
				t.Fatalf("parseTraceID(%q, %v) reported a zero ID", value, pad64)
			}
		case Invalid:
			if wellFormed {
				t.Fatalf("parseTraceID(%q, %v) rejected a well-formed ID", value, pad64)
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
		id, problem := parseSpanID(value)
		digits := strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(value, "0x"), "0X"))
		decoded, err := hex.DecodeString(digits)
		wellFormed := err == nil && len(decoded) == 8
		switch problem {
		case OK:
			if !wellFormed || hex.EncodeToString(id[:]) != digits {
				t.Fatalf("parseSpanID(%q) accepted %x", value, id)
			}
		case ZeroID:
			if !wellFormed || digits != strings.Repeat("0", 16) {
				t.Fatalf("parseSpanID(%q) reported a zero ID", value)
			}
		case Invalid:
			if wellFormed {
				t.Fatalf("parseSpanID(%q) rejected a well-formed ID", value)
			}
		}
	})
}

// FuzzParseTraceContext checks parseTraceContext in both directions
// against the oracle package, a plain reading of the three formats' rules: it
// must accept exactly the values the oracle accepts, with the same IDs and
// format, and tell a zero ID from a malformed value the same way.
func FuzzParseTraceContext(f *testing.F) {
	for _, seed := range []string{
		"00-" + traceHex + "-" + spanHex + "-01",
		"00-" + traceHex + "-" + spanHex + "-00",
		"ff-" + traceHex + "-" + spanHex + "-01",
		"01-" + traceHex + "-" + spanHex + "-01-x",
		"00-" + strings.Repeat("0", 32) + "-" + spanHex + "-01",
		traceHex + ":" + spanHex + ":0:1",
		"abc:def:0:1",
		"abc:0:0:1",
		traceHex + "-" + spanHex + "-1-" + spanHex,
		traceHex + "-" + spanHex + "-0",
		spanHex + "-" + spanHex,
		"", ":", "-", ":::", "---",
	} {
		f.Add(seed, true)
		f.Add(seed, false)
	}
	f.Fuzz(func(t *testing.T, value string, pad64 bool) {
		c, format := parseTraceContext(value, pad64)
		trace, span, problem := c.trace, c.span, c.problem
		wantTrace, wantSpan, wantFormat, wantProblem, wantUnsampled := contextOracle(value, pad64)
		if problem != wantProblem {
			t.Fatalf("parseTraceContext(%q, %v): problem %d, the formats' rules say %d", value, pad64, problem, wantProblem)
		}
		if problem == Invalid {
			return
		}
		if format != wantFormat {
			t.Fatalf("parseTraceContext(%q, %v): format %d, want %d", value, pad64, format, wantFormat)
		}
		if problem == OK && (hex.EncodeToString(trace[:]) != wantTrace || hex.EncodeToString(span[:]) != wantSpan) {
			t.Fatalf("parseTraceContext(%q, %v) = %s %s, want %s %s", value, pad64, trace, span, wantTrace, wantSpan)
		}
		if problem == OK && c.unsampled != wantUnsampled {
			t.Fatalf("parseTraceContext(%q, %v): unsampled %v, the flags say %v", value, pad64, c.unsampled, wantUnsampled)
		}
	})
}

// oracleFormats maps the oracle's format names to Format.
var oracleFormats = map[string]Format{"traceparent": FormatTraceparent, "uber-trace-id": FormatUberTraceID, "b3": FormatB3}

// contextOracle reads value with the oracle package, in parseTraceContext's
// terms.
func contextOracle(value string, pad64 bool) (trace, span string, format Format, problem Problem, unsampled bool) {
	r := oracle.Read(oracle.TraceContext, value, pad64)
	switch {
	case r.Malformed:
		return "", "", 0, Invalid, false
	case r.Zero:
		return "", "", oracleFormats[r.Format], ZeroID, false
	}
	return r.Trace, r.Span, oracleFormats[r.Format], OK, r.Unsampled
}

// FuzzBuiltinKind checks BuiltinKind's list of spellings against the rule
// it documents (referenceKind).
func FuzzBuiltinKind(f *testing.F) {
	for _, seed := range []string{"trace_id", "TraceID", "uber-trace_id", "B3", "trace__id", "span.id", "spanid", "tracep4rent", "TRACE\xffID", ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if got, want := builtinKind(name), oracleKinds[oracle.Kind(name)]; got != want {
			t.Fatalf("builtinKind(%q) = %d, the documented rule says %d", name, got, want)
		}
	})
}

// oracleKinds maps the oracle's kinds to Kind.
var oracleKinds = map[string]Kind{"": NotReference, oracle.TraceID: TraceIDLabel, oracle.SpanID: SpanIDLabel, oracle.TraceContext: TraceContextLabel}

// TestBuiltinKindNearEverySpelling checks builtinKind against the oracle
// on every letter-case variant of every built-in spelling and on every
// spelling with any one byte replaced by any of the 256 values: the names
// a fuzzer would need luck to reach. It makes FuzzBuiltinKind's domain
// deterministic around the spellings, so a FuzzBuiltinKind failure without
// a failing input is the fuzz engine's, not the code's.
func TestBuiltinKindNearEverySpelling(t *testing.T) {
	t.Parallel()
	check := func(name string) {
		if got, want := builtinKind(name), oracleKinds[oracle.Kind(name)]; got != want {
			t.Fatalf("builtinKind(%q) = %d, the documented rule says %d", name, got, want)
		}
	}
	for _, group := range builtinSpellings {
		for _, spelling := range group.names {
			var letters []int
			for i := 0; i < len(spelling); i++ {
				if 'a' <= spelling[i] && spelling[i] <= 'z' {
					letters = append(letters, i)
				}
			}
			for mask := 0; mask < 1<<len(letters); mask++ {
				b := []byte(spelling)
				for bit, i := range letters {
					if mask&(1<<bit) != 0 {
						b[i] -= 'a' - 'A'
					}
				}
				check(string(b))
			}
			for i := 0; i < len(spelling); i++ {
				for c := range 256 {
					b := []byte(spelling)
					b[i] = byte(c)
					check(string(b))
				}
			}
		}
	}
}
