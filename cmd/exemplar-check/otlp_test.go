package main

// --otlp and --otlp-http: the check receives the app's spans, links
// trace-only exemplars from them, and tells links that resolve from links
// that dangle.

import (
	"bytes"
	"context"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// Three requests of an app, as the exemplars and spans of the test below.
const (
	exportedTrace = "11111111111111111111111111111111"
	exportedSpan  = "1111111111111111"
	sampledOut    = "22222222222222222222222222222222" // its span never exported
	sampledOutS   = "2222222222222222"
	traceOnly     = "33333333333333333333333333333333"
	traceOnlySpan = "3333333333333333" // exported; the exemplar names only the trace
)

func mustTraceID(t *testing.T, s string) pcommon.TraceID {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return pcommon.TraceID(b)
}

func mustSpanID(t *testing.T, s string) pcommon.SpanID {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return pcommon.SpanID(b)
}

// sendSpans exports the server spans of the exported and the trace-only
// request with OTLP/gRPC to addr, as an app's SDK would; their interval
// covers the test's exemplars.
func sendSpans(t *testing.T, addr string) error {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "otlp-test")
	spans := rs.ScopeSpans().AppendEmpty().Spans()
	now := time.Now()
	for _, ids := range [][2]string{{exportedTrace, exportedSpan}, {traceOnly, traceOnlySpan}} {
		s := spans.AppendEmpty()
		s.SetTraceID(mustTraceID(t, ids[0]))
		s.SetSpanID(mustSpanID(t, ids[1]))
		s.SetName("GET /work")
		s.SetKind(ptrace.SpanKindServer)
		s.SetStartTimestamp(pcommon.NewTimestampFromTime(now.Add(-time.Minute)))
		s.SetEndTimestamp(pcommon.NewTimestampFromTime(now.Add(time.Minute)))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = ptraceotlp.NewGRPCClient(conn).Export(ctx, ptraceotlp.NewExportRequestFromTraces(td))
	return err
}

// TestOTLPResolvedAndDangling: an app whose exemplars name one exported
// span, one span its sampler dropped, and one trace by its ID only. Its
// spans come over OTLP/gRPC on the first scrape (after the receiver
// started), and each scrape observes the three requests anew.
func TestOTLPResolvedAndDangling(t *testing.T) {
	t.Parallel()
	otlpAddr := freePort(t)
	reg := prometheus.NewRegistry()
	h := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "http_server_request_duration_seconds", Help: "h",
		Buckets: []float64{0.005, 0.05, 0.5},
	})
	reg.MustRegister(h)
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true})
	var once sync.Once
	var sendErr error
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { sendErr = sendSpans(t, otlpAddr) })
		eo := h.(prometheus.ExemplarObserver)
		eo.ObserveWithExemplar(0.004, prometheus.Labels{"trace_id": exportedTrace, "span_id": exportedSpan})
		eo.ObserveWithExemplar(0.04, prometheus.Labels{"traceID": sampledOut, "spanID": sampledOutS})
		eo.ObserveWithExemplar(0.4, prometheus.Labels{"traceID": traceOnly})
		metrics.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	code, rep := checkJSON(t, append([]string{"--otlp", otlpAddr, "--span-wait", "2s", srv.URL + "/metrics"}, fast...)...)
	require.NoError(t, sendErr, "export the spans to --otlp")
	assert.Equal(t, 1, code, "a dangling link fails the check")
	require.NotNil(t, rep.Summary.OTLP)
	assert.Equal(t, otlpAddr, rep.Summary.OTLP.GRPC)
	assert.Equal(t, int64(2), rep.Summary.OTLP.Spans)
	assert.Equal(t, "2s", rep.Summary.OTLP.SpanWait)

	byTrace := map[string]jsonRecord{}
	for _, r := range rep.Exemplars {
		byTrace[r.TraceID] = r
	}
	require.Len(t, byTrace, 3, "%+v", rep.Exemplars)
	exported := byTrace[exportedTrace]
	assert.True(t, exported.Linked)
	assert.Equal(t, ResolutionResolved, exported.Resolution)
	assert.False(t, exported.FromTraces)

	dropped := byTrace[sampledOut]
	assert.True(t, dropped.Linked, "exemplar_link links it: the exemplar names both IDs")
	assert.Equal(t, ResolutionDangling, dropped.Resolution)

	filled := byTrace[traceOnly]
	assert.True(t, filled.Linked, "linked from the app's spans: %+v", filled)
	assert.True(t, filled.FromTraces)
	assert.Equal(t, traceOnlySpan, filled.SpanID)
	assert.Equal(t, "projects/exemplar-check/traces/"+traceOnly+"/spans/"+traceOnlySpan, filled.SpanName)
	assert.Equal(t, ResolutionResolved, filled.Resolution)

	assert.Equal(t, 2, rep.Summary.Resolved)
	assert.Equal(t, 1, rep.Summary.Dangling)
	assert.Equal(t, 1, rep.Summary.FromTraces)
	assert.Equal(t, []string{PitfallSpanNotExported}, rep.pitfalls(), "no trace_id_without_span_id: the traces side links it")
	assert.Equal(t, dropped, rep.Exemplars[0], "the dangling link is listed first")

	// The same without --otlp: the trace-only exemplar stays unlinked and
	// the pitfall says how the collector can link it.
	code, rep = checkJSON(t, append([]string{srv.URL + "/metrics"}, fast...)...)
	assert.Equal(t, 1, code)
	assert.Nil(t, rep.Summary.OTLP)
	for _, r := range rep.Exemplars {
		assert.Empty(t, r.Resolution)
		if r.LabelsIn["traceID"] == traceOnly && len(r.LabelsIn) == 1 {
			assert.Equal(t, "missing_span_id", r.Reason)
		}
	}
	require.Equal(t, []string{PitfallTraceWithoutSpan}, rep.pitfalls())
	assert.Contains(t, rep.Summary.Pitfalls[0].Fix, "exemplar_link in the traces pipeline as well")
}

