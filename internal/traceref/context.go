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
// when pad64 is set.
func parseTraceContext(s string, pad64 bool) (traceContext, Format) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ':':
			return parseUberTraceID(s, pad64), FormatUberTraceID
		case '-':
			if i == 2 {
				return parseTraceparent(s), FormatTraceparent
			}
			return parseB3(s, pad64), FormatB3
		}
	}
	return invalidContext, FormatB3
}

// traceContext is a decoded trace context. Unless problem is OK, both IDs
// are zero.
type traceContext struct {
	trace     pcommon.TraceID
	span      pcommon.SpanID
	problem   Problem
	unsampled bool
}

var invalidContext = traceContext{problem: Invalid}

func parseTraceparent(s string) traceContext {
	const length = 2 + 1 + 32 + 1 + 16 + 1 + 2
	if len(s) < length || s[2] != '-' || s[35] != '-' || s[52] != '-' {
		return invalidContext
	}
	version, ok := hexByte(s[0:2])
	if !ok || version == 0xff {
		return invalidContext
	}
	// Version 00 is exactly 55 characters; later versions may extend it.
	if len(s) > length && (version == 0 || s[length] != '-') {
		return invalidContext
	}
	hi, lo, okTrace := traceIDDigits(s[3:35], false)
	span, okSpan := hex16(s[36:52])
	flags, okFlags := hexByte(s[53:55])
	if !okTrace || !okSpan || !okFlags {
		return invalidContext
	}
	return contextOf(hi, lo, span, flags&1 == 0)
}

func parseUberTraceID(s string, pad64 bool) traceContext {
	traceHex, rest, ok := cut(s, ':')
	if !ok {
		return invalidContext
	}
	spanHex, rest, ok := cut(rest, ':')
	if !ok {
		return invalidContext
	}
	parentHex, flagsHex, ok := cut(rest, ':')
	if !ok || !isHexUpTo(parentHex, 16) || !isHexUpTo(flagsHex, 16) {
		return invalidContext
	}
	if len(traceHex) <= 16 && !pad64 {
		return invalidContext
	}
	c := traceContext{problem: OK}
	if !decodeHexPadded(c.trace[:], traceHex) || !decodeHexPadded(c.span[:], spanHex) {
		return invalidContext
	}
	if c.trace.IsEmpty() || c.span.IsEmpty() {
		return traceContext{problem: ZeroID}
	}
	// The sampled flag is bit 0 of the flags, the last hex digit.
	last, _ := hexValue(flagsHex[len(flagsHex)-1])
	c.unsampled = last&1 == 0
	return c
}

func parseB3(s string, pad64 bool) traceContext {
	traceHex, rest, _ := cut(s, '-')
	spanHex, rest, hasSampled := cut(rest, '-')
	unsampled := false
	if hasSampled {
		sampled, parentHex, hasParent := cut(rest, '-')
		if sampled != "0" && sampled != "1" && sampled != "d" {
			return invalidContext
		}
		if hasParent && (len(parentHex) != 16 || !isHexUpTo(parentHex, 16)) {
			return invalidContext
		}
		unsampled = sampled == "0"
	}
	hi, lo, okTrace := traceIDDigits(traceHex, pad64)
	if !okTrace || len(spanHex) != 16 {
		return invalidContext
	}
	span, okSpan := hex16(spanHex)
	if !okSpan {
		return invalidContext
	}
	return contextOf(hi, lo, span, unsampled)
}

// contextOf returns a decoded trace context, or ZeroID when either ID is
// all zeros.
func contextOf(hi, lo, span uint64, unsampled bool) traceContext {
	if hi|lo == 0 || span == 0 {
		return traceContext{problem: ZeroID}
	}
	return traceContext{trace: traceIDOf(hi, lo), span: spanIDOf(span), problem: OK, unsampled: unsampled}
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
