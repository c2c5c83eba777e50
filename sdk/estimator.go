package sdk

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"sync"
	"time"
)

// ThroughputEstimator learns, per vendor, how long a bulk user job takes for its number of users, from
// jobs watched to completion, so that a wait told a job's size (WaitOptions.Size) can aim its polls at the
// predicted completion. Its model is duration = (overhead + size ÷ throughput) × e^(σ·Z), Z standard
// normal: a fixed cost per job, a rate in users per second, and per-job noise.
//
// A completion is interval-censored: the job was seen running at one poll and done at the next, so the
// estimator fits the model by maximum likelihood over those intervals, not over the done polls (which
// would learn the schedule's lag as part of the duration). It keeps each vendor's most recent
// observations, refits as they arrive, and is safe for concurrent use: share one across waits, a
// Watcher and Planners. MarshalJSON and UnmarshalJSON save and load what it learnt, so that a restart
// does not start cold. The zero value is ready to use.
type ThroughputEstimator struct {
	mu      sync.Mutex
	vendors map[string]*vendorModel
}

// maxObservations is how many recent completions per vendor the estimator keeps and fits.
const maxObservations = 512

type observation struct {
	Size      int     `json:"size"`
	RunningAt float64 `json:"running_s"` // seconds from the wait's start to the last poll that saw it running
	DoneAt    float64 `json:"done_s"`    // seconds from the wait's start to the poll that saw it done
}

type vendorModel struct {
	obs   []observation // ring of the latest maxObservations
	head  int           // next slot to overwrite once obs is full
	fitAt int           // len of observations seen at the last fit
	seen  int           // observations ever added
	// fitted parameters: log overhead (s), log throughput (users/s), log σ
	la, lt, ls float64
	fitted     bool
}

