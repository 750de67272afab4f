package exemplarlinkprocessor

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap/zapcore"

	"github.com/exemplarlink/exemplarlinkprocessor/internal/metadata"
)

// checkGrace is the shortest dangling_after the config allows: the tests
// below wait it out, bounded by holdGiveUp.
const checkGrace = time.Second

// linkScrape returns a batch of one histogram with a point per exemplar,
// each naming its trace and span: by labels (traceID/spanID, as
// prom-client writes them) or, when inFields, in the exemplar's fields
// (OTLP, or what the receiver converted), observed at at.
type linkRef struct {
	trace, span string
	at          time.Time
	inFields    bool
}

func linkScrape(t *testing.T, scrapedAt time.Time, refs ...linkRef) pmetric.Metrics {
	t.Helper()
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "checkout")
	rm.Resource().Attributes().PutStr("service.instance.id", "app:8080")
	m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("http_server_duration_seconds")
	dps := m.SetEmptyHistogram().DataPoints()
	for _, r := range refs {
		dp := dps.AppendEmpty()
		dp.SetTimestamp(pcommon.NewTimestampFromTime(scrapedAt))
		ex := dp.Exemplars().AppendEmpty()
		ex.SetDoubleValue(0.25)
		ex.SetTimestamp(pcommon.NewTimestampFromTime(r.at))
		if r.inFields {
			var tid pcommon.TraceID
			var sid pcommon.SpanID
			decodeInto(t, tid[:], r.trace)
			decodeInto(t, sid[:], r.span)
			ex.SetTraceID(tid)
			ex.SetSpanID(sid)
			continue
		}
		ex.FilteredAttributes().PutStr("traceID", r.trace)
		ex.FilteredAttributes().PutStr("spanID", r.span)
	}
	return md
}

// afterStart returns a time for exemplars observed after the rig started
// (exemplars from before the collector started are not judged), with the
// millisecond resolution client libraries stamp.
func afterStart() time.Time {
	time.Sleep(2 * time.Millisecond)
	return time.Now().Truncate(time.Millisecond)
}

// checked returns links_checked by result once it has counted want in
// all, failing after holdGiveUp.
func (r *holdRig) checked(t *testing.T, want int64) map[string]int64 {
	t.Helper()
	var got map[string]int64
	require.Eventually(t, func() bool {
		got = r.counter(t, metadata.MetricLinksChecked, metadata.AttributeResult)
		return got[metadata.AttributeResultResolved]+got[metadata.AttributeResultDangling] >= want
	}, holdGiveUp, 10*time.Millisecond, "links_checked never counted %d", want)
	return got
}

// TestLinksCheckedResolvedAndDangling: every link that leaves is judged
// once per distinct exemplar, whatever its source: resolved when its span
// arrives within dangling_after (the SDK exports after the scrape), dangling
// when it never does, however many points and scrapes carry it.
func TestLinksCheckedResolvedAndDangling(t *testing.T) {
	t.Parallel()
	r := newHoldRig(t, func(cfg *Config) {
		cfg.DanglingAfter = checkGrace
		cfg.SummaryInterval = time.Nanosecond // a summary line per batch and per verdict
	})
	observed := afterStart()
	late := linkRef{trace: holdTrace(1), span: holdSpan(1), at: observed}
	never := linkRef{trace: holdTrace(2), span: holdSpan(2), at: observed, inFields: true}
	before := linkRef{trace: holdTrace(3), span: holdSpan(3), at: observed}
	r.spans(t, before.trace, before.span, time.Since(holdEpoch)-time.Second, time.Since(holdEpoch))

	require.NoError(t, r.metrics.ConsumeMetrics(t.Context(), linkScrape(t, time.Now(), late, never, never, before)))
	got := r.checked(t, 1)
	assert.Equal(t, map[string]int64{"resolved": 1}, got, "the span that passed before: resolved at once")

	r.spans(t, late.trace, late.span, time.Since(holdEpoch)-time.Second, time.Since(holdEpoch))
	require.NoError(t, r.metrics.ConsumeMetrics(t.Context(), linkScrape(t, time.Now(), late, never, before)))
	got = r.checked(t, 3)
	assert.Equal(t, map[string]int64{"resolved": 2, "dangling": 1}, got)

	// Later scrapes re-expose the same exemplars: nothing more is judged.
	require.NoError(t, r.metrics.ConsumeMetrics(t.Context(), linkScrape(t, time.Now(), late, never, before)))
	time.Sleep(checkGrace + 200*time.Millisecond)
	require.NoError(t, r.metrics.ConsumeMetrics(t.Context(), linkScrape(t, time.Now(), late, never)))
	assert.Equal(t, map[string]int64{"resolved": 2, "dangling": 1}, r.counter(t, metadata.MetricLinksChecked, metadata.AttributeResult))
	assert.Equal(t, map[string]int64{"id_label": 7, "exemplar_fields": 5},
		r.counter(t, metadata.MetricExemplarsLinked, metadata.AttributeSource), "exemplars_linked still counts occurrences")

	var dangling []zapcore.Field
	for _, e := range r.logs.FilterMessage("Exemplar linkage summary").All() {
		if e.ContextMap()["links_dangling"] == int64(1) {
			dangling = e.Context
		}
	}
	require.NotNil(t, dangling, "a summary line reports the dangling link")
	assert.Contains(t, dangling, zapcore.Field{Key: "example_dangling_trace_id", Type: zapcore.StringType, String: never.trace})
}

