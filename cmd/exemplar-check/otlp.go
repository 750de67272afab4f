package main

// The traces side (--otlp, --otlp-http): an OTLP receiver for the app's
// spans, in front of exemplar_link in a traces pipeline (the same component
// ID as in the metrics pipeline, so they share the span index as in a
// collector) and the real googlecloud exporter, which writes to a Cloud
// Trace stand-in. Whether a link resolves is then read from what that
// stand-in received: the span the app exported, or none.

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/googlecloudexporter"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.uber.org/zap"

	"github.com/exemplarlink/exemplarlinkprocessor/gcpstandin"
)

// defaultSpanWait is --span-wait's default: the OpenTelemetry SDKs'
// BatchSpanProcessor sends a span up to its schedule delay
// (OTEL_BSP_SCHEDULE_DELAY, 5 s) after the span ended, and the scrape that
// carries the span's exemplar may come before that; 10 s covers the delay,
// the export and a busy machine, as exemplar_link's dangling_after does.
const defaultSpanWait = 10 * time.Second

// maxSpanWait bounds --span-wait.
const maxSpanWait = 2 * time.Minute

// spanSettings configure the traces side.
type spanSettings struct {
	GRPC, HTTP string
	Project    string
	// Replay is the replay's traces side (replay.go), handed every span
	// too, so that a trace-only exemplar replayed alone finds its span.
	Replay consumer.Traces
}

// tracesSide is the check's traces pipeline.
type tracesSide struct {
	cloudTrace *gcpstandin.Server
	rcv        receiver.Traces
	exp        exporter.Traces
	proc       processor.Traces
	// startedAt is when the receiver started listening: an exemplar older
	// than that may name a span the app sent before the check could hear.
	startedAt time.Time

	// spans counts the spans received; arrived is signalled after each
	// export to the Cloud Trace stand-in.
	spans   atomic.Int64
	arrived chan struct{}
	errMu   sync.Mutex
	err     error // the exporter's first error
}

// newTracesSide creates the traces pipeline: receiver → (replay's traces
// side, exemplar_link of the component ID id → googlecloud exporter). It
// is started by start.
func newTracesSide(ctx context.Context, set spanSettings, pf processor.Factory, id component.ID, procCfg component.Config) (*tracesSide, error) {
	cloudTrace, err := gcpstandin.Start()
	if err != nil {
		return nil, fmt.Errorf("start the Cloud Trace stand-in: %w", err)
	}
	t := &tracesSide{cloudTrace: cloudTrace, arrived: make(chan struct{}, 1)}
	nop := zap.NewNop()

	ef := googlecloudexporter.NewFactory()
	ecfg := ef.CreateDefaultConfig()
	// As newExporter: plaintext gRPC to the stand-in, no credentials, no
	// sending queue (a span is in Cloud Trace when ConsumeTraces returns).
	if err := unmarshalInto(ecfg, map[string]any{
		"project":       set.Project,
		"trace":         map[string]any{"endpoint": cloudTrace.Addr(), "use_insecure": true},
		"sending_queue": map[string]any{"enabled": false},
	}); err != nil {
		cloudTrace.Stop()
		return nil, fmt.Errorf("googlecloud config: %w", err)
	}
	t.exp, err = ef.CreateTraces(ctx, exporter.Settings{
		ID:                component.NewID(ef.Type()),
		TelemetrySettings: telemetrySettings(nop),
		BuildInfo:         component.NewDefaultBuildInfo(),
	}, ecfg)
	if err != nil {
		cloudTrace.Stop()
		return nil, fmt.Errorf("googlecloud exporter: %w", err)
	}
	toCloudTrace, err := consumer.NewTraces(t.export)
	if err != nil {
		cloudTrace.Stop()
		return nil, err
	}
	t.proc, err = pf.CreateTraces(ctx, processor.Settings{
		ID:                id,
		TelemetrySettings: telemetrySettings(nop),
		BuildInfo:         component.NewDefaultBuildInfo(),
	}, procCfg, toCloudTrace)
	if err != nil {
		cloudTrace.Stop()
		return nil, fmt.Errorf("exemplar_link (traces): %w", err)
	}

	rf := otlpreceiver.NewFactory()
	rcfg := rf.CreateDefaultConfig()
	protocols := map[string]any{}
	if set.GRPC != "" {
		protocols["grpc"] = map[string]any{"endpoint": set.GRPC}
	}
	if set.HTTP != "" {
		protocols["http"] = map[string]any{"endpoint": set.HTTP}
	}
	if err := unmarshalInto(rcfg, map[string]any{"protocols": protocols}); err != nil {
		cloudTrace.Stop()
		return nil, usageError{"--otlp: " + oneLine(err.Error())}
	}
	tee, err := consumer.NewTraces(func(ctx context.Context, td ptrace.Traces) error {
		t.spans.Add(int64(td.SpanCount()))
		// exemplar_link's traces side and the exporter read the spans
		// and change nothing, so both may have the same batch.
		return errors.Join(set.Replay.ConsumeTraces(ctx, td), t.proc.ConsumeTraces(ctx, td))
	})
	if err != nil {
		cloudTrace.Stop()
		return nil, err
	}
	t.rcv, err = rf.CreateTraces(ctx, receiver.Settings{
		ID:                component.NewID(rf.Type()),
		TelemetrySettings: telemetrySettings(nop),
		BuildInfo:         component.NewDefaultBuildInfo(),
	}, rcfg, tee)
	if err != nil {
		cloudTrace.Stop()
		return nil, fmt.Errorf("otlp receiver: %w", err)
	}
	return t, nil
}

// export sends spans on to Cloud Trace and tells the waiting check.
func (t *tracesSide) export(ctx context.Context, td ptrace.Traces) error {
	err := t.exp.ConsumeTraces(ctx, td)
	if err != nil {
		t.errMu.Lock()
		if t.err == nil {
			t.err = err
		}
		t.errMu.Unlock()
	}
	select {
	case t.arrived <- struct{}{}:
	default:
	}
	return err
}

// components lists the pipeline's components in start order (downstream
// first).
func (t *tracesSide) components() []component.Component {
	return []component.Component{t.exp, t.proc, t.rcv}
}

// exportErr is the googlecloud exporter's first error, if any.
func (t *tracesSide) exportErr() error {
	t.errMu.Lock()
	defer t.errMu.Unlock()
	return t.err
}

// stop ends the Cloud Trace stand-in, after the components were shut down.
func (t *tracesSide) stop() { t.cloudTrace.Stop() }

// exported reports whether Cloud Trace received the span of the link
// spanName (projects/P/traces/T/spans/S).
func (t *tracesSide) exported(spanName string) bool {
	return t.cloudTrace.Span(spanName) != nil
}

// awaitSpans waits until Cloud Trace has the span of every link in names,
// or wait has passed, and returns which have theirs. Spans come when the
// app's SDK sends them (BatchSpanProcessor: up to 5 s after the request by
// default), so the check gives them that time, and no more than wait.
func (t *tracesSide) awaitSpans(ctx context.Context, names []string, wait time.Duration) map[string]bool {
	got := make(map[string]bool, len(names))
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		missing := 0
		for _, n := range names {
			if !got[n] && t.exported(n) {
				got[n] = true
			}
			if !got[n] {
				missing++
			}
		}
		if missing == 0 {
			return got
		}
		select {
		case <-t.arrived:
		case <-deadline.C:
			return got
		case <-ctx.Done():
			return got
		}
	}
}
