package sdk

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

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakePoller runs jobs on the (bubbled) clock: job id → how long after the first poll it finishes.
type fakePoller struct {
	vendor   string
	duration map[string]time.Duration
	final    State
	progress bool // report Progress and Elapsed like Webex
	// countsEarly: the counts reach the total this fraction of the duration before the job is done
	countsEarly float64
	errs        []error

	mu     sync.Mutex
	start  map[string]time.Time
	polls  []time.Time
	atLocs []string
}

func newFake(durations map[string]time.Duration) *fakePoller {
	return &fakePoller{vendor: "fake", duration: durations, final: StateSucceeded, start: map[string]time.Time{}}
}

func (f *fakePoller) Vendor() string { return f.vendor }

func (f *fakePoller) Status(ctx context.Context, id string) (*Job, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.statusLocked(id)
}

func (f *fakePoller) statusLocked(id string) (*Job, error) {
	now := time.Now()
	f.polls = append(f.polls, now)
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		if err != nil {
			return nil, err
		}
	}
	d, ok := f.duration[id]
	if !ok {
		return nil, &APIError{Vendor: f.vendor, StatusCode: 404, kind: ErrNotFound}
	}
	st, ok := f.start[id]
	if !ok {
		st = now
		f.start[id] = st
	}
	el := now.Sub(st)
	j := &Job{Vendor: f.vendor, ID: id, State: StateRunning}
	if el >= d {
		j.State = f.final
	}
	if f.progress && d > 0 {
		p := min(float64(el)/(float64(d)*(1-f.countsEarly)), 1)
		j.Progress = &p
		j.Started, j.Updated = &st, &now // the vendor's clock: el since the start
		done := int(p * 1000)
		j.Counts = Counts{Total: intp(1000), Succeeded: intp(done)}
	}
	return j.finish(), nil
}

func (f *fakePoller) gaps() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []time.Duration
	for i := 1; i < len(f.polls); i++ {
		out = append(out, f.polls[i].Sub(f.polls[i-1]))
	}
	return out
}

type locFake struct{ *fakePoller }

func (l locFake) StatusAt(ctx context.Context, loc string) (*Job, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.atLocs = append(l.atLocs, loc)
	return l.statusLocked(strings.TrimPrefix(loc, "https://host/status/"))
}

func TestWaitDelaysStayWithinBounds(t *testing.T) {
	cases := []struct {
		name             string
		min, max         time.Duration
		random           func() float64
		jitter           float64
		duration         time.Duration
		wantPollsAtLeast int
	}{
		{"defaults-like", time.Second, time.Minute, nil, 0.2, 30 * time.Minute, 30},
		{"no jitter", 2 * time.Second, 10 * time.Second, noJitter, 0, 5 * time.Minute, 30},
		{"lowest draws", 500 * time.Millisecond, 5 * time.Second, func() float64 { return 1 - 1e-12 }, 0.2, 2 * time.Minute, 24},
		{"min equals max", 3 * time.Second, 3 * time.Second, nil, 0.2, time.Minute, 20},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFake(map[string]time.Duration{"j": tc.duration})
				start := time.Now()
				job, err := Wait(t.Context(), f, "j", &WaitOptions{MinDelay: tc.min, MaxDelay: tc.max, Random: tc.random})
				if err != nil || job.State != StateSucceeded {
					t.Fatalf("Wait = %v, %v", job, err)
				}
				if f.polls[0] != start {
					t.Errorf("first poll at +%v, want at once", f.polls[0].Sub(start))
				}
				for n, g := range f.gaps() {
					full := tc.min
					for i := 0; i < n && full < tc.max; i++ {
						full *= 2
					}
					full = min(full, tc.max)
					lo := max(time.Duration(float64(full)*(1-max(tc.jitter, 0))), min(tc.min, full))
					if g < lo || g > full {
						t.Fatalf("gap %d = %v, want in [%v, %v]", n, g, lo, full)
					}
				}
				if len(f.polls) < tc.wantPollsAtLeast/2 {
					t.Errorf("only %d polls", len(f.polls))
				}
			})
		})
	}
}

