// Package benchdata builds the metric batches that the benchmarks of this
// repository share, and the "floor" they are measured against: a walk over
// every exemplar that changes nothing.
//
// Every batch is one resource and one scope holding histogram metrics of
// SeriesPerMetric series (data points) each; every series carries
// ExemplarsPerSeries exemplars, as a Prometheus scrape of a histogram with
// ten or more buckets does. The content is deterministic.
//
// It lives under internal/ so it is not part of the processor's API; the
// bench module (github.com/exemplarlink/exemplarlinkprocessor/bench) may
// import it because Go's internal rule is about import paths.
package benchdata

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"runtime"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"
)

const (
	// ExemplarsPerSeries is how many exemplars each series (data point)
	// carries; the mixed batch uses every Style once per series.
	ExemplarsPerSeries = 10
	// SeriesPerMetric is how many series each histogram metric has.
	SeriesPerMetric = 50
)

// Style is how one exemplar of a batch references its trace.
type Style int

const (
	// CamelCase: traceID="<32 hex>" spanID="<16 hex>" (prom-client, Grafana guides).
	CamelCase Style = iota
	// SnakeCase: trace_id/span_id labels (the OpenMetrics names, as sent by
	// anything that is not the prometheus receiver).
	SnakeCase
	// UpperHex: TraceId="<32 HEX>" SpanId="0x<16 HEX>" plus route="/cart".
	UpperHex
	// Traceparent: traceparent="00-<trace>-<span>-01".
	Traceparent
	// Bit64: traceID="<16 hex>" (a 64-bit Jaeger/B3 ID) spanID="<16 hex>".
	Bit64
	// Invalid: traceID="not-a-trace-id" spanID="<16 hex>"; nothing can be linked.
	Invalid
	// TraceOnly: traceID="<32 hex>" and no span ID; with the default
	// trace_only_exemplars: label it becomes trace_id="<32 hex>".
	TraceOnly
	// Unrelated: only labels that are no trace reference (route, pod).
	Unrelated
	// NoLabels: no labels and no IDs.
	NoLabels
	// OTLPFields: TraceID and SpanID already set (sent over OTLP, or
	// converted by the prometheus receiver), no labels.
	OTLPFields
	// NumMixedStyles is the number of styles in the Mixed batch.
	NumMixedStyles

	// TraceOnlyUpperHex: traceID="<32 HEX>" and no span ID; the trace_id
	// label it becomes needs a new (lower-case) string.
	TraceOnlyUpperHex = NumMixedStyles
	// TraceOnlyField: the TraceID field set (the prometheus receiver moves a
	// lone trace_id label there), no span ID, no labels; the trace_id label
	// it becomes is new.
	TraceOnlyField Style = NumMixedStyles + 1
	// NumStyles is the number of styles.
	NumStyles Style = NumMixedStyles + 2
)

var styleNames = [NumStyles]string{
	"camelCase", "snake_case", "upper-case_hex", "traceparent", "64-bit",
	"invalid", "trace-only", "unrelated_labels", "no_labels", "OTLP_fields",
	"trace-only_upper-case_hex", "trace-only_field",
}

func (s Style) String() string { return styleNames[s] }

// Mixed returns a scrape-sized batch: series histogram series whose
// exemplars use the first NumMixedStyles styles, one each per series.
func Mixed(series int) pmetric.Metrics { return MixedFrom(series, 0) }

// MixedFrom is Mixed with the exemplars' IDs numbered from first (see IDs)
// instead of 0, so that batches made with different first values share no
// ID.
func MixedFrom(series int, first uint64) pmetric.Metrics {
	return build(series, first, func(_, j int) (Style, bool) { return Style(j % int(NumMixedStyles)), true })
}

// Uniform returns a batch whose exemplars all use one style.
func Uniform(series int, s Style) pmetric.Metrics {
	return build(series, 0, func(int, int) (Style, bool) { return s, true })
}

// NoExemplars returns a batch of the same series without any exemplar.
func NoExemplars(series int) pmetric.Metrics {
	return build(series, 0, func(int, int) (Style, bool) { return 0, false })
}

// OTLPIDs returns a batch whose exemplars all carry their IDs in the OTLP
// fields already and have no labels: the work is to notice that.
func OTLPIDs(series int) pmetric.Metrics { return Uniform(series, OTLPFields) }

