package e2e

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/googlemanagedprometheusexporter"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/exemplarlink/exemplarlinkprocessor"
	"github.com/exemplarlink/exemplarlinkprocessor/gcpstandin"
	"github.com/exemplarlink/exemplarlinkprocessor/internal/testing/benchdata"
)

const (
	// faultSeries makes each batch 300 histogram series, 3,000 exemplars:
	// more than the exporter's 200 time series per request, so a batch is
	// sent in two requests and one can fail while the other lands.
	faultSeries = 300
	// exportTimeout bounds each export while Cloud Monitoring is away.
	exportTimeout = 2 * time.Second
	// reconnectTimeout bounds how long the exporter may take to reach
	// Cloud Monitoring again once it is back (gRPC reconnects with backoff).
	reconnectTimeout = 45 * time.Second
)

// tap records a copy of every batch the processor emits, then passes the
// batch on to the exporter, which may change it (it mutates data).
type tap struct {
	next consumer.Metrics
	mu   sync.Mutex
	seen []pmetric.Metrics
}

func (t *tap) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (t *tap) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	snapshot := pmetric.NewMetrics()
	md.CopyTo(snapshot)
	t.mu.Lock()
	t.seen = append(t.seen, snapshot)
	t.mu.Unlock()
	return t.next.ConsumeMetrics(ctx, md)
}

func (t *tap) last() pmetric.Metrics {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.seen[len(t.seen)-1]
}

// TestDownstreamFaults runs exemplar_link in front of the real
// googlemanagedprometheus exporter while the fake Cloud Monitoring answers
// errors, fails one request of a batch, goes away and comes back. For every
// batch, what the processor emits must be exactly what a processor with a
// healthy downstream emits for it (a second instance, the reference), and
// every exemplar Cloud Monitoring accepts must carry exactly the link and
// dropped labels of the reference output: downstream faults change nothing
// the processor does, before, during or after them, and nothing it wrote
// reaches Cloud Monitoring altered.
func TestDownstreamFaults(t *testing.T) {
	ctx := context.Background()
	gcm, err := gcpstandin.Start()
	if err != nil {
		t.Fatalf("start fake Cloud Monitoring: %v", err)
	}
	addr := gcm.Addr()
	defer func() { gcm.Stop() }()

	exp := newFaultExporter(t, addr)
	taps := &tap{next: exp}
	proc := newFaultProcessor(t, taps)
	reference := new(consumertest.MetricsSink)
	refProc := newFaultProcessor(t, reference)
	for _, c := range []component.Component{exp, proc, refProc} {
		if err := c.Start(ctx, componenttest.NewNopHost()); err != nil {
			t.Fatalf("start %T: %v", c, err)
		}
	}
	defer func() {
		for _, c := range []component.Component{proc, refProc, exp} {
			if err := c.Shutdown(ctx); err != nil {
				t.Errorf("shutdown %T: %v", c, err)
			}
		}
	}()

	batch := uint64(0)
	// send processes a new batch (IDs of its own) through the pipeline and
	// through the reference, checks that the pipeline's processor emitted
	// what the reference did, and returns the reference output and the
	// export error.
	send := func(phase string) (want pmetric.Metrics, exportErr error) {
		batch++
		template := benchdata.MixedFrom(faultSeries, batch*faultSeries*benchdata.ExemplarsPerSeries)
		want = process(t, refProc, reference, template)
		md := pmetric.NewMetrics()
		template.CopyTo(md)
		exportErr = proc.ConsumeMetrics(ctx, md)
		if got := taps.last(); !sameMetrics(got, want) {
			t.Fatalf("%s: the processor emitted something other than the reference did", phase)
		}
		return want, exportErr
	}

	// 1. Healthy.
	want, err := send("healthy")
	if err != nil {
		t.Fatalf("healthy: export failed: %v", err)
	}
	checkExported(t, "healthy", gcm, want, true)

	// 2. Cloud Monitoring answers every write with an error.
	gcm.Reset()
	gcm.FailNext(-1, status.Error(codes.Unavailable, "fake outage"))
	if _, err := send("answering errors"); err == nil {
		t.Fatal("answering errors: the export reported no error")
	}
	if st := gcm.Stats(); st.Requests != 0 || st.Rejected == 0 {
		t.Fatalf("answering errors: stats %+v, want only rejected requests", st)
	}

	// 3. It fails the next request only: one of the batch's two requests.
	gcm.Reset()
	gcm.FailNext(1, status.Error(codes.Internal, "fake failure"))
	want, err = send("one request failing")
	if err == nil {
		t.Fatal("one request failing: the export reported no error")
	}
	checkExported(t, "one request failing", gcm, want, false)
	gcm.ResetFailures()

	// 4. It goes away.
	gcm.Stop()
	begin := time.Now()
	if _, err := send("gone"); err == nil {
		t.Fatal("gone: the export reported no error")
	}
	if d := time.Since(begin); d > exportTimeout+5*time.Second {
		t.Fatalf("gone: the export took %v", d)
	}

	// 5. It comes back on the same address. The exporter's connection
	// recovers with backoff; until then each attempt fails, and each is a
	// new batch that the processor must still handle exactly as before.
	if gcm, err = gcpstandin.Start(gcpstandin.WithAddr(addr)); err != nil {
		t.Fatalf("restart fake Cloud Monitoring on %s: %v", addr, err)
	}
	deadline := time.Now().Add(reconnectTimeout)
	attempts := 0
	for {
		attempts++
		want, err = send("back")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("back: the exporter did not reach Cloud Monitoring again within %v (%d attempts, last error: %v)", reconnectTimeout, attempts, err)
		}
		gcm.Reset()
		time.Sleep(250 * time.Millisecond)
	}
	checkExported(t, "back", gcm, want, true)
	t.Logf("%d batches of %d exemplars; the exporter reconnected after %d attempt(s)", batch, faultSeries*benchdata.ExemplarsPerSeries, attempts)
}

