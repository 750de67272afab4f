package bench

import (
	"context"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/googlecloudexporter"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/exemplarlink/exemplarlinkprocessor"
	"github.com/exemplarlink/exemplarlinkprocessor/gcpstandin"
)

// spansPerTrace is the shape of every benchmark trace: a server span and
// its children (a database call, a call to another service, a bit of
// internal work).
const spansPerTrace = 4

// traceBatchSizes are the span batch sizes exemplar_link's traces side is
// measured at; allocs/op equal at both means no allocation per span
// (cmd/benchcheck). The exporter is compared at the first, a typical
// batch processor send_batch_size rounded up to whole traces.
var traceBatchSizes = []int{4096, 512}

// traceBatches returns n batches of size spans each (size a multiple of
// spansPerTrace), every trace and span ID distinct across all of them, the
// spans as an instrumented HTTP service sends them: one resource with
// service.name, one instrumentation scope, semantic-convention attributes.
func traceBatches(n, size int) []ptrace.Traces {
	start := time.Now()
	out := make([]ptrace.Traces, n)
	k := uint64(0) // trace number, makes the IDs
	for b := range out {
		td := ptrace.NewTraces()
		rs := td.ResourceSpans().AppendEmpty()
		res := rs.Resource().Attributes()
		res.PutStr("service.name", "checkout")
		res.PutStr("service.version", "1.4.2")
		res.PutStr("telemetry.sdk.language", "go")
		ss := rs.ScopeSpans().AppendEmpty()
		ss.Scope().SetName("go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp")
		spans := ss.Spans()
		spans.EnsureCapacity(size)
		for range size / spansPerTrace {
			k++
			var tid pcommon.TraceID
			binary.BigEndian.PutUint64(tid[:8], k*0x9e3779b97f4a7c15) // spread over the ID space, as random IDs are
			binary.BigEndian.PutUint64(tid[8:], k)
			t0 := start.Add(time.Duration(k) * time.Millisecond)
			sid := func(i uint64) pcommon.SpanID {
				var s pcommon.SpanID
				binary.BigEndian.PutUint64(s[:], k<<2|i+1)
				return s
			}
			server := spans.AppendEmpty()
			setSpan(server, tid, sid(0), pcommon.SpanID{}, "GET /api/cart/{id}", ptrace.SpanKindServer, t0, 42*time.Millisecond)
			attrs := server.Attributes()
			attrs.PutStr("http.request.method", "GET")
			attrs.PutStr("http.route", "/api/cart/{id}")
			attrs.PutStr("url.path", fmt.Sprintf("/api/cart/%d", k%1000))
			attrs.PutInt("http.response.status_code", 200)
			attrs.PutStr("server.address", "checkout.shop.svc")

			db := spans.AppendEmpty()
			setSpan(db, tid, sid(1), sid(0), "SELECT carts", ptrace.SpanKindClient, t0.Add(2*time.Millisecond), 11*time.Millisecond)
			db.Attributes().PutStr("db.system.name", "postgresql")
			db.Attributes().PutStr("db.query.text", "SELECT * FROM carts WHERE id = $1")

			call := spans.AppendEmpty()
			setSpan(call, tid, sid(2), sid(0), "GET", ptrace.SpanKindClient, t0.Add(14*time.Millisecond), 20*time.Millisecond)
			call.Attributes().PutStr("http.request.method", "GET")
			call.Attributes().PutStr("url.full", "http://prices.shop.svc/api/prices")
			call.Attributes().PutInt("http.response.status_code", 200)

			work := spans.AppendEmpty()
			setSpan(work, tid, sid(3), sid(0), "render", ptrace.SpanKindInternal, t0.Add(35*time.Millisecond), 6*time.Millisecond)
		}
		out[b] = td
	}
	return out
}

func setSpan(s ptrace.Span, tid pcommon.TraceID, id, parent pcommon.SpanID, name string, kind ptrace.SpanKind, start time.Time, d time.Duration) {
	s.SetTraceID(tid)
	s.SetSpanID(id)
	s.SetParentSpanID(parent)
	s.SetName(name)
	s.SetKind(kind)
	s.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
	s.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(d)))
	s.Status().SetCode(ptrace.StatusCodeUnset)
}

// tracesComponent is a started-able traces processor or exporter.
type tracesComponent interface {
	component.Component
	consumer.Traces
}