// build makes series histogram series whose exemplars have the IDs
// numbered from firstID; style says, for series i and exemplar j, how the
// exemplar references its trace, or that the series has no exemplars.
func build(series int, firstID uint64, style func(i, j int) (Style, bool)) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	res := rm.Resource().Attributes()
	res.PutStr("service.name", "checkout")
	res.PutStr("service.instance.id", "10.0.0.7:8080")
	res.PutStr("server.address", "10.0.0.7")
	res.PutStr("server.port", "8080")
	res.PutStr("url.scheme", "http")
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.Scope().SetName("github.com/open-telemetry/opentelemetry-collector-contrib/receiver/prometheusreceiver")
	sm.Scope().SetVersion("0.162.0")

	bounds := []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}
	const start, now = pcommon.Timestamp(1_700_000_000_000_000_000), pcommon.Timestamp(1_700_000_060_000_000_000)
	var m pmetric.Metric
	for i := 0; i < series; i++ {
		if i%SeriesPerMetric == 0 {
			m = sm.Metrics().AppendEmpty()
			m.SetName("http_server_request_duration_seconds_" + strconv.Itoa(i/SeriesPerMetric))
			m.SetUnit("s")
			m.SetDescription("Duration of HTTP server requests.")
			h := m.SetEmptyHistogram()
			h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
			h.DataPoints().EnsureCapacity(SeriesPerMetric)
		}
		dp := m.Histogram().DataPoints().AppendEmpty()
		attrs := dp.Attributes()
		attrs.EnsureCapacity(3)
		attrs.PutStr("http.request.method", [...]string{"GET", "POST", "PUT", "DELETE"}[i%4])
		attrs.PutStr("http.route", "/api/v1/items/"+strconv.Itoa(i%SeriesPerMetric))
		attrs.PutStr("http.response.status_code", [...]string{"200", "201", "404", "500", "503"}[i%5])
		dp.SetStartTimestamp(start)
		dp.SetTimestamp(now)
		dp.ExplicitBounds().FromRaw(bounds)
		counts := make([]uint64, len(bounds)+1)
		var total uint64
		for b := range counts {
			counts[b] = uint64(i%7 + b + 1)
			total += counts[b]
		}
		dp.BucketCounts().FromRaw(counts)
		dp.SetCount(total)
		dp.SetSum(float64(total) * 0.2)
		if _, ok := style(i, 0); !ok {
			continue
		}
		exs := dp.Exemplars()
		exs.EnsureCapacity(ExemplarsPerSeries)
		for j := 0; j < ExemplarsPerSeries; j++ {
			s, _ := style(i, j)
			ex := exs.AppendEmpty()
			ex.SetDoubleValue(bounds[j] * 0.9)
			ex.SetTimestamp(now - pcommon.Timestamp(j)*1_000_000_000)
			fill(ex, s, firstID+uint64(i*ExemplarsPerSeries+j))
		}
	}
	return md
}

