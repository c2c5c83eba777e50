package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/jobwatch/jobwatch/contract"
	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/bulk"
	"github.com/jobwatch/jobwatch/sdk/tencent"
	"github.com/jobwatch/jobwatch/simulator"
)

// bulkResult is `jobwatch run`'s engine importing users into Tencent against the simulator on
// loopback, under Tencent's limits (two import jobs at a time, 20 requests/s). Its JSON names are a
// contract (bench -json).
type bulkResult struct {
	Users        int `json:"users"`
	Jobs         int `json:"jobs"`
	UsersPerJob  int `json:"users_per_job"`
	JobsInFlight int `json:"jobs_in_flight"`
	// JobDurationS is how long each simulated job runs.
	JobDurationS float64 `json:"job_duration_s"`
	// SlotUse is the share of the allowed job slots (jobs in flight × time) that jobs held at the
	// vendor, from the first job's creation to the last's: while chunks waited for a slot.
	SlotUse float64 `json:"slot_use"`
	// EngineSlotUse is the same share as the engine sees it (summary.json's slot_use): a slot is held
	// from the submit until the poll that sees the job end.
	EngineSlotUse float64 `json:"engine_slot_use"`
	// Requests counts the requests the simulator received; RateLimited and Refused those it refused
	// for rate and for too many jobs.
	Requests    int `json:"requests"`
	RateLimited int `json:"rate_limited"`
	Refused     int `json:"refused"`
	// WallS is the run's wall time; LowerBoundS the least the limits allow: ⌈jobs ÷ jobs in flight⌉
	// × the job duration.
	WallS       float64 `json:"wall_s"`
	LowerBoundS float64 `json:"lower_bound_s"`
	// PreflightS is the pre-flight of 100,000 lines (read, schema, request rules, duplicates).
	PreflightS float64 `json:"preflight_s"`
}

// runBulk imports users users into the simulated Tencent with the bulk engine.
func runBulk(users int, jobDuration time.Duration) (bulkResult, error) {
	limits := tencent.NewBulk(nil) // the adapter's limits, which need no client
	res := bulkResult{Users: users, UsersPerJob: limits.UsersPerJob(), JobsInFlight: limits.JobsInFlight(), JobDurationS: jobDuration.Seconds()}
	srv, err := simulator.NewServer(simulator.Options{JobDuration: jobDuration, TencentRate: tencentRate,
		Bulk: simulator.BulkOptions{JobsInFlight: map[string]int{simulator.Tencent: limits.JobsInFlight()}}})
	if err != nil {
		return res, err
	}
	defer srv.Close()
	c := srv.Credentials()
	client, err := tencent.New(tencent.Config{SecretID: c.TencentSecretID, SecretKey: sdk.Secret(c.TencentSecretKey), Region: "ap-guangzhou", UserStoreID: "bench"},
		&sdk.ClientOptions{BaseURL: srv.BaseURL(simulator.Tencent), Getenv: func(string) string { return "" }})
	if err != nil {
		return res, err
	}
	v := tencent.NewBulk(client)

	var b strings.Builder
	for i := 1; i <= max(users, 100000); i++ {
		fmt.Fprintf(&b, "{\"UserName\":\"user%07d\",\"Email\":\"user%07d@example.com\"}\n", i, i)
	}
	all := b.String()
	check, err := contract.ItemValidator(simulator.Tencent)
	if err != nil {
		return res, err
	}
	// The pre-flight of 100,000 lines, timed alone.
	first := all[:nthLine(all, 100000)]
	start := time.Now()
	in, err := bulk.ReadInput(strings.NewReader(first), bulk.FormatNDJSON)
	if err != nil {
		return res, err
	}
	bulk.Preflight(in, v, bulk.Schema(check))
	res.PreflightS = time.Since(start).Seconds()

	in, err = bulk.ReadInput(strings.NewReader(all[:nthLine(all, users)]), bulk.FormatNDJSON)
	if err != nil {
		return res, err
	}
	if valid := bulk.Preflight(in, v, bulk.Schema(check)); valid != users {
		return res, fmt.Errorf("bulk: %d of %d lines valid", valid, users)
	}
	dir, err := os.MkdirTemp("", "jobwatch-bench-bulk-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	start = time.Now()
	sum, err := bulk.Run(context.Background(), v, in, bulk.Options{Dir: dir, PollInterval: time.Second / tencentRate, RoundBackoff: -1,
		Progress: func(p bulk.Progress) {}})
	if err != nil {
		return res, err
	}
	res.WallS = time.Since(start).Seconds()
	if sum.Counts[bulk.OutcomeSucceeded] != users {
		return res, fmt.Errorf("bulk: %v", sum.Counts)
	}
	st := srv.Stats(simulator.Tencent)
	res.Jobs, res.Requests, res.RateLimited, res.Refused = sum.Jobs, st.Requests, st.RateLimited, srv.Refusals(simulator.Tencent)
	rounds := (res.Jobs + res.JobsInFlight - 1) / res.JobsInFlight
	res.LowerBoundS = float64(rounds) * jobDuration.Seconds()
	res.SlotUse = slotUse(srv.JobSpans(simulator.Tencent), res.JobsInFlight)
	if sum.SlotUse != nil {
		res.EngineSlotUse = *sum.SlotUse
	}
	return res, nil
}

// nthLine is the offset just after the n-th line of s.
func nthLine(s string, n int) int {
	off := 0
	for range n {
		i := strings.IndexByte(s[off:], '\n')
		if i < 0 {
			return len(s)
		}
		off += i + 1
	}
	return off
}

// slotUse is the share of limit × [first creation, last creation] covered by running jobs, at most
// limit at a time.
func slotUse(spans []simulator.JobSpan, limit int) float64 {
	if len(spans) < 2 {
		return 1
	}
	from, to := spans[0].Created, spans[len(spans)-1].Created
	type ev struct {
		at time.Time
		d  int
	}
	var evs []ev
	for _, s := range spans {
		evs = append(evs, ev{s.Created, 1}, ev{s.Finished, -1})
	}
	sort.Slice(evs, func(i, j int) bool {
		return evs[i].at.Before(evs[j].at) || evs[i].at.Equal(evs[j].at) && evs[i].d < evs[j].d
	})
	var used time.Duration
	active, last := 0, from
	for _, e := range evs {
		at := e.at
		if at.Before(from) {
			at = from
		}
		if at.After(to) {
			at = to
		}
		if at.After(last) {
			used += time.Duration(min(active, limit)) * at.Sub(last)
			last = at
		}
		active += e.d
	}
	window := to.Sub(from)
	if window <= 0 {
		return 1
	}
	return float64(used) / float64(time.Duration(limit)*window)
}
