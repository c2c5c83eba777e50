package sdk

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// trueDuration is the workload S model: 5 s overhead, 25 users/s, log-normal noise σ = 0.2.
func trueDuration(rng *rand.Rand, size int) time.Duration {
	return time.Duration((5 + float64(size)/25) * math.Exp(0.2*rng.NormFloat64()) * float64(time.Second))
}

func logUniformSize(rng *rand.Rand) int {
	return int(math.Exp(math.Log(10) + rng.Float64()*(math.Log(50000)-math.Log(10))))
}

// TestEstimatorLearnsFromIntervals feeds completions seen through coarse polls (the job was running at
// one poll and done at the next, the done poll up to half the duration late) and checks that the fit
// finds the true throughput and median, where fitting the done polls would learn the lag as well.
func TestEstimatorLearnsFromIntervals(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	e := new(ThroughputEstimator)
	naive := new(ThroughputEstimator)
	for range 400 {
		size := logUniformSize(rng)
		d := trueDuration(rng, size)
		running := time.Duration(float64(d) * (0.5 + 0.5*rng.Float64()))
		done := d + time.Duration(float64(d)*0.5*rng.Float64())
		e.observe("v", size, running, done)
		naive.observe("v", size, done-time.Millisecond, done) // a point observation at the done poll
	}
	tp, overhead, ok := e.throughput("v")
	if !ok || math.Abs(tp-25)/25 > 0.1 || overhead < 3*time.Second || overhead > 7*time.Second {
		t.Errorf("throughput %.2f users/s, overhead %v; want 25 ± 10%% and 5 s ± 2 s", tp, overhead)
	}
	for _, size := range []int{100, 5000, 50000} {
		want := time.Duration((5 + float64(size)/25) * float64(time.Second))
		m, spread, ok := e.predict("v", size)
		if !ok || math.Abs(float64(m-want))/float64(want) > 0.1 || spread < 0.15 || spread > 0.3 {
			t.Errorf("size %d: median %v spread %.3f; want %v ± 10%%, spread ≈ 0.2", size, m, spread, want)
		}
		nm, _, _ := naive.predict("v", size)
		if float64(nm) < 1.15*float64(want) {
			t.Errorf("size %d: the done polls alone predict %v, want them biased late (> %v): the test does not censor", size, nm, want)
		}
	}
	if _, _, ok := e.predict("other", 10); ok {
		t.Error("a vendor never observed has a prediction")
	}
	if _, _, ok := new(ThroughputEstimator).predict("v", 10); ok {
		t.Error("a cold estimator has a prediction")
	}
	var zero ThroughputEstimator
	zero.observe("v", 10, time.Second, 2*time.Second)
	if _, _, ok := zero.predict("v", 10); !ok {
		t.Error("the zero value does not learn")
	}
}

func TestEstimatorIgnoresNonsense(t *testing.T) {
	e := new(ThroughputEstimator)
	for _, o := range []struct {
		size          int
		running, done time.Duration
	}{{0, 0, time.Second}, {-1, 0, time.Second}, {10, 0, 0}, {10, -time.Second, time.Second}, {10, 2 * time.Second, time.Second}} {
		e.observe("v", o.size, o.running, o.done)
	}
	if _, _, ok := e.predict("v", 10); ok {
		t.Error("learnt from nonsense observations")
	}
}

func TestEstimatorJSONRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	e := new(ThroughputEstimator)
	for range maxObservations + 50 { // past the ring's size, so its order matters
		size := logUniformSize(rng)
		d := trueDuration(rng, size)
		e.observe("tencent", size, d*3/4, d+time.Second)
	}
	e.observe("huawei", 100, time.Second, 9*time.Second)
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var back ThroughputEstimator
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"tencent", "huawei"} {
		m1, s1, ok1 := e.predict(v, 1000)
		m2, s2, ok2 := back.predict(v, 1000)
		if !ok1 || !ok2 || m1 != m2 || s1 != s2 {
			t.Errorf("%s: before %v %.4f %v, after %v %.4f %v", v, m1, s1, ok1, m2, s2, ok2)
		}
	}
	b2, _ := json.Marshal(&back)
	if string(b) != string(b2) {
		t.Error("a second round trip changed the saved state")
	}

	for _, bad := range []struct{ in, want string }{
		{`{"version":2,"vendors":{}}`, "version 2"},
		{`{"version":1,"vendors":{"v":[{"size":-3,"running_s":1,"done_s":2}]}}`, `vendor "v" observation 0`},
		{`{"version":1,"vendors":{"v":[{"size":3,"running_s":5,"done_s":2}]}}`, "out of range"},
		{`[1,2]`, "throughput estimator"},
	} {
		err := json.Unmarshal([]byte(bad.in), &back)
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: err %v, want one naming %q", bad.in, err, bad.want)
		}
	}
	if m, _, ok := back.predict("tencent", 1000); !ok || m <= 0 {
		t.Error("a failed load changed the estimator")
	}
}

// TestEstimatorConcurrent shares one estimator across waits on several goroutines (run with -race).
func TestEstimatorConcurrent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := new(ThroughputEstimator)
		e.observe("fake", 50, time.Second, 7*time.Second)
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				f := newFake(map[string]time.Duration{"j": time.Duration(5+i) * time.Second})
				if _, err := Wait(t.Context(), f, "j", &WaitOptions{Size: 50, Estimator: e}); err != nil {
					t.Error(err)
				}
			})
			wg.Go(func() {
				if _, err := json.Marshal(e); err != nil {
					t.Error(err)
				}
				e.predict("fake", 50)
			})
		}
		wg.Wait()
		b, _ := json.Marshal(e)
		var saved estimatorJSON
		if err := json.Unmarshal(b, &saved); err != nil || len(saved.Vendors["fake"]) != 9 {
			t.Errorf("want 9 observations after 8 waits, saved %s (%v)", b, err)
		}
	})
}

// TestEstimatorOnlyLearnsSuccesses: a failed job's duration says nothing about throughput.
func TestEstimatorOnlyLearnsSuccesses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := new(ThroughputEstimator)
		f := newFake(map[string]time.Duration{"j": 5 * time.Second})
		f.final = StateFailed
		_, err := Wait(t.Context(), f, "j", &WaitOptions{Size: 10, Estimator: e})
		if !errors.Is(err, ErrJobFailed) {
			t.Fatal(err)
		}
		if _, _, ok := e.predict("fake", 10); ok {
			t.Error("learnt from a failed job")
		}
	})
}
