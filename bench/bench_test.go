package main

import "testing"

// BenchmarkStatus is one Status poll through the sdk against a loopback server, and the same poll
// written by hand with net/http and encoding/json decoding into the same generated type. Compare the
// two with benchstat:
//
//	go test -run '^$' -bench Status -count 10 ./bench > status.txt
//	go run golang.org/x/perf/cmd/benchstat -col /poll status.txt
func BenchmarkStatus(b *testing.B) {
	srv := pollServer()
	defer srv.Close()
	viaSDK, err := sdkPoll(srv)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		poll func() error
	}{{"poll=sdk", viaSDK}, {"poll=raw", rawPoll(srv)}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := bc.poll(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestScheduleGoals checks the schedule goals on the simulated clock (no wall time involved).
func TestScheduleGoals(t *testing.T) {
	r := report{Schedule: runSchedules(1000, 1)}
	for _, g := range goals(r) {
		if g.Name[:8] == "overhead" {
			continue
		}
		if !g.Met {
			t.Errorf("goal not met: %s (%s)", g.Name, g.Note)
		}
	}
}

// TestPercentile pins the nearest-rank definition the report uses.
func TestPercentile(t *testing.T) {
	xs := make([]float64, 100)
	for i := range xs {
		xs[i] = float64(100 - i)
	}
	if p := percentile(xs, 0.99); p != 99 {
		t.Errorf("p99 of 1..100 = %v, want 99", p)
	}
	if p := percentile(nil, 0.5); p != 0 {
		t.Errorf("empty: %v", p)
	}
}
