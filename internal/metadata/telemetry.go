package metadata

import (
	"errors"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"go.opentelemetry.io/collector/component"
)

// Metric names, as mdatagen derives them from metadata.yaml: "otelcol_"
// followed by the key under telemetry.metrics.
const (
	MetricExemplarsLinked   = "otelcol_processor_exemplar_link_exemplars_linked"
	MetricExemplarsUnlinked = "otelcol_processor_exemplar_link_exemplars_unlinked"
)

// Attribute keys of the telemetry metrics, and their descriptions.
const (
	AttributeSource            = "source"
	AttributeSourceDescription = "How the exemplar got linked."
	AttributeReason            = "reason"
	AttributeReasonDescription = "Why an exemplar that references a trace was left unlinked."
)

func Meter(settings component.TelemetrySettings) metric.Meter {
	return settings.MeterProvider.Meter(ScopeName)
}

func Tracer(settings component.TelemetrySettings) trace.Tracer {
	return settings.TracerProvider.Tracer(ScopeName)
}

// TelemetryBuilder holds the component's internal telemetry instruments.
type TelemetryBuilder struct {
	meter                                  metric.Meter
	ProcessorExemplarLinkExemplarsLinked   metric.Int64Counter
	ProcessorExemplarLinkExemplarsUnlinked metric.Int64Counter
}

// Shutdown exists for parity with generated builders; this component has no
// asynchronous instruments to unregister.
func (builder *TelemetryBuilder) Shutdown() {}

// NewTelemetryBuilder creates every instrument declared in metadata.yaml.
func NewTelemetryBuilder(settings component.TelemetrySettings) (*TelemetryBuilder, error) {
	builder := TelemetryBuilder{meter: Meter(settings)}
	var err, errs error
	builder.ProcessorExemplarLinkExemplarsLinked, err = builder.meter.Int64Counter(
		MetricExemplarsLinked,
		metric.WithDescription("Exemplars that leave the processor with both a trace ID and a span ID. [Alpha]"),
		metric.WithUnit("{exemplar}"),
	)
	errs = errors.Join(errs, err)
	builder.ProcessorExemplarLinkExemplarsUnlinked, err = builder.meter.Int64Counter(
		MetricExemplarsUnlinked,
		metric.WithDescription("Exemplars that reference a trace but leave the processor without both IDs. [Alpha]"),
		metric.WithUnit("{exemplar}"),
	)
	errs = errors.Join(errs, err)
	return &builder, errs
}

// Values of the source attribute, in the order of metadata.yaml's enum.
const (
	AttributeSourceIDLabel        = "id_label"
	AttributeSourceTraceparent    = "traceparent"
	AttributeSourceUberTraceID    = "uber_trace_id"
	AttributeSourceB3             = "b3"
	AttributeSourceExemplarFields = "exemplar_fields"
	AttributeSourceByValue        = "by_value"
	AttributeSourceTraces         = "traces"
)

// Values of the reason attribute, in the order of metadata.yaml's enum.
const (
	AttributeReasonInvalidValue   = "invalid_value"
	AttributeReasonZeroID         = "zero_id"
	AttributeReasonMissingSpanID  = "missing_span_id"
	AttributeReasonMissingTraceID = "missing_trace_id"
	AttributeReasonConflict       = "conflict"
	AttributeReasonAmbiguous      = "ambiguous"
	AttributeReasonUnsampled      = "unsampled"
	AttributeReasonTraceNotSeen   = "trace_not_seen"
	AttributeReasonSpanNotFound   = "span_not_found"
	AttributeReasonNoEntrySpan    = "no_entry_span"
)

// AttributeSourceValues and AttributeReasonValues list each enum in order.
var (
	AttributeSourceValues = []string{AttributeSourceIDLabel, AttributeSourceTraceparent, AttributeSourceUberTraceID, AttributeSourceB3, AttributeSourceExemplarFields, AttributeSourceByValue, AttributeSourceTraces}
	AttributeReasonValues = []string{AttributeReasonInvalidValue, AttributeReasonZeroID, AttributeReasonMissingSpanID, AttributeReasonMissingTraceID, AttributeReasonConflict, AttributeReasonAmbiguous, AttributeReasonUnsampled, AttributeReasonTraceNotSeen, AttributeReasonSpanNotFound, AttributeReasonNoEntrySpan}
)
