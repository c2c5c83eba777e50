package main

import (
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
)

// scheduleResult is one policy's figures over the same jobs.
type scheduleResult struct {
	Policy         string  `json:"policy"`
	RequestsPerJob float64 `json:"requests_per_job"`
	LagMeanS       float64 `json:"lag_mean_s"`
	LagP99S        float64 `json:"lag_p99_s"`
}

// logUniform draws n durations whose logarithms are uniform between lo and hi.
func logUniform(rng *rand.Rand, n int, lo, hi time.Duration) []time.Duration {
	out := make([]time.Duration, n)
	a, b := math.Log(lo.Seconds()), math.Log(hi.Seconds())
	for i := range out {
		out[i] = time.Duration(math.Exp(a+rng.Float64()*(b-a)) * float64(time.Second))
	}
	return out
}

// policy polls one job that completes after d, on a simulated clock starting at 0, and returns the
// polls it made and the lag: from the completion to the poll that saw it.
type policy struct {
	name string
	run  func(d time.Duration, rng *rand.Rand) (requests int, lag time.Duration)
}

func fixed(name string, every time.Duration) policy {
	return policy{name, func(d time.Duration, _ *rand.Rand) (int, time.Duration) {
		k := int(math.Ceil(float64(d) / float64(every))) // polls at 0, every, 2·every, ...
		return k + 1, time.Duration(k)*every - d
	}}
}

// awsWaiter is smithy's waiter schedule: a first poll at once, then attempt n waits a random delay in
// [min, min·2ⁿ⁻¹], or max once n passes the attempt ceiling log2(max/min)+1.
func awsWaiter(minDelay, maxDelay time.Duration) policy {
	ceiling := math.Log(float64(maxDelay/minDelay))/math.Log(2) + 1
	return policy{"aws-waiter", func(d time.Duration, rng *rand.Rand) (int, time.Duration) {
		t, n := time.Duration(0), 1
		for attempt := 1; t < d; attempt++ {
			delay := maxDelay
			if float64(attempt) <= ceiling {
				delay = minDelay * time.Duration(int64(1)<<(attempt-1))
				if delay > minDelay {
					delay = minDelay + time.Duration(rng.Int64N(int64(delay-minDelay)))
				}
			}
			t += delay
			n++
		}
		return n, t - d
	}}
}

// jobwatchPolicy runs the sdk's own Wait schedule (sdk.Planner) with its defaults. With progress, the
// job reports Webex-style counts of 100 users and the elapsed time, as Webex does.
func jobwatchPolicy(name string, progress bool) policy {
	return policy{name, func(d time.Duration, _ *rand.Rand) (int, time.Duration) {
		start := time.Unix(0, 0)
		pl, err := sdk.NewPlanner("bench", "job", start)
		if err != nil {
			panic(err)
		}
		now, n := start, 0
		for {
			n++
			el := now.Sub(start)
			j := &sdk.Job{Vendor: "bench", ID: "job", State: sdk.StateRunning}
			if el >= d {
				j.State = sdk.StateSucceeded
			}
			if progress {
				users := 100
				done := min(users, int(float64(users)*float64(el)/float64(d)))
				p := float64(done) / float64(users)
				j.Progress, j.Elapsed = &p, &el
				j.Counts = sdk.Counts{Total: intp(users), Succeeded: intp(done), Failed: intp(0)}
			}
			next, done, _, _ := pl.Observe(now, finish(j), nil)
			if done {
				return n, el - d
			}
			now = next
		}
	}}
}

// runSchedules measures every policy on the same jobs (and the same random draws per policy).
func runSchedules(jobs int, seed uint64) []scheduleResult {
	durations := logUniform(rand.New(rand.NewPCG(seed, 1)), jobs, time.Second, 30*time.Minute)
	policies := []policy{
		jobwatchPolicy("jobwatch", false),
		jobwatchPolicy("jobwatch-progress", true),
		fixed("fixed-1s", time.Second),
		fixed("fixed-30s", 30*time.Second),
		awsWaiter(2*time.Second, 120*time.Second),
	}
	var out []scheduleResult
	for _, p := range policies {
		rng := rand.New(rand.NewPCG(seed, 2))
		total := 0
		lags := make([]float64, len(durations))
		for i, d := range durations {
			n, lag := p.run(d, rng)
			total += n
			lags[i] = lag.Seconds()
		}
		out = append(out, scheduleResult{Policy: p.name, RequestsPerJob: float64(total) / float64(len(durations)), LagMeanS: mean(lags), LagP99S: percentile(lags, 0.99)})
	}
	return out
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// percentile is the nearest-rank percentile q of xs.
func percentile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

// intp returns a pointer to n, for building sdk.Counts.
func intp(n int) *int { return &n }

// finish fills the derived fields of a simulated job as the vendor packages do: Done from State and
// non-nil Failures.
func finish(j *sdk.Job) *sdk.Job {
	j.Done = j.State.Done()
	if j.Failures == nil {
		j.Failures = []sdk.Failure{}
	}
	return j
}
