package exemplarlinkprocessor // import "github.com/exemplarlink/exemplarlinkprocessor"

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/exemplarlink/exemplarlinkprocessor/internal/linkplan"
	"github.com/exemplarlink/exemplarlinkprocessor/internal/linksummary"
	"github.com/exemplarlink/exemplarlinkprocessor/internal/metadata"
)

// This file holds what the processor tells the outside: its counters, its
// start line, and the debug line per exemplar. The summary line is
// linksummary's.

// The result attribute of links_checked, in metadata.AttributeResultValues
// order.
const (
	resultResolved = iota
	resultDangling
	numResults
)

// buildCountOptions builds the counters' attribute sets once.
func (p *exemplarLinkProcessor) buildCountOptions() {
	for r := range p.checkedOptions {
		p.checkedOptions[r] = metric.WithAttributeSet(attribute.NewSet(
			attribute.String(metadata.AttributeResult, metadata.AttributeResultValues[r])))
	}
	for s := range p.linkedOptions {
		p.linkedOptions[s] = metric.WithAttributeSet(attribute.NewSet(
			attribute.String(metadata.AttributeSource, linkplan.Source(s).String())))
	}
	for r := range p.unlinkedOptions {
		p.unlinkedOptions[r] = metric.WithAttributeSet(attribute.NewSet(
			attribute.String(metadata.AttributeReason, linkplan.Reason(r).String())))
	}
}

func (p *exemplarLinkProcessor) logStart() {
	p.logger.Info("Exemplar link processor started",
		zap.Bool("builtin_label_names", p.cfg.BuiltinLabelNames),
		zap.Strings("trace_id_labels", p.cfg.TraceIDLabels),
		zap.Strings("span_id_labels", p.cfg.SpanIDLabels),
		zap.Strings("trace_context_labels", p.cfg.TraceContextLabels),
		zap.Bool("pad_64bit_trace_ids", p.cfg.Pad64BitTraceIDs),
		zap.Bool("overwrite_existing_ids", p.cfg.OverwriteExistingIDs),
		zap.String("trace_only_exemplars", string(p.cfg.TraceOnlyExemplars)),
		zap.Bool("detect_ids_by_value", p.cfg.DetectIDsByValue),
		zap.Bool("link_unsampled", p.cfg.LinkUnsampled),
		zap.Bool("link_only_exported_spans", p.cfg.LinkOnlyExportedSpans),
		zap.Stringer("dangling_after", p.cfg.DanglingAfter),
		// As the config writes it ("1m"), not as zap encodes a duration
		// (seconds, a bare number in the collector's log).
		zap.Stringer("summary_interval", p.cfg.SummaryInterval),
	)
}

// record adds a batch's counts to the telemetry counters, with the
// request's context.
func (p *exemplarLinkProcessor) record(ctx context.Context, c *linksummary.Counts) {
	for s, n := range c.Linked {
		if n > 0 {
			p.telemetry.ProcessorExemplarLinkExemplarsLinked.Add(ctx, n, p.linkedOptions[s])
		}
	}
	for r, n := range c.Unlinked {
		if n > 0 {
			p.telemetry.ProcessorExemplarLinkExemplarsUnlinked.Add(ctx, n, p.unlinkedOptions[r])
		}
	}
}
