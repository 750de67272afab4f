//go:build race

package gcpstandin

// raceEnabled: the race detector slows the flood test's work several
// times over; its time bounds widen to match.
const raceEnabled = true