// IDs returns the deterministic trace and span ID of exemplar n, never zero.
func IDs(n uint64) (pcommon.TraceID, pcommon.SpanID) {
	var t pcommon.TraceID
	var s pcommon.SpanID
	binary.BigEndian.PutUint64(t[:8], splitmix(2*n)|1)
	binary.BigEndian.PutUint64(t[8:], splitmix(2*n+1)|1)
	binary.BigEndian.PutUint64(s[:], splitmix(^n)|1)
	return t, s
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func fill(ex pmetric.Exemplar, s Style, n uint64) {
	t, sp := IDs(n)
	th, sh := hex.EncodeToString(t[:]), hex.EncodeToString(sp[:])
	labels := ex.FilteredAttributes()
	put := func(kv ...string) {
		labels.EnsureCapacity(len(kv) / 2)
		for k := 0; k < len(kv); k += 2 {
			labels.PutStr(kv[k], kv[k+1])
		}
	}
	switch s {
	case CamelCase:
		put("traceID", th, "spanID", sh)
	case SnakeCase:
		put("trace_id", th, "span_id", sh)
	case UpperHex:
		put("TraceId", strings.ToUpper(th), "SpanId", "0x"+strings.ToUpper(sh), "route", "/cart")
	case Traceparent:
		put("traceparent", "00-"+th+"-"+sh+"-01")
	case Bit64:
		put("traceID", th[16:], "spanID", sh)
	case Invalid:
		put("traceID", "not-a-trace-id", "spanID", sh)
	case TraceOnly:
		put("traceID", th)
	case Unrelated:
		put("route", "/cart", "pod", "checkout-7d9f8b6c5-x2x9q")
	case NoLabels:
	case OTLPFields:
		ex.SetTraceID(t)
		ex.SetSpanID(sp)
	case TraceOnlyUpperHex:
		put("traceID", strings.ToUpper(th))
	case TraceOnlyField:
		ex.SetTraceID(t)
	}
}

// Exemplars counts the exemplars of a batch.
func Exemplars(md pmetric.Metrics) int {
	n := 0
	forEachExemplar(md, func(pmetric.Exemplar) { n++ })
	return n
}

// Walk visits every exemplar of md, reads its ID fields and every label
// (key and value, touching the value's first and last byte), and changes
// nothing: the least any exemplar processor has to do. It returns a
// checksum so the compiler cannot drop the work.
func Walk(md pmetric.Metrics) int {
	sum := 0
	forEachExemplar(md, func(ex pmetric.Exemplar) {
		t, s := ex.TraceID(), ex.SpanID()
		sum += int(t[15]) + int(s[7])
		ex.FilteredAttributes().Range(func(k string, v pcommon.Value) bool {
			sum += len(k)
			if s := v.Str(); s != "" {
				// Touch the value's bytes: any processor that checks a
				// label reads them, and they live in memory of their own.
				sum += int(s[0]) + int(s[len(s)-1])
			}
			return true
		})
	})
	return sum
}

func forEachExemplar(md pmetric.Metrics, f func(pmetric.Exemplar)) {
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		sms := rms.At(i).ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			ms := sms.At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				m := ms.At(k)
				switch m.Type() {
				case pmetric.MetricTypeHistogram:
					dps := m.Histogram().DataPoints()
					for d := 0; d < dps.Len(); d++ {
						exemplars(dps.At(d).Exemplars(), f)
					}
				case pmetric.MetricTypeExponentialHistogram:
					dps := m.ExponentialHistogram().DataPoints()
					for d := 0; d < dps.Len(); d++ {
						exemplars(dps.At(d).Exemplars(), f)
					}
				case pmetric.MetricTypeSum:
					dps := m.Sum().DataPoints()
					for d := 0; d < dps.Len(); d++ {
						exemplars(dps.At(d).Exemplars(), f)
					}
				case pmetric.MetricTypeGauge:
					dps := m.Gauge().DataPoints()
					for d := 0; d < dps.Len(); d++ {
						exemplars(dps.At(d).Exemplars(), f)
					}
				}
			}
		}
	}
}

func exemplars(exs pmetric.ExemplarSlice, f func(pmetric.Exemplar)) {
	for e := 0; e < exs.Len(); e++ {
		f(exs.At(e))
	}
}

// Sink keeps the floor's checksum where the compiler cannot see it unused.
var Sink int

// NewFloor returns the floor as a collector processor: processorhelper
// around Walk, declared as mutating like exemplar_link, so that it pays the
// same per-batch overhead as any processor driven through a factory.
func NewFloor(ctx context.Context, set processor.Settings, next consumer.Metrics) (processor.Metrics, error) {
	return processorhelper.NewMetrics(ctx, set, struct{}{}, next,
		func(_ context.Context, md pmetric.Metrics) (pmetric.Metrics, error) {
			Sink += Walk(md)
			return md, nil
		},
		processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: true}))
}

// Timer is the part of *testing.B that Copies needs.
type Timer interface {
	StopTimer()
	StartTimer()
}

// Copies hands out the batch for each benchmark iteration, so that every
// iteration processes the same untouched input.
//
// Processors change batches in place, so NewCopies keeps a small pool of
// copies of the template and refills all of them, with the benchmark timer
// stopped, when the pool is used up; this spreads the cost of stopping the
// timer (which reads memory statistics) over several iterations of a small
// batch. After each refill it runs the garbage collector, still with the
// timer stopped, so that the garbage the copying leaves is not collected on
// the measured code's time: a measured iteration pays only for the garbage
// collection its own allocations cause.
//
// For a batch that the measured code does not change (nothing to link),
// NewShared hands out one copy every time: copying and collecting would
// cost far more wall time than the measured work. Check verifies at the
// end that the batch is still equal to the template. A shared batch stays
// in the CPU caches, copies mostly do not, so compare only numbers taken
// the same way: the benchmarks use copies for the mixed batch and shared
// batches for the batches without ID labels, for every implementation.
type Copies struct {
	template pmetric.Metrics
	pool     []pmetric.Metrics
	next     int
	shared   bool
}

