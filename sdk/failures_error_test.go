package sdk

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"
)

// unreadFailures answers running until after, then the done job inside a *FailuresError whose cause is
// cause (its temporariness decides whether a wait polls again).
type unreadFailures struct {
	after time.Time
	state State
	cause error
}

func (u *unreadFailures) Vendor() string { return "fake" }

func (u *unreadFailures) Status(_ context.Context, id string) (*Job, error) {
	one, total := 1, 3
	if time.Now().Before(u.after) {
		return (&Job{Vendor: "fake", ID: id, State: StateRunning}).finish(), nil
	}
	failed := 1
	if u.state == StateFailed {
		failed = total
	}
	j := (&Job{Vendor: "fake", ID: id, State: u.state, Done: true, Counts: Counts{Total: &total, Succeeded: &one, Failed: &failed}}).finish()
	return nil, &FailuresError{Job: j, err: u.cause}
}

// TestFailuresErrorEndsWithTheDoneJob: Wait, the Watcher and the Planner end with the job a
// *FailuresError holds when its cause is final (not with the running job seen before), and it matches
// ErrJobFailed by state but not its cause's kind.
func TestFailuresErrorEndsWithTheDoneJob(t *testing.T) {
	final := &APIError{Vendor: "fake", Operation: "errors", StatusCode: 404, kind: ErrNotFound}
	for _, state := range []State{StatePartiallySucceeded, StateFailed} {
		t.Run(string(state), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				check := func(how string, j *Job, err error) {
					t.Helper()
					var fe *FailuresError
					if !errors.As(err, &fe) || j == nil || j != fe.Job || !j.Done || j.State != state {
						t.Errorf("%s: %v, %v; want the done job and its *FailuresError", how, j, err)
					}
					if errors.Is(err, ErrNotFound) || errors.Is(err, ErrJobFailed) != (state == StateFailed) {
						t.Errorf("%s: %v matches ErrNotFound %v, ErrJobFailed %v", how, err, errors.Is(err, ErrNotFound), errors.Is(err, ErrJobFailed))
					}
				}
				opts := &WaitOptions{MinDelay: time.Second, MaxDelay: time.Second, Random: noJitter}
				p := &unreadFailures{after: time.Now().Add(5 * time.Second), state: state, cause: final}
				j, err := Wait(context.Background(), p, "J1", opts)
				check("Wait", j, err)

				p.after = time.Now().Add(5 * time.Second)
				res := watchOne(t, p, "J1", opts, nil)
				check("Watcher", res.Job, res.Err)

				pl, err := NewPlanner("fake", "J1", time.Now(), opts)
				if err != nil {
					t.Fatal(err)
				}
				j, err = p.Status(context.Background(), "J1")
				_, done, fj, ferr := pl.Observe(time.Now(), j, err)
				if !done {
					t.Fatal("Planner: not done")
				}
				check("Planner", fj, ferr)
			})
		})
	}
}

// TestFailuresErrorTemporaryCauseIsPolledAgain: a temporary cause keeps the wait going; the poll after
// it decides.
func TestFailuresErrorTemporaryCauseIsPolledAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		busy := &APIError{Vendor: "fake", Operation: "errors", StatusCode: 503, kind: ErrServerError}
		p := &unreadFailures{state: StatePartiallySucceeded, cause: busy}
		if !IsTemporary(&FailuresError{err: busy}) || IsTemporary(&FailuresError{err: errors.New("x")}) {
			t.Error("IsTemporary does not follow the cause")
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		polls := 0
		j, err := Wait(ctx, pollFunc(func(ctx context.Context, id string) (*Job, error) {
			polls++
			return p.Status(ctx, id)
		}), "J1", &WaitOptions{MinDelay: time.Second, MaxDelay: time.Second, Random: noJitter, MaxTransientErrors: 3})
		var fe *FailuresError
		if polls != 4 || !errors.As(err, &fe) || fe.err != busy || j == nil || !j.Done {
			t.Errorf("%d polls, %v, %v; want 4 (3 transient errors allowed) ending in the done job and the *FailuresError", polls, j, err)
		}
		if (&FailuresError{err: fmt.Errorf("x")}).Error() == "" {
			t.Error("a FailuresError without a job has no message")
		}
	})
}

