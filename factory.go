package exemplarlinkprocessor // import "github.com/exemplarlink/exemplarlinkprocessor"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"

	"github.com/exemplarlink/exemplarlinkprocessor/internal/metadata"
)

// NewFactory returns the factory of the exemplar_link processor.
func NewFactory() processor.Factory {
	return processor.NewFactory(
		metadata.Type,
		createDefaultConfig,
		processor.WithMetrics(createMetricsProcessor, metadata.MetricsStability),
	)
}

func createDefaultConfig() component.Config {
	return &Config{
		BuiltinLabelNames:    defaultBuiltinLabelNames,
		Pad64BitTraceIDs:     defaultPad64BitTraceIDs,
		OverwriteExistingIDs: defaultOverwriteExistingIDs,
		TraceOnlyExemplars:   defaultTraceOnlyExemplars,
		DetectIDsByValue:     defaultDetectIDsByValue,
		LinkUnsampled:        defaultLinkUnsampled,
		SummaryInterval:      defaultSummaryInterval,
	}
}

func createMetricsProcessor(
	ctx context.Context,
	set processor.Settings,
	cfg component.Config,
	next consumer.Metrics,
) (processor.Metrics, error) {
	p, err := newExemplarLinkProcessor(cfg.(*Config), set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	return processorhelper.NewMetrics(
		ctx,
		set,
		cfg,
		next,
		p.processMetrics,
		processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: true}),
		processorhelper.WithStart(p.start),
		processorhelper.WithShutdown(p.shutdown),
	)
}