// TestOldExemplarsAreNotJudged: an exemplar observed before the collector
// started (a quiet bucket re-exposes it) could not have been seen, and
// one without a timestamp of its own cannot be told from such: neither is
// judged.
func TestOldExemplarsAreNotJudged(t *testing.T) {
	t.Parallel()
	r := newHoldRig(t, func(cfg *Config) { cfg.DanglingAfter = checkGrace })
	observed := afterStart()
	now := time.Now()
	old := linkRef{trace: holdTrace(1), span: holdSpan(1), at: now.Add(-time.Hour)}
	untimed := linkRef{trace: holdTrace(2), span: holdSpan(2), at: now} // stamped with the scrape's time
	fresh := linkRef{trace: holdTrace(3), span: holdSpan(3), at: observed}
	require.NoError(t, r.metrics.ConsumeMetrics(t.Context(), linkScrape(t, now, old, untimed, fresh)))
	assert.Equal(t, map[string]int64{"dangling": 1}, r.checked(t, 1))
	time.Sleep(200 * time.Millisecond) // nothing else is due
	assert.Equal(t, map[string]int64{"dangling": 1}, r.counter(t, metadata.MetricLinksChecked, metadata.AttributeResult))
}

// TestLinkOnlyExportedSpans: with link_only_exported_spans, a link whose
// span has not passed waits for it; one whose span comes during the wait
// leaves linked, one whose span does not leaves unlinked with its IDs as
// trace_id/span_id labels (span_not_exported), and a later scrape links
// it once its span has arrived. No link dangles.
func TestLinkOnlyExportedSpans(t *testing.T) {
	t.Parallel()
	r := newHoldRig(t, func(cfg *Config) {
		cfg.LinkOnlyExportedSpans = true
		cfg.DanglingAfter = checkGrace
	})
	observed := afterStart()
	comes := linkRef{trace: holdTrace(1), span: holdSpan(1), at: observed}
	require.NoError(t, r.metrics.ConsumeMetrics(t.Context(), linkScrape(t, time.Now(), comes)))
	r.sink.none(t)
	r.spans(t, comes.trace, comes.span, time.Since(holdEpoch)-time.Second, time.Since(holdEpoch))
	_, _, ex := holdPoint(t, r.sink.next(t))
	assert.Equal(t, comes.trace, ex.TraceID().String())
	assert.Equal(t, comes.span, ex.SpanID().String())

	r2 := newHoldRig(t, func(cfg *Config) {
		cfg.LinkOnlyExportedSpans = true
		cfg.Wait.MaxWait = 300 * time.Millisecond
		cfg.DanglingAfter = checkGrace
	})
	absent := linkRef{trace: holdTrace(2), span: holdSpan(2), at: afterStart(), inFields: true}
	require.NoError(t, r2.metrics.ConsumeMetrics(t.Context(), linkScrape(t, time.Now(), absent)))
	_, _, ex = holdPoint(t, r2.sink.next(t))
	assert.True(t, ex.TraceID().IsEmpty(), "not linked")
	assert.True(t, ex.SpanID().IsEmpty(), "not linked")
	assert.Equal(t, map[string]any{"trace_id": absent.trace, "span_id": absent.span}, ex.FilteredAttributes().AsRaw(),
		"its IDs stay visible, lower-case hex")
	assert.Equal(t, map[string]int64{"span_not_exported": 1},
		r2.counter(t, metadata.MetricExemplarsUnlinked, metadata.AttributeReason))

	// It waited once; the next scrape, before the span, leaves at once.
	require.NoError(t, r2.metrics.ConsumeMetrics(t.Context(), linkScrape(t, time.Now(), absent)))
	_, _, ex = holdPoint(t, r2.sink.next(t))
	assert.True(t, ex.SpanID().IsEmpty())

	r2.spans(t, absent.trace, absent.span, time.Since(holdEpoch)-time.Second, time.Since(holdEpoch))
	require.NoError(t, r2.metrics.ConsumeMetrics(t.Context(), linkScrape(t, time.Now(), absent)))
	_, _, ex = holdPoint(t, r2.sink.next(t))
	assert.Equal(t, absent.span, ex.SpanID().String(), "linked once its span arrived")
	assert.Equal(t, 0, ex.FilteredAttributes().Len())

	assert.Equal(t, map[string]int64{"resolved": 1}, r2.checked(t, 1))
	time.Sleep(checkGrace + 200*time.Millisecond)
	assert.Equal(t, map[string]int64{"resolved": 1}, r2.counter(t, metadata.MetricLinksChecked, metadata.AttributeResult),
		"no link dangles")
}

// TestLinkCheckConcurrent runs scrapes and spans from several goroutines
// (the race detector watches the checker, its timer and the index): every
// distinct link is judged exactly once.
func TestLinkCheckConcurrent(t *testing.T) {
	t.Parallel()
	r := newHoldRig(t, func(cfg *Config) { cfg.DanglingAfter = checkGrace })
	const goroutines, links = 4, 12 // 48 batches: the sink buffers 64
	observed := afterStart()
	spans := make([]ptrace.Traces, links)
	for i := range spans {
		spans[i] = holdSpans(t, holdTrace(i), holdSpan(i), time.Since(holdEpoch)-time.Second, time.Since(holdEpoch))
	}
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range links {
				ref := linkRef{trace: holdTrace(i), span: holdSpan(i), at: observed.Add(time.Duration(i) * time.Millisecond)}
				if i%2 == 0 {
					cp := ptrace.NewTraces()
					spans[i].CopyTo(cp)
					assert.NoError(t, r.traces.ConsumeTraces(t.Context(), cp))
				}
				assert.NoError(t, r.metrics.ConsumeMetrics(t.Context(), linkScrape(t, time.Now(), ref)), fmt.Sprint(g, i))
			}
		}()
	}
	wg.Wait()
	got := r.checked(t, links)
	assert.Equal(t, map[string]int64{"resolved": links / 2, "dangling": links / 2}, got)
}