// newFaultExporter creates the googlemanagedprometheus exporter for addr:
// no sending queue, so every error reaches the caller; no cumulative
// normalisation, so every batch is sent in full; a short timeout.
func newFaultExporter(t *testing.T, addr string) exporter.Metrics {
	t.Helper()
	f := googlemanagedprometheusexporter.NewFactory()
	cfg := f.CreateDefaultConfig()
	unmarshal(t, cfg, map[string]any{
		"project": project,
		"timeout": exportTimeout.String(),
		"metric": map[string]any{
			"endpoint":                 addr,
			"use_insecure":             true,
			"cumulative_normalization": false,
		},
		"sending_queue": map[string]any{"enabled": false},
	})
	exp, err := f.CreateMetrics(context.Background(), exporter.Settings{
		ID:                component.NewIDWithName(f.Type(), "faults"),
		TelemetrySettings: componenttest.NewNopTelemetrySettings(),
		BuildInfo:         component.NewDefaultBuildInfo(),
	}, cfg)
	if err != nil {
		t.Fatalf("create exporter: %v", err)
	}
	return exp
}

func newFaultProcessor(t *testing.T, next consumer.Metrics) processor.Metrics {
	t.Helper()
	f := exemplarlinkprocessor.NewFactory()
	cfg := f.CreateDefaultConfig()
	unmarshal(t, cfg, map[string]any{})
	proc, err := f.CreateMetrics(context.Background(), processor.Settings{
		ID:                component.NewIDWithName(f.Type(), fmt.Sprintf("faults_%p", next)),
		TelemetrySettings: componenttest.NewNopTelemetrySettings(),
		BuildInfo:         component.NewDefaultBuildInfo(),
	}, cfg, next)
	if err != nil {
		t.Fatalf("create processor: %v", err)
	}
	return proc
}

