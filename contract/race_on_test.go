//go:build race

package contract_test

// raceEnabled reports whether the race detector is on: it changes allocation counts.
const raceEnabled = true
