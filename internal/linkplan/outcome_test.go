package linkplan

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/exemplarlink/exemplarlinkprocessor/internal/metadata"
)

func TestEnumNames(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "exemplar_fields", SourceExemplarFields.String())
	assert.Equal(t, "missing_span_id", ReasonMissingSpanID.String())
}

// TestEveryValueIsDeclared holds each Source and Reason to the attribute
// value it is counted under (String indexes metadata's enum lists, so a
// constant moved in one list and not the other would count under another
// value) and every constant to a value.
func TestEveryValueIsDeclared(t *testing.T) {
	t.Parallel()
	sources := map[Source]string{
		SourceIDLabel:        "id_label",
		SourceTraceparent:    "traceparent",
		SourceUberTraceID:    "uber_trace_id",
		SourceB3:             "b3",
		SourceExemplarFields: "exemplar_fields",
		SourceByValue:        "by_value",
		SourceTraces:         "traces",
	}
	reasons := map[Reason]string{
		ReasonInvalidValue:    "invalid_value",
		ReasonZeroID:          "zero_id",
		ReasonMissingSpanID:   "missing_span_id",
		ReasonMissingTraceID:  "missing_trace_id",
		ReasonConflict:        "conflict",
		ReasonAmbiguous:       "ambiguous",
		ReasonUnsampled:       "unsampled",
		ReasonTraceNotSeen:    "trace_not_seen",
		ReasonSpanNotFound:    "span_not_found",
		ReasonNoEntrySpan:     "no_entry_span",
		ReasonSpanNotExported: "span_not_exported",
	}
	require.Len(t, sources, int(NumSources))
	require.Len(t, metadata.AttributeSourceValues, int(NumSources))
	for s, want := range sources {
		assert.Equal(t, want, s.String())
	}
	require.Len(t, reasons, int(NumReasons))
	require.Len(t, metadata.AttributeReasonValues, int(NumReasons))
	for r, want := range reasons {
		assert.Equal(t, want, r.String())
	}
}
