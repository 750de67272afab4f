package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
)

// exemplarStyle spells a trace reference as exemplar labels.
type exemplarStyle struct {
	name string
	// labels turns the context of the span active at the observation into
	// exemplar labels, or nil for no exemplar. Every style labels unsampled
	// spans too, as the guides' code does: the SDK gives a head-sampled-out
	// request valid IDs, it only never exports its spans.
	labels func(sc trace.SpanContext) prometheus.Labels
	// shortTraceID asks the ID generator for a trace ID whose upper 64 bits
	// are zero, as a 64-bit (Jaeger, B3, Zipkin) tracer would make.
	shortTraceID bool
}

// bothIDs adapts a spelling of the trace ID T and span ID S (lower-case
// hex) and the sampled flag to a style's labels.
func bothIDs(spell func(t, s string, _ bool) prometheus.Labels) func(trace.SpanContext) prometheus.Labels {
	return func(sc trace.SpanContext) prometheus.Labels {
		if !sc.IsValid() {
			return nil
		}
		return spell(sc.TraceID().String(), sc.SpanID().String(), sc.IsSampled())
	}
}

// styles are the single styles in the order "mixed" rotates through them.
var styles = []exemplarStyle{
	{name: "prom-client", labels: bothIDs(func(t, s string, _ bool) prometheus.Labels {
		return prometheus.Labels{"traceID": t, "spanID": s}
	})},
	{name: "otel", labels: bothIDs(func(t, s string, _ bool) prometheus.Labels {
		return prometheus.Labels{"trace_id": t, "span_id": s}
	})},
	// The two guides' trace-only exemplars, written as they write them:
	// the trace ID whenever the span has one, sampled or not.
	// client_golang's example:
	//	if span.SpanContext().HasTraceID() {
	//		... prometheus.Labels{"trace_id": span.SpanContext().TraceID().String()}
	{name: "client-golang-trace-only", labels: func(sc trace.SpanContext) prometheus.Labels {
		if !sc.HasTraceID() {
			return nil
		}
		return prometheus.Labels{"trace_id": sc.TraceID().String()}
	}},
	// prom-client's: { traceID: span.spanContext().traceId }.
	{name: "prom-client-trace-only", labels: func(sc trace.SpanContext) prometheus.Labels {
		if !sc.HasTraceID() {
			return nil
		}
		return prometheus.Labels{"traceID": sc.TraceID().String()}
	}},
	{name: "64bit", shortTraceID: true, labels: bothIDs(func(t, s string, _ bool) prometheus.Labels {
		return prometheus.Labels{"traceID": t[16:], "spanID": s}
	})},
	// The trace-context styles carry the head sampler's decision as a real
	// SDK's propagator writes it: sampled 01/1, sampled-out 00/0.
	{name: "traceparent", labels: bothIDs(func(t, s string, sampled bool) prometheus.Labels {
		return prometheus.Labels{"traceparent": "00-" + t + "-" + s + "-0" + sampledDigit(sampled)}
	})},
	// Prometheus label names cannot contain '-', so the header's name is
	// written with underscores; the processor knows both spellings.
	{name: "uber-trace-id", labels: bothIDs(func(t, s string, sampled bool) prometheus.Labels {
		return prometheus.Labels{"uber_trace_id": trimZeros(t) + ":" + trimZeros(s) + ":0:" + sampledDigit(sampled)}
	})},
	{name: "b3", labels: bothIDs(func(t, s string, sampled bool) prometheus.Labels {
		return prometheus.Labels{"b3": t + "-" + s + "-" + sampledDigit(sampled)}
	})},
	{name: "upper-hex", labels: bothIDs(func(t, s string, _ bool) prometheus.Labels {
		return prometheus.Labels{"TraceID": strings.ToUpper(t), "SpanID": "0x" + strings.ToUpper(s)}
	})},
	{name: "invalid", labels: bothIDs(func(t, s string, _ bool) prometheus.Labels {
		return prometheus.Labels{"traceID": t[1:], "spanID": s} // 31 digits
	})},
}

// aliases are older names of styles, still accepted by -style.
var aliases = map[string]string{
	// The one trace-only style before there were the two guides' ones.
	"trace-only": "prom-client-trace-only",
}

// sampledDigit is the sampled bit of the trace-context flags: traceparent's
// flags 01/00, uber-trace-id's flags 1/0 and b3's sampling state 1/0.
func sampledDigit(sampled bool) string {
	if sampled {
		return "1"
	}
	return "0"
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
// for "mixed" or a comma-separated list each in turn.
type labeler struct {
	name   string
	styles []exemplarStyle
}

func newLabeler(name string) (*labeler, error) {
	if name == "mixed" {
		return &labeler{name: name, styles: styles}, nil
	}
	l := &labeler{name: name}
	for _, n := range strings.Split(name, ",") {
		if canonical, ok := aliases[n]; ok {
			n = canonical
		}
		i := slices.IndexFunc(styles, func(s exemplarStyle) bool { return s.name == n })
		if i < 0 {
			return nil, fmt.Errorf("unknown -style %q (want one of %s, or a comma-separated list)", n, strings.Join(styleNames(), ", "))
		}
		l.styles = append(l.styles, styles[i])
	}
	if len(l.styles) == 1 {
		l.name = l.styles[0].name
	}
	return l, nil
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
