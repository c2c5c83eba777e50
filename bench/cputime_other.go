//go:build !unix

package main

import "time"

// processCPU is not read on this system: the per-poll comparisons fall back to wall time.
func processCPU() (time.Duration, bool) { return 0, false }
