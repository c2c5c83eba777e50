package sdk

import (
	"context"
	"errors"
	"github.com/jobwatch/jobwatch/sdk/observe"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// nilPoller breaks the Poller contract: Status returns neither a job nor an error.
type nilPoller struct{}

func (nilPoller) Vendor() string                               { return "nil" }
func (nilPoller) Status(context.Context, string) (*Job, error) { return nil, nil }

// mapPoller is a Poller whose type is not comparable.
type mapPoller struct{ jobs map[string]State }

func (m mapPoller) Vendor() string { return "map" }
func (m mapPoller) Status(_ context.Context, id string) (*Job, error) {
	return (&Job{Vendor: "map", ID: id, State: m.jobs[id]}).finish(), nil
}

// boxPoller has a comparable type, but may hold a value that is not.
type boxPoller struct{ v any }

func (boxPoller) Vendor() string { return "box" }
func (boxPoller) Status(_ context.Context, id string) (*Job, error) {
	return (&Job{Vendor: "box", ID: id, State: StateSucceeded}).finish(), nil
}

func TestPollerWithoutJobGetsErrUnexpectedResponse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		job, err := Wait(t.Context(), nilPoller{}, "j", nil)
		if job != nil || !errors.Is(err, ErrUnexpectedResponse) {
			t.Errorf("Wait: %v, %v; want ErrUnexpectedResponse", job, err)
		}
		r := watchOne(t, nilPoller{}, "j", &WaitOptions{}, nil)
		if r.Job.Vendor != "nil" || r.Job.ID != "j" || r.Job.State != StateUnknown || !errors.Is(r.Err, ErrUnexpectedResponse) {
			t.Errorf("Watcher result %+v, want ErrUnexpectedResponse", r)
		}
		pl, err := NewPlanner("nil", "j", time.Now(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, done, _, err := pl.Observe(time.Now(), nil, nil); !done || !errors.Is(err, ErrUnexpectedResponse) {
			t.Errorf("Planner: done %v, %v; want ErrUnexpectedResponse", done, err)
		}
	})
}