// TestResumedWaitFollowsTheTokensLocation: a resume token that carries a status URL (Oracle's Location)
// is polled there by a Poller that can (StatusAt).
func TestResumedWaitFollowsTheTokensLocation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(map[string]time.Duration{"42": 10 * time.Second})
		p := locFake{f}
		s := newSchedule(mustConfig(t), "fake", "42", time.Now(), nil)
		s.more().location = "https://host/status/42"
		job, err := Wait(t.Context(), p, "", &WaitOptions{ResumeToken: s.token(), Random: noJitter})
		if err != nil || !job.Done {
			t.Fatalf("resumed Wait = %v, %v", job, err)
		}
		if len(p.atLocs) != len(f.polls) || len(p.atLocs) == 0 {
			t.Fatalf("%d polls, %d through the Location; want all", len(f.polls), len(p.atLocs))
		}
		for _, l := range p.atLocs {
			if l != "https://host/status/42" {
				t.Errorf("polled %q", l)
			}
		}
	})
}

func TestWaitHonoursRetryAfterCapped(t *testing.T) {
	cases := []struct {
		name       string
		retryAfter time.Duration
		want       time.Duration
	}{
		{"seconds", 7 * time.Second, 7 * time.Second},
		{"absurd is capped at the max delay", 10 * time.Hour, 30 * time.Second},
		{"shorter than backoff", time.Millisecond, time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFake(map[string]time.Duration{"j": 0})
				f.errs = []error{&APIError{Vendor: "fake", StatusCode: 429, kind: ErrRateLimited, RetryAfter: tc.retryAfter}}
				_, err := Wait(t.Context(), f, "j", &WaitOptions{MinDelay: time.Second, MaxDelay: 30 * time.Second, Random: noJitter})
				if err != nil {
					t.Fatal(err)
				}
				if g := f.gaps(); len(g) != 1 || g[0] != tc.want {
					t.Fatalf("gaps %v, want [%v]", g, tc.want)
				}
			})
		})
	}
}

// TestWaitDeadlineLeavesTheLastPollRoom: the last poll is due a min delay before the bound (as
// smithy's waiter leaves it), and the wait ends with the last job seen once less than that is left,
// never after the bound.
func TestWaitDeadlineLeavesTheLastPollRoom(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(map[string]time.Duration{"j": time.Hour})
		start := time.Now()
		job, err := Wait(t.Context(), f, "j", &WaitOptions{MinDelay: 3 * time.Second, MaxDelay: 3 * time.Second, MaxWait: 10 * time.Second})
		if !errors.Is(err, ErrWaitTimeout) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want a timeout", err)
		}
		var at []time.Duration
		for _, p := range f.polls {
			at = append(at, p.Sub(start))
		}
		// 0, 3 and 6 s on the schedule; at 6 s only 4 s are left, so the last poll comes at 7 s, 3 s
		// (the min delay) before the bound, and the wait ends with its answer.
		if want := []time.Duration{0, 3 * time.Second, 6 * time.Second, 7 * time.Second}; !slices.Equal(at, want) {
			t.Errorf("polls at %v, want %v", at, want)
		}
		if got := time.Since(start); got != 7*time.Second {
			t.Errorf("wait ended after %v, want 7s", got)
		}
		if job == nil || job.State != StateRunning || !strings.Contains(err.Error(), "fake job j: wait timed out after 7s (last state running)") {
			t.Errorf("job %v, error %v", job, err)
		}
	})
}

func TestWaitContextDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(map[string]time.Duration{"j": time.Hour})
		ctx, cancel := context.WithTimeout(t.Context(), 7*time.Second)
		defer cancel()
		start := time.Now()
		_, err := Wait(ctx, f, "j", nil)
		if !errors.Is(err, ErrWaitTimeout) || time.Since(start) != 7*time.Second {
			t.Fatalf("err %v after %v", err, time.Since(start))
		}
		ctx, cancel = context.WithCancel(t.Context())
		cancel()
		if _, err := Wait(ctx, f, "j", nil); !errors.Is(err, context.Canceled) {
			t.Fatalf("canceled: %v", err)
		}
	})
}