// process runs a copy of template through proc, which feeds sink, and
// returns what it emitted.
func process(t *testing.T, proc processor.Metrics, sink *consumertest.MetricsSink, template pmetric.Metrics) pmetric.Metrics {
	t.Helper()
	sink.Reset()
	md := pmetric.NewMetrics()
	template.CopyTo(md)
	if err := proc.ConsumeMetrics(context.Background(), md); err != nil {
		t.Fatalf("reference processor: %v", err)
	}
	return sink.AllMetrics()[0]
}

func sameMetrics(a, b pmetric.Metrics) bool {
	var m pmetric.ProtoMarshaler
	x, errX := m.MarshalMetrics(a)
	y, errY := m.MarshalMetrics(b)
	return errX == nil && errY == nil && bytes.Equal(x, y)
}

// checkExported compares the exemplars Cloud Monitoring recorded with the
// processor's output: each must carry the output's link (or none) and its
// remaining labels as dropped labels. complete says every exemplar must
// have arrived; otherwise a failed request may have lost some, but what
// arrived must still match.
func checkExported(t *testing.T, phase string, gcm *gcpstandin.Server, want pmetric.Metrics, complete bool) {
	t.Helper()
	expected := map[string]int{}
	total := 0
	for _, d := range describeOutput(want) {
		expected[d]++
		total++
	}
	got := describeRecorded(gcm)
	for _, d := range got {
		if expected[d] == 0 {
			t.Fatalf("%s: Cloud Monitoring recorded an exemplar the processor did not emit: %s", phase, d)
		}
		expected[d]--
	}
	linked := 0
	for _, d := range got {
		if !strings.Contains(d, "span=\"\"") {
			linked++
		}
	}
	switch {
	case complete && len(got) != total:
		t.Fatalf("%s: Cloud Monitoring recorded %d exemplars, the processor emitted %d", phase, len(got), total)
	case !complete && (len(got) == 0 || len(got) == total):
		t.Fatalf("%s: Cloud Monitoring recorded %d of %d exemplars; want some but not all", phase, len(got), total)
	case linked == 0:
		t.Fatalf("%s: no recorded exemplar is linked", phase)
	}
	t.Logf("%s: %d of %d exemplars recorded, %d linked, each as the processor emitted it", phase, len(got), total, linked)
}

// describeOutput renders every exemplar of md as Cloud Monitoring should
// record it: value, time, the span name its IDs make (when both are set)
// and its labels.
func describeOutput(md pmetric.Metrics) []string {
	var out []string
	ms := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics()
	for i := range ms.Len() {
		dps := ms.At(i).Histogram().DataPoints()
		for j := range dps.Len() {
			exs := dps.At(j).Exemplars()
			for k := range exs.Len() {
				ex := exs.At(k)
				span := ""
				if !ex.TraceID().IsEmpty() && !ex.SpanID().IsEmpty() {
					span = fmt.Sprintf("projects/%s/traces/%s/spans/%s", project, ex.TraceID(), ex.SpanID())
				}
				labels := map[string]string{}
				ex.FilteredAttributes().Range(func(k string, v pcommon.Value) bool {
					labels[k] = v.AsString()
					return true
				})
				out = append(out, describe(ex.DoubleValue(), ex.Timestamp().AsTime(), span, labels))
			}
		}
	}
	return out
}

func describeRecorded(gcm *gcpstandin.Server) []string {
	var out []string
	for _, ts := range gcm.TimeSeries() {
		for _, p := range ts.GetPoints() {
			for _, ex := range p.GetValue().GetDistributionValue().GetExemplars() {
				out = append(out, describe(ex.GetValue(), ex.GetTimestamp().AsTime(), gcpstandin.SpanName(ex), gcpstandin.DroppedLabels(ex)))
			}
		}
	}
	return out
}

func describe(value float64, at time.Time, span string, labels map[string]string) string {
	var kv []string
	for k, v := range labels {
		kv = append(kv, k+"="+v)
	}
	slices.Sort(kv)
	return fmt.Sprintf("value=%g time=%s span=%q labels={%s}", value, at.UTC().Format(time.RFC3339Nano), span, strings.Join(kv, " "))
}
