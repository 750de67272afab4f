package exemplarlinkprocessor

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/exemplarlink/exemplarlinkprocessor/internal/metadata"
	"github.com/exemplarlink/exemplarlinkprocessor/internal/testing/benchdata"
)

// TestZeroAllocationsPerExemplar pins what BenchmarkExemplarLink shows: the
// allocations of a batch do not grow with its exemplars. It runs the mixed
// batch (every label style, trace-only ones whose value moves into the
// trace_id label included) at two sizes and requires the same count, so
// one allocation per exemplar of any style fails it.
func TestZeroAllocationsPerExemplar(t *testing.T) {
	// Not parallel: AllocsPerRun counts every goroutine's allocations.
	small, large := allocsPerBatch(t, 20), allocsPerBatch(t, 200)
	exemplars := benchdata.Exemplars(benchdata.Mixed(200)) - benchdata.Exemplars(benchdata.Mixed(20))
	require.Positive(t, exemplars)
	assert.InDelta(t, small, large, 0.5,
		"a mixed batch of %d more exemplars made %.1f more allocations", exemplars, large-small)
}

// allocsPerBatch is the average number of allocations of consuming one
// fresh mixed batch of the given series, through the factory.
func allocsPerBatch(t *testing.T, series int) float64 {
	const runs = 20
	proc, err := NewFactory().CreateMetrics(t.Context(), processortest.NewNopSettings(metadata.Type), createDefaultConfig(), consumertest.NewNop())
	require.NoError(t, err)
	// AllocsPerRun calls the function once more to warm up; every call
	// gets a batch of its own, made before counting starts.
	batches := make([]pmetric.Metrics, runs+1)
	for i := range batches {
		batches[i] = benchdata.Mixed(series)
	}
	next := 0
	return testing.AllocsPerRun(runs, func() {
		if err := proc.ConsumeMetrics(t.Context(), batches[next]); err != nil {
			t.Fatal(err)
		}
		next++
	})
}
