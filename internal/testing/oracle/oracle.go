// Package oracle is a plain, slow and obviously correct reading of the
// rules the README states for label names and values, written with regular
// expressions and strings functions. Tests judge the fast code (traceref,
// and the processor as a whole) against it; nothing else uses it.
package oracle

import (
	"regexp"
	"strings"
)

// Kinds of label, as Kind returns them.
const (
	TraceID      = "trace_id"
	SpanID       = "span_id"
	TraceContext = "trace_context"
)

var (
	traceIDName      = regexp.MustCompile(`^trace[_.-]?id$`)
	spanIDName       = regexp.MustCompile(`^span[_.-]?id$`)
	traceContextName = regexp.MustCompile(`^(trace[_.-]?parent|b3|uber[_.-]?trace[_.-]?id)$`)
)

// Kind classifies a label name by the built-in spellings: the words "trace
// id", "span id", "trace parent", "uber trace id" or "b3", ASCII in any
// letter case, with at most one '_', '-' or '.' between words. It returns
// TraceID, SpanID, TraceContext or "".
func Kind(name string) string {
	for i := 0; i < len(name); i++ {
		if name[i] >= 0x80 {
			return ""
		}
	}
	lower := strings.ToLower(name)
	switch {
	case traceIDName.MatchString(lower):
		return TraceID
	case spanIDName.MatchString(lower):
		return SpanID
	case traceContextName.MatchString(lower):
		return TraceContext
	}
	return ""
}

// Reading is what a label value says.
type Reading struct {
	// Trace and Span are the IDs as 32 and 16 lower-case hex digits, ""
	// for an ID the value does not hold or when it is not OK.
	Trace, Span string
	// Format is "id", "traceparent", "uber-trace-id" or "b3".
	Format string
	// Malformed: the value is not of its kind's shape. Zero: it is, but an
	// ID in it is all zeros.
	Malformed, Zero bool
	// Unsampled: a trace context whose flags say the span was not sampled.
	Unsampled bool
}

// OK reports whether the value converts.
func (r Reading) OK() bool { return !r.Malformed && !r.Zero }

var (
	traceIDValue     = regexp.MustCompile(`^(?:0[xX])?([0-9a-fA-F]{32})$`)
	traceID64Value   = regexp.MustCompile(`^(?:0[xX])?([0-9a-fA-F]{16})$`)
	spanIDValue      = regexp.MustCompile(`^(?:0[xX])?([0-9a-fA-F]{16})$`)
	traceparentValue = regexp.MustCompile(`(?s)^([0-9a-fA-F]{2})-([0-9a-fA-F]{32})-([0-9a-fA-F]{16})-[0-9a-fA-F]{2}(-.*)?$`)
	hexDigits        = regexp.MustCompile(`^[0-9a-fA-F]+$`)
)

// Read reads a value of the given kind; pad64 accepts 64-bit trace IDs.
func Read(kind, value string, pad64 bool) Reading {
	switch kind {
	case TraceID:
		if m := traceIDValue.FindStringSubmatch(value); m != nil {
			return result(pad(m[1], 32), "", "id")
		}
		if m := traceID64Value.FindStringSubmatch(value); m != nil && pad64 {
			return result(pad(m[1], 32), "", "id")
		}
	case SpanID:
		if m := spanIDValue.FindStringSubmatch(value); m != nil {
			return result("", pad(m[1], 16), "id")
		}
	case TraceContext:
		return readContext(value, pad64)
	}
	return Reading{Malformed: true}
}

// readContext reads a W3C traceparent (version ff invalid, version 00
// exactly four fields, later versions may add fields), a Jaeger
// uber-trace-id (trace:span:parent:flags, leading zeros dropped) or a B3
// single value (trace-span[-sampled[-parent]]).
func readContext(value string, pad64 bool) Reading {
	isHex := func(s string, minLen, maxLen int) bool {
		return len(s) >= minLen && len(s) <= maxLen && hexDigits.MatchString(s)
	}
	// sampledBitClear says whether the number written in hex has bit 0
	// clear.
	sampledBitClear := func(hexNumber string) bool { return strings.ContainsAny(hexNumber[len(hexNumber)-1:], "02468aAcCeE") }
	if m := traceparentValue.FindStringSubmatch(value); m != nil {
		version := strings.ToLower(m[1])
		if version != "ff" && (version != "00" || m[4] == "") {
			return unsampled(result(pad(m[2], 32), pad(m[3], 16), "traceparent"), sampledBitClear(value[53:55]))
		}
	}
	if f := strings.Split(value, ":"); len(f) == 4 {
		if isHex(f[0], 1, 32) && (pad64 || len(f[0]) > 16) && isHex(f[1], 1, 16) && isHex(f[2], 1, 16) && isHex(f[3], 1, 16) {
			return unsampled(result(pad(f[0], 32), pad(f[1], 16), "uber-trace-id"), sampledBitClear(f[3]))
		}
	}
	if f := strings.Split(value, "-"); len(f) >= 2 && len(f) <= 4 {
		traceOK := isHex(f[0], 32, 32) || pad64 && isHex(f[0], 16, 16)
		sampledOK := len(f) < 3 || f[2] == "0" || f[2] == "1" || f[2] == "d"
		parentOK := len(f) < 4 || isHex(f[3], 16, 16)
		if traceOK && isHex(f[1], 16, 16) && sampledOK && parentOK {
			return unsampled(result(pad(f[0], 32), pad(f[1], 16), "b3"), len(f) >= 3 && f[2] == "0")
		}
	}
	return Reading{Malformed: true}
}

// pad lower-cases hex digits and left-pads them with zeros to n.
func pad(s string, n int) string { return strings.Repeat("0", n-len(s)) + strings.ToLower(s) }

// unsampled marks a converted reading as unsampled when not sampled.
func unsampled(r Reading, notSampled bool) Reading {
	r.Unsampled = r.OK() && notSampled
	return r
}

// ByValue reads a value whose label name is no reference, for detection by
// value: 32 hex digits are a trace ID, 16 a span ID (or a 64-bit trace
// ID), a trace context counts when its trace ID is written with 32 digits.
// It returns the reading and its kind, or "" when the value is none of
// these or holds a zero ID.
func ByValue(value string) (Reading, string) {
	if r := Read(TraceID, value, false); r.OK() {
		return r, TraceID
	}
	if r := Read(SpanID, value, false); r.OK() {
		return r, SpanID
	}
	r := Read(TraceContext, value, false)
	if !r.OK() {
		return r, ""
	}
	if r.Format != "traceparent" && len(strings.FieldsFunc(value, func(c rune) bool { return c == '-' || c == ':' })[0]) != 32 {
		return r, ""
	}
	return r, TraceContext
}

func result(trace, span, format string) Reading {
	if trace == strings.Repeat("0", 32) || span == strings.Repeat("0", 16) {
		return Reading{Format: format, Zero: true}
	}
	return Reading{Trace: trace, Span: span, Format: format}
}
