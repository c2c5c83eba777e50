//go:build race

package realserver

// raceEnabled: this test binary runs under the race detector, whose overhead in the simulator (the
// fake vendor, in this process) distorts what it measures in time.
const raceEnabled = true
