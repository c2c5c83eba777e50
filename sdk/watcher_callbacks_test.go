package sdk

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// callbackCase builds options that make one kind of callback call hook on each event.
type callbackCase struct {
	name    string
	watcher func(hook func()) *WatcherOptions
	job     func(hook func()) *WaitOptions
}

func callbackCases() []callbackCase {
	return []callbackCase{
		{name: "WatcherOptions.Wait.Progress", watcher: func(hook func()) *WatcherOptions {
			return &WatcherOptions{Wait: WaitOptions{Progress: func(*Job) { hook() }}}
		}},
		{name: "Progress", job: func(hook func()) *WaitOptions { return &WaitOptions{Progress: func(*Job) { hook() }} }},
		{name: "Checkpoint", job: func(hook func()) *WaitOptions { return &WaitOptions{Checkpoint: func(string) { hook() }} }},
	}
}

// TestWatcherCallbacksMayCallEveryMethod calls each public Watcher method from inside each callback:
// none may deadlock, and Close from another goroutine must return afterwards.
func TestWatcherCallbacksMayCallEveryMethod(t *testing.T) {
	methods := []struct {
		name string
		call func(w *Watcher, f *fakePoller) error
	}{
		{"Add", func(w *Watcher, f *fakePoller) error { return w.Add(f, "added", nil) }},
		{"Add with a resume token", func(w *Watcher, f *fakePoller) error {
			wt, err := newWaiter(f, "resumed", nil)
			if err != nil {
				return err
			}
			return w.Add(f, "", &WaitOptions{ResumeToken: wt.s.token()})
		}},
		{"Remove", func(w *Watcher, f *fakePoller) error {
			if !w.Remove(f, "j") {
				return errors.New("Remove of the watched job reported false")
			}
			return nil
		}},
		{"Close", func(w *Watcher, f *fakePoller) error { return w.Close() }},
	}
	for _, cb := range callbackCases() {
		for _, m := range methods {
			t.Run(cb.name+"/"+m.name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					f := newFake(map[string]time.Duration{"j": 10 * time.Second, "added": time.Second, "resumed": time.Second})
					var w *Watcher
					var once sync.Once
					returned := make(chan error, 1)
					hook := func() { once.Do(func() { returned <- m.call(w, f) }) }
					var wopts *WatcherOptions
					var jopts *WaitOptions
					if cb.watcher != nil {
						wopts = cb.watcher(hook)
					}
					if cb.job != nil {
						jopts = cb.job(hook)
					}
					w, err := NewWatcher(wopts)
					if err != nil {
						t.Fatal(err)
					}
					defer w.Close()
					if err := w.Add(f, "j", jopts); err != nil {
						t.Fatal(err)
					}
					select {
					case err := <-returned:
						if err != nil {
							t.Errorf("%s from %s: %v", m.name, cb.name, err)
						}
					case <-time.After(time.Hour):
						t.Fatalf("%s called from %s did not return", m.name, cb.name)
					}
					closed := make(chan struct{})
					go func() { w.Close(); close(closed) }()
					select {
					case <-closed:
					case <-time.After(time.Hour):
						t.Fatal("Close from another goroutine did not return")
					}
				})
			})
		}
	}
}

