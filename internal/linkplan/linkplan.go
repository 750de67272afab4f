// Package linkplan decides what happens to one exemplar: from the
// references its labels hold and the IDs its fields hold, the plan of what
// goes into the fields, which labels go, which label is written, and the
// outcome to count and log.
//
// Decide is a pure function. The processor collects the Evidence (one pass
// over the labels), calls Decide, and writes the Plan into the exemplar;
// the rules can then be read and table-tested here, in one place.
package linkplan

import (
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/exemplarlink/exemplarlinkprocessor/internal/spanindex"
	"github.com/exemplarlink/exemplarlinkprocessor/internal/traceref"
)

// LoneTraceIDKey is the label that keeps the trace ID of an exemplar
// without a span ID, unless Settings.TraceOnlyInField: the OpenMetrics and
// OpenTelemetry name, so that every backend reads it the same.
const LoneTraceIDKey = "trace_id"

// SpanIDKey is the label that keeps the span ID of a link whose span was
// not exported (Settings.LinkOnlyExported), beside LoneTraceIDKey.
const SpanIDKey = "span_id"

// ExemplarFieldsLabel is Outcome.Label when an ID came in the exemplar's
// fields rather than a label (the receiver moves an exact trace_id there).
const ExemplarFieldsLabel = "exemplar_fields"

// Settings are the parts of the configuration that the decision depends on.
type Settings struct {
	// OverwriteExistingIDs lets a label replace an ID the exemplar already
	// has; otherwise a label that differs from it is a conflict.
	OverwriteExistingIDs bool
	// TraceOnlyInField puts the trace ID of an exemplar without a span ID
	// in the TraceID field; otherwise it goes into the LoneTraceIDKey label
	// and the field is emptied.
	TraceOnlyInField bool
	// DetectIDsByValue links an exemplar with no reference label and no ID
	// from the values of its other labels (Label.ByValue), when they are
	// unambiguous.
	DetectIDsByValue bool
	// LinkUnsampled links references whose trace context says the span was
	// not sampled; otherwise such an exemplar is left as it came.
	LinkUnsampled bool
	// LinkOnlyExported leaves unlinked a link whose span the traces
	// pipeline did not see (Evidence.Exported), its IDs as labels.
	LinkOnlyExported bool
}

// Label is one reference label of an exemplar.
type Label struct {
	// Index is the label's place among all the exemplar's labels.
	Index int
	// Name is the label's key.
	Name string
	// Value is the label's value for the log: a string value as it is,
	// any other by the name of its type.
	Value string
	// Ref is what the value says.
	Ref traceref.Ref
	// ByValue says that the label's name is no reference, but its value
	// looks like one (traceref.Reader.DecodeByValue): a candidate for
	// detection by value.
	ByValue bool
}

// Evidence is what one exemplar carries. The processor reuses one
// Evidence for every exemplar of a batch: Reset, then Add each reference
// label in label order.
type Evidence struct {
	// TraceID and SpanID are the exemplar's fields.
	TraceID pcommon.TraceID
	SpanID  pcommon.SpanID
	// NumLabels is how many labels the exemplar has in all.
	NumLabels int
	// The four one-byte fields Reset clears for every exemplar, side by
	// side so that it clears them with one store: three stores apart cost
	// a batch of exemplars without ID labels 10%
	// (BenchmarkExemplarLink/batch=unrelated_labels).
	//
	// HasLoneTraceIDKey says that the exemplar has a LoneTraceIDKey label
	// (LoneTraceIDKeyRef); HasSpanIDKey that it has a SpanIDKey label
	// (SpanIDKeyRef, only collected when LinkOnlyExported may write that
	// label).
	HasLoneTraceIDKey, HasSpanIDKey bool
	// Exported is what the span index said about the span of a link, when
	// LinkOnlyExported asked it.
	Exported Exported
	// Traces is what the span index said about the exemplar's trace, when
	// the processor also sees spans and asked it (see TracesLookup; its
	// first byte is Done).
	Traces TracesLookup
	// LoneTraceIDKeyRef is the LoneTraceIDKey label's value read as a
	// trace ID, SpanIDKeyRef the SpanIDKey label's read as a span ID.
	LoneTraceIDKeyRef traceref.Ref
	SpanIDKeyRef      traceref.Ref

	// The reference labels (Refs) are in inline while they fit, and all in
	// more from the ninth on (hostile input), which keeps its storage from
	// one exemplar to the next. Storing them in Evidence itself, not in a
	// slice over an array beside it, keeps Evidence on the processor's
	// stack: Go's escape analysis moves an array to the heap once a slice
	// of it is stored through a pointer, one allocation per batch.
	inline [8]Label
	n      int
	more   []Label
}

// Reset empties ev for an exemplar with numLabels labels; the caller sets
// TraceID and SpanID. (Passing the IDs in made Reset too big to inline:
// it cost the batch without ID labels 30% more time than the processor
// before it.)
func (ev *Evidence) Reset(numLabels int) {
	ev.NumLabels = numLabels
	ev.HasLoneTraceIDKey, ev.HasSpanIDKey, ev.Exported, ev.Traces.Done = false, false, ExportedNotAsked, false
	ev.n, ev.more = 0, ev.more[:0]
}

// Next appends a reference label and returns it for the caller to fill
// in place (filling a Label and copying it in cost a tenth of collecting);
// labels must be added in label order.
func (ev *Evidence) Next() *Label {
	switch {
	case len(ev.more) > 0:
	case ev.n < len(ev.inline):
		ev.n++
		return &ev.inline[ev.n-1]
	default:
		ev.more = append(ev.more, ev.inline[:]...)
	}
	ev.more = append(ev.more, Label{})
	return &ev.more[len(ev.more)-1]
}

