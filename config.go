package exemplarlinkprocessor // import "github.com/exemplarlink/exemplarlinkprocessor"

import (
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/confmap"

	"github.com/exemplarlink/exemplarlinkprocessor/internal/linkcheck"
	"github.com/exemplarlink/exemplarlinkprocessor/internal/spanindex"
)

// TraceOnlyMode says where a trace ID goes when an exemplar has no span ID.
type TraceOnlyMode string

const (
	// TraceOnlyLabel keeps the trace ID in a "trace_id" label (32 lower-case
	// hex digits) and leaves the TraceID field empty. Exporters that link
	// only exemplars with both IDs (googlemanagedprometheus) then keep it as
	// a label instead of dropping it; prometheusremotewrite writes the label
	// as it is. The prometheus exporter drops every exemplar label but the
	// fields' IDs, so it loses the trace ID in this mode (README
	// "Prometheus, Mimir and Grafana").
	TraceOnlyLabel TraceOnlyMode = "label"
	// TraceOnlyField puts the trace ID in the exemplar's TraceID field, as
	// OTLP defines it: what the prometheus exporter needs.
	// googlemanagedprometheus drops it there.
	TraceOnlyField TraceOnlyMode = "field"
)

// Defaults, used by createDefaultConfig and stated in the README.
const (
	defaultBuiltinLabelNames    = true
	defaultPad64BitTraceIDs     = true
	defaultOverwriteExistingIDs = false
	defaultTraceOnlyExemplars   = TraceOnlyLabel
	defaultDetectIDsByValue     = false
	defaultLinkUnsampled        = false
	defaultSummaryInterval      = time.Minute
	defaultLinkOnlyExported     = false
	// defaultDanglingAfter covers the SDK's 5 s export delay after the
	// request, the wait (6 s) having started at the scrape, after the
	// request: a span exported at all arrives well within it.
	defaultDanglingAfter = 10 * time.Second

	defaultSpanIndexMaxSpans        = spanindex.DefaultMaxSpans
	defaultSpanIndexMaxAge          = spanindex.DefaultMaxAge
	defaultSpanIndexMaxResolutions  = spanindex.DefaultMaxResolutions
	defaultSpanIndexMaxCheckedLinks = linkcheck.DefaultMaxLinks
)

// Config configures the exemplar_link processor.
type Config struct {
	// BuiltinLabelNames recognises the usual spellings of trace and span ID
	// labels (trace_id, traceID, TraceId, TRACE-ID, trace.id, span_id, ...)
	// and of trace-context labels (traceparent, uber-trace-id, b3), in any
	// letter case.
	BuiltinLabelNames bool `mapstructure:"builtin_label_names"`

	// TraceIDLabels are further label names, matched exactly, whose values
	// are trace IDs.
	TraceIDLabels []string `mapstructure:"trace_id_labels"`

	// SpanIDLabels are further label names, matched exactly, whose values
	// are span IDs.
	SpanIDLabels []string `mapstructure:"span_id_labels"`

	// TraceContextLabels are further label names, matched exactly, whose
	// values are whole trace contexts (W3C traceparent, Jaeger
	// uber-trace-id or B3 single; told apart by the value).
	TraceContextLabels []string `mapstructure:"trace_context_labels"`

	// Pad64BitTraceIDs accepts 64-bit trace IDs (16 hex digits) and
	// left-pads them with zeros to 128 bits, as Jaeger and B3 do.
	Pad64BitTraceIDs bool `mapstructure:"pad_64bit_trace_ids"`

	// OverwriteExistingIDs lets a label replace a TraceID or SpanID the
	// exemplar already has. Off, such a label is kept and counted as a
	// conflict.
	OverwriteExistingIDs bool `mapstructure:"overwrite_existing_ids"`

	// TraceOnlyExemplars says where the trace ID of an exemplar without a
	// span ID goes: "label" or "field".
	TraceOnlyExemplars TraceOnlyMode `mapstructure:"trace_only_exemplars"`

	// DetectIDsByValue looks for IDs in the values of the other labels of
	// an exemplar that has no recognised or configured reference label and
	// no ID in its fields: exactly one value holding a trace ID (32 hex
	// digits, or a trace context with a 32-digit trace ID) and at most one
	// other holding a 16-digit span ID are linked. Anything ambiguous is
	// left as it came and counted as "ambiguous".
	DetectIDsByValue bool `mapstructure:"detect_ids_by_value"`

	// LinkUnsampled links exemplars whose trace context says the span was
	// not sampled (traceparent flags 00, B3 sampled 0, uber-trace-id flags
	// without the sampled bit). Off, they are left as they came and counted
	// as "unsampled": their link would open no trace.
	LinkUnsampled bool `mapstructure:"link_unsampled"`

	// SummaryInterval is how often, at most, the processor logs a summary
	// of linked and unlinked exemplars at Info level. 0 turns it off.
	SummaryInterval time.Duration `mapstructure:"summary_interval"`

	// LinkOnlyExportedSpans links an exemplar only when its span passed the
	// traces pipeline (waiting for it as for trace-only exemplars);
	// otherwise its IDs stay as trace_id/span_id labels (span_not_exported).
	// Only with a traces pipeline.
	LinkOnlyExportedSpans bool `mapstructure:"link_only_exported_spans"`

	// DanglingAfter is how long after a linked exemplar leaves its span may
	// still pass the traces pipeline before the link counts as dangling
	// (links_checked). Only with a traces pipeline.
	DanglingAfter time.Duration `mapstructure:"dangling_after"`

	// SpanIndex bounds the spans kept when the processor is also listed in
	// a traces pipeline; metrics-only, it is not used.
	SpanIndex SpanIndexConfig `mapstructure:"span_index"`

	// Wait bounds how long and how much is held for spans that arrive
	// after the scrape (config_wait.go).
	Wait WaitConfig `mapstructure:"wait"`

	// Prevent unkeyed literal initialization.
	_ struct{}
}

