package sdk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
	watcher func(hook func()) []WatcherOption
	job     func(hook func()) []WaitOption
	errs    []error // what the fake answers first, so that the callback has an event
}

func callbackCases() []callbackCase {
	transient := &APIError{Vendor: "fake", StatusCode: 503, kind: ErrServerError}
	return []callbackCase{
		{name: "WithWatchProgress", watcher: func(hook func()) []WatcherOption {
			return []WatcherOption{WithWatchProgress(func(*Job) { hook() })}
		}},
		{name: "WithProgress", job: func(hook func()) []WaitOption { return []WaitOption{WithProgress(func(*Job) { hook() })} }},
		{name: "WithCheckpoint", job: func(hook func()) []WaitOption { return []WaitOption{WithCheckpoint(func(string) { hook() })} }},
		{name: "WithRetryNotify", job: func(hook func()) []WaitOption { return []WaitOption{WithRetryNotify(func(RetryEvent) { hook() })} },
			errs: []error{transient}},
	}
}

// TestWatcherCallbacksMayCallEveryMethod calls each public Watcher method from inside each callback:
// none may deadlock, and Close from another goroutine must return afterwards.
func TestWatcherCallbacksMayCallEveryMethod(t *testing.T) {
	methods := []struct {
		name string
		call func(w *Watcher, f *fakePoller) error
	}{
		{"Add", func(w *Watcher, f *fakePoller) error { return w.Add(f, "added") }},
		{"AddAll", func(w *Watcher, f *fakePoller) error { return w.AddAll(f, []string{"all-1", "all-2"}) }},
		{"AddResumed", func(w *Watcher, f *fakePoller) error {
			wt, err := newWaiter(f, "resumed")
			if err != nil {
				return err
			}
			return w.AddResumed(f, wt.s.token())
		}},
		{"Remove", func(w *Watcher, f *fakePoller) error {
			if !w.Remove(f, "j") {
				return errors.New("Remove of the watched job reported false")
			}
			return nil
		}},
		{"ResumeToken", func(w *Watcher, f *fakePoller) error {
			if w.ResumeToken(f, "j") == "" {
				return errors.New("no token for the watched job")
			}
			return nil
		}},
		{"Drain", func(w *Watcher, f *fakePoller) error { w.Drain(); return nil }},
		{"Close", func(w *Watcher, f *fakePoller) error { return w.Close() }},
	}
	for _, cb := range callbackCases() {
		for _, m := range methods {
			t.Run(cb.name+"/"+m.name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					f := newFake(map[string]time.Duration{"j": 10 * time.Second, "added": time.Second, "all-1": time.Second,
						"all-2": time.Second, "resumed": time.Second})
					f.errs = cb.errs
					var w *Watcher
					var once sync.Once
					returned := make(chan error, 1)
					hook := func() { once.Do(func() { returned <- m.call(w, f) }) }
					var wopts []WatcherOption
					var jopts []WaitOption
					if cb.watcher != nil {
						wopts = cb.watcher(hook)
					}
					if cb.job != nil {
						jopts = cb.job(hook)
					}
					w, err := NewWatcher(wopts...)
					if err != nil {
						t.Fatal(err)
					}
					defer w.Close()
					if err := w.Add(f, "j", jopts...); err != nil {
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
// client and of another, are polled and delivered on time, Add and ResumeToken answer, and Close returns
// while the callback is still blocked.
func TestWatcherBlockedCallbackHoldsUpNoOtherJob(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(map[string]time.Duration{"stuck": time.Hour, "quick": 10 * time.Second})
		other := newBatchFake(map[string]time.Duration{"x": 20 * time.Second}, 10, 20)
		w, err := NewWatcher(WithWaitOptions(WithMinDelay(time.Second), WithMaxDelay(time.Second), WithJitter(-1)))
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		release, entered := make(chan struct{}), make(chan struct{}, 1)
		var calls atomic.Int32
		block := WithCheckpoint(func(string) {
			calls.Add(1)
			select {
			case entered <- struct{}{}:
			default:
			}
			<-release
		})
		if err := w.Add(f, "stuck", block); err != nil {
			t.Fatal(err)
		}
		<-entered
		start := time.Now()
		if err := w.Add(f, "quick"); err != nil {
			t.Fatal(err)
		}
		if err := w.Add(other, "x"); err != nil {
			t.Fatal(err)
		}
		got := map[string]time.Duration{}
		for len(got) < 2 {
			select {
			case r := <-w.Results():
				if r.Err != nil || r.Job == nil || r.Job.State != StateSucceeded {
					t.Fatalf("%s: %+v", r.JobID, r)
				}
				got[r.JobID] = time.Since(start)
			case <-time.After(time.Hour):
				t.Fatalf("results %v: a blocked callback held up the other jobs", got)
			}
		}
		// The client's rate limit (10/s) may push a poll back by 100 ms when two jobs are due at once.
		if q, x := got["quick"], got["x"]; q < 10*time.Second || q > 11*time.Second || x < 20*time.Second || x > 21*time.Second {
			t.Errorf("delivered after %v, want quick by 10s and x by 20s", got)
		}
		if w.ResumeToken(f, "stuck") == "" {
			t.Error("the job with the blocked callback is no longer watched")
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
				w, err := NewWatcher(WithWaitOptions(WithMinDelay(time.Second), WithMaxDelay(time.Second), WithJitter(-1)),
					WithWatchProgress(func(j *Job) { record(j.ID, 2*int(j.Updated.Sub(*j.Started)/time.Second)) }))
				if err != nil {
					t.Fatal(err)
				}
				defer w.Close()
				for id, d := range jobs {
					f := newFake(map[string]time.Duration{id: d})
					f.progress = true
					fakes[id] = f
					if err := w.Add(f, id, WithCheckpoint(func(tok string) {
						tb, err := parseToken(tok)
						if err != nil {
							t.Error(err)
							return
						}
						record(id, 2*(tb.Attempt-1)+1)
					})); err != nil {
						t.Fatal(err)
					}
				}
				w.Drain()
				for r := range w.Results() {
					if r.Err != nil {
						t.Fatalf("%s: %v", r.JobID, r.Err)
					}
					mu.Lock()
					seen[r.JobID] = append(seen[r.JobID], -1)
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

// TestWatcherResultsNameEveryJob checks that every result names its job, also when no poll succeeded,
// through Results and through All.
func TestWatcherResultsNameEveryJob(t *testing.T) {
	transient := &APIError{Vendor: "fake", StatusCode: 503, kind: ErrServerError}
	cases := []struct {
		name string
		errs []error
		opts []WaitOption
		want error
	}{
		{"first poll failed permanently", []error{&APIError{Vendor: "fake", StatusCode: 401, kind: ErrUnauthorized}}, nil, ErrUnauthorized},
		{"too many transient errors", slices.Repeat([]error{transient}, 6), nil, ErrServerError},
		{"timed out before any answer", slices.Repeat([]error{transient}, 100), []WaitOption{WithMaxWait(time.Minute), WithMaxTransientErrors(50)}, ErrWaitTimeout},
	}
	for _, tc := range cases {
		for _, via := range []string{"Results"} {
			t.Run(tc.name+"/"+via, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					f := newFake(map[string]time.Duration{"j": time.Second})
					f.errs = tc.errs
					w, err := NewWatcher()
					if err != nil {
						t.Fatal(err)
					}
					defer w.Close()
					if err := w.Add(f, "j", tc.opts...); err != nil {
						t.Fatal(err)
					}
					w.Drain()
					n := 0
					switch via {
					case "Results":
						for r := range w.Results() {
							n++
							if r.Vendor != "fake" || r.JobID != "j" || r.Job != nil || !errors.Is(r.Err, tc.want) {
								t.Errorf("result %+v, want fake/j without a job, err matching %v", r, tc.want)
							}
						}
					}
					if n != 1 {
						t.Errorf("%d results, want 1", n)
					}
				})
			})
		}
	}
}

// TestWatcherDrainStopsOnlyNewJobs checks that after Drain, Remove and ResumeToken still work for the
// jobs watched, while adding is refused.
func TestWatcherDrainStopsOnlyNewJobs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(map[string]time.Duration{"keep": 30 * time.Second, "drop": time.Hour, "new": time.Second})
		w, err := NewWatcher()
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		if err := w.AddAll(f, []string{"keep", "drop"}); err != nil {
			t.Fatal(err)
		}
		w.Drain()
		if tok := w.ResumeToken(f, "keep"); tok == "" {
			t.Error("ResumeToken after Drain: no token for a watched job")
		}
		if !w.Remove(f, "drop") {
			t.Error("Remove after Drain: the watched job was not removed")
		}
		if err := w.Add(f, "new"); !errors.Is(err, ErrWatcherClosed) {
			t.Errorf("Add after Drain: %v", err)
		}
		tok, err := newWaiter(f, "new")
		if err != nil {
			t.Fatal(err)
		}
		if err := w.AddResumed(f, tok.s.token()); !errors.Is(err, ErrWatcherClosed) {
			t.Errorf("AddResumed after Drain: %v", err)
		}
		var ids []string
		for r := range w.Results() {
			ids = append(ids, r.JobID)
		}
		if !slices.Equal(ids, []string{"keep"}) {
			t.Errorf("results %v, want [keep]", ids)
		}
		if w.ResumeToken(f, "keep") != "" || w.Remove(f, "keep") {
			t.Error("a delivered job is still watched")
		}
	})
}

// TestWatcherRejectsBlankIDs checks that an id that is empty after trimming is refused before anything
// is added or sent, with its position.
func TestWatcherRejectsBlankIDs(t *testing.T) {
	cases := []struct {
		ids  []string
		want string
	}{
		{[]string{"a", "", "b"}, "batch: job id at position 1 is empty"},
		{[]string{"a", "b", "  \t"}, `batch: job id at position 2 "  \t" is blank`},
		{[]string{"\n"}, `batch: job id at position 0 "\n" is blank`},
		// A dot segment in a batch would fail the whole request, and with it the good ids' results.
		{[]string{"a", "..", "b"}, `batch: job id at position 1 ".." is a dot segment, a path to another endpoint, not a job`},
		{[]string{"a", "%2E%2e"}, `batch: job id at position 1 "%2E%2e" is a dot segment (percent-decoded: ".."), a path to another endpoint, not a job`},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%q", tc.ids), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b := newBatchFake(map[string]time.Duration{"a": time.Second, "b": time.Second}, 10, 20)
				w, err := NewWatcher()
				if err != nil {
					t.Fatal(err)
				}
				defer w.Close()
				err = w.AddAll(b, tc.ids)
				if !errors.Is(err, ErrInvalidInput) || err.Error() != tc.want+": invalid input" {
					t.Errorf("AddAll: %v, want %q", err, tc.want)
				}
				synctest.Wait()
				if w.ResumeToken(b, "a") != "" || len(b.calls) != 0 {
					t.Errorf("a job of a refused list was added (%d calls)", len(b.calls))
				}
			})
		})
	}
	f := newFake(nil)
	w, err := NewWatcher()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, id := range []string{"", " ", "\t\r\n"} {
		if err := w.Add(f, id); !errors.Is(err, ErrInvalidInput) || !strings.Contains(err.Error(), "fake: job id") {
			t.Errorf("Add(%q): %v", id, err)
		}
		if _, err := Wait(context.Background(), f, id); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("Wait(%q): %v", id, err)
		}
		if _, err := newWaiter(f, id); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("newWaiter(%q): %v", id, err)
		}
		if _, err := NewPlanner("fake", id, time.Now()); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("NewPlanner(%q): %v", id, err)
		}
	}
}

