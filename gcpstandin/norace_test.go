//go:build !race

package gcpstandin

const raceEnabled = false