// TestOTLPTable: the terminal report with --otlp names the receiver and
// the span columns. A saved exposition's exemplars are older than the
// receiver, so no link of theirs is judged dangling.
func TestOTLPTable(t *testing.T) {
	t.Parallel()
	otlpAddr := freePort(t)
	res := runCheck(t, append([]string{"--otlp-http", otlpAddr, "--span-wait", "1s", "--file", "testdata/pitfalls.om"}, fast...)...)
	require.Equal(t, 1, res.code, res.stderr)
	assert.Contains(t, res.stdout, "spans: 0 received with OTLP (HTTP "+otlpAddr+")")
	assert.Contains(t, res.stdout, "FROM TRACES  RESOLVED  DANGLING")
	assert.Contains(t, res.stdout, "before_receiver: 1  traceID=")
	assert.NotContains(t, res.stdout, "DANGLING (")
	assert.Contains(t, res.stdout, "; 0 resolve to a span the app exported, 0 dangle\n")
}

// TestOTLPAddressInUse: a receiver that cannot listen is a setup error.
func TestOTLPAddressInUse(t *testing.T) {
	t.Parallel()
	busy := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(busy.Close)
	res := runCheck(t, append([]string{"--otlp", busy.Listener.Addr().String(), "--file", "testdata/pitfalls.om"}, fast...)...)
	assert.Equal(t, 2, res.code)
	assert.Contains(t, res.stderr, "the OTLP receiver")
	assert.Equal(t, 1, bytes.Count([]byte(res.stderr), []byte("\n")), res.stderr)
}

