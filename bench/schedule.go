package main

import (
	"container/heap"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
)

// scheduleResult is one policy's figures on one workload: the mean over seeds. Its JSON names are a
// contract (bench -json).
type scheduleResult struct {
	Policy         string  `json:"policy"`
	RequestsPerJob float64 `json:"requests_per_job"`
	LagMeanS       float64 `json:"lag_mean_s"`
	LagP99S        float64 `json:"lag_p99_s"`
	Seeds          int     `json:"seeds"`

	// spreads over the seeds (standard deviations), for the table only
	requestsSD, lagMeanSD, lagP99SD float64
}

// simJob is one job of a workload: it starts (is submitted, and its wait begins) at start and is done
// dur later. size is its number of users (workload S); early is how much sooner than dur its counts
// reach the total (workload P).
type simJob struct {
	start, dur time.Duration
	size       int
	early      float64
	noise      *rand.Rand // the job's own noise on its reported counts and elapsed time
}

// workload is a set of jobs, drawn anew for every seed.
type workload struct {
	key      string // the JSON key
	name     string
	progress bool // jobs report Webex-style counts and elapsed time
	sized    bool // jobwatch is told each job's size and learns the throughput
	draw     func(rng *rand.Rand) []simJob
}

// workloads are the benchmark's workloads, described in bench/README.md.
func workloads(jobs, sizedJobs int) []workload {
	uniform := func(rng *rand.Rand) []simJob {
		out := make([]simJob, jobs)
		for i, d := range logUniform(rng, jobs, time.Second, 30*time.Minute) {
			out[i] = simJob{dur: d}
		}
		return out
	}
	return []workload{
		{key: "uninformed", name: "U (uninformed)", draw: uniform},
		{key: "progress", name: "P (noisy progress)", progress: true, draw: func(rng *rand.Rand) []simJob {
			out := uniform(rng)
			for i := range out {
				out[i].early = 0.2 * rng.Float64()
				out[i].noise = rand.New(rand.NewPCG(rng.Uint64(), 7))
			}
			return out
		}},
		{key: "sized", name: "S (sized)", sized: true, draw: func(rng *rand.Rand) []simJob {
			// The vendor's overhead and throughput are unknown to jobwatch: drawn per seed around their
			// medians (5 s, 25 users/s), then every job has its own log-normal noise, σ = 0.2.
			overhead := 5 * math.Exp(0.5*rng.NormFloat64())
			throughput := 25 * math.Exp(0.5*rng.NormFloat64())
			out := make([]simJob, sizedJobs)
			t := time.Duration(0)
			for i := range out {
				size := int(math.Round(math.Exp(math.Log(10) + rng.Float64()*(math.Log(50000)-math.Log(10)))))
				d := (overhead + float64(size)/throughput) * math.Exp(0.2*rng.NormFloat64())
				out[i] = simJob{start: t, dur: time.Duration(d * float64(time.Second)), size: size}
				t += time.Duration(rng.ExpFloat64() * 5 * float64(time.Second)) // Poisson arrivals, one per 5 s
			}
			return out
		}},
	}
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

// plan is one policy's schedule for one job: told the time of a poll (from the job's start) and what it
// saw, it says when to poll next (from the job's start). job is nil for policies that read only done.
type plan interface {
	observe(now time.Duration, done bool, job func() *sdk.Job) (next time.Duration)
}

// policy makes a plan for each job; shared is per workload and seed (jobwatch's estimator).
type policy struct {
	name string
	make func(j simJob, rng *rand.Rand, shared *sdk.ThroughputEstimator, w workload) plan
}

type planFunc func(now time.Duration, done bool, job func() *sdk.Job) time.Duration

func (f planFunc) observe(now time.Duration, done bool, job func() *sdk.Job) time.Duration {
	return f(now, done, job)
}

// fixedPolicy polls at once and then every period (fixed 1 s; Azure's fixed 30 s, the default polling
// interval of Azure Resource Manager long-running operations without Retry-After).
func fixedPolicy(name string, period time.Duration) policy {
	return policy{name, func(simJob, *rand.Rand, *sdk.ThroughputEstimator, workload) plan {
		return planFunc(func(now time.Duration, _ bool, _ func() *sdk.Job) time.Duration { return now + period })
	}}
}

// smithyPolicy is smithy-go's waiter, faithful to waiter.ComputeDelay in
// github.com/aws/smithy-go, file waiter/waiter.go, commit c589db5abf678c5ea02821245e7c0887a5a34af6:
// the attempt ceiling is int64(log2(max/min) + 1) with max/min an integer Duration division; at or
// under it the delay is min·2^(attempt−1), past it the delay is max; any delay other than min is then
// drawn uniformly from [min, delay) (CryptoRandInt63n(delay−min) + min). The generated waiters poll at
// once, then call ComputeDelay with attempt 1, 2, ... after each poll. min 2 s and max 120 s are the
// aws-sdk-go-v2 waiters' defaults. No max-wait budget is applied (every workload job ends within it).
func smithyPolicy(minDelay, maxDelay time.Duration) policy {
	ceiling := int64(math.Log(float64(maxDelay/minDelay))/math.Log(2) + 1)
	return policy{"smithy-waiter", func(_ simJob, rng *rand.Rand, _ *sdk.ThroughputEstimator, _ workload) plan {
		attempt := int64(0)
		return planFunc(func(now time.Duration, _ bool, _ func() *sdk.Job) time.Duration {
			attempt++
			delay := maxDelay
			if attempt <= ceiling {
				delay = minDelay * time.Duration(int64(1)<<(attempt-1))
			}
			if delay != minDelay {
				delay = time.Duration(rng.Int64N(int64(delay-minDelay))) + minDelay
			}
			return now + delay
		})
	}}
}

// gaxPolicy is gax-go's default Backoff, faithful to Backoff.Pause in github.com/googleapis/gax-go,
// file v2/call_option.go, commit 05efdd81171ce29199c2d0d93fcde942c6d55041: Initial 1 s, Max 30 s,
// Multiplier 2; each pause is 1 + Int63n(cur) nanoseconds (full jitter), then cur = min(cur·2, Max).
// Polled at once, then after each pause.
func gaxPolicy() policy {
	return policy{"gax", func(_ simJob, rng *rand.Rand, _ *sdk.ThroughputEstimator, _ workload) plan {
		cur := time.Second
		return planFunc(func(now time.Duration, _ bool, _ func() *sdk.Job) time.Duration {
			d := time.Duration(1 + rng.Int64N(int64(cur)))
			cur = min(time.Duration(float64(cur)*2), 30*time.Second)
			return now + d
		})
	}}
}

// jobwatchPolicy runs the sdk's own schedule (sdk.Planner) with its defaults; on workload S it is told
// each job's size and shares one estimator, cold at the start of every seed, across the workload.
func jobwatchPolicy() policy {
	return policy{"jobwatch", func(j simJob, _ *rand.Rand, est *sdk.ThroughputEstimator, w workload) plan {
		epoch := time.Unix(1_700_000_000, 0)
		var opts sdk.WaitOptions
		if w.sized {
			opts.Size, opts.Estimator = j.size, est
		}
		pl, err := sdk.NewPlanner("bench", "job", epoch, &opts)
		if err != nil {
			panic(err)
		}
		return planFunc(func(now time.Duration, _ bool, job func() *sdk.Job) time.Duration {
			next, done, _, _ := pl.Observe(epoch.Add(now), job(), nil)
			if done {
				return -1
			}
			return next.Sub(epoch)
		})
	}}
}

func policies() []policy {
	return []policy{
		jobwatchPolicy(),
		fixedPolicy("fixed-1s", time.Second),
		fixedPolicy("fixed-30s", 30*time.Second),
		smithyPolicy(2*time.Second, 120*time.Second),
		gaxPolicy(),
	}
}

// jobAt is what the vendor reports for j at t from its start.
func jobAt(j simJob, w workload, t time.Duration) *sdk.Job {
	out := &sdk.Job{Vendor: "bench", ID: "job", State: sdk.StateRunning}
	if t >= j.dur {
		out.State = sdk.StateSucceeded
	}
	if w.progress {
		// Webex-style: 100 users; counts reach the total early·dur before the job is done; counts and
		// timeElapsed each carry ±10% noise and are rounded (whole users, whole seconds).
		const users = 100
		frac := min(1, float64(t)/(float64(j.dur)*(1-j.early)))
		if out.State == sdk.StateSucceeded {
			frac = 1
		}
		n := int(math.Round(users * min(1, frac*(1+0.2*(j.noise.Float64()-0.5)))))
		el := time.Duration(math.Round(t.Seconds()*(1+0.2*(j.noise.Float64()-0.5)))) * time.Second
		p := float64(n) / users
		// The vendor's own clock: started at the epoch, last updated el later (Job.Started, Job.Updated).
		started := time.Unix(0, 0)
		updated := started.Add(el)
		out.Progress, out.Started, out.Updated = &p, &started, &updated
		out.Counts = sdk.Counts{Total: intp(users), Succeeded: intp(n), Failed: intp(0)}
	}
	return finish(out)
}

// event is a job's next poll, at an absolute time of the workload.
type event struct {
	at  time.Duration
	job int
}

type eventHeap []event

func (h eventHeap) Len() int           { return len(h) }
func (h eventHeap) Less(i, k int) bool { return h[i].at < h[k].at }
func (h eventHeap) Swap(i, k int)      { h[i], h[k] = h[k], h[i] }
func (h *eventHeap) Push(x any)        { *h = append(*h, x.(event)) }
func (h *eventHeap) Pop() any          { old := *h; x := old[len(old)-1]; *h = old[:len(old)-1]; return x }

type seedFigures struct{ requests, lagMean, lagP99 float64 }

// runPolicy polls every job of jobs under p in the order of absolute time, so that a learner sees only
// the completions that happened before each poll. Lag is the first poll at or after the completion minus
// the completion, for every policy.
func runPolicy(p policy, w workload, jobs []simJob, rng *rand.Rand) seedFigures {
	est := new(sdk.ThroughputEstimator)
	plans := make([]plan, len(jobs))
	h := make(eventHeap, 0, len(jobs))
	for i, j := range jobs {
		plans[i] = p.make(j, rng, est, w)
		h = append(h, event{at: j.start, job: i})
	}
	heap.Init(&h)
	requests := 0
	lags := make([]float64, 0, len(jobs))
	for h.Len() > 0 {
		ev := heap.Pop(&h).(event)
		j := jobs[ev.job]
		t := ev.at - j.start
		requests++
		done := t >= j.dur
		next := plans[ev.job].observe(t, done, func() *sdk.Job { return jobAt(j, w, t) })
		if done {
			lags = append(lags, (t - j.dur).Seconds())
			continue
		}
		if next < 0 {
			panic(fmt.Sprintf("%s ended a wait before the job was done", p.name))
		}
		heap.Push(&h, event{at: j.start + next, job: ev.job})
	}
	return seedFigures{float64(requests) / float64(len(jobs)), mean(lags), percentile(lags, 0.99)}
}

// runWorkloads measures every policy on every workload over seeds seeds; each seed draws new jobs, the
// same for every policy.
func runWorkloads(jobs, sizedJobs, seeds int, seed uint64) map[string][]scheduleResult {
	out := map[string][]scheduleResult{}
	for wi, w := range workloads(jobs, sizedJobs) {
		for _, p := range policies() {
			var figs []seedFigures
			for k := range seeds {
				s := seed + uint64(k)
				js := w.draw(rand.New(rand.NewPCG(s, uint64(wi))))
				figs = append(figs, runPolicy(p, w, js, rand.New(rand.NewPCG(s, 100+uint64(wi)))))
			}
			r := scheduleResult{Policy: p.name, Seeds: seeds}
			r.RequestsPerJob, r.requestsSD = meanSD(figs, func(f seedFigures) float64 { return f.requests })
			r.LagMeanS, r.lagMeanSD = meanSD(figs, func(f seedFigures) float64 { return f.lagMean })
			r.LagP99S, r.lagP99SD = meanSD(figs, func(f seedFigures) float64 { return f.lagP99 })
			out[w.key] = append(out[w.key], r)
		}
	}
	return out
}

func meanSD(figs []seedFigures, f func(seedFigures) float64) (m, sd float64) {
	xs := make([]float64, len(figs))
	for i, x := range figs {
		xs[i] = f(x)
	}
	m = mean(xs)
	for _, x := range xs {
		sd += (x - m) * (x - m)
	}
	if len(xs) > 1 {
		sd = math.Sqrt(sd / float64(len(xs)-1))
	}
	return m, sd
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

// finish fills the derived fields of a simulated job as the vendor packages do: Done from State, a
// zero pending count for a done job of known total, and non-nil Failures.
func finish(j *sdk.Job) *sdk.Job {
	j.Done = j.State.Done()
	if j.Done && j.Counts.Pending == nil && j.Counts.Total != nil {
		j.Counts.Pending = intp(0)
	}
	if j.Failures == nil {
		j.Failures = []sdk.Failure{}
	}
	return j
}
