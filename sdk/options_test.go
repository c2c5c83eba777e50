package sdk

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestNegativeWaitOptionMeansNone: where "none" means something, a negative value means it.
func TestNegativeWaitOptionMeansNone(t *testing.T) {
	c, err := newWaitConfig(&WaitOptions{MaxDelay: -1, MaxWait: -1, MaxTransientErrors: -1})
	if err != nil {
		t.Fatal(err)
	}
	if c.maxDelay != noBound || c.maxWait != noBound || c.maxTransient != 0 {
		t.Errorf("negative options: %+v, want no cap, no bound, no tolerance", c)
	}
	w, err := NewWatcher(&WatcherOptions{MaxInFlight: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if w.maxInFlight != math.MaxInt {
		t.Errorf("MaxInFlight -1: %d in flight, want no bound", w.maxInFlight)
	}
}

// TestBadOptionNamesIt: an option given a value it cannot take is an error matching ErrInvalidOption
// that names the field, from every way to wait.
func TestBadOptionNamesIt(t *testing.T) {
	cases := []struct {
		field string
		o     WaitOptions
	}{
		{"WaitOptions.MinDelay", WaitOptions{MinDelay: -time.Second}},
		{"WaitOptions.MaxDelay", WaitOptions{MaxDelay: time.Millisecond}}, // below the default min delay
		{"WaitOptions.Size", WaitOptions{Size: -1}},
	}
	f := newFake(nil)
	for _, tc := range cases {
		w, err := NewWatcher(&WatcherOptions{Wait: tc.o})
		if err == nil {
			w.Close()
		}
		_, perr := NewPlanner("fake", "j", time.Now(), &tc.o)
		_, werr := Wait(t.Context(), f, "j", &tc.o)
		aw, _ := NewWatcher(nil)
		aerr := aw.Add(f, "j", &tc.o)
		aw.Close()
		for how, err := range map[string]error{"NewWatcher": err, "NewPlanner": perr, "Wait": werr, "Watcher.Add": aerr} {
			if !errors.Is(err, ErrInvalidOption) || !strings.Contains(err.Error(), "sdk."+tc.field+": ") {
				t.Errorf("%s with a bad %s: %v, want ErrInvalidOption naming the field", how, tc.field, err)
			}
		}
	}
	if _, err := NewWatcher(&WatcherOptions{Wait: WaitOptions{ResumeToken: "jw1.x"}}); !errors.Is(err, ErrInvalidOption) ||
		!strings.Contains(err.Error(), "sdk.WatcherOptions.Wait.ResumeToken: ") {
		t.Errorf("a Watcher-wide resume token: %v", err)
	}
}

// TestPlannerDrawsItsJitterFromRandom: the Planner's jitter comes from the injected source, so two
// plans given the same draws make the same schedule; a draw of 0 is the nominal delay, one near 1 the
// low end of the jitter range.
func TestPlannerDrawsItsJitterFromRandom(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	running := func() *Job { return (&Job{Vendor: "fake", ID: "j", State: StateRunning}).finish() }
	plan := func(draw func() float64) []time.Duration {
		p, err := NewPlanner("fake", "j", start, &WaitOptions{MinDelay: time.Second, MaxDelay: time.Minute, Random: draw})
		if err != nil {
			t.Fatal(err)
		}
		var gaps []time.Duration
		now := start
		for range 8 {
			next, done, _, _ := p.Observe(now, running(), nil)
			if done {
				t.Fatal("done early")
			}
			gaps, now = append(gaps, next.Sub(now)), next
		}
		return gaps
	}
	seq := func() func() float64 {
		n := 0
		return func() float64 { n++; return float64(n%7) / 7 }
	}
	a, b := plan(seq()), plan(seq())
	if !slices.Equal(a, b) {
		t.Errorf("same draws, different schedules: %v vs %v", a, b)
	}
	nominal := plan(noJitter)
	// Backoff 1, 2, 4, ... 60 s.
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 32 * time.Second, time.Minute, time.Minute}
	if !slices.Equal(nominal, want) {
		t.Errorf("draws of 0: gaps %v, want %v", nominal, want)
	}
	// Drawn near 1 from [0.8·d, d], never below the 1 s min delay.
	low := plan(func() float64 { return 1 - 1e-12 })
	want = []time.Duration{time.Second, 1600 * time.Millisecond, 3200 * time.Millisecond, 6400 * time.Millisecond, 12800 * time.Millisecond, 25600 * time.Millisecond, 48 * time.Second, 48 * time.Second}
	if !slices.Equal(low, want) {
		t.Errorf("draws near 1: gaps %v, want %v", low, want)
	}
}
