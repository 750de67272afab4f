package traceref

import (
	"encoding/binary"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
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

// Ref is what one label says about the exemplar's trace. When Problem is
// OK, TraceID is set for the kinds that hold a trace ID and SpanID for
// those that hold a span ID; otherwise both are zero.
type Ref struct {
	TraceID pcommon.TraceID
	SpanID  pcommon.SpanID
	Kind    Kind
	Format  Format
	Problem Problem
	// Unsampled says that a trace context's flags say the span was not
	// sampled (traceparent flags without bit 0, B3 sampled "0",
	// uber-trace-id flags without bit 0). Plain IDs carry no flag.
	Unsampled bool
}

// Decode reads the value of a label of the given kind into ref, which it
// overwrites. A label value that is not a string should be passed as "",
// which every kind rejects as Invalid. It fills the caller's Ref rather
// than returning one: returning the 40-byte Ref and copying it into the
// caller's label took 1.3 s of Decode's 10.5 s in a profile of the mixed
// batch.
//
//   - Trace IDs: 32 hex digits, or 16 when 64-bit IDs are padded, either
//     letter case, optionally behind "0x".
//   - Span IDs: exactly 16 hex digits, either case, optionally behind "0x".
//   - Trace contexts: see parseTraceContext.
//
// Nothing is trimmed, and nothing but 64-bit trace IDs is padded.
func (r *Reader) Decode(ref *Ref, kind Kind, value string) {
	*ref = Ref{Kind: kind, Problem: Invalid}
	switch kind {
	case TraceIDLabel:
		ref.TraceID, ref.Problem = parseTraceID(value, r.pad64)
	case SpanIDLabel:
		ref.SpanID, ref.Problem = parseSpanID(value)
	case TraceContextLabel:
		var c traceContext
		c, ref.Format = parseTraceContext(value, r.pad64)
		ref.TraceID, ref.SpanID, ref.Problem, ref.Unsampled = c.trace, c.span, c.problem, c.unsampled
	}
}

// DecodeByValue reads a value whose label name says nothing, for
// detection by value: 32 hex digits (optionally behind "0x") are a trace
// ID, 16 a span ID (or a 64-bit trace ID: the caller decides), and a trace
// context counts when its trace ID is written out with 32 digits, so that
// short colon- or dash-separated values (times, versions) are not taken
// for one. It reports false for anything else, and for zero IDs.
func (r *Reader) DecodeByValue(value string) (Ref, bool) {
	var ref Ref
	switch n := len(trimHexPrefix(value)); {
	case n == 32:
		r.Decode(&ref, TraceIDLabel, value)
	case n == 16:
		r.Decode(&ref, SpanIDLabel, value)
	case n > 32 && (value[2] == '-' || value[32] == '-' || value[32] == ':'):
		r.Decode(&ref, TraceContextLabel, value)
		// A B3 or uber-trace-id value counts only with its trace ID written
		// in 32 digits: its first separator then stands at 32 (not merely
		// some separator, which a shorter ID can put there).
		if ref.Format != FormatTraceparent && strings.IndexAny(value, "-:") != 32 {
			return Ref{}, false
		}
	default:
		return Ref{}, false
	}
	return ref, ref.Problem == OK
}

// parseTraceID decodes a trace-ID label value: 32 hex digits, or 16 when
// pad64 is set (a 64-bit ID, left-padded with zeros as Jaeger and B3 do),
// either letter case, optionally behind "0x".
func parseTraceID(s string, pad64 bool) (pcommon.TraceID, Problem) {
	hi, lo, ok := traceIDDigits(trimHexPrefix(s), pad64)
	switch {
	case !ok:
		return pcommon.TraceID{}, Invalid
	case hi|lo == 0:
		return pcommon.TraceID{}, ZeroID
	}
	return traceIDOf(hi, lo), OK
}

// parseSpanID decodes a span-ID label value: exactly 16 hex digits, either
// letter case, optionally behind "0x".
func parseSpanID(s string) (pcommon.SpanID, Problem) {
	s = trimHexPrefix(s)
	if len(s) != 16 {
		return pcommon.SpanID{}, Invalid
	}
	w, ok := hex16(s)
	switch {
	case !ok:
		return pcommon.SpanID{}, Invalid
	case w == 0:
		return pcommon.SpanID{}, ZeroID
	}
	return spanIDOf(w), OK
}

// traceIDDigits decodes 32 hex digits, or 16 when pad64 is set, into the
// trace ID's first and last eight bytes as words (see hex16).
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

// traceIDOf returns the trace ID made of hi's bytes then lo's, each word's
// lowest byte first (see hex16).
func traceIDOf(hi, lo uint64) (id pcommon.TraceID) {
	binary.LittleEndian.PutUint64(id[:8], hi)
	binary.LittleEndian.PutUint64(id[8:], lo)
	return id
}

// spanIDOf returns the span ID made of w's bytes, the lowest first.
func spanIDOf(w uint64) (id pcommon.SpanID) {
	binary.LittleEndian.PutUint64(id[:], w)
	return id
}

func trimHexPrefix(s string) string {
	if len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		return s[2:]
	}
	return s
}