func TestWatcherRefusesNonComparablePoller(t *testing.T) {
	token := func(p Poller) string {
		wt, err := newWaiter(p, "j", nil)
		if err != nil {
			t.Fatal(err)
		}
		return wt.s.token()
	}
	for _, tc := range []struct {
		name   string
		p, ptr Poller
	}{
		{"struct with a map", mapPoller{jobs: map[string]State{"j": StateSucceeded}}, &mapPoller{jobs: map[string]State{"j": StateSucceeded}}},
		{"struct holding a func", boxPoller{v: func() {}}, &boxPoller{v: func() {}}},
		{"struct holding a slice", boxPoller{v: []int{1}}, &boxPoller{v: []int{1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := NewWatcher(nil)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			for name, err := range map[string]error{
				"Add":                     w.Add(tc.p, "j", nil),
				"Add with a resume token": w.Add(tc.p, "", &WaitOptions{ResumeToken: token(tc.p)}),
			} {
				if !errors.Is(err, ErrUnexpectedResponse) {
					t.Errorf("%s: %v, want ErrUnexpectedResponse", name, err)
				}
			}
			if w.Remove(tc.p, "j") {
				t.Error("Remove found a job of a refused poller")
			}
			// The Watcher still works, and a pointer to the same poller is welcome.
			if err := w.Add(tc.ptr, "j", nil); err != nil {
				t.Errorf("a pointer: %v", err)
			}
			if r := <-w.Results(); r.Err != nil || r.Job == nil || r.Job.State != StateSucceeded {
				t.Errorf("a pointer: %+v", r)
			}
		})
	}
	// A comparable value in the same type is fine.
	w, err := NewWatcher(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Add(boxPoller{v: 1}, "j", nil); err != nil {
		t.Errorf("comparable box: %v", err)
	}
}

// TestResumeTrimsToTheResumedDeadline takes a token while the next poll is an hour away, and resumes it
// with a one-second budget: the next poll is due at the deadline, not an hour later.
func TestResumeTrimsToTheResumedDeadline(t *testing.T) {
	for _, how := range []string{"Wait", "Watcher.Add", "NewPlanner"} {
		t.Run(how, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFake(map[string]time.Duration{"j": 24 * time.Hour})
				began := time.Now()
				ctx, cancel := context.WithCancel(t.Context())
				var token string
				_, err := Wait(ctx, f, "j", &WaitOptions{MinDelay: time.Hour, MaxDelay: time.Hour, Checkpoint: func(tok string) { token = tok; cancel() }})
				if !errors.Is(err, context.Canceled) || token == "" {
					t.Fatalf("first wait: %v", err)
				}
				polls := len(f.polls)
				short := &WaitOptions{ResumeToken: token, MaxWait: time.Second}
				switch how {
				case "Wait":
					_, err = Wait(t.Context(), f, "", short)
				case "Watcher.Add":
					err = watchOne(t, f, "", &WaitOptions{}, short).Err
				case "NewPlanner":
					pl, perr := NewPlanner("", "", time.Time{}, short)
					if perr != nil {
						t.Fatal(perr)
					}
					if got := pl.Next().Sub(began); got != 0 {
						t.Errorf("Planner.Next is %v after the wait began, want 0: a min delay (1h) before the 1s deadline, but not before the start", got)
					}
					time.Sleep(time.Until(pl.Next()))
					j, _ := f.Status(t.Context(), "j")
					_, _, _, err = pl.Observe(time.Now(), j, nil)
				}
				if !errors.Is(err, ErrWaitTimeout) {
					t.Fatalf("resumed: %v, want a timeout", err)
				}
				if got := time.Since(began); got != 0 {
					t.Errorf("resumed wait ended %v after it began, want at once: less than the min delay is left", got)
				}
				if n := len(f.polls) - polls; n != 1 {
					t.Errorf("%d polls after resuming, want one last poll", n)
				}
			})
		})
	}
}