// TestWaitAimsAtEstimatedCompletion: with counts and elapsed time, a wait ends within the near-end bound
// of the completion, also when the counts reach the total a fifth of the job before it is done
// (before, the estimate gave up at 100% and fell back to the long backoff: lags of minutes), and the
// short polls near the end stay bounded (at most half again the blind backoff's polls).
func TestWaitAimsAtEstimatedCompletion(t *testing.T) {
	bound := defaultMaxDelay / nearEndCapDiv
	for _, early := range []float64{0, 0.2} {
		synctest.Test(t, func(t *testing.T) {
			for _, d := range []time.Duration{45 * time.Second, 7 * time.Minute, 25 * time.Minute} {
				f := newFake(map[string]time.Duration{"j": d})
				f.progress, f.countsEarly = true, early
				start := time.Now()
				if _, err := Wait(t.Context(), f, "j", nil); err != nil {
					t.Fatal(err)
				}
				lag := time.Since(start) - d
				blind := newFake(map[string]time.Duration{"j": d})
				if _, err := Wait(t.Context(), blind, "j", nil); err != nil {
					t.Fatal(err)
				}
				t.Logf("early %.1f, %v job: lag %v with %d polls (blind backoff: %d polls)", early, d, lag, len(f.polls), len(blind.polls))
				if lag > bound || len(f.polls) > len(blind.polls)*3/2+1 {
					t.Errorf("early %.1f, %v job: lag %v with %d polls (blind backoff: %d polls)", early, d, lag, len(f.polls), len(blind.polls))
				}
			}
		})
	}
}

func TestWaitErrors(t *testing.T) {
	transient := &APIError{Vendor: "fake", StatusCode: 503, kind: ErrServerError}
	permanent := &APIError{Vendor: "fake", StatusCode: 401, kind: ErrUnauthorized}
	cases := []struct {
		name      string
		errs      []error
		final     State
		wantPolls int
		check     func(error) bool
	}{
		{"transient errors are ridden out", []error{transient, transient, transient}, StateSucceeded, 4, func(err error) bool { return err == nil }},
		{"too many transient errors in a row", []error{transient, transient, transient, transient}, StateSucceeded, 4,
			func(err error) bool {
				return errors.Is(err, ErrServerError) && strings.Contains(err.Error(), "4 transient errors in a row")
			}},
		{"permanent ends at once", []error{permanent}, StateSucceeded, 1, func(err error) bool { return errors.Is(err, ErrUnauthorized) }},
		{"failed job", nil, StateFailed, 1, func(err error) bool {
			return errors.Is(err, ErrJobFailed) && !errors.Is(err, ErrJobCanceled) && strings.Contains(err.Error(), "fake job j ended failed")
		}},
		{"canceled job", nil, StateCanceled, 1, func(err error) bool { return errors.Is(err, ErrJobCanceled) }},
		{"partially succeeded is no error", nil, StatePartiallySucceeded, 1, func(err error) bool { return err == nil }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFake(map[string]time.Duration{"j": 0})
				f.errs, f.final = tc.errs, tc.final
				job, err := Wait(t.Context(), f, "j", &WaitOptions{MaxTransientErrors: 3})
				if !tc.check(err) {
					t.Fatalf("err = %v", err)
				}
				if len(f.polls) != tc.wantPolls {
					t.Errorf("%d polls, want %d", len(f.polls), tc.wantPolls)
				}
				if err == nil && (job == nil || job.State != tc.final) {
					t.Errorf("job %v", job)
				}
			})
		})
	}
}

func TestWaitProgressCallbackOnChange(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(map[string]time.Duration{"j": 5 * time.Second})
		var seen []State
		_, err := Wait(t.Context(), f, "j", &WaitOptions{MinDelay: time.Second, MaxDelay: time.Second, Progress: func(j *Job) { seen = append(seen, j.State) }})
		if err != nil {
			t.Fatal(err)
		}
		if len(f.polls) != 6 || len(seen) != 2 || seen[0] != StateRunning || seen[1] != StateSucceeded {
			t.Fatalf("%d polls, progress %v; want 6 polls and [running succeeded]", len(f.polls), seen)
		}
	})
}

func TestWaitChecksItsInput(t *testing.T) {
	f := newFake(nil)
	if _, err := Wait(context.Background(), f, "", nil); err == nil || !strings.Contains(err.Error(), "job id is empty") {
		t.Errorf("empty id: %v", err)
	}
	if _, err := Wait(context.Background(), nil, "j", nil); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("nil poller: %v", err)
	}
}

func TestResumedWaitKeepsItsBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(map[string]time.Duration{"j": time.Hour})
		began := time.Now()
		var token string
		ctx, cancel := context.WithCancel(t.Context())
		opts := &WaitOptions{MaxWait: time.Minute, MinDelay: 2 * time.Second, MaxDelay: 4 * time.Second, Random: noJitter,
			Checkpoint: func(tok string) {
				token = tok
				if time.Since(began) >= 20*time.Second {
					cancel() // the process "dies" 20 s in
				}
			}}
		if _, err := Wait(ctx, f, "j", opts); !errors.Is(err, context.Canceled) {
			t.Fatalf("first wait: %v", err)
		}
		if _, err := Wait(t.Context(), f, "other", &WaitOptions{ResumeToken: token}); !errors.Is(err, ErrInvalidInput) ||
			!strings.Contains(err.Error(), `it is for job "j", not "other"`) {
			t.Fatalf("a token of another job: %v", err)
		}
		time.Sleep(15 * time.Second) // the restart takes a while
		n := len(f.polls)
		_, err := Wait(t.Context(), f, "", &WaitOptions{ResumeToken: token, MinDelay: 2 * time.Second, MaxDelay: 4 * time.Second, Random: noJitter})
		if !errors.Is(err, ErrWaitTimeout) {
			t.Fatalf("resumed wait: %v", err)
		}
		// The last poll is due at 58 s, the min delay before the 1m budget runs out.
		if got := time.Since(began); got != time.Minute-2*time.Second {
			t.Errorf("resumed wait ended %v after the first began, want 58s, within the 1m budget", got)
		}
		// The schedule resumed at its last delay (4s), not back at the min delay.
		if g := f.polls[n+1].Sub(f.polls[n]); g != 4*time.Second {
			t.Errorf("first resumed gap %v, want 4s", g)
		}
	})
}

func TestResumeTokenErrors(t *testing.T) {
	f := newFake(map[string]time.Duration{"j": 0})
	cfg, err := newWaitConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	good := newSchedule(&cfg, "fake", "j", time.Now(), nil).token()
	other := &fakePoller{vendor: "other"}
	cases := []struct{ name, token, want string }{
		{"garbage", "hello", "no jw<version>. prefix"},
		{"future version", "jw2." + strings.SplitN(good, ".", 2)[1], "version 2 is not supported"},
		{"bad version", "jwx.abc", "version \"x\" is not a number"},
		{"not base64", "jw1.***", "not base64url"},
		{"truncated", good[:len(good)-6], "corrupt"},
		{"not json", "jw1.aGVsbG8", "corrupt"},
		{"missing fields", "jw1.e30", "vendor or job id missing"},
		{"huge", "jw1." + strings.Repeat("A", 9000), "longer than any token"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Wait(context.Background(), f, "", &WaitOptions{ResumeToken: tc.token})
			if !errors.Is(err, ErrInvalidInput) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrInvalidInput mentioning %q", err, tc.want)
			}
		})
	}
	if _, err := Wait(context.Background(), other, "", &WaitOptions{ResumeToken: good}); !errors.Is(err, ErrInvalidInput) || !strings.Contains(err.Error(), "it is for a fake job, the client is other") {
		t.Errorf("other vendor: %v", err)
	}
	if job, err := Wait(context.Background(), f, "", &WaitOptions{ResumeToken: good}); err != nil || !job.Done {
		t.Errorf("good token: %v %v", job, err)
	}
}

// TestPlannerMatchesWait drives a Planner on a simulated clock and checks it polls when Wait does.
func TestPlannerMatchesWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(map[string]time.Duration{"j": 3 * time.Minute})
		start := time.Now()
		if _, err := Wait(t.Context(), f, "j", &WaitOptions{Random: noJitter}); err != nil {
			t.Fatal(err)
		}
		var want []time.Duration
		for _, p := range f.polls {
			want = append(want, p.Sub(start))
		}
		pl, err := NewPlanner("fake", "j", start, &WaitOptions{Random: noJitter})
		if err != nil {
			t.Fatal(err)
		}
		now := start
		var got []time.Duration
		for range 100 {
			got = append(got, now.Sub(start))
			j := &Job{Vendor: "fake", ID: "j", State: StateRunning}
			if now.Sub(start) >= 3*time.Minute {
				j.State = StateSucceeded
			}
			next, done, final, err := pl.Observe(now, j.finish(), nil)
			if done {
				if err != nil || final.State != StateSucceeded {
					t.Fatalf("final %v %v", final, err)
				}
				break
			}
			now = next
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("planner polls at %v, Wait at %v", got, want)
		}
		if _, err := NewPlanner("fake", "", start, nil); err == nil {
			t.Error("empty job id accepted")
		}
	})
}
