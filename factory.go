package exemplarlinkprocessor // import "github.com/exemplarlink/exemplarlinkprocessor"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"

	"github.com/exemplarlink/exemplarlinkprocessor/internal/metadata"
)

// NewFactory returns the factory of the exemplar_link processor. The
// instances one factory creates for the same component ID in metrics and
// traces pipelines share one span index (see shared.go).
func NewFactory() processor.Factory {
	return newFactory(newSharedLinks())
}

func newFactory(links *sharedLinks) processor.Factory {
	return processor.NewFactory(
		metadata.Type,
		createDefaultConfig,
		processor.WithMetrics(links.createMetricsProcessor, metadata.MetricsStability),
		processor.WithTraces(links.createTracesProcessor, metadata.TracesStability),
	)
}

func createDefaultConfig() component.Config {
	return &Config{
		BuiltinLabelNames:     defaultBuiltinLabelNames,
		Pad64BitTraceIDs:      defaultPad64BitTraceIDs,
		OverwriteExistingIDs:  defaultOverwriteExistingIDs,
		TraceOnlyExemplars:    defaultTraceOnlyExemplars,
		DetectIDsByValue:      defaultDetectIDsByValue,
		LinkUnsampled:         defaultLinkUnsampled,
		SummaryInterval:       defaultSummaryInterval,
		LinkOnlyExportedSpans: defaultLinkOnlyExported,
		DanglingAfter:         defaultDanglingAfter,
		SpanIndex: SpanIndexConfig{
			MaxSpans:        defaultSpanIndexMaxSpans,
			MaxAge:          defaultSpanIndexMaxAge,
			MaxResolutions:  defaultSpanIndexMaxResolutions,
			MaxCheckedLinks: defaultSpanIndexMaxCheckedLinks,
		},
		Wait: WaitConfig{
			MaxWait:        defaultWaitMaxWait,
			MaxHeldBatches: defaultWaitMaxHeldBatches,
			MaxHeldBytes:   defaultWaitMaxHeldBytes,
		},
	}
}

func (links *sharedLinks) createMetricsProcessor(
	ctx context.Context,
	set processor.Settings,
	cfg component.Config,
	next consumer.Metrics,
) (processor.Metrics, error) {
	p, err := newExemplarLinkProcessor(cfg.(*Config), set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	p.links, p.id = links, set.ID
	if p.cfg.Wait.MaxWait > 0 {
		p.holder = newHolder(p, next)
		next = p.holder
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
