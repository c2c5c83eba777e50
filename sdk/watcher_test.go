package sdk

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jobwatch/jobwatch/sdk/internal/httpx"
	"golang.org/x/time/rate"
)

// batchFake is a Tencent-like poller: several ids per call, paced by its own limiter as the client is.
type batchFake struct {
	*fakePoller
	size    int
	limiter *rate.Limiter

	bmu     sync.Mutex
	calls   []time.Time
	largest int
}

func newBatchFake(durations map[string]time.Duration, size int, r rate.Limit) *batchFake {
	f := newFake(durations)
	f.vendor = "batch"
	return &batchFake{fakePoller: f, size: size, limiter: rate.NewLimiter(httpx.PerSecond(float64(r)), 1)}
}

func (b *batchFake) BatchSize() int         { return b.size }
func (b *batchFake) Limiter() *rate.Limiter { return b.limiter }
func (b *batchFake) Status(ctx context.Context, id string) (*Job, error) {
	jobs, err := b.StatusMany(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	return jobs[id], nil
}

func (b *batchFake) StatusMany(ctx context.Context, ids []string) (map[string]*Job, error) {
	if err := b.limiter.Wait(ctx); err != nil { // as the client's Doer does
		return nil, err
	}
	b.bmu.Lock()
	b.calls = append(b.calls, time.Now())
	b.largest = max(b.largest, len(ids))
	b.bmu.Unlock()
	out := make(map[string]*Job, len(ids))
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, id := range ids {
		j, err := b.statusLocked(id)
		if err != nil {
			return nil, err
		}
		out[id] = j
	}
	return out, nil
}

// maxInWindow is the most calls in any window [t, t+w).
func maxInWindow(calls []time.Time, w time.Duration) int {
	best, lo := 0, 0
	for hi := range calls {
		for calls[hi].Sub(calls[lo]) >= w {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

func TestWatcherTenThousandBatchedJobs(t *testing.T) {
	const jobs = 10000
	wall := time.Now()
	synctest.Test(t, func(t *testing.T) {
		durations := make(map[string]time.Duration, jobs)
		for i := range jobs {
			// log-uniform between 1 s and 10 min, deterministic
			durations[fmt.Sprint("job-", i)] = time.Duration(math.Exp(float64(i%997)/996*math.Log(600)) * float64(time.Second))
		}
		b := newBatchFake(durations, 100, 20)
		w, err := NewWatcher(nil)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		start := time.Now()
		for id := range durations {
			if err := w.Add(b, id, nil); err != nil {
				t.Fatal(err)
			}
		}
		var lags []time.Duration
		for range jobs {
			r := <-w.Results()
			if r.Err != nil || !r.Job.Done {
				t.Fatalf("%s: %v %v", r.Job.ID, r.Job, r.Err)
			}
			lags = append(lags, time.Since(start)-durations[r.Job.ID])
		}
		if len(lags) != jobs {
			t.Fatalf("%d results, want %d", len(lags), jobs)
		}
		slices.Sort(lags)
		p99 := lags[len(lags)*99/100]
		bound := time.Duration(float64(jobs) / (20 * 100) * float64(time.Second))
		if b.largest > 100 {
			t.Errorf("a call carried %d ids, cap 100", b.largest)
		}
		if m := maxInWindow(b.calls, time.Second); m > 20 {
			t.Errorf("%d calls in one second, rate 20", m)
			for i := 1; i < len(b.calls); i++ {
				if d := b.calls[i].Sub(b.calls[i-1]); d < 50*time.Millisecond {
					t.Logf("call %d gap %v at %v", i, d, b.calls[i].Sub(start))
				}
			}
		}
		if p99 > 2*bound {
			t.Errorf("p99 lag %v, want ≤ 2 × %v", p99, bound)
		}
		t.Logf("%d calls for %d jobs over %v simulated; p99 lag %v (bound %v)", len(b.calls), jobs, time.Since(start), p99, bound)
	})
	// Logged, not asserted: a wall-clock bound would fail on a loaded machine, not on a slow Watcher
	// (bench measures that); the test's timeout still catches a hang.
	t.Logf("10,000 jobs took %v of wall time", time.Since(wall))
}

func TestWatcherMixedAddRemoveAndProgress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		single := newFake(map[string]time.Duration{"a": 5 * time.Second, "b": time.Minute, "gone": time.Minute, "late": 2 * time.Second})
		single.final = StateFailed
		batch := newBatchFake(map[string]time.Duration{"x": 3 * time.Second, "y": 20 * time.Second}, 10, 20)
		var mu sync.Mutex
		changes := 0
		w, err := NewWatcher(&WatcherOptions{Wait: WaitOptions{Progress: func(*Job) { mu.Lock(); changes++; mu.Unlock() }}})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		for _, add := range []struct {
			p  Poller
			id string
		}{{single, "a"}, {single, "b"}, {single, "gone"}, {batch, "x"}, {batch, "y"}} {
			if err := w.Add(add.p, add.id, nil); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Add(single, "a", nil); err == nil {
			t.Error("a job added twice")
		}
		time.Sleep(time.Second)
		if !w.Remove(single, "gone") || w.Remove(single, "gone") {
			t.Error("Remove did not report the job once")
		}
		if err := w.Add(single, "late", nil); err != nil {
			t.Fatal(err)
		}
		got := map[string]WatchResult{}
		for r := range w.Results() {
			got[r.Job.ID] = r
			if len(got) == 5 {
				break
			}
		}
		for _, id := range []string{"a", "b", "late"} {
			if !errors.Is(got[id].Err, ErrJobFailed) || got[id].Job.State != StateFailed {
				t.Errorf("%s: %+v", id, got[id])
			}
		}
		for _, id := range []string{"x", "y"} {
			if got[id].Err != nil || got[id].Job.State != StateSucceeded || got[id].Job.Vendor != "batch" {
				t.Errorf("%s: %+v", id, got[id])
			}
		}
		if _, ok := got["gone"]; ok {
			t.Error("a removed job was delivered")
		}
		mu.Lock()
		if changes < 10 {
			t.Errorf("%d progress events, want one running and one final per job", changes)
		}
		mu.Unlock()
	})
}

func TestWatcherCloseStopsEverything(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(map[string]time.Duration{"a": time.Hour, "b": time.Hour})
		w, err := NewWatcher(nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"a", "b"} {
			if err := w.Add(f, id, nil); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(30 * time.Second)
		w.Close()
		if _, open := <-w.Results(); open {
			t.Error("Results still open after Close")
		}
		if err := w.Add(f, "c", nil); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("Add after Close: %v", err)
		}
		w.Close() // twice is fine
		synctest.Wait()
	})
}

