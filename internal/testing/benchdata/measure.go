package benchdata

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"
)

// This file holds what the benchmarks measure with: the floor (Walk,
// NewFloor), the batches handed to each iteration (Copies) and the
// measuring loop (Measure). benchdata.go builds the batches.

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
	walkPoints(md, f, nil)
}

// walkPoints visits every data point of md: it calls exemplar, if not nil,
// with each of the point's exemplars, and sets the point's end timestamp to
// retime's, if not nil. Walk (timed) and shiftTimes (untimed) share it.
// Each type has its own loop, written out: a generic one over the data
// point types costs Walk's timed path a call through a dictionary per point
// (3.4x the floor on a batch without exemplars).
func walkPoints(md pmetric.Metrics, exemplar func(pmetric.Exemplar), retime func(pcommon.Timestamp) pcommon.Timestamp) {
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		sms := rms.At(i).ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			ms := sms.At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				switch m := ms.At(k); m.Type() {
				case pmetric.MetricTypeHistogram:
					dps := m.Histogram().DataPoints()
					for d := 0; d < dps.Len(); d++ {
						dp := dps.At(d)
						exemplars(dp.Exemplars(), exemplar)
						if retime != nil {
							dp.SetTimestamp(retime(dp.Timestamp()))
						}
					}
				case pmetric.MetricTypeExponentialHistogram:
					dps := m.ExponentialHistogram().DataPoints()
					for d := 0; d < dps.Len(); d++ {
						dp := dps.At(d)
						exemplars(dp.Exemplars(), exemplar)
						if retime != nil {
							dp.SetTimestamp(retime(dp.Timestamp()))
						}
					}
				case pmetric.MetricTypeSum:
					dps := m.Sum().DataPoints()
					for d := 0; d < dps.Len(); d++ {
						dp := dps.At(d)
						exemplars(dp.Exemplars(), exemplar)
						if retime != nil {
							dp.SetTimestamp(retime(dp.Timestamp()))
						}
					}
				case pmetric.MetricTypeGauge:
					dps := m.Gauge().DataPoints()
					for d := 0; d < dps.Len(); d++ {
						dp := dps.At(d)
						exemplars(dp.Exemplars(), exemplar)
						if retime != nil {
							dp.SetTimestamp(retime(dp.Timestamp()))
						}
					}
				case pmetric.MetricTypeSummary:
					// No exemplars: only the timestamp.
					if retime != nil {
						dps := m.Summary().DataPoints()
						for d := 0; d < dps.Len(); d++ {
							dp := dps.At(d)
							dp.SetTimestamp(retime(dp.Timestamp()))
						}
					}
				case pmetric.MetricTypeEmpty:
				}
			}
		}
	}
}

func exemplars(exs pmetric.ExemplarSlice, f func(pmetric.Exemplar)) {
	if f == nil {
		return
	}
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
	// advance moves each handed-out copy's data points one second later
	// than the one before (see NewAdvancingCopies); handed counts them.
	advance bool
	handed  int
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

// NewAdvancingCopies is NewCopies for an exporter writing to a Cloud
// Monitoring stand-in, which refuses a second point of a series at the
// same time, as the real API does: every copy's data points end one
// second after the previous copy's, as successive scrapes would (start
// times stay). The shift is made with the timer stopped.
func NewAdvancingCopies(template pmetric.Metrics) *Copies {
	c := NewCopies(template)
	c.advance = true
	for i, md := range c.pool {
		shiftTimes(md, time.Duration(i+1)*time.Second)
	}
	return c
}

// shiftTimes moves the end timestamp of every data point of md by d.
func shiftTimes(md pmetric.Metrics, d time.Duration) {
	walkPoints(md, nil, func(ts pcommon.Timestamp) pcommon.Timestamp { return ts + pcommon.Timestamp(d) })
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
		for i, md := range c.pool {
			c.template.CopyTo(md)
			if c.advance {
				shiftTimes(md, time.Duration(c.handed+i+1)*time.Second)
			}
		}
		runtime.GC()
		c.next = 0
		t.StartTimer()
	}
	md := c.pool[c.next]
	c.next++
	c.handed++
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