// observe records one completed job of vendor with size users: it was last seen running runningAt after
// its wait began, and seen done at doneAt. Wait, the Watcher and the Planner call it for every job that
// succeeded (fully or partly) with a size, so callers rarely need to. Observations that make no sense
// (size ≤ 0, doneAt ≤ 0, runningAt < 0 or ≥ doneAt) are ignored.
func (e *ThroughputEstimator) observe(vendor string, size int, runningAt, doneAt time.Duration) {
	if e == nil || size <= 0 || doneAt <= 0 || runningAt < 0 || runningAt >= doneAt {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.model(vendor).add(observation{Size: size, RunningAt: runningAt.Seconds(), DoneAt: doneAt.Seconds()})
}

func (e *ThroughputEstimator) model(vendor string) *vendorModel {
	if e.vendors == nil {
		e.vendors = map[string]*vendorModel{}
	}
	m := e.vendors[vendor]
	if m == nil {
		m = &vendorModel{}
		e.vendors[vendor] = m
	}
	return m
}

func (m *vendorModel) add(o observation) {
	if len(m.obs) < maxObservations {
		m.obs = append(m.obs, o)
	} else {
		m.obs[m.head] = o
		m.head = (m.head + 1) % maxObservations
	}
	m.seen++
}

// predict returns the predicted median duration of a job of vendor with size users and the spread of
// the prediction (the standard deviation of the log of the duration: the job's own noise plus what is
// not yet known of the model). ok is false before the vendor's first observed completion.
func (e *ThroughputEstimator) predict(vendor string, size int) (median time.Duration, spread float64, ok bool) {
	if size <= 0 {
		return 0, 0, false
	}
	m, ok := e.fitted(vendor)
	if !ok {
		return 0, 0, false
	}
	mu := math.Exp(m.la) + float64(size)/math.Exp(m.lt)
	sigma := math.Exp(m.ls)
	// Few observations leave the model itself uncertain: widen the prediction so that the schedule's
	// window covers it, narrowing as completions arrive.
	spread = math.Sqrt(sigma*sigma + 1/float64(m.n))
	return time.Duration(mu * float64(time.Second)), spread, true
}

// throughput returns the fitted throughput of vendor in users per second and its fixed overhead per job;
// ok is false before the vendor's first observed completion.
func (e *ThroughputEstimator) throughput(vendor string) (usersPerSecond float64, overhead time.Duration, ok bool) {
	m, ok := e.fitted(vendor)
	if !ok {
		return 0, 0, false
	}
	return math.Exp(m.lt), time.Duration(math.Exp(m.la) * float64(time.Second)), true
}

// fit is a vendor model's fitted parameters (see vendorModel) and how many observations they rest on.
type fit struct {
	la, lt, ls float64
	n          int
}

// fitted returns vendor's model, refitted to what has arrived; ok is false before its first observed
// completion (and for a nil estimator).
func (e *ThroughputEstimator) fitted(vendor string) (f fit, ok bool) {
	if e == nil {
		return fit{}, false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	m := e.vendors[vendor]
	if m == nil || len(m.obs) == 0 {
		return fit{}, false
	}
	m.refit()
	return fit{la: m.la, lt: m.lt, ls: m.ls, n: len(m.obs)}, true
}

// refit fits the model again when enough has arrived since the last fit: every completion while there
// are few, then every 1/16th of the observations kept, so that the cost per completion stays small and
// constant and a vendor that slows down is learnt again within a sixteenth of the window however long
// the process has run.
func (m *vendorModel) refit() {
	if m.fitted && (m.seen == m.fitAt || (len(m.obs) >= 64 && m.seen-m.fitAt < len(m.obs)/16)) {
		return
	}
	m.fitAt = m.seen
	if !m.fitted {
		m.la, m.lt, m.ls = m.initial()
		m.fitted = true
	}
	p := [3]float64{m.la, m.lt, m.ls}
	best := m.logLik(p)
	// Pattern search: try a step either way on each parameter, halve the step when none helps. The
	// likelihood is smooth and the previous fit is a good start, so this converges in a few dozen
	// evaluations.
	for step := 0.5; step > 0.005; {
		improved := false
		for i := range p {
			for _, dir := range []float64{1, -1} {
				q := p
				q[i] += dir * step
				if i == 2 {
					q[2] = min(max(q[2], math.Log(0.02)), math.Log(3))
				}
				if l := m.logLik(q); l > best {
					p, best, improved = q, l, true
				}
			}
		}
		if !improved {
			step /= 2
		}
	}
	m.la, m.lt, m.ls = p[0], p[1], p[2]
}

// initial guesses the parameters from the midpoints of the observed intervals.
func (m *vendorModel) initial() (la, lt, ls float64) {
	rates := make([]float64, 0, len(m.obs))
	short := math.Inf(1)
	for _, o := range m.obs {
		mid := (o.RunningAt + o.DoneAt) / 2
		rates = append(rates, float64(o.Size)/mid)
		short = min(short, mid)
	}
	sort.Float64s(rates)
	return math.Log(max(short/2, 0.05)), math.Log(rates[len(rates)/2]), math.Log(0.5)
}

// logLik is the log-likelihood of the intervals under parameters p.
func (m *vendorModel) logLik(p [3]float64) float64 {
	a, th, sigma := math.Exp(p[0]), math.Exp(p[1]), math.Exp(p[2])
	ll := 0.0
	for _, o := range m.obs {
		lmu := math.Log(a + float64(o.Size)/th)
		hi := normCDF((math.Log(o.DoneAt) - lmu) / sigma)
		lo := 0.0
		if o.RunningAt > 0 {
			lo = normCDF((math.Log(o.RunningAt) - lmu) / sigma)
		}
		ll += math.Log(max(hi-lo, 1e-300))
	}
	return ll
}

func normCDF(z float64) float64 { return 0.5 * math.Erfc(-z/math.Sqrt2) }

// estimatorJSON is the saved form: the observations themselves, so that a newer jobwatch can refit them
// with a better model.
type estimatorJSON struct {
	Version int                      `json:"version"`
	Vendors map[string][]observation `json:"vendors"`
}

// MarshalJSON saves every vendor's recent observations.
func (e *ThroughputEstimator) MarshalJSON() ([]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := estimatorJSON{Version: 1, Vendors: map[string][]observation{}}
	for v, m := range e.vendors {
		// oldest first, so that loading them in order keeps the ring's order
		out.Vendors[v] = append(slices.Clone(m.obs[m.head:]), m.obs[:m.head]...)
	}
	return json.Marshal(out)
}

// UnmarshalJSON replaces what the estimator knows with a saved state from MarshalJSON. A state that is
// not one (wrong version, an observation out of range) is an error naming what was wrong, and leaves
// the estimator as it was.
func (e *ThroughputEstimator) UnmarshalJSON(b []byte) error {
	var in estimatorJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return fmt.Errorf("throughput estimator: %w", err)
	}
	if in.Version != 1 {
		return fmt.Errorf("throughput estimator: version %d is not supported (this jobwatch reads version 1)", in.Version)
	}
	vendors := map[string]*vendorModel{}
	for v, obs := range in.Vendors {
		m := &vendorModel{}
		for i, o := range obs {
			if o.Size <= 0 || o.DoneAt <= 0 || o.RunningAt < 0 || o.RunningAt >= o.DoneAt || math.IsInf(o.DoneAt, 0) || math.IsNaN(o.DoneAt+o.RunningAt) {
				return fmt.Errorf("throughput estimator: vendor %q observation %d (size %d, running %vs, done %vs) is out of range", v, i, o.Size, o.RunningAt, o.DoneAt)
			}
			m.add(o)
		}
		vendors[v] = m
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.vendors = vendors
	return nil
}
