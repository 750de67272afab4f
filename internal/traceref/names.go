package traceref

// Kind says what a label holds.
type Kind uint8

const (
	// NotReference is any label that holds no trace or span reference.
	NotReference Kind = iota
	// TraceIDLabel holds a trace ID only.
	TraceIDLabel
	// SpanIDLabel holds a span ID only.
	SpanIDLabel
	// TraceContextLabel holds a whole trace context (W3C traceparent,
	// Jaeger uber-trace-id or B3 single), i.e. a trace ID and a span ID.
	TraceContextLabel
)

// Config says which label names hold references and how to read them.
type Config struct {
	// BuiltinNames recognises the built-in spellings (see builtinKind).
	BuiltinNames bool
	// TraceIDNames, SpanIDNames and TraceContextNames are further names,
	// matched exactly; they take precedence over the built-in spellings.
	TraceIDNames, SpanIDNames, TraceContextNames []string
	// Pad64BitTraceIDs accepts 16-digit trace IDs, left-padded with zeros.
	Pad64BitTraceIDs bool
}

// Reader reads trace references from exemplar labels: Kind tells from a
// label's name whether it holds one, Decode reads its value.
type Reader struct {
	// configured maps the exact names from the config to their kind; nil
	// when the config names none.
	configured map[string]Kind
	builtin    bool
	pad64      bool
	// lengths has bit n%64 set when a name Kind recognises is n bytes
	// long.
	lengths uint64
}

// NewReader returns the Reader for cfg.
func NewReader(cfg Config) *Reader {
	r := &Reader{builtin: cfg.BuiltinNames, pad64: cfg.Pad64BitTraceIDs}
	if cfg.BuiltinNames {
		r.lengths = builtinLengths
	}
	for _, group := range []struct {
		kind  Kind
		names []string
	}{
		{TraceIDLabel, cfg.TraceIDNames},
		{SpanIDLabel, cfg.SpanIDNames},
		{TraceContextLabel, cfg.TraceContextNames},
	} {
		for _, name := range group.names {
			if r.configured == nil {
				r.configured = make(map[string]Kind)
			}
			r.configured[name] = group.kind
			r.lengths |= 1 << (len(name) % 64)
		}
	}
	return r
}

// Kind says what a label of this name holds.
//
// Most labels hold no reference, and most of those have a name of a length
// no recognised name has: the length test rules them out in code small
// enough to be inlined into the caller's label loop. It took
// BenchmarkExemplarLink/batch=unrelated_labels from 1.61x to 1.16x the
// do-nothing floor (benchcheck's floor-ratio target guards it).
func (r *Reader) Kind(name string) Kind {
	if r.lengths&(1<<(len(name)%64)) == 0 {
		return NotReference
	}
	return r.kindOf(name)
}

func (r *Reader) kindOf(name string) Kind {
	if r.configured != nil {
		if kind, ok := r.configured[name]; ok {
			return kind
		}
	}
	if r.builtin {
		return builtinKind(name)
	}
	return NotReference
}
