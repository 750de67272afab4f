package gcpstandin

import (
	"errors"
	"strings"

	"cloud.google.com/go/monitoring/apiv3/v2/monitoringpb"
	distributionpb "google.golang.org/genproto/googleapis/api/distribution"
)

// SpanName returns the span_name of the exemplar's SpanContext attachment
// (projects/P/traces/T/spans/S), or "" if it has none.
func SpanName(ex *distributionpb.Distribution_Exemplar) string {
	for _, a := range ex.GetAttachments() {
		if !a.MessageIs(&monitoringpb.SpanContext{}) {
			continue
		}
		var sc monitoringpb.SpanContext
		if err := a.UnmarshalTo(&sc); err == nil {
			return sc.GetSpanName()
		}
	}
	return ""
}

// DroppedLabels returns the labels of the exemplar's DroppedLabels
// attachment, or nil if it has none.
func DroppedLabels(ex *distributionpb.Distribution_Exemplar) map[string]string {
	for _, a := range ex.GetAttachments() {
		if !a.MessageIs(&monitoringpb.DroppedLabels{}) {
			continue
		}
		var dl monitoringpb.DroppedLabels
		if err := a.UnmarshalTo(&dl); err == nil {
			return dl.GetLabel()
		}
	}
	return nil
}

// ErrNoSpanContext is returned by ParseSpanName for a name that is not
// projects/P/traces/T/spans/S.
var ErrNoSpanContext = errors.New("gcpstandin: not a span name of the form projects/P/traces/T/spans/S")

// ParseSpanName splits projects/P/traces/T/spans/S into its parts.
func ParseSpanName(name string) (project, traceID, spanID string, err error) {
	parts := strings.Split(name, "/")
	if len(parts) != 6 || parts[0] != "projects" || parts[2] != "traces" || parts[4] != "spans" ||
		parts[1] == "" || parts[3] == "" || parts[5] == "" {
		return "", "", "", ErrNoSpanContext
	}
	return parts[1], parts[3], parts[5], nil
}