// SpanIndexConfig bounds the memory of trace-aware linking: the spans that
// passed the traces side, among which a trace-only exemplar's span is
// chosen, and the exemplars already linked that way.
type SpanIndexConfig struct {
	// MaxSpans is how many spans are kept (about 60 bytes each); the
	// oldest is evicted first.
	MaxSpans int `mapstructure:"max_spans"`

	// MaxAge evicts spans this long after they passed. It should cover a
	// scrape interval plus the SDK's export delay (5 s by default).
	MaxAge time.Duration `mapstructure:"max_age"`

	// MaxResolutions is how many linked trace-only exemplars are
	// remembered (48 bytes each), so that an exemplar a target re-exposes
	// stays linked after its spans were evicted. 0 turns that off.
	MaxResolutions int `mapstructure:"max_resolutions"`

	// MaxCheckedLinks is how many distinct linked exemplars are remembered
	// (72 bytes each) so that each is checked once (links_checked). 0
	// turns checking off.
	MaxCheckedLinks int `mapstructure:"max_checked_links"`

	// Prevent unkeyed literal initialization.
	_ struct{}
}

var _ confmap.Validator = (*Config)(nil)

// Validate checks the configuration; its errors name the offending key.
func (cfg *Config) Validate() error {
	var errs error
	seen := make(map[string]string)
	for _, list := range []struct {
		key   string
		names []string
	}{
		{"trace_id_labels", cfg.TraceIDLabels},
		{"span_id_labels", cfg.SpanIDLabels},
		{"trace_context_labels", cfg.TraceContextLabels},
	} {
		for _, name := range list.names {
			if name == "" {
				errs = errors.Join(errs, fmt.Errorf("%s: %q is not a label name", list.key, name))
				continue
			}
			switch firstKey, dup := seen[name]; {
			case dup && firstKey == list.key:
				errs = errors.Join(errs, fmt.Errorf("%s: %q is listed twice", list.key, name))
			case dup:
				errs = errors.Join(errs, fmt.Errorf("%s: %q is also listed in %s", list.key, name, firstKey))
			default:
				seen[name] = list.key
			}
		}
	}
	if !cfg.BuiltinLabelNames && len(cfg.TraceIDLabels) == 0 && len(cfg.TraceContextLabels) == 0 {
		errs = errors.Join(errs, errors.New("builtin_label_names: is false, so trace_id_labels or trace_context_labels must name at least one label"))
	}
	switch cfg.TraceOnlyExemplars {
	case TraceOnlyLabel, TraceOnlyField:
	default:
		errs = errors.Join(errs, fmt.Errorf("trace_only_exemplars: %q is not one of %q, %q", cfg.TraceOnlyExemplars, TraceOnlyLabel, TraceOnlyField))
	}
	if cfg.SummaryInterval < 0 {
		errs = errors.Join(errs, fmt.Errorf("summary_interval: must not be negative, got %s", cfg.SummaryInterval))
	}
	// A span that came after the link must still be in the index when the
	// link is judged; a max_age too short is reported on its own.
	if cfg.DanglingAfter < time.Second || cfg.SpanIndex.MaxAge >= time.Second && cfg.DanglingAfter > cfg.SpanIndex.MaxAge {
		errs = errors.Join(errs, fmt.Errorf("dangling_after: must be between 1s and span_index::max_age (%s), got %s", cfg.SpanIndex.MaxAge, cfg.DanglingAfter))
	}
	return errors.Join(errs, cfg.SpanIndex.validate(), cfg.Wait.validate())
}

func (c *SpanIndexConfig) validate() error {
	var errs error
	if c.MaxSpans < 1 || c.MaxSpans > spanindex.MaxMaxSpans {
		errs = errors.Join(errs, fmt.Errorf("span_index::max_spans: must be between 1 and %d, got %d", spanindex.MaxMaxSpans, c.MaxSpans))
	}
	if c.MaxAge < time.Second {
		errs = errors.Join(errs, fmt.Errorf("span_index::max_age: must be at least 1s, got %s", c.MaxAge))
	}
	if c.MaxResolutions < 0 || c.MaxResolutions > spanindex.MaxMaxSpans {
		errs = errors.Join(errs, fmt.Errorf("span_index::max_resolutions: must be between 0 and %d, got %d", spanindex.MaxMaxSpans, c.MaxResolutions))
	}
	if c.MaxCheckedLinks < 0 || c.MaxCheckedLinks > spanindex.MaxMaxSpans {
		errs = errors.Join(errs, fmt.Errorf("span_index::max_checked_links: must be between 0 and %d, got %d", spanindex.MaxMaxSpans, c.MaxCheckedLinks))
	}
	return errs
}