// newExemplarLinkTraces creates exemplar_link's traces side, default
// configuration (its span index holds exemplarlinkprocessor's default
// max_spans).
func newExemplarLinkTraces(ctx context.Context) (tracesComponent, error) {
	f := exemplarlinkprocessor.NewFactory()
	return f.CreateTraces(ctx, processortest.NewNopSettings(f.Type()), f.CreateDefaultConfig(), consumertest.NewNop())
}

// newGoogleCloudExporter creates the googlecloud exporter sending spans to
// the Cloud Trace stand-in at addr. The settings amount to
//
//	googlecloud:
//	  project: exemplarlink-bench
//	  trace:
//	    endpoint: <stand-in, 127.0.0.1:port>
//	    use_insecure: true
//	  sending_queue:
//	    enabled: false
//
// as in examples/googlecloud.yaml; without the queue every ConsumeTraces
// call converts and sends the whole batch before it returns.
func newGoogleCloudExporter(ctx context.Context, addr string) (tracesComponent, error) {
	f := googlecloudexporter.NewFactory()
	cfg := f.CreateDefaultConfig().(*googlecloudexporter.Config)
	cfg.Config.ProjectID = gmpProject
	cfg.Config.TraceConfig.ClientConfig.Endpoint = addr
	cfg.Config.TraceConfig.ClientConfig.UseInsecure = true
	cfg.QueueSettings = configoptional.None[exporterhelper.QueueBatchConfig]()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return f.CreateTraces(ctx, exportertest.NewNopSettings(f.Type()), cfg)
}

// BenchmarkCompareTraces puts exemplar_link's traces side beside the
// googlecloud exporter that sends the same spans to Cloud Trace, in ns/span.
// exemplar_link runs in steady state: its index full (it has seen more
// spans than it holds before the timer starts), every span new, each
// recorded one evicting the oldest. The names carry spans= and impl= keys
// for `benchstat -col /impl`.
func BenchmarkCompareTraces(b *testing.B) {
	for _, size := range traceBatchSizes {
		// More spans than the default index holds, so that a batch has
		// left the index before it comes round again (a span seen twice
		// would be skipped as a duplicate, which is cheaper). Built once
		// for every run of this size.
		var batches []ptrace.Traces
		getBatches := func() []ptrace.Traces {
			if batches == nil {
				cfg := exemplarlinkprocessor.NewFactory().CreateDefaultConfig().(*exemplarlinkprocessor.Config)
				batches = traceBatches(cfg.SpanIndex.MaxSpans/size+8, size)
			}
			return batches
		}
		b.Run(fmt.Sprintf("spans=%d/impl=exemplar_link", size), func(b *testing.B) {
			tp, err := newExemplarLinkTraces(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			benchmarkTraces(b, tp, getBatches(), getBatches(), size)
		})
		if size != traceBatchSizes[0] {
			continue
		}
		b.Run(fmt.Sprintf("spans=%d/impl=googlecloud_exporter", size), func(b *testing.B) {
			srv, err := gcpstandin.Start(gcpstandin.CountOnly())
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Stop()
			exp, err := newGoogleCloudExporter(context.Background(), srv.Addr())
			if err != nil {
				b.Fatal(err)
			}
			// The exporter keeps no state per span: one warm-up batch, then
			// the same batches as exemplar_link.
			benchmarkTraces(b, exp, getBatches()[:1], getBatches(), size)
			if st := srv.Stats(); st.SpanRequests == 0 || st.Spans < size {
				b.Fatalf("the Cloud Trace stand-in received too little: %d requests, %d spans", st.SpanRequests, st.Spans)
			}
		})
	}
}

// benchmarkTraces starts comp, feeds it warm, then times it consuming
// batches (of size spans each) in turn and reports ns/span.
func benchmarkTraces(b *testing.B, comp tracesComponent, warm, batches []ptrace.Traces, size int) {
	ctx := context.Background()
	if err := comp.Start(ctx, componenttest.NewNopHost()); err != nil {
		b.Fatal(err)
	}
	defer func() {
		if err := comp.Shutdown(ctx); err != nil {
			b.Error(err)
		}
	}()
	for _, td := range warm {
		if err := comp.ConsumeTraces(ctx, td); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := comp.ConsumeTraces(ctx, batches[i%len(batches)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(i*size), "ns/span")
}
