package traceref

import "go.opentelemetry.io/collector/pdata/pcommon"

// parseTraceContext decodes a whole trace context. The format is told by
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
// when pad64 is set. Unless the problem is OK, both IDs are zero.
func parseTraceContext(s string, pad64 bool) (pcommon.TraceID, pcommon.SpanID, Format, Problem) {
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
	return pcommon.TraceID{}, pcommon.SpanID{}, FormatB3, Invalid
}

func parseTraceparent(s string) (pcommon.TraceID, pcommon.SpanID, Problem) {
	const length = 2 + 1 + 32 + 1 + 16 + 1 + 2
	if len(s) < length || s[2] != '-' || s[35] != '-' || s[52] != '-' {
		return invalidContext()
	}
	version, ok := hexByte(s[0:2])
	if !ok || version == 0xff {
		return invalidContext()
	}
	// Version 00 is exactly 55 characters; later versions may extend it.
	if len(s) > length && (version == 0 || s[length] != '-') {
		return invalidContext()
	}
	hi, lo, okTrace := traceIDDigits(s[3:35], false)
	span, okSpan := hex16(s[36:52])
	if _, okFlags := hexByte(s[53:55]); !okTrace || !okSpan || !okFlags {
		return invalidContext()
	}
	return contextOf(hi, lo, span)
}

func parseUberTraceID(s string, pad64 bool) (pcommon.TraceID, pcommon.SpanID, Problem) {
	traceHex, rest, ok := cut(s, ':')
	if !ok {
		return invalidContext()
	}
	spanHex, rest, ok := cut(rest, ':')
	if !ok {
		return invalidContext()
	}
	parentHex, flagsHex, ok := cut(rest, ':')
	if !ok || !isHexUpTo(parentHex, 16) || !isHexUpTo(flagsHex, 16) {
		return invalidContext()
	}
	if len(traceHex) <= 16 && !pad64 {
		return invalidContext()
	}
	var (
		t  pcommon.TraceID
		sp pcommon.SpanID
	)
	if !decodeHexPadded(t[:], traceHex) || !decodeHexPadded(sp[:], spanHex) {
		return invalidContext()
	}
	if t.IsEmpty() || sp.IsEmpty() {
		return pcommon.TraceID{}, pcommon.SpanID{}, ZeroID
	}
	return t, sp, OK
}

func parseB3(s string, pad64 bool) (pcommon.TraceID, pcommon.SpanID, Problem) {
	traceHex, rest, _ := cut(s, '-')
	spanHex, rest, hasSampled := cut(rest, '-')
	if hasSampled {
		sampled, parentHex, hasParent := cut(rest, '-')
		if sampled != "0" && sampled != "1" && sampled != "d" {
			return invalidContext()
		}
		if hasParent && (len(parentHex) != 16 || !isHexUpTo(parentHex, 16)) {
			return invalidContext()
		}
	}
	hi, lo, okTrace := traceIDDigits(traceHex, pad64)
	if !okTrace || len(spanHex) != 16 {
		return invalidContext()
	}
	span, okSpan := hex16(spanHex)
	if !okSpan {
		return invalidContext()
	}
	return contextOf(hi, lo, span)
}

func invalidContext() (pcommon.TraceID, pcommon.SpanID, Problem) {
	return pcommon.TraceID{}, pcommon.SpanID{}, Invalid
}

// contextOf returns a decoded trace context's IDs, or ZeroID when either
// is all zeros.
func contextOf(hi, lo, span uint64) (pcommon.TraceID, pcommon.SpanID, Problem) {
	if hi|lo == 0 || span == 0 {
		return pcommon.TraceID{}, pcommon.SpanID{}, ZeroID
	}
	return traceIDOf(hi, lo), spanIDOf(span), OK
}

// cut is strings.Cut for one byte.
func cut(s string, sep byte) (before, after string, found bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}