func TestWatcherAllAndTimeouts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(map[string]time.Duration{"quick": time.Second, "slow": time.Hour})
		w, err := NewWatcher(&WatcherOptions{Wait: WaitOptions{MaxWait: time.Minute}})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		start := time.Now()
		_ = w.Add(f, "quick", nil)
		_ = w.Add(f, "slow", nil)
		var states []string
		for _, r := range results(w, 2) {
			job, err := r.Job, r.Err
			states = append(states, fmt.Sprintf("%s:%s:%v", job.ID, job.State, errors.Is(err, ErrWaitTimeout)))
		}
		if want := []string{"quick:succeeded:false", "slow:running:true"}; !slices.Equal(states, want) {
			t.Errorf("got %v, want %v", states, want)
		}
		// The last poll is due no later than the min delay (2 s) before the deadline, and the slow job
		// times out with its answer; pacing (10 requests/s, burst 1) may delay it by one 100 ms slot.
		if d := time.Since(start); d < time.Minute-4*time.Second || d > time.Minute-2*time.Second+100*time.Millisecond {
			t.Errorf("slow job timed out after %v, want between 56s and 58.1s", d)
		}
	})
}

// hangingBatch is a batchFake whose calls that carry the id hang never answer: they end only when the
// request's context does.
type hangingBatch struct {
	*batchFake
	hang string
}

func (h *hangingBatch) StatusMany(ctx context.Context, ids []string) (map[string]*Job, error) {
	if slices.Contains(ids, h.hang) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return h.batchFake.StatusMany(ctx, ids)
}

// TestWatcherDeadlineCutsABatchForItsJobOnly: a request in flight when one of its jobs reaches its max
// wait is canceled there; that job ends at its bound with ErrWaitTimeout, and another job of the same
// client, whose bound is far (in the same batch, it is polled again), ends as it should.
func TestWatcherDeadlineCutsABatchForItsJobOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		h := &hangingBatch{batchFake: newBatchFake(map[string]time.Duration{"short": time.Hour, "long": 2 * time.Minute}, 10, 100), hang: "short"}
		w, err := NewWatcher(nil)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		if err := w.Add(h, "short", &WaitOptions{MaxWait: time.Minute}); err != nil {
			t.Fatal(err)
		}
		if err := w.Add(h, "long", nil); err != nil {
			t.Fatal(err)
		}
		ended := map[string]time.Duration{}
		for range 2 {
			r := <-w.Results()
			ended[r.Job.ID] = time.Since(start)
			switch r.Job.ID {
			case "short":
				if !errors.Is(r.Err, ErrWaitTimeout) || r.Job.State != StateUnknown || r.Job.ID != "short" {
					t.Errorf("short: %v, %v; want a timeout with no job seen", r.Job, r.Err)
				}
			case "long":
				if r.Err != nil || r.Job == nil || r.Job.State != StateSucceeded {
					t.Errorf("long: %v, %v; want it succeeded", r.Job, r.Err)
				}
			}
		}
		if ended["short"] != time.Minute {
			t.Errorf("short ended at +%v, want at its 1m bound", ended["short"])
		}
		if ended["long"] < 2*time.Minute {
			t.Errorf("long ended at +%v, before it was done", ended["long"])
		}
	})
}

// addAll adds every id through p with the Watcher's own options; an error fails the test.
func addAll(t *testing.T, w *Watcher, p Poller, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if err := w.Add(p, id, nil); err != nil {
			t.Fatal(err)
		}
	}
}

// results reads n results of w.
func results(w *Watcher, n int) []WatchResult {
	out := make([]WatchResult, n)
	for i := range out {
		out[i] = <-w.Results()
	}
	return out
}

// noJitter is a Random that draws every delay at its nominal value.
func noJitter() float64 { return 0 }

// BenchmarkWatcherAdd: the cost of one Add to a Watcher that already holds many jobs.
func BenchmarkWatcherAdd(b *testing.B) {
	f := newFake(nil)
	w, err := NewWatcher(&WatcherOptions{Wait: WaitOptions{MinDelay: time.Hour, MaxDelay: time.Hour}})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := w.Add(f, fmt.Sprint("job-", i), nil); err != nil {
			b.Fatal(err)
		}
	}
}