// ReferencesNoTrace reports whether the exemplar has neither a reference
// label nor an ID: Decide leaves it alone and does not count it (rule 9).
func (ev *Evidence) ReferencesNoTrace() bool {
	// ev.n is 0 exactly when Refs is empty: more is used only once inline
	// is full.
	return LeftAlone(ev.n, ev.TraceID == (pcommon.TraceID{}), ev.SpanID == (pcommon.SpanID{}))
}

// LeftAlone is rule 9's test, the one place it is coded: an exemplar with
// no reference label (refs is how many it has, or any positive number if
// it has some), no trace ID and no span ID is left as it came and not
// counted. Decide asks it (through ReferencesNoTrace), and so does the
// processor's short-cut for exemplars without labels. Inlined, it compiles
// to the branches the two had before it existed
// (BenchmarkExemplarLink/batch=otlp_ids and unrelated_labels).
func LeftAlone(refs int, noTrace, noSpan bool) bool {
	return refs == 0 && noTrace && noSpan
}

// Refs returns the exemplar's reference labels, in label order.
func (ev *Evidence) Refs() []Label {
	if len(ev.more) > 0 {
		return ev.more
	}
	return ev.inline[:ev.n]
}

// TracesLookup is what the span index said about an exemplar that has a
// trace ID and no span ID. The processor asks the index only after Decide
// left such an exemplar unlinked for a missing span ID, then decides again.
type TracesLookup struct {
	// Done says that the index was asked about TraceID.
	Done    bool
	TraceID pcommon.TraceID
	// Result is the span the index chose, or why it chose none.
	Result spanindex.Result
}

// Exported is whether the span of a link passed the traces pipeline.
type Exported uint8

const (
	// ExportedNotAsked: the index was not asked (no traces pipeline, the
	// setting is off, or it is not known yet).
	ExportedNotAsked Exported = iota
	// ExportedSeen: the span passed the traces pipeline.
	ExportedSeen
	// ExportedNotSeen: it did not, and waiting for it is over.
	ExportedNotSeen
)

// Result is what happens to an exemplar, as counted.
type Result uint8

const (
	// Uncounted: the exemplar references no trace at all.
	Uncounted Result = iota
	// Linked: the exemplar leaves with both a trace ID and a span ID.
	Linked
	// Unlinked: the exemplar references a trace but leaves without both.
	Unlinked
)

// Outcome is what Decide says happens to an exemplar, for the counters
// and the log.
type Outcome struct {
	Result Result
	// Source is where a linked exemplar's trace ID came from.
	Source Source
	// Reason is why an unlinked exemplar was not linked.
	Reason Reason
	// Label and Value name the label at fault when the exemplar is
	// unlinked. Without one, for a missing span (or trace) ID, they name
	// the label that held the trace (or span) ID, or Label is
	// ExemplarFieldsLabel when that ID came in the exemplar's field.
	Label, Value string
	// TraceLabel and SpanLabel name the first labels that held the trace
	// and the span ID, if any.
	TraceLabel, SpanLabel string
}

// Plan is what to write into one exemplar. The zero Plan changes nothing.
type Plan struct {
	Outcome Outcome

	// TraceID and SpanID are the exemplar's IDs as decided. SetTraceID and
	// SetSpanID say to write them into the fields.
	TraceID    pcommon.TraceID
	SpanID     pcommon.SpanID
	SetTraceID bool
	SetSpanID  bool
	// ClearTraceID says to empty the TraceID field (after TraceID has gone
	// into the LoneTraceIDKey label); ClearSpanID the SpanID field.
	ClearTraceID bool
	ClearSpanID  bool

	// WriteLoneTraceID says to set the LoneTraceIDKey label to the 32
	// lower-case hex digits of TraceID: in place when the exemplar has that
	// label, appended after the other labels when it has not.
	WriteLoneTraceID bool
	// MoveValue says that the label at ValueFrom in Evidence.Refs(), which
	// Removes drops and which held TraceID, may give its value to the new
	// LoneTraceIDKey label instead of a new one being made.
	MoveValue bool
	ValueFrom int
	// WriteIDLabels says to set the LoneTraceIDKey and SpanIDKey labels to
	// the lower-case hex digits of TraceID and SpanID (a link whose span
	// was not exported).
	WriteIDLabels bool

	// remove says that Removes drops the reference labels whose every ID
	// is removeTrace or removeSpan, except LoneTraceIDKey labels when
	// keepLone; byValue says whether those are the by-value candidates or
	// the named references. (A flag, not a name to keep: "" is a label key
	// a raw pdata map can hold, so no name can mean "none".)
	remove      bool
	byValue     bool
	keepLone    bool
	removeTrace pcommon.TraceID
	removeSpan  pcommon.SpanID
}

// Removes reports whether the plan drops the reference label l: a label
// goes when every ID it holds is now in the fields (or in the
// LoneTraceIDKey label). Labels that are no reference always stay.
func (p *Plan) Removes(l *Label) bool {
	if !p.remove || l.ByValue != p.byValue || l.Ref.Problem != traceref.OK || p.keepLone && l.Name == LoneTraceIDKey {
		return false
	}
	switch l.Ref.Kind {
	case traceref.TraceIDLabel:
		return l.Ref.TraceID == p.removeTrace
	case traceref.SpanIDLabel:
		return l.Ref.SpanID == p.removeSpan
	default:
		return l.Ref.TraceID == p.removeTrace && l.Ref.SpanID == p.removeSpan
	}
}
