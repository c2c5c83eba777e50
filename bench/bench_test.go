package main

import (
	"encoding/json"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

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
	}{{"poll=sdk", viaSDK}, {"poll=raw", rawPoll(srv, srv.Client())}} {
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

// TestScheduleGoals checks the workload goals on the simulated clock (no wall time involved), with
// fewer jobs and seeds than the full run.
func TestScheduleGoals(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every workload")
	}
	r := report{Workloads: runWorkloads(300, 600, 3, 1)}
	for _, g := range goals(r) {
		if strings.HasPrefix(g.Name, "overhead") || strings.HasPrefix(g.Name, "transport") {
			continue
		}
		if !g.Met {
			t.Errorf("goal not met: %s (%s)", g.Name, g.Note)
		}
	}
}

// TestJSONShape pins the names of bench -json, a contract with acceptance checks.
func TestJSONShape(t *testing.T) {
	r := report{Workloads: runWorkloads(20, 20, 1, 1), Watcher: &watcherResult{}, Bulk: &bulkResult{}}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	keys := func(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }
	if k := keys(got); !slices.Equal(k, []string{"bulk", "overhead", "transport", "watcher", "workloads"}) {
		t.Errorf("top-level keys %v", k)
	}
	wl := got["workloads"].(map[string]any)
	if k := keys(wl); !slices.Equal(k, []string{"progress", "sized", "uninformed"}) {
		t.Errorf("workloads keys %v", k)
	}
	for name, list := range wl {
		var policies []string
		for _, x := range list.([]any) {
			m := x.(map[string]any)
			if k := keys(m); !slices.Equal(k, []string{"lag_mean_s", "lag_p99_s", "policy", "requests_per_job", "seeds"}) {
				t.Errorf("%s: keys %v", name, k)
			}
			policies = append(policies, m["policy"].(string))
		}
		if !slices.Equal(policies, []string{"jobwatch", "fixed-1s", "fixed-30s", "smithy-waiter", "gax"}) {
			t.Errorf("%s: policies %v", name, policies)
		}
	}
	if k := keys(got["watcher"].(map[string]any)); !slices.Equal(k, []string{"batch_cap", "heap_kib_per_job", "jobs", "lag_bound_s", "lag_p99_s", "loaded", "max_req_per_s", "rate_limited"}) {
		t.Errorf("watcher keys %v", k)
	}
	if k := keys(got["overhead"].(map[string]any)); !slices.Equal(k, []string{"allocs_raw", "allocs_sdk", "ratio"}) {
		t.Errorf("overhead keys %v", k)
	}
	if k := keys(got["transport"].(map[string]any)); !slices.Equal(k, []string{"ratio"}) {
		t.Errorf("transport keys %v", k)
	}
	if k := keys(got["bulk"].(map[string]any)); !slices.Equal(k, []string{"engine_slot_use", "job_duration_s", "jobs", "jobs_in_flight", "lower_bound_s",
		"preflight_s", "rate_limited", "refused", "requests", "slot_use", "users", "users_per_job", "wall_s"}) {
		t.Errorf("bulk keys %v", k)
	}
}

// TestBulkRun runs the bulk scenario small: every user imported, no refusal for rate or jobs in flight.
func TestBulkRun(t *testing.T) {
	b, err := runBulk(3000, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if b.Jobs != 3 || b.RateLimited != 0 || b.Refused != 0 || b.LowerBoundS != 0.2 {
		t.Errorf("%+v", b)
	}
	t.Logf("slot use %.3f (engine %.3f), %d requests, wall %.2fs vs bound %.2fs, pre-flight of 100,000 lines %.2fs",
		b.SlotUse, b.EngineSlotUse, b.Requests, b.WallS, b.LowerBoundS, b.PreflightS)
}

// TestSmithyFaithful pins the smithy waiter's delays: min at attempt 1, drawn from [min, min·2ⁿ⁻¹) up
// to the ceiling (6 for 2 s/120 s), from [min, max) past it.
func TestSmithyFaithful(t *testing.T) {
	p := smithyPolicy(2*time.Second, 120*time.Second).make(simJob{}, rand.New(rand.NewPCG(1, 1)), nil, workload{})
	now := time.Duration(0)
	sawHigh := false
	for attempt := 1; attempt <= 200; attempt++ {
		next := p.observe(now, false, nil)
		d := next - now
		hi := 120 * time.Second
		if attempt <= 6 {
			hi = 2 * time.Second << (attempt - 1)
		}
		if attempt == 1 && d != 2*time.Second || d < 2*time.Second || (attempt > 1 && d >= hi) {
			t.Fatalf("attempt %d: delay %s outside [2s, %s)", attempt, d, hi)
		}
		sawHigh = sawHigh || (attempt > 6 && d > 100*time.Second)
		now = next
	}
	if !sawHigh {
		t.Error("past the ceiling no delay came near the max")
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
