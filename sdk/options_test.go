package sdk

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// waitSettings is what a waitConfig decides, without its callbacks (which cannot be compared).
type waitSettings struct {
	minDelay, maxDelay, maxWait, maxRetryAfter time.Duration
	jitter                                     float64
	maxTransient, size                         int
	maxWaitSet, hasCallbacks, hasEstimator     bool
}

func settingsOf(t *testing.T, opts ...WaitOption) waitSettings {
	t.Helper()
	c, err := newWaitConfig(opts)
	if err != nil {
		t.Fatal(err)
	}
	if c.logger == nil || c.random == nil {
		t.Fatal("no default logger or random source")
	}
	return waitSettings{c.minDelay, c.maxDelay, c.maxWait, c.maxRetryAfter, c.jitter, c.maxTransient, c.size, c.maxWaitSet,
		c.progress != nil || c.checkpoint != nil || c.retryNotify != nil, c.estimator != nil}
}

// TestZeroWaitOptionIsTheDefault: every WaitOption given its zero value decides exactly what leaving
// it out does.
func TestZeroWaitOptionIsTheDefault(t *testing.T) {
	def := settingsOf(t)
	if want := (waitSettings{minDelay: DefaultMinDelay, maxDelay: DefaultMaxDelay, maxWait: DefaultMaxWait, maxRetryAfter: DefaultWaitMaxRetryAfter,
		jitter: DefaultJitter, maxTransient: DefaultMaxTransientErrors}); def != want {
		t.Fatalf("defaults %+v, want %+v", def, want)
	}
	for name, o := range map[string]WaitOption{
		"WithMinDelay": WithMinDelay(0), "WithMaxDelay": WithMaxDelay(0), "WithMaxWait": WithMaxWait(0), "WithJitter": WithJitter(0),
		"WithRandom": WithRandom(nil), "WithMaxRetryAfter": WithMaxRetryAfter(0), "WithMaxTransientErrors": WithMaxTransientErrors(0),
		"WithProgress": WithProgress(nil), "WithCheckpoint": WithCheckpoint(nil), "WithRetryNotify": WithRetryNotify(nil),
		"WithWaitLogger": WithWaitLogger(nil), "WithSize": WithSize(0), "WithEstimator": WithEstimator(nil),
	} {
		if got := settingsOf(t, o); got != def {
			t.Errorf("%s(zero): %+v, want the defaults %+v", name, got, def)
		}
	}
}

// TestNegativeWaitOptionMeansNone: where "none" means something, a negative value means it.
func TestNegativeWaitOptionMeansNone(t *testing.T) {
	got := settingsOf(t, WithMaxDelay(-1), WithMaxWait(-1), WithJitter(-1), WithMaxTransientErrors(-1), WithMaxRetryAfter(-1))
	if got.maxDelay != noBound || got.maxWait != noBound || got.jitter != 0 || got.maxTransient != 0 || got.maxRetryAfter >= 0 {
		t.Errorf("negative options: %+v, want no cap, no bound, no jitter, no tolerance, Retry-After ignored", got)
	}
}

// TestZeroWatcherOptionIsTheDefault: every WatcherOption given its zero value decides exactly what
// leaving it out does; negative values mean none.
func TestZeroWatcherOptionIsTheDefault(t *testing.T) {
	type settings struct {
		maxInFlight, batchSize int
		rate                   rate.Limit
		floor                  time.Duration
		waits                  int
		progress               bool
	}
	of := func(opts ...WatcherOption) settings {
		c, err := newWatcherConfig(opts)
		if err != nil || c.logger == nil {
			t.Fatal(err)
		}
		return settings{c.maxInFlight, c.batchSize, c.defaultRate, c.sweepFloor, len(c.wait), c.progress != nil}
	}
	def := of()
	if want := (settings{maxInFlight: DefaultMaxInFlight, rate: DefaultRate, floor: DefaultSweepFloor}); def != want {
		t.Fatalf("defaults %+v, want %+v", def, want)
	}
	for name, o := range map[string]WatcherOption{
		"WithMaxInFlight": WithMaxInFlight(0), "WithBatchSize": WithBatchSize(0), "WithDefaultRate": WithDefaultRate(0),
		"WithSweepFloor": WithSweepFloor(0), "WithWaitOptions": WithWaitOptions(), "WithWatcherLogger": WithWatcherLogger(nil),
		"WithWatchProgress": WithWatchProgress(nil),
	} {
		if got := of(o); got != def {
			t.Errorf("%s(zero): %+v, want the defaults %+v", name, got, def)
		}
	}
	if got := of(WithMaxInFlight(-1), WithDefaultRate(-1), WithSweepFloor(-1)); got.maxInFlight != math.MaxInt || got.rate != rate.Inf || got.floor != 0 {
		t.Errorf("negative options: %+v, want no bound, no pacing, no floor", got)
	}
}

// TestBadOptionNamesIt: an option given a value it cannot take is an error matching ErrInvalidOption
// that names the option, from every way to wait.
func TestBadOptionNamesIt(t *testing.T) {
	cases := []struct {
		name string
		o    WaitOption
	}{
		{"WithMinDelay", WithMinDelay(-time.Second)},
		{"WithMaxDelay", WithMaxDelay(time.Millisecond)}, // below the default min delay
		{"WithJitter", WithJitter(2)},
		{"WithJitter", WithJitter(math.NaN())},
		{"WithSize", WithSize(-1)},
	}
	f := newFake(nil)
	for _, tc := range cases {
		w, err := NewWatcher(&WatcherOptions{Wait: WaitOptions{??: tc.o}})
		if err == nil {
			w.Close()
		}
		_, perr := NewPlanner("fake", "j", time.Now(), tc.o)
		_, werr := Wait(t.Context(), f, "j", tc.o)
		for how, err := range map[string]error{"NewWatcher": err, "NewPlanner": perr, "Wait": werr} {
			if !errors.Is(err, ErrInvalidOption) || !strings.Contains(err.Error(), "sdk."+tc.name+"(") {
				t.Errorf("%s with %s: %v, want ErrInvalidOption naming the option", how, tc.name, err)
			}
		}
	}
	if _, err := NewWatcher(&WatcherOptions{??: WithDefaultRate(rate.Limit(math.NaN()))}); !errors.Is(err, ErrInvalidOption) || !strings.Contains(err.Error(), "sdk.WithDefaultRate(") {
		t.Errorf("NaN rate: %v", err)
	}
}

// TestPlannerDrawsItsJitterFromWithRandom: the Planner's jitter comes from the injected source, so two
// plans given the same draws make the same schedule; a draw of 0 takes the low end of the jitter range.
func TestPlannerDrawsItsJitterFromWithRandom(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	running := func() *Job { return (&Job{Vendor: "fake", ID: "j", State: StateRunning}).finish() }
	plan := func(draw func() float64) []time.Duration {
		p, err := NewPlanner("fake", "j", start, &WaitOptions{MinDelay: time.Second, MaxDelay: time.Minute, ??JITTER: 0.5, Random: draw})
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
	low := plan(func() float64 { return 0 })
	// Backoff 1, 2, 4, ... 60 s, drawn at 0 from [d/2, d], never below the 1 s min delay.
	want := []time.Duration{time.Second, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second}
	if !slices.Equal(low, want) {
		t.Errorf("draws of 0: gaps %v, want %v", low, want)
	}
}