// poolItems bounds the data points and exemplars a pool holds, to bound
// its memory.
const poolItems = 20_000

// NewCopies returns Copies that hand out a fresh copy of template for
// every iteration.
func NewCopies(template pmetric.Metrics) *Copies {
	n := 1
	if items := template.DataPointCount() + Exemplars(template); items > 0 && items < poolItems {
		n = poolItems / items
	}
	c := &Copies{template: template, pool: make([]pmetric.Metrics, n)}
	for i := range c.pool {
		c.pool[i] = pmetric.NewMetrics()
		template.CopyTo(c.pool[i])
	}
	runtime.GC()
	return c
}

// NewShared returns Copies that hand out one copy of template for every
// iteration, for code that must leave it unchanged (see Check).
func NewShared(template pmetric.Metrics) *Copies {
	c := &Copies{template: template, pool: []pmetric.Metrics{pmetric.NewMetrics()}, shared: true}
	template.CopyTo(c.pool[0])
	runtime.GC()
	return c
}

// Template returns the batch that Copies hands out copies of.
func (c *Copies) Template() pmetric.Metrics { return c.template }

// Next returns a batch equal to the template.
func (c *Copies) Next(t Timer) pmetric.Metrics {
	if c.shared {
		return c.pool[0]
	}
	if c.next == len(c.pool) {
		t.StopTimer()
		for _, md := range c.pool {
			c.template.CopyTo(md)
		}
		runtime.GC()
		c.next = 0
		t.StartTimer()
	}
	md := c.pool[c.next]
	c.next++
	return md
}

// Check reports an error if a shared batch was changed.
func (c *Copies) Check() error {
	if c.shared && !equal(c.pool[0], c.template) {
		return errors.New("benchdata: the measured code changed a shared batch; use NewCopies")
	}
	return nil
}

func equal(a, b pmetric.Metrics) bool {
	var m pmetric.ProtoMarshaler
	x, err1 := m.MarshalMetrics(a)
	y, err2 := m.MarshalMetrics(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// Component is what Measure drives: a processor or an exporter.
type Component interface {
	component.Component
	consumer.Metrics
}

// B is the part of *testing.B that Measure uses. benchdata takes it as an
// interface so that it need not import "testing": no non-test package of
// the module does.
type B interface {
	Timer
	ReportAllocs()
	ResetTimer()
	Loop() bool
	Elapsed() time.Duration
	ReportMetric(n float64, unit string)
	Fatal(args ...any)
	Error(args ...any)
}

// Measure starts comp, has it consume the batches that copies hands out for
// b.Loop's iterations, shuts it down, and reports the time per exemplar (or
// per data point for a batch without exemplars). Every benchmark of the
// repository measures through it, so that all implementations are measured
// the same way.
func Measure(b B, comp Component, copies *Copies) {
	ctx := context.Background()
	if err := comp.Start(ctx, componenttest.NewNopHost()); err != nil {
		b.Fatal(err)
	}
	defer func() {
		if err := comp.Shutdown(ctx); err != nil {
			b.Error(err)
		}
	}()
	b.ReportAllocs()
	b.ResetTimer()
	iterations := 0
	for b.Loop() {
		if err := comp.ConsumeMetrics(ctx, copies.Next(b)); err != nil {
			b.Fatal(err)
		}
		iterations++
	}
	if err := copies.Check(); err != nil {
		b.Fatal(err)
	}
	template := copies.Template()
	perItem := float64(b.Elapsed().Nanoseconds()) / float64(iterations)
	if n := Exemplars(template); n > 0 {
		b.ReportMetric(perItem/float64(n), "ns/exemplar")
	} else {
		b.ReportMetric(perItem/float64(template.DataPointCount()), "ns/datapoint")
	}
}
