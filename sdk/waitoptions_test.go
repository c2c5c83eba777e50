package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/observe"
)

// timedJob is a Poller of one job that runs for run from its first poll, then ends in final with
// failed users; its first len(errs) polls fail with those errors. It answers after delay.
type timedJob struct {
	run    time.Duration
	final  sdk.State
	failed int
	errs   []error
	delay  time.Duration

	mu       sync.Mutex
	start    time.Time
	polls    []time.Time
	inFlight int
	most     int // the most polls in flight at once
}

func (j *timedJob) Vendor() string { return "fake" }

func (j *timedJob) Status(ctx context.Context, id string) (*sdk.Job, error) {
	j.mu.Lock()
	now := time.Now()
	if j.start.IsZero() {
		j.start = now
	}
	j.polls = append(j.polls, now)
	n := len(j.polls)
	j.inFlight++
	j.most = max(j.most, j.inFlight)
	j.mu.Unlock()
	defer func() { j.mu.Lock(); j.inFlight--; j.mu.Unlock() }()
	if j.delay > 0 {
		select {
		case <-time.After(j.delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if n <= len(j.errs) {
		return nil, j.errs[n-1]
	}
	job := &sdk.Job{Vendor: "fake", ID: id, State: sdk.StateRunning, Failures: []sdk.Failure{}}
	if now.Sub(j.start) >= j.run {
		job.State, job.Done = j.final, true
		for i := range j.failed {
			job.Failures = append(job.Failures, sdk.Failure{User: fmt.Sprint("u", i)})
		}
	}
	return job, nil
}

// trace is what a wait did: when it polled (from its start), how it ended, and what the context's
// Observer saw.
func trace(t *testing.T, j *timedJob, opts *sdk.WaitOptions) string {
	t.Helper()
	var observed int
	ctx := observe.NewContext(t.Context(), &observe.Observer{Poll: func(context.Context, observe.Poll) { observed++ }})
	start := time.Now()
	job, err := sdk.Wait(ctx, j, "j", opts)
	var at []time.Duration
	for _, p := range j.polls {
		at = append(at, p.Sub(start))
	}
	state := sdk.State("none")
	if job != nil {
		state = job.State
	}
	return fmt.Sprintf("polls %v; ended %v after %v with %v; the context's observer saw %d polls", at, state, time.Since(start), err, observed)
}

func noJitter() float64 { return 0 }

// TestWaitOptionsZeroIsTheDefault: each WaitOptions field left zero makes the wait its doc states, the
// same as the field set to that default (or, for a field whose default is "none", as leaving every
// option out), against jobs whose wait shows the field.
func TestWaitOptionsZeroIsTheDefault(t *testing.T) {
	transient := &sdk.APIError{Vendor: "fake", StatusCode: 503}
	cases := []struct {
		field     string
		job       func() *timedJob
		zero, def sdk.WaitOptions
	}{
		{"MinDelay", func() *timedJob { return &timedJob{run: time.Minute, final: sdk.StateSucceeded} },
			sdk.WaitOptions{MinDelay: 0, Random: noJitter}, sdk.WaitOptions{MinDelay: 2 * time.Second, Random: noJitter}},
		{"MaxDelay", func() *timedJob { return &timedJob{run: 20 * time.Minute, final: sdk.StateSucceeded} },
			sdk.WaitOptions{MaxDelay: 0, Random: noJitter}, sdk.WaitOptions{MaxDelay: 80 * time.Second, Random: noJitter}},
		{"MaxWait", func() *timedJob { return &timedJob{run: 7 * time.Hour, final: sdk.StateSucceeded} },
			sdk.WaitOptions{MaxWait: 0, Random: noJitter}, sdk.WaitOptions{MaxWait: 6 * time.Hour, Random: noJitter}},
		{"MaxTransientErrors", func() *timedJob {
			return &timedJob{run: time.Hour, final: sdk.StateSucceeded, errs: slices.Repeat([]error{transient}, 10)}
		}, sdk.WaitOptions{MaxTransientErrors: 0, Random: noJitter}, sdk.WaitOptions{MaxTransientErrors: 5, Random: noJitter}},
		// Unknown: a job whose every user failed keeps the vendor's word, partially succeeded.
		{"Size", func() *timedJob { return &timedJob{run: time.Minute, final: sdk.StatePartiallySucceeded, failed: 3} },
			sdk.WaitOptions{Size: 0, Random: noJitter}, sdk.WaitOptions{Random: noJitter}},
		// None: a known size alone does not change the schedule.
		{"Estimator", func() *timedJob { return &timedJob{run: 10 * time.Minute, final: sdk.StateSucceeded} },
			sdk.WaitOptions{Estimator: nil, Size: 100, Random: noJitter}, sdk.WaitOptions{Random: noJitter}},
		// The context's Observer sees the polls.
		{"Observer", func() *timedJob { return &timedJob{run: time.Minute, final: sdk.StateSucceeded} },
			sdk.WaitOptions{Observer: nil, Random: noJitter}, sdk.WaitOptions{Random: noJitter}},
		{"Progress", func() *timedJob { return &timedJob{run: time.Minute, final: sdk.StateSucceeded} },
			sdk.WaitOptions{Progress: nil, Random: noJitter}, sdk.WaitOptions{Random: noJitter}},
		{"Checkpoint", func() *timedJob { return &timedJob{run: time.Minute, final: sdk.StateSucceeded} },
			sdk.WaitOptions{Checkpoint: nil, Random: noJitter}, sdk.WaitOptions{Random: noJitter}},
		// A new wait: the first poll at once.
		{"ResumeToken", func() *timedJob { return &timedJob{run: time.Minute, final: sdk.StateSucceeded} },
			sdk.WaitOptions{ResumeToken: "", Random: noJitter}, sdk.WaitOptions{Random: noJitter}},
	}
	want := map[string]string{
		"MinDelay":           "polls [0s 2s 6s 14s 30s 1m2s]",
		"MaxDelay":           "polls [0s 2s 6s 14s 30s 1m2s 2m6s 3m26s 4m46s 6m6s 7m26s 8m46s 10m6s 11m26s 12m46s 14m6s 15m26s 16m46s 18m6s 19m26s 20m46s]",
		"MaxTransientErrors": "polls [0s 2s 4s 6s 8s 10s]; ended none after 10s with fake job j: 6 transient errors in a row",
		"Size":               "ended partially_succeeded",
		"Observer":           "the context's observer saw 6 polls",
	}
	for _, tc := range cases {
		t.Run(tc.field, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				zero, def := trace(t, tc.job(), &tc.zero), trace(t, tc.job(), &tc.def)
				if zero != def {
					t.Errorf("zero %s: %s\nthe default: %s", tc.field, zero, def)
				}
				if w, ok := want[tc.field]; ok && !strings.Contains(zero, w) {
					t.Errorf("zero %s: %s\nwant %s", tc.field, zero, w)
				}
			})
		})
	}
	// MaxWait: 6 h, the last poll a min delay before it.
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		_, err := sdk.Wait(t.Context(), &timedJob{run: 7 * time.Hour, final: sdk.StateSucceeded}, "j", &sdk.WaitOptions{MaxWait: 0})
		if got := time.Since(start); !errors.Is(err, sdk.ErrWaitTimeout) || got > 6*time.Hour-2*time.Second || got < 6*time.Hour-82*time.Second {
			t.Errorf("zero MaxWait ended after %v with %v, want a timeout a min delay before 6h", got, err)
		}
	})
	// Random: nil draws from math/rand/v2, each delay in [0.8·d, d] of the nominal d.
	synctest.Test(t, func(t *testing.T) {
		nominal, drawn := &timedJob{run: 30 * time.Minute, final: sdk.StateSucceeded}, &timedJob{run: 30 * time.Minute, final: sdk.StateSucceeded}
		trace(t, nominal, &sdk.WaitOptions{Random: noJitter})
		trace(t, drawn, &sdk.WaitOptions{Random: nil})
		jittered := false
		for i := 1; i < min(len(nominal.polls), len(drawn.polls)); i++ {
			d, g := nominal.polls[i].Sub(nominal.polls[i-1]), drawn.polls[i].Sub(drawn.polls[i-1])
			if g > d || g < d*8/10 {
				t.Errorf("gap %d: %v, want in [0.8·%v, %v]", i, g, d, d)
			}
			jittered = jittered || g != d
		}
		if !jittered {
			t.Error("a nil Random drew no delay below the nominal one")
		}
	})
}

