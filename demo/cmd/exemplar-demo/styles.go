package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
)

// exemplarStyle spells a trace reference as exemplar labels.
type exemplarStyle struct {
	name string
	// labels turns the span's trace ID (32 lower-case hex digits) and span
	// ID (16) into exemplar labels.
	labels func(traceID, spanID string) prometheus.Labels
	// shortTraceID asks the ID generator for a trace ID whose upper 64 bits
	// are zero, as a 64-bit (Jaeger, B3, Zipkin) tracer would make.
	shortTraceID bool
}

// styles are the single styles in the order "mixed" rotates through them.
var styles = []exemplarStyle{
	{name: "prom-client", labels: func(t, s string) prometheus.Labels {
		return prometheus.Labels{"traceID": t, "spanID": s}
	}},
	{name: "otel", labels: func(t, s string) prometheus.Labels {
		return prometheus.Labels{"trace_id": t, "span_id": s}
	}},
	{name: "trace-only", labels: func(t, _ string) prometheus.Labels {
		return prometheus.Labels{"traceID": t}
	}},
	{name: "64bit", shortTraceID: true, labels: func(t, s string) prometheus.Labels {
		return prometheus.Labels{"traceID": t[16:], "spanID": s}
	}},
	{name: "traceparent", labels: func(t, s string) prometheus.Labels {
		return prometheus.Labels{"traceparent": "00-" + t + "-" + s + "-01"}
	}},
	// Prometheus label names cannot contain '-', so the header's name is
	// written with underscores; the processor knows both spellings.
	{name: "uber-trace-id", labels: func(t, s string) prometheus.Labels {
		return prometheus.Labels{"uber_trace_id": trimZeros(t) + ":" + trimZeros(s) + ":0:1"}
	}},
	{name: "b3", labels: func(t, s string) prometheus.Labels {
		return prometheus.Labels{"b3": t + "-" + s + "-1"}
	}},
	{name: "upper-hex", labels: func(t, s string) prometheus.Labels {
		return prometheus.Labels{"TraceID": strings.ToUpper(t), "SpanID": "0x" + strings.ToUpper(s)}
	}},
	{name: "invalid", labels: func(t, s string) prometheus.Labels {
		return prometheus.Labels{"traceID": t[1:], "spanID": s} // 31 digits
	}},
}

// trimZeros drops leading zeros the way Jaeger clients print IDs.
func trimZeros(hex string) string {
	if t := strings.TrimLeft(hex, "0"); t != "" {
		return t
	}
	return "0"
}

func styleNames() []string {
	names := make([]string, 0, len(styles)+1)
	for _, s := range styles {
		names = append(names, s.name)
	}
	return append(names, "mixed")
}

// labeler hands out the style for each request: always the same one, or
// for "mixed" each in turn.
type labeler struct {
	name   string
	styles []exemplarStyle
}

func newLabeler(name string) (*labeler, error) {
	if name == "mixed" {
		return &labeler{name: name, styles: styles}, nil
	}
	for _, s := range styles {
		if s.name == name {
			return &labeler{name: name, styles: []exemplarStyle{s}}, nil
		}
	}
	return nil, fmt.Errorf("unknown -style %q (want one of %s)", name, strings.Join(styleNames(), ", "))
}

func (l *labeler) pick(n int64) exemplarStyle {
	return l.styles[int(n%int64(len(l.styles)))]
}

type styleKey struct{}

// idGenerator makes random IDs, and trace IDs with a zero upper half for
// requests whose exemplar style uses 64-bit trace IDs.
type idGenerator struct {
	mu  sync.Mutex
	rng *rand.ChaCha8
}

func (g *idGenerator) uint64() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.rng == nil {
		var seed [32]byte
		for i := 0; i < len(seed); i += 8 {
			binary.LittleEndian.PutUint64(seed[i:], rand.Uint64())
		}
		g.rng = rand.NewChaCha8(seed)
	}
	for {
		if v := g.rng.Uint64(); v != 0 {
			return v
		}
	}
}

func (g *idGenerator) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	var tid trace.TraceID
	style, _ := ctx.Value(styleKey{}).(exemplarStyle)
	if !style.shortTraceID {
		binary.BigEndian.PutUint64(tid[:8], g.uint64())
	}
	binary.BigEndian.PutUint64(tid[8:], g.uint64())
	return tid, g.NewSpanID(ctx, tid)
}

func (g *idGenerator) NewSpanID(context.Context, trace.TraceID) trace.SpanID {
	var sid trace.SpanID
	binary.BigEndian.PutUint64(sid[:], g.uint64())
	return sid
}
