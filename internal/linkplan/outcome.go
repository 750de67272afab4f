package linkplan

import "github.com/exemplarlink/exemplarlinkprocessor/internal/metadata"

// The outcome vocabulary: how a linked exemplar got linked (Source) and why
// an unlinked one was not (Reason), as counted and logged. The values are
// the telemetry attributes metadata.yaml declares.

// Source is how an exemplar got linked: where its trace ID came from, or
// SourceTraces when its span was found among the spans the processor saw.
type Source uint8

const (
	SourceIDLabel Source = iota
	SourceTraceparent
	SourceUberTraceID
	SourceB3
	SourceExemplarFields
	SourceByValue
	SourceTraces
	NumSources
)

// String returns the telemetry attribute value.
func (s Source) String() string { return metadata.AttributeSourceValues[s] }

// Reason is why an exemplar that references a trace was left unlinked.
type Reason uint8

const (
	ReasonInvalidValue Reason = iota
	ReasonZeroID
	ReasonMissingSpanID
	ReasonMissingTraceID
	ReasonConflict
	ReasonAmbiguous
	ReasonUnsampled
	// The exemplar has a trace ID and no span ID, and the processor also
	// sees spans: none of its trace was seen (ReasonTraceNotSeen), none
	// was active at its timestamp (ReasonSpanNotFound), or it has no
	// timestamp and the trace no single entry span (ReasonNoEntrySpan;
	// several are ReasonAmbiguous).
	ReasonTraceNotSeen
	ReasonSpanNotFound
	ReasonNoEntrySpan
	// The exemplar names both IDs, LinkOnlyExported is set, and its span
	// was not seen in the traces pipeline within the wait.
	ReasonSpanNotExported
	NumReasons
)

// String returns the telemetry attribute value.
func (r Reason) String() string { return metadata.AttributeReasonValues[r] }