// TestResumePlannerContinuesTheSchedule checks that a Planner resumed from a token keeps the token's
// budget and next poll, and refuses a bad token.
func TestResumePlannerContinuesTheSchedule(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	pl, err := NewPlanner("fake", "j", start, &WaitOptions{Random: noJitter, MaxWait: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if !pl.Next().Equal(start) {
		t.Errorf("a new plan's Next is %v, want its start", pl.Next())
	}
	next, _, _, _ := pl.Observe(start, (&Job{Vendor: "fake", ID: "j", State: StateRunning}).finish(), nil)
	rp, err := NewPlanner("", "", time.Time{}, &WaitOptions{ResumeToken: pl.ResumeToken(), Random: noJitter})
	if err != nil {
		t.Fatal(err)
	}
	if !rp.Next().Equal(next) || !rp.Next().Equal(pl.Next()) {
		t.Errorf("resumed Next %v, want %v", rp.Next(), next)
	}
	a, _, _, _ := pl.Observe(next, (&Job{Vendor: "fake", ID: "j", State: StateRunning}).finish(), nil)
	b, _, _, _ := rp.Observe(next, (&Job{Vendor: "fake", ID: "j", State: StateRunning}).finish(), nil)
	if !a.Equal(b) {
		t.Errorf("resumed plan polls at %v, the original at %v", b, a)
	}
	_, done, _, err := rp.Observe(start.Add(time.Hour), (&Job{Vendor: "fake", ID: "j", State: StateRunning}).finish(), nil)
	if !done || !errors.Is(err, ErrWaitTimeout) {
		t.Errorf("past the token's budget: done %v, %v", done, err)
	}
	if _, err := NewPlanner("", "", time.Time{}, &WaitOptions{ResumeToken: "jw1.e30"}); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("bad token: %v", err)
	}
}

// TestRetryObserved: each poll that fails transiently and will be tried again is reported to the
// Observer's Retry hook, with what a "retrying in 1s (1/4)" line needs, whether the Observer is a
// wait's, a Watcher's or one job's; the error that ends the wait is returned, not reported.
func TestRetryObserved(t *testing.T) {
	transient := &APIError{Vendor: "fake", StatusCode: 503, kind: ErrServerError}
	type retry struct {
		Vendor, JobID, Reason string
		Err                   error
		Attempt, MaxAttempts  int
		Delay                 time.Duration
	}
	for _, via := range []string{"Wait", "WatcherOptions", "Add"} {
		t.Run(via, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFake(map[string]time.Duration{"j": 0})
				f.errs = []error{transient, transient}
				var mu sync.Mutex
				var got []retry
				var polledAt []time.Time
				obs := &observe.Observer{Retry: func(_ context.Context, e observe.Retry) {
					mu.Lock()
					defer mu.Unlock()
					got = append(got, retry{e.Vendor, e.JobID, e.Reason, e.Err, e.Attempt, e.MaxAttempts, e.Delay})
					polledAt = append(polledAt, time.Now())
				}}
				sched := WaitOptions{MinDelay: time.Second, MaxDelay: 10 * time.Second, Random: noJitter, MaxTransientErrors: 3}
				var err error
				switch via {
				case "Wait":
					sched.Observer = obs
					_, err = Wait(t.Context(), f, "j", &sched)
				default:
					var jopts *WaitOptions
					if via == "Add" {
						jopts = &WaitOptions{Observer: obs}
					} else {
						sched.Observer = obs
					}
					err = watchOne(t, f, "j", &sched, jopts).Err
				}
				if err != nil {
					t.Fatal(err)
				}
				want := []retry{
					{"fake", "j", observe.RetryServer, transient, 1, 4, time.Second},
					{"fake", "j", observe.RetryServer, transient, 2, 4, time.Second},
				}
				mu.Lock()
				defer mu.Unlock()
				if !slices.Equal(got, want) {
					t.Fatalf("events %+v, want %+v", got, want)
				}
				// Each event comes as its poll fails, and the next poll is Delay later.
				for i, at := range polledAt {
					if !at.Equal(f.polls[i]) || !f.polls[i+1].Equal(at.Add(got[i].Delay)) {
						t.Errorf("event %d at %v; polls at %v", i, at, f.polls)
					}
				}
			})
		})
	}
	// No event for the error that ends the wait.
	synctest.Test(t, func(t *testing.T) {
		f := newFake(map[string]time.Duration{"j": 0})
		f.errs = []error{transient, transient}
		n := 0
		obs := &observe.Observer{Retry: func(context.Context, observe.Retry) { n++ }}
		_, err := Wait(t.Context(), f, "j", &WaitOptions{MaxTransientErrors: 1, Observer: obs})
		if !errors.Is(err, ErrServerError) || n != 1 {
			t.Errorf("%d events, err %v; want 1 event and the second error returned", n, err)
		}
	})
}

// doneUnsetPoller answers a finished job without setting Done, as a caller's own Poller may.
type doneUnsetPoller struct{ state State }

func (doneUnsetPoller) Vendor() string { return "own" }
func (p doneUnsetPoller) Status(_ context.Context, id string) (*Job, error) {
	return &Job{Vendor: "own", ID: id, State: p.state}, nil
}

// A wait ends at the first poll whose State is done, whether or not the Poller set Done.
func TestWaitEndsOnADoneStateWithoutDoneSet(t *testing.T) {
	for _, st := range []State{StateSucceeded, StatePartiallySucceeded, StateFailed, StateCanceled} {
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			job, err := Wait(t.Context(), doneUnsetPoller{state: st}, "j", &WaitOptions{MaxWait: time.Hour})
			if job == nil || !job.Done || job.State != st || time.Since(start) != 0 {
				t.Errorf("%s: job %v err %v after %s; want it done at once", st, job, err, time.Since(start))
			}
			if failed := st == StateFailed || st == StateCanceled; failed != (err != nil) {
				t.Errorf("%s: err %v", st, err)
			}
		})
	}
}