// recorder is a slog.Handler that keeps every record.
type recorder struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (h *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *recorder) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recs = append(h.recs, r.Clone())
	return nil
}
func (h *recorder) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recorder) WithGroup(string) slog.Handler      { return h }

// find returns the attributes of the first record at level whose message contains msg.
func (h *recorder) find(level slog.Level, msg string) (map[string]string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range h.recs {
		if r.Level == level && strings.Contains(r.Message, msg) {
			attrs := map[string]string{}
			r.Attrs(func(a slog.Attr) bool { attrs[a.Key] = a.Value.String(); return true })
			return attrs, true
		}
	}
	return nil, false
}

func TestWatcherLoggerLogs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(map[string]time.Duration{"j": 5 * time.Second})
		f.errs = []error{&APIError{Vendor: "fake", StatusCode: 503, kind: ErrServerError, Message: "busy"}}
		h := &recorder{}
		w, err := NewWatcher(WithWatcherLogger(slog.New(h)))
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		if err := w.Add(f, "j"); err != nil {
			t.Fatal(err)
		}
		w.Drain()
		for range w.Results() {
		}
		for _, want := range []struct {
			level slog.Level
			msg   string
			attrs map[string]string
		}{
			{slog.LevelDebug, "polled", map[string]string{"vendor": "fake", "jobs": "1"}},
			{slog.LevelWarn, "will retry", map[string]string{"vendor": "fake", "job": "j", "in_a_row": "1", "error": "busy"}},
			{slog.LevelInfo, "job done", map[string]string{"vendor": "fake", "job": "j", "state": "succeeded"}},
		} {
			got, ok := h.find(want.level, want.msg)
			if !ok {
				t.Errorf("no %v record %q", want.level, want.msg)
				continue
			}
			for k, v := range want.attrs {
				if got[k] != v && (k != "error" || !strings.Contains(got[k], v)) {
					t.Errorf("%q: %s = %q, want %q", want.msg, k, got[k], v)
				}
			}
		}
	})
}
