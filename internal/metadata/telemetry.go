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
	MetricBatchesHeld       = "otelcol_processor_exemplar_link_batches_held"
	MetricBatchHoldDuration = "otelcol_processor_exemplar_link_batch_hold_duration"
	MetricBatchesNotHeld    = "otelcol_processor_exemplar_link_batches_not_held"
	MetricReleaseErrors     = "otelcol_processor_exemplar_link_release_errors"
	MetricLinksChecked      = "otelcol_processor_exemplar_link_links_checked"
)

// Attribute keys of the telemetry metrics, and their descriptions.
const (
	AttributeSource             = "source"
	AttributeSourceDescription  = "How the exemplar got linked."
	AttributeReason             = "reason"
	AttributeReasonDescription  = "Why an exemplar that references a trace was left unlinked."
	AttributeRelease            = "release"
	AttributeReleaseDescription = "Why a held batch left."
	AttributeBound              = "bound"
	AttributeBoundDescription   = "The bound that was reached."
	AttributeResult             = "result"
	AttributeResultDescription  = "Whether the span of a link was seen in the traces pipeline."
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
	ProcessorExemplarLinkBatchesHeld       metric.Int64Counter
	ProcessorExemplarLinkBatchHoldDuration metric.Float64Histogram
	ProcessorExemplarLinkBatchesNotHeld    metric.Int64Counter
	ProcessorExemplarLinkReleaseErrors     metric.Int64Counter
	ProcessorExemplarLinkLinksChecked      metric.Int64Counter
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
	builder.ProcessorExemplarLinkBatchesHeld, err = builder.meter.Int64Counter(
		MetricBatchesHeld,
		metric.WithDescription("Batches held for spans, or behind an earlier held batch of their resource, counted when they leave. [Alpha]"),
		metric.WithUnit("{batch}"),
	)
	errs = errors.Join(errs, err)
	builder.ProcessorExemplarLinkBatchHoldDuration, err = builder.meter.Float64Histogram(
		MetricBatchHoldDuration,
		metric.WithDescription("How long a held batch was held. [Alpha]"),
		metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(HoldDurationBuckets...),
	)
	errs = errors.Join(errs, err)
	builder.ProcessorExemplarLinkBatchesNotHeld, err = builder.meter.Int64Counter(
		MetricBatchesNotHeld,
		metric.WithDescription("Batches that passed without waiting for spans because a bound on held batches was reached. [Alpha]"),
		metric.WithUnit("{batch}"),
	)
	errs = errors.Join(errs, err)
	builder.ProcessorExemplarLinkReleaseErrors, err = builder.meter.Int64Counter(
		MetricReleaseErrors,
		metric.WithDescription("Held batches the next consumer refused after their release; the error is logged, not returned to the sender. [Alpha]"),
		metric.WithUnit("{batch}"),
	)
	errs = errors.Join(errs, err)
	builder.ProcessorExemplarLinkLinksChecked, err = builder.meter.Int64Counter(
		MetricLinksChecked,
		metric.WithDescription("Distinct linked exemplars checked against the spans of the traces pipeline, resolved when the span was seen and dangling when it was not seen within dangling_after. [Alpha]"),
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
	AttributeReasonInvalidValue    = "invalid_value"
	AttributeReasonZeroID          = "zero_id"
	AttributeReasonMissingSpanID   = "missing_span_id"
	AttributeReasonMissingTraceID  = "missing_trace_id"
	AttributeReasonConflict        = "conflict"
	AttributeReasonAmbiguous       = "ambiguous"
	AttributeReasonUnsampled       = "unsampled"
	AttributeReasonTraceNotSeen    = "trace_not_seen"
	AttributeReasonSpanNotFound    = "span_not_found"
	AttributeReasonNoEntrySpan     = "no_entry_span"
	AttributeReasonSpanNotExported = "span_not_exported"
)

// AttributeSourceValues and AttributeReasonValues list each enum in order.
var (
	AttributeSourceValues = []string{AttributeSourceIDLabel, AttributeSourceTraceparent, AttributeSourceUberTraceID, AttributeSourceB3, AttributeSourceExemplarFields, AttributeSourceByValue, AttributeSourceTraces}
	AttributeReasonValues = []string{AttributeReasonInvalidValue, AttributeReasonZeroID, AttributeReasonMissingSpanID, AttributeReasonMissingTraceID, AttributeReasonConflict, AttributeReasonAmbiguous, AttributeReasonUnsampled, AttributeReasonTraceNotSeen, AttributeReasonSpanNotFound, AttributeReasonNoEntrySpan, AttributeReasonSpanNotExported}
)

// HoldDurationBuckets are the hold-duration histogram's bucket boundaries
// in seconds, as metadata.yaml lists them: fine around the default 6 s
// wait.
var HoldDurationBuckets = []float64{0.01, 0.1, 0.5, 1, 2, 3, 4, 5, 6, 8, 10, 20, 30, 60}

// Values of the release attribute, in the order of metadata.yaml's enum.
const (
	AttributeReleaseResolved = "resolved"
	AttributeReleaseTimeout  = "timeout"
	AttributeReleaseBehind   = "behind"
	AttributeReleaseBound    = "bound"
	AttributeReleaseShutdown = "shutdown"
)

// Values of the bound attribute, in the order of metadata.yaml's enum.
const (
	AttributeBoundMaxHeldBatches = "max_held_batches"
	AttributeBoundMaxHeldBytes   = "max_held_bytes"
)

// AttributeReleaseValues and AttributeBoundValues list each enum in order.
var (
	AttributeReleaseValues = []string{AttributeReleaseResolved, AttributeReleaseTimeout, AttributeReleaseBehind, AttributeReleaseBound, AttributeReleaseShutdown}
	AttributeBoundValues   = []string{AttributeBoundMaxHeldBatches, AttributeBoundMaxHeldBytes}
)

// Values of the result attribute, in the order of metadata.yaml's enum.
const (
	AttributeResultResolved = "resolved"
	AttributeResultDangling = "dangling"
)

// AttributeResultValues lists the result enum in order.
var AttributeResultValues = []string{AttributeResultResolved, AttributeResultDangling}