type pollFunc func(context.Context, string) (*Job, error)

func (f pollFunc) Vendor() string                                      { return "fake" }
func (f pollFunc) Status(ctx context.Context, id string) (*Job, error) { return f(ctx, id) }

// seq answers the polls of one job in turn, the last answer again once they run out.
type seq struct {
	answers []func(id string) (*Job, error)
	n       int
}

func (q *seq) Vendor() string { return "fake" }

func (q *seq) Status(_ context.Context, id string) (*Job, error) {
	a := q.answers[min(q.n, len(q.answers)-1)]
	q.n++
	return a(id)
}

// TestFailuresErrorTemporaryThenDone: a temporary *FailuresError between a running poll and a done one
// does not swallow the done job's progress event, in Wait and in a Watcher; and a wait whose deadline
// passes after one reports the done job it holds, whole (not a summary without its times).
func TestFailuresErrorTemporaryThenDone(t *testing.T) {
	busy := &APIError{Vendor: "fake", Operation: "errors", StatusCode: 503, kind: ErrServerError}
	one, two, total := 1, 2, 3
	finished := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	running := func(id string) (*Job, error) {
		return (&Job{Vendor: "fake", ID: id, State: StateRunning}).finish(), nil
	}
	doneJob := func(id string) *Job {
		return (&Job{Vendor: "fake", ID: id, State: StatePartiallySucceeded, Done: true, Finished: &finished,
			Counts: Counts{Total: &total, Succeeded: &two, Failed: &one}}).finish()
	}
	unread := func(id string) (*Job, error) { return nil, &FailuresError{Job: doneJob(id), err: busy} }
	done := func(id string) (*Job, error) {
		j := doneJob(id)
		j.Failures = []Failure{{User: "u3", Message: "no"}}
		return j, nil
	}
	opts := WaitOptions{MinDelay: time.Second, MaxDelay: time.Second, Random: noJitter}
	for _, watcher := range []bool{false, true} {
		t.Run(fmt.Sprintf("watcher=%v", watcher), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var seen []State
				progress := opts
				progress.Progress = func(j *Job) { seen = append(seen, j.State) }
				p := &seq{answers: []func(string) (*Job, error){running, unread, done}}
				var j *Job
				var err error
				if watcher {
					res := watchOne(t, p, "J1", &opts, &progress)
					synctest.Wait() // the job's callbacks run on their own goroutine
					j, err = res.Job, res.Err
				} else {
					j, err = Wait(context.Background(), p, "J1", &progress)
				}
				if err != nil || j == nil || len(j.Failures) != 1 {
					t.Fatalf("got %v, %v; want the done job with its failure", j, err)
				}
				if len(seen) != 2 || seen[0] != StateRunning || seen[1] != StatePartiallySucceeded {
					t.Errorf("progress saw %v; want [running partially_succeeded]", seen)
				}

				// Unread until the deadline: the timeout carries the done job as the poller gave it.
				p = &seq{answers: []func(string) (*Job, error){running, unread}}
				wopts := opts
				wopts.MaxWait, wopts.MaxTransientErrors = 10*time.Second, 100
				if watcher {
					res := watchOne(t, p, "J1", &wopts, nil)
					j, err = res.Job, res.Err
				} else {
					j, err = Wait(context.Background(), p, "J1", &wopts)
				}
				var fe *FailuresError
				if !errors.Is(err, ErrWaitTimeout) || !errors.As(err, &fe) || j == nil || !j.Done || j.Finished == nil || !j.Finished.Equal(finished) {
					t.Errorf("after the deadline: %v, %v; want the done job of the *FailuresError, with its times", j, err)
				}
			})
		})
	}
}

// watchOne watches id through p on a new Watcher, with opts as the Watcher's WaitOptions and addOpts
// as the job's own, and returns the job's result. The Watcher is closed when the test ends.
func watchOne(t *testing.T, p Poller, id string, opts, addOpts *WaitOptions) WatchResult {
	t.Helper()
	w, err := NewWatcher(&WatcherOptions{Wait: *opts})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	if err := w.Add(p, id, addOpts); err != nil {
		t.Fatal(err)
	}
	return <-w.Results()
}
