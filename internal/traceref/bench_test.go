package traceref

import (
	"encoding/binary"
	"encoding/hex"
	"testing"
)

// builtinKindLower is the plain alternative to builtinKind: lower-case the
// name into a buffer and look the string up in a map.
func builtinKindLower(name string) Kind {
	if len(name) > maxSpelling || builtinLengths&(1<<len(name)) == 0 {
		return NotReference
	}
	var buf [maxSpelling]byte
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return spellingMap[string(buf[:len(name)])]
}

var spellingMap = func() map[string]Kind {
	m := make(map[string]Kind)
	for _, g := range builtinSpellings {
		for _, n := range g.names {
			m[n] = g.kind
		}
	}
	return m
}()

func hexInputs() []string {
	out := make([]string, 1024)
	x := uint64(0x9e3779b97f4a7c15)
	for i := range out {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], x)
		out[i] = hex.EncodeToString(b[:])
	}
	return out
}

var sinkWord uint64

// BenchmarkHex16 decodes random 16-digit IDs.
func BenchmarkHex16(b *testing.B) {
	in := hexInputs()
	i := 0
	for b.Loop() {
		w, ok := hex16(in[i&1023])
		if ok {
			sinkWord += w
		}
		i++
	}
}

var sinkKind Kind

// BenchmarkBuiltinKind compares builtinKind with the plain way, lower-casing
// into a buffer and a map look-up, on label names of the benchmark batches
// and others of the lengths built-in spellings have.
func BenchmarkBuiltinKind(b *testing.B) {
	names := []string{"traceID", "spanID", "trace_id", "span_id", "TraceId", "SpanId", "traceparent", "route", "pod", "x_other"}
	for _, impl := range []struct {
		name string
		f    func(string) Kind
	}{{"folded_words", builtinKind}, {"lower_and_map", builtinKindLower}} {
		b.Run(impl.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				sinkKind += impl.f(names[i%len(names)])
				i++
			}
		})
	}
}
