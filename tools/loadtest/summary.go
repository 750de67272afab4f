package main

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// spread summarises repeated measurements: the median and the range.
type spread struct {
	n                int
	median, min, max float64
}

// summarize returns the median (the mean of the middle two for an even
// count) and the range of xs; NaN values are refused, not sorted somewhere.
func summarize(xs []float64) (spread, error) {
	if len(xs) == 0 {
		return spread{}, errors.New("no measurements")
	}
	s := slices.Clone(xs)
	for _, x := range s {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return spread{}, fmt.Errorf("measurement %v is not a number", x)
		}
	}
	slices.Sort(s)
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return spread{n: n, median: med, min: s[0], max: s[n-1]}, nil
}

// format writes the median and the range with the given precision, e.g.
// "0.412 (0.398–0.431, n=5)".
func (s spread) format(prec int) string {
	return fmt.Sprintf("%.*f (%.*f–%.*f, n=%d)", prec, s.median, prec, s.min, prec, s.max, s.n)
}

// ratios divides a[i] by b[i]: runs taken as interleaved pairs, so that a
// change in the machine's load between pairs cancels out.
func ratios(a, b []float64) ([]float64, error) {
	if len(a) != len(b) {
		return nil, fmt.Errorf("%d runs against %d: pairs needed", len(a), len(b))
	}
	out := make([]float64, len(a))
	for i := range a {
		if b[i] <= 0 {
			return nil, fmt.Errorf("run %d: cannot divide by %v", i+1, b[i])
		}
		out[i] = a[i] / b[i]
	}
	return out, nil
}