// TestWatcherBlockedCallbackHoldsUpNoOtherJob blocks one job's checkpoint: the other jobs, of the same
// client and of another, are polled and delivered on time, Add answers, and Close returns
// while the callback is still blocked.
func TestWatcherBlockedCallbackHoldsUpNoOtherJob(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(map[string]time.Duration{"stuck": time.Hour, "quick": 10 * time.Second})
		other := newBatchFake(map[string]time.Duration{"x": 20 * time.Second}, 10, 20)
		w, err := NewWatcher(&WatcherOptions{Wait: WaitOptions{MinDelay: time.Second, MaxDelay: time.Second, Random: noJitter}})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		release, entered := make(chan struct{}), make(chan struct{}, 1)
		var calls atomic.Int32
		block := &WaitOptions{Checkpoint: func(string) {
			calls.Add(1)
			select {
			case entered <- struct{}{}:
			default:
			}
			<-release
		}}
		if err := w.Add(f, "stuck", block); err != nil {
			t.Fatal(err)
		}
		<-entered
		start := time.Now()
		if err := w.Add(f, "quick", nil); err != nil {
			t.Fatal(err)
		}
		if err := w.Add(other, "x", nil); err != nil {
			t.Fatal(err)
		}
		got := map[string]time.Duration{}
		for len(got) < 2 {
			select {
			case r := <-w.Results():
				if r.Err != nil || r.Job == nil || r.Job.State != StateSucceeded {
					t.Fatalf("%s: %+v", r.Job.ID, r)
				}
				got[r.Job.ID] = time.Since(start)
			case <-time.After(time.Hour):
				t.Fatalf("results %v: a blocked callback held up the other jobs", got)
			}
		}
		// The client's rate limit (10/s) may push a poll back by 100 ms when two jobs are due at once.
		if q, x := got["quick"], got["x"]; q < 10*time.Second || q > 11*time.Second || x < 20*time.Second || x > 21*time.Second {
			t.Errorf("delivered after %v, want quick by 10s and x by 20s", got)
		}
		polls := func() int { f.mu.Lock(); defer f.mu.Unlock(); return len(f.polls) }
		pollsBefore := polls()
		time.Sleep(time.Minute)
		if n := polls() - pollsBefore; n < 55 {
			t.Errorf("%d polls of the stuck job in a minute, want about 60: its own blocked callback must not stop it", n)
		}
		closed := make(chan struct{})
		go func() { w.Close(); close(closed) }()
		select {
		case <-closed:
		case <-time.After(time.Hour):
			t.Fatal("Close waited for a blocked callback")
		}
		if _, open := <-w.Results(); open {
			t.Error("Results open after Close")
		}
		close(release)
		synctest.Wait() // the delivery goroutine ends once its callback returns, without delivering more
		if calls := calls.Load(); calls != 1 {
			t.Errorf("%d checkpoint calls, want 1: events pending at Close are dropped", calls)
		}
	})
}

// TestWatcherCallbacksInOrderPerJob checks that each job's events reach its callbacks in the order they
// happened, all before its result; a lagging callback sees fewer, newer events, never an older one late.
func TestWatcherCallbacksInOrderPerJob(t *testing.T) {
	for _, tc := range []struct {
		name string
		lag  time.Duration // how long each callback takes
	}{{"prompt", 0}, {"lagging", 2500 * time.Millisecond}} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				jobs := map[string]time.Duration{"a": 20 * time.Second, "b": 13 * time.Second}
				fakes := map[string]*fakePoller{}
				var mu sync.Mutex
				seen := map[string][]int{} // per job: 2k for progress of poll k, 2k+1 for its checkpoint, -1 for the result
				record := func(id string, key int) {
					mu.Lock()
					seen[id] = append(seen[id], key)
					mu.Unlock()
					time.Sleep(tc.lag)
				}
				w, err := NewWatcher(&WatcherOptions{Wait: WaitOptions{MinDelay: time.Second, MaxDelay: time.Second, Random: noJitter, Progress: func(j *Job) { record(j.ID, 2*int(j.Updated.Sub(*j.Started)/time.Second)) }}})
				if err != nil {
					t.Fatal(err)
				}
				defer w.Close()
				for id, d := range jobs {
					f := newFake(map[string]time.Duration{id: d})
					f.progress = true
					fakes[id] = f
					if err := w.Add(f, id, &WaitOptions{Checkpoint: func(tok string) {
						tb, err := parseToken(tok)
						if err != nil {
							t.Error(err)
							return
						}
						record(id, 2*(tb.Attempt-1)+1)
					}}); err != nil {
						t.Fatal(err)
					}
				}
				for _, r := range results(w, len(jobs)) {
					if r.Err != nil {
						t.Fatalf("%s: %v", r.Job.ID, r.Err)
					}
					mu.Lock()
					seen[r.Job.ID] = append(seen[r.Job.ID], -1)
					mu.Unlock()
				}
				for id, d := range jobs {
					keys := seen[id]
					polls := len(fakes[id].polls)
					if polls != int(d/time.Second)+1 {
						t.Errorf("%s: %d polls, want %d", id, polls, int(d/time.Second)+1)
					}
					if len(keys) < 2 || keys[len(keys)-1] != -1 || keys[len(keys)-2] != 2*(polls-1) {
						t.Fatalf("%s: events %v, want the final progress then the result last", id, keys)
					}
					events := keys[:len(keys)-1]
					if !slices.IsSorted(events) || len(slices.Compact(slices.Clone(events))) != len(events) {
						t.Errorf("%s: events %v out of order", id, events)
					}
					// One progress per poll and one checkpoint per poll but the last, when nothing lags.
					if all := 2*polls - 1; tc.lag == 0 && len(events) != all {
						t.Errorf("%s: %d events delivered, want all %d", id, len(events), all)
					} else if tc.lag > 0 && len(events) >= all/2 {
						t.Errorf("%s: %d of %d events delivered to a callback that lags: not coalesced", id, len(events), all)
					}
				}
			})
		})
	}
}