// TestWatcherOptionsZeroIsTheDefault: WatcherOptions' fields left zero (or a nil *WatcherOptions) make
// the Watcher their docs state: a job polls on Wait's schedule, and at most 4 requests per client are in
// flight. A job's own options override only their non-zero fields.
func TestWatcherOptionsZeroIsTheDefault(t *testing.T) {
	watch := func(t *testing.T, opts *sdk.WatcherOptions, jobOpts *sdk.WaitOptions, jobs ...*timedJob) []sdk.WatchResult {
		w, err := sdk.NewWatcher(opts)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		for i, j := range jobs {
			if err := w.Add(j, fmt.Sprint("j", i), jobOpts); err != nil {
				t.Fatal(err)
			}
		}
		var out []sdk.WatchResult
		for range jobs {
			out = append(out, <-w.Results())
		}
		return out
	}
	t.Run("Wait", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			waited, watched := &timedJob{run: 5 * time.Minute, final: sdk.StateSucceeded}, &timedJob{run: 5 * time.Minute, final: sdk.StateSucceeded}
			trace(t, waited, &sdk.WaitOptions{Random: noJitter})
			start := time.Now()
			watch(t, &sdk.WatcherOptions{Wait: sdk.WaitOptions{Random: noJitter}}, nil, watched)
			for i := range waited.polls {
				if i >= len(watched.polls) || waited.polls[i].Sub(waited.polls[0]) != watched.polls[i].Sub(start) {
					t.Fatalf("watched polls %v, want Wait's %v", watched.polls, waited.polls)
				}
			}
		})
	})
	for _, tc := range []struct {
		name string
		opts *sdk.WatcherOptions
		want int
	}{{"nil", nil, 4}, {"MaxInFlight zero", &sdk.WatcherOptions{MaxInFlight: 0}, 4}, {"MaxInFlight 4", &sdk.WatcherOptions{MaxInFlight: 4}, 4},
		{"MaxInFlight 2", &sdk.WatcherOptions{MaxInFlight: 2}, 2}} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				j := &timedJob{final: sdk.StateSucceeded, delay: 10 * time.Second}
				watch(t, tc.opts, nil, j, j, j, j, j, j, j, j)
				if j.most != tc.want {
					t.Errorf("%d requests in flight at most, want %d", j.most, tc.want)
				}
			})
		})
	}
	t.Run("Add's options over the Watcher's", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			r := watch(t, &sdk.WatcherOptions{Wait: sdk.WaitOptions{MaxWait: time.Minute, Random: noJitter}}, &sdk.WaitOptions{MinDelay: time.Second},
				&timedJob{run: time.Hour, final: sdk.StateSucceeded})[0]
			if !errors.Is(r.Err, sdk.ErrWaitTimeout) || time.Since(start) > time.Minute || r.Job.ID != "j0" || r.Job.State != sdk.StateRunning {
				t.Errorf("after %v: %+v, %v; want the Watcher's 1m max wait kept", time.Since(start), r.Job, r.Err)
			}
		})
	})
}
