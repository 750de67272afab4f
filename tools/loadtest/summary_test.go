package main

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSummarize(t *testing.T) {
	t.Parallel()
	in := []float64{0.31, 0.29, 0.5, 0.30, 0.28}
	s, err := summarize(in)
	require.NoError(t, err)
	assert.Equal(t, spread{n: 5, median: 0.30, min: 0.28, max: 0.5}, s)
	assert.Equal(t, []float64{0.31, 0.29, 0.5, 0.30, 0.28}, in, "input left in its order")
	assert.Equal(t, "0.300 (0.280–0.500, n=5)", s.format(3))

	s, err = summarize([]float64{4, 1, 3, 2})
	require.NoError(t, err)
	assert.Equal(t, spread{n: 4, median: 2.5, min: 1, max: 4}, s, "even count: mean of the middle two")

	_, err = summarize(nil)
	require.EqualError(t, err, "no measurements")
	_, err = summarize([]float64{1, math.NaN()})
	require.EqualError(t, err, "measurement NaN is not a number")
}

func TestRatios(t *testing.T) {
	t.Parallel()
	got, err := ratios([]float64{1.1, 2, 3}, []float64{1, 2, 4})
	require.NoError(t, err)
	assert.InDeltaSlice(t, []float64{1.1, 1, 0.75}, got, 1e-12)

	_, err = ratios([]float64{1}, []float64{1, 2})
	require.EqualError(t, err, "1 runs against 2: pairs needed")
	_, err = ratios([]float64{1}, []float64{0})
	require.EqualError(t, err, "run 1: cannot divide by 0")
}
