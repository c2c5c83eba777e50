//go:build race

package tencent_test

// raceEnabled reports whether the race detector is on: it makes a million-user answer take a minute.
const raceEnabled = true
