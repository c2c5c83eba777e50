package sdk

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jobwatch/jobwatch/sdk/observe"
	"golang.org/x/time/rate"
)

// eventLog is an Observer that writes each event as one line.
type eventLog struct {
	mu    sync.Mutex
	lines []string
}

func (r *eventLog) add(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, fmt.Sprintf(format, args...))
}

func (r *eventLog) observer() *observe.Observer {
	return &observe.Observer{
		WaitStart: func(ctx context.Context, e observe.WaitStart) context.Context {
			r.add("start %s %s", e.Vendor, e.JobID)
			return ctx
		},
		WaitEnd: func(ctx context.Context, e observe.WaitEnd) {
			r.add("end %s %s state=%s polls=%d waited=%s err=%v", e.Vendor, e.JobID, e.State, e.Polls, e.Waited, e.Err)
		},
		Poll: func(ctx context.Context, e observe.Poll) {
			r.add("poll %s attempt=%d outcome=%s state=%s status=%d lag=%s/%v", e.JobID, e.Attempt, e.Outcome, e.State, e.StatusCode, e.Lag, e.LagExact)
		},
		Sleep: func(ctx context.Context, e observe.Sleep) {
			r.add("sleep %s %s planned=%s slept=%s", e.JobID, e.Reason, e.Planned, e.Slept)
		},
		Retry: func(ctx context.Context, e observe.Retry) {
			r.add("retry %s %s attempt=%d delay=%s", e.JobID, e.Reason, e.Attempt, e.Delay)
		},
		JobState: func(e observe.JobState) { r.add("move %s %q→%q", e.Vendor, e.From, e.To) },
	}
}

func (r *eventLog) text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}

// endedPoller says a done job ended a second before the poll that reads it.
type endedPoller struct{ *fakePoller }

func (p endedPoller) Status(ctx context.Context, id string) (*Job, error) {
	j, err := p.fakePoller.Status(ctx, id)
	if j != nil && j.State.Done() {
		t := time.Now().Add(-time.Second)
		j.Finished = &t
	}
	return j, err
}

// TestWaitObserved: a wait reports its beginning, each poll with its outcome, each sleep with its
// reason, a transient error's retry, and its end, in that order, on the bubbled clock.
func TestWaitObserved(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(map[string]time.Duration{"j1": 5 * time.Second})
		f.errs = []error{nil, &APIError{Vendor: "fake", StatusCode: 503, kind: ErrServerError}}
		var r eventLog
		job, err := Wait(t.Context(), endedPoller{f}, "j1", &WaitOptions{Observer: r.observer(), Random: noJitter, MinDelay: 2 * time.Second})
		if err != nil || job.State != StateSucceeded {
			t.Fatalf("Wait = %v, %v", job, err)
		}
		want := strings.Join([]string{
			"start fake j1",
			"poll j1 attempt=1 outcome=running state=running status=0 lag=0s/false",
			"sleep j1 backoff planned=2s slept=2s",
			"poll j1 attempt=2 outcome=retry state= status=503 lag=0s/false",
			"retry j1 server_error attempt=1 delay=4s",
			"sleep j1 error planned=4s slept=4s",
			"poll j1 attempt=3 outcome=done state=succeeded status=0 lag=1s/true",
			"end fake j1 state=succeeded polls=3 waited=6s err=<nil>",
		}, "\n")
		if got := r.text(); got != want {
			t.Errorf("events:\n%s\nwant:\n%s", got, want)
		}
	})
}

// TestWaitObserverFromContext: without WaitOptions.Observer, a wait reports to the Observer its context
// carries.
func TestWaitObserverFromContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(map[string]time.Duration{"j1": 0})
		var r eventLog
		ctx := observe.NewContext(t.Context(), r.observer())
		if _, err := Wait(ctx, f, "j1", nil); err != nil {
			t.Fatal(err)
		}
		if got := r.text(); !strings.HasPrefix(got, "start fake j1\npoll j1 attempt=1 outcome=done") || !strings.HasSuffix(got, "polls=1 waited=0s err=<nil>") {
			t.Errorf("events:\n%s", got)
		}
	})
}

// TestWatcherObservedJobsInFlight: a Watcher reports each job's moves among the jobs in flight, from
// added to its states to gone, so that the count by state returns to zero.
func TestWatcherObservedJobsInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(map[string]time.Duration{"a": 3 * time.Second, "b": 0})
		var r eventLog
		w, err := NewWatcher(&WatcherOptions{Wait: WaitOptions{Observer: r.observer(), Random: noJitter}})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		addAll(t, w, f, "a", "b")
		results(w, 2)
		inFlight := map[string]int{}
		for _, l := range strings.Split(r.text(), "\n") {
			var from, to string
			if _, err := fmt.Sscanf(l, "move fake %q→%q", &from, &to); err == nil {
				inFlight[from]--
				inFlight[to]++
			}
		}
		want := map[string]int{"": 0, "new": 0, "running": 0}
		if fmt.Sprint(inFlight) != fmt.Sprint(want) {
			t.Errorf("in flight after the run %v, want %v; events:\n%s", inFlight, want, r.text())
		}
		if got := r.text(); !strings.Contains(got, "poll b attempt=1 outcome=done state=succeeded") || !strings.Contains(got, "poll a attempt=3 outcome=done") {
			t.Errorf("events:\n%s", got)
		}
	})
}