// TestWatcherResultsNameEveryJob checks that every result names its job, also when no poll succeeded:
// its Job is then in StateUnknown.
func TestWatcherResultsNameEveryJob(t *testing.T) {
	transient := &APIError{Vendor: "fake", StatusCode: 503, kind: ErrServerError}
	cases := []struct {
		name string
		errs []error
		opts *WaitOptions
		want error
	}{
		{"first poll failed permanently", []error{&APIError{Vendor: "fake", StatusCode: 401, kind: ErrUnauthorized}}, nil, ErrUnauthorized},
		{"too many transient errors", slices.Repeat([]error{transient}, 6), nil, ErrServerError},
		{"timed out before any answer", slices.Repeat([]error{transient}, 100), &WaitOptions{MaxWait: time.Minute, MaxTransientErrors: 50}, ErrWaitTimeout},
	}
	for _, tc := range cases {
		for _, via := range []string{"Results"} {
			t.Run(tc.name+"/"+via, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					f := newFake(map[string]time.Duration{"j": time.Second})
					f.errs = tc.errs
					w, err := NewWatcher(nil)
					if err != nil {
						t.Fatal(err)
					}
					defer w.Close()
					if err := w.Add(f, "j", tc.opts); err != nil {
						t.Fatal(err)
					}
					r := <-w.Results()
					if r.Job == nil || r.Job.Vendor != "fake" || r.Job.ID != "j" || r.Job.State != StateUnknown || !errors.Is(r.Err, tc.want) {
						t.Errorf("result %+v, want fake/j in StateUnknown, err matching %v", r, tc.want)
					}
				})
			})
		}
	}
}

// TestWatcherRejectsBlankIDs checks that an id that is empty, blank or a dot segment is refused before
// anything is added or sent.
func TestWatcherRejectsBlankIDs(t *testing.T) {
	cases := []struct {
		id   string
		want string
	}{
		{"", "batch: job id is empty"},
		{"  \t", `batch: job id "  \t" is blank`},
		{"\n", `batch: job id "\n" is blank`},
		// A dot segment in a batch would fail the whole request, and with it the good ids' results.
		{"..", `batch: job id ".." is a dot segment, a path to another endpoint, not a job`},
		{"%2E%2e", `batch: job id "%2E%2e" is a dot segment (percent-decoded: ".."), a path to another endpoint, not a job`},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%q", tc.id), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b := newBatchFake(map[string]time.Duration{"a": time.Second, "b": time.Second}, 10, 20)
				w, err := NewWatcher(nil)
				if err != nil {
					t.Fatal(err)
				}
				defer w.Close()
				err = w.Add(b, tc.id, nil)
				if !errors.Is(err, ErrInvalidInput) || err.Error() != tc.want+": invalid input" {
					t.Errorf("Add: %v, want %q", err, tc.want)
				}
				synctest.Wait()
				if len(b.calls) != 0 {
					t.Errorf("a refused job was polled (%d calls)", len(b.calls))
				}
			})
		})
	}
	f := newFake(nil)
	w, err := NewWatcher(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, id := range []string{"", " ", "\t\r\n"} {
		if err := w.Add(f, id, nil); !errors.Is(err, ErrInvalidInput) || !strings.Contains(err.Error(), "fake: job id") {
			t.Errorf("Add(%q): %v", id, err)
		}
		if _, err := Wait(context.Background(), f, id, nil); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("Wait(%q): %v", id, err)
		}
		if _, err := newWaiter(f, id, nil); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("newWaiter(%q): %v", id, err)
		}
		if _, err := NewPlanner("fake", id, time.Now(), nil); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("NewPlanner(%q, nil): %v", id, err)
		}
	}
}
