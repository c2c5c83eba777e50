package sdk

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"testing/synctest"
	"time"
)

// trained returns an estimator that has seen 300 jobs of the workload S model for vendor "fake".
func trained(t *testing.T) *ThroughputEstimator {
	t.Helper()
	rng := rand.New(rand.NewPCG(5, 6))
	e := new(ThroughputEstimator)
	for range 300 {
		size := logUniformSize(rng)
		d := trueDuration(rng, size)
		e.observe("fake", size, d-time.Second/2, d+time.Second/2)
	}
	return e
}

// TestSizedScheduleAimsAtPredictedCompletion drives the Planner's clock for jobs of known size and
// throughput that never finish, and checks the polls: one at once, few before the predicted window,
// dense through it, and never a gap above the max delay.
func TestSizedScheduleAimsAtPredictedCompletion(t *testing.T) {
	e := trained(t)
	for _, size := range []int{20, 1000, 10000, 50000} {
		m, spread, ok := e.predict("fake", size)
		if !ok {
			t.Fatal("no prediction")
		}
		lo := time.Duration(float64(m) * math.Exp(-2*spread))
		hi := time.Duration(float64(m) * math.Exp(2*spread))
		start := time.Unix(1_700_000_000, 0)
		pl, err := NewPlanner("fake", "j", start, &WaitOptions{Size: size, Estimator: e, MaxWait: 5*m + time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		now := start
		var polls []time.Duration
		for now.Sub(start) < 2*hi {
			polls = append(polls, now.Sub(start))
			next, done, _, _ := pl.Observe(now, (&Job{Vendor: "fake", ID: "j", State: StateRunning}).finish(), nil)
			if done {
				t.Fatalf("size %d: wait ended", size)
			}
			if gap := next.Sub(now); gap > defaultMaxDelay || gap < defaultMinDelay {
				t.Fatalf("size %d: gap %v after +%v, outside [min, max delay]", size, gap, now.Sub(start))
			}
			now = next
		}
		edge := time.Duration(float64(m) * math.Exp(-sizedWindow*spread)) // where the schedule's window begins
		before, inside, maxGap := 0, 0, time.Duration(0)
		for i, p := range polls {
			switch {
			case p > 0 && p < edge:
				before++
			case p >= lo && p <= hi:
				inside++
				if i > 0 && polls[i-1] >= lo {
					maxGap = max(maxGap, p-polls[i-1])
				}
			}
		}
		// Before the window only max-delay sleeps (and the steps into it); through it a poll at least
		// every windowCap.
		windowCap := time.Duration(float64(defaultMaxDelay) * sizedWindowCap)
		if want := int(edge/defaultMaxDelay) + 2; before > want {
			t.Errorf("size %d (median %v): %d polls before the window at %v, want ≤ %d", size, m, before, edge, want)
		}
		if inside < min(3, int((hi-lo)/defaultMinDelay)/2) || maxGap > windowCap {
			t.Errorf("size %d (median %v): %d polls in the window [%v, %v], largest gap %v (cap %v)", size, m, inside, lo, hi, maxGap, windowCap)
		}
		t.Logf("size %d: median %v, spread %.2f: %d polls before, %d in [%v, %v], largest gap there %v", size, m.Round(time.Second), spread, before, inside, lo.Round(time.Second), hi.Round(time.Second), maxGap)
	}
}

// TestSizedWaitLag: Wait on a job of known size ends within the window's gap cap of the completion
// (the blind backoff may take up to the max delay), at no more than twice the blind backoff's polls.
func TestSizedWaitLag(t *testing.T) {
	e := trained(t)
	synctest.Test(t, func(t *testing.T) {
		for _, size := range []int{100, 5000, 40000} {
			m, _, _ := e.predict("fake", size)
			d := m * 11 / 10
			f := newFake(map[string]time.Duration{"j": d})
			start := time.Now()
			if _, err := Wait(t.Context(), f, "j", &WaitOptions{Size: size, Estimator: e}); err != nil {
				t.Fatal(err)
			}
			lag := time.Since(start) - d
			blind := newFake(map[string]time.Duration{"j": d})
			Wait(t.Context(), blind, "j", nil)
			if lag > time.Duration(float64(defaultMaxDelay)*sizedWindowCap) || len(f.polls) > 2*len(blind.polls) {
				t.Errorf("size %d, %v job: lag %v with %d polls (blind: %d)", size, d, lag, len(f.polls), len(blind.polls))
			}
		}
	})
}

// TestWithSizeAllFailed: where the size is known, a done job with every user failed is failed, on every
// vendor. A Huawei-shaped job (queryTask: DONE with a failDataList, no total) maps to partially
// succeeded; with its size it ends failed.
func TestWithSizeAllFailed(t *testing.T) {
	huawei := func(failed int) *Job {
		j := &Job{Vendor: "huawei", ID: "t1", State: StatePartiallySucceeded, VendorStatus: []string{"DONE"}}
		for i := range failed {
			j.Failures = append(j.Failures, Failure{User: "u" + string(rune('0'+i)), Action: "CREATE", Code: "USER_EXIST"})
		}
		j.Counts.Failed = intp(failed)
		return j.finish()
	}
	cases := []struct {
		name   string
		job    *Job
		size   int
		want   State
		failed bool
	}{
		{"every user failed, size known", huawei(3), 3, StateFailed, true},
		{"some users failed", huawei(2), 3, StatePartiallySucceeded, false},
		{"size unknown", huawei(3), 0, StatePartiallySucceeded, false},
		{"counts say some succeeded", func() *Job { j := huawei(3); j.Counts.Succeeded = intp(1); return j }(), 3, StatePartiallySucceeded, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Unix(1_700_000_000, 0)
			pl, err := NewPlanner("huawei", "t1", start, &WaitOptions{Size: c.size})
			if err != nil {
				t.Fatal(err)
			}
			_, done, final, err := pl.Observe(start, c.job, nil)
			if !done || final.State != c.want || errors.Is(err, ErrJobFailed) != c.failed {
				t.Errorf("done %v, state %s, err %v; want %s", done, final.State, err, c.want)
			}
		})
	}
	if _, err := NewPlanner("huawei", "t1", time.Now(), &WaitOptions{Size: -1}); !errors.Is(err, ErrInvalidOption) {
		t.Errorf("negative size: %v", err)
	}
}

// TestResumeTokenCarriesSize: the size survives a restart.
func TestResumeTokenCarriesSize(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	pl, _ := NewPlanner("fake", "j", start, &WaitOptions{Size: 4200})
	pl.Observe(start, (&Job{State: StateRunning}).finish(), nil)
	w, err := newWaiter(newFake(nil), "", &WaitOptions{ResumeToken: pl.ResumeToken()})
	if err != nil {
		t.Fatal(err)
	}
	if w.s.cfg.size != 4200 {
		t.Errorf("resumed size %d, want 4200", w.s.cfg.size)
	}
	w, _ = newWaiter(newFake(nil), "", &WaitOptions{ResumeToken: pl.ResumeToken(), Size: 7})
	if w.s.cfg.size != 7 {
		t.Errorf("Size on resume: size %d, want 7", w.s.cfg.size)
	}
}