// TestOTLPDemo: the demo app with its span exporter pointed at the check
// (--otlp-http), and without spans at all.
func TestOTLPDemo(t *testing.T) {
	t.Parallel()
	t.Run("trace-only exemplars linked from the app's spans", func(t *testing.T) {
		t.Parallel()
		otlp := freePort(t)
		url := startDemo(t, "trace-only", otlp, "-sample-ratio", "1") // every trace exported
		code, rep := checkJSON(t, append([]string{"--otlp-http", otlp, "--max-exemplars", "1000", url}, fast...)...)
		assert.Equal(t, 0, code, "%+v", rep.Summary)
		assert.Positive(t, rep.Summary.OTLP.Spans)
		judged := 0
		for _, r := range rep.Exemplars {
			if r.Reason == ReasonFirstScrape || r.Reason == ReasonBeforeReceiver || r.Resolution == ResolutionBeforeReceiver {
				continue
			}
			judged++
			assert.True(t, r.Linked, "%+v", r)
			assert.True(t, r.FromTraces, "%+v", r)
			assert.Equal(t, ResolutionResolved, r.Resolution, "%+v", r)
		}
		assert.Positive(t, judged)
		assert.NotContains(t, rep.pitfalls(), PitfallTraceWithoutSpan)
	})
	t.Run("no spans exported: every link dangles", func(t *testing.T) {
		t.Parallel()
		url := startDemo(t, "prom-client", "")
		code, rep := checkJSON(t, append([]string{"--otlp-http", freePort(t), "--span-wait", "1s", "--max-exemplars", "1000", url}, fast...)...)
		assert.Equal(t, 1, code)
		assert.Zero(t, rep.Summary.OTLP.Spans)
		assert.Zero(t, rep.Summary.Resolved)
		assert.Positive(t, rep.Summary.Dangling)
		for _, r := range rep.Exemplars {
			if r.Linked {
				assert.Contains(t, []string{ResolutionDangling, ResolutionBeforeReceiver}, r.Resolution, "%+v", r)
			}
		}
		assert.Contains(t, rep.pitfalls(), PitfallSpanNotExported)
		require.Len(t, rep.Summary.Notes, 1)
		assert.Contains(t, rep.Summary.Notes[0], "no spans came to the OTLP receiver")
	})
}

// TestOTLPDemoSampled: the demo app samples half its traces at the head
// and attaches exemplars to every request, as the guides' code does. Its
// twin histogram's exemplars say whether each trace was sampled: a link
// resolves exactly when it was.
func TestOTLPDemoSampled(t *testing.T) {
	t.Parallel()
	const twin = "http_server_request_duration_twin_seconds"
	otlp := freePort(t)
	url := startDemo(t, "prom-client", otlp, "-sample-ratio", "0.5", "-twin")
	code, rep := checkJSON(t, append([]string{"--otlp-http", otlp, "--max-exemplars", "1000", url}, fast...)...)
	assert.Equal(t, 1, code, "sampled-out traces' links dangle")

	sampled := map[string]string{} // trace ID → the twin's sampled label
	for _, r := range rep.Exemplars {
		if r.Metric == twin {
			sampled[r.TraceID] = r.LabelsIn["sampled"]
		}
	}
	var resolved, dangling int
	for _, r := range rep.Exemplars {
		if !r.Linked || r.Resolution == ResolutionBeforeReceiver {
			continue
		}
		s, ok := sampled[r.TraceID]
		if !ok {
			continue // the twin's bucket holds another request
		}
		switch s {
		case "true":
			resolved++
			assert.Equal(t, ResolutionResolved, r.Resolution, "sampled, so exported: %+v", r)
		case "false":
			dangling++
			assert.Equal(t, ResolutionDangling, r.Resolution, "sampled out, never exported: %+v", r)
		default:
			t.Errorf("twin exemplar without a sampled label: %+v", r)
		}
	}
	t.Logf("links of sampled traces: %d, of sampled-out ones: %d", resolved, dangling)
	assert.Positive(t, resolved)
	assert.Positive(t, dangling)
	assert.Contains(t, rep.pitfalls(), PitfallSpanNotExported)
}