// TestWatcherJobsAreObservedWaits: each job of a Watcher begins and ends a wait of its own, as Wait
// does, whether it ends done, removed, or still watched at Close; its polls run under the context its
// WaitStart returned.
func TestWatcherJobsAreObservedWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(map[string]time.Duration{"done": 0, "removed": time.Hour, "closed": time.Hour})
		type spanKey struct{}
		var r eventLog
		o := r.observer()
		o.WaitStart = func(ctx context.Context, e observe.WaitStart) context.Context {
			r.add("start %s", e.JobID)
			return context.WithValue(ctx, spanKey{}, e.JobID)
		}
		o.WaitEnd = func(ctx context.Context, e observe.WaitEnd) {
			r.add("end %s span=%v state=%s polls=%d err=%v", e.JobID, ctx.Value(spanKey{}), e.State, e.Polls, e.Err)
		}
		o.Poll = func(ctx context.Context, e observe.Poll) {
			r.add("poll %s span=%v", e.JobID, ctx.Value(spanKey{}))
		}
		w, err := NewWatcher(&WatcherOptions{Wait: WaitOptions{Observer: o, Random: noJitter}})
		if err != nil {
			t.Fatal(err)
		}
		addAll(t, w, f, "done", "removed", "closed")
		results(w, 1)
		time.Sleep(time.Second) // the bubble's clock: every job polled once, none twice (min delay 2 s)
		synctest.Wait()
		if !w.Remove(f, "removed") {
			t.Fatal("Remove(removed) = false")
		}
		w.Close()
		got := r.text()
		for _, want := range []string{
			"start done", "poll done span=done", "end done span=done state=succeeded polls=1 err=<nil>",
			"start removed", "poll removed span=removed", "end removed span=removed state=running polls=1 err=context canceled",
			"start closed", "poll closed span=closed", "end closed span=closed state=running polls=1 err=context canceled",
		} {
			if n := strings.Count(got+"\n", want+"\n"); n != 1 {
				t.Errorf("%q seen %d times, want once; events:\n%s", want, n, got)
			}
		}
	})
}

// TestHooksCostNothingUnobserved: without an Observer, the hooks a poll passes through allocate
// nothing.
func TestHooksCostNothingUnobserved(t *testing.T) {
	cfg, err := newWaitConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	s := newSchedule(&cfg, "fake", "j1", time.Now(), nil)
	job := &Job{Vendor: "fake", ID: "j1", State: StateRunning}
	lim := rate.NewLimiter(rate.Inf, 1)
	ctx := context.Background()
	allocs := testing.AllocsPerRun(100, func() {
		ctx, obs := s.observeStart(ctx)
		start := obsNow(obs)
		_ = waitLimiter(ctx, "fake", lim)
		s.observePoll(ctx, obs, 1, start, start, job, nil, outcome{job: job})
		s.observeSleep(ctx, obs, start, time.Second, whyBackoff)
		if obs != nil && obs.Retry != nil {
			t.Fatal("no observer, yet a Retry hook")
		}
		s.observeMove("new", "running")
		s.observeEnd(ctx, obs, 1, &job, &err)
		_ = s.pollContext(ctx)
	})
	if allocs != 0 {
		t.Errorf("unobserved hooks allocate %v times per poll, want 0", allocs)
	}
}

// TestPollObservedWithNextPoll: each Poll event of a wait that goes on says when the next poll is,
// in a wait and in a Watcher alike; the poll that ends the wait says none.
func TestPollObservedWithNextPoll(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var (
			mu   sync.Mutex
			next []time.Duration // Next minus the poll's end
		)
		obs := &observe.Observer{Poll: func(_ context.Context, e observe.Poll) {
			mu.Lock()
			defer mu.Unlock()
			if e.Next.IsZero() {
				next = append(next, -1)
				return
			}
			next = append(next, e.Next.Sub(e.Start.Add(e.Duration)))
		}}
		f := newFake(map[string]time.Duration{"j1": 5 * time.Second, "j2": 5 * time.Second})
		opts := WaitOptions{Observer: obs, Random: noJitter, MinDelay: 2 * time.Second, MaxDelay: 2 * time.Second}
		if _, err := Wait(t.Context(), f, "j1", &opts); err != nil {
			t.Fatal(err)
		}
		want := []time.Duration{2 * time.Second, 2 * time.Second, 2 * time.Second, -1}
		if fmt.Sprint(next) != fmt.Sprint(want) {
			t.Errorf("Wait: next poll after %v, want %v", next, want)
		}
		next = nil
		w, err := NewWatcher(&WatcherOptions{Wait: opts})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		if err := w.Add(f, "j2", nil); err != nil {
			t.Fatal(err)
		}
		if r := <-w.Results(); r.Err != nil {
			t.Fatal(r.Err)
		}
		mu.Lock()
		defer mu.Unlock()
		if fmt.Sprint(next) != fmt.Sprint(want) {
			t.Errorf("Watcher: next poll after %v, want %v", next, want)
		}
	})
}
