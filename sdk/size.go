package sdk

import (
	"math"
	"time"
)

// Shape of the sized schedule; see sized. Tuned on bench's workload S (bench/RESULTS.md).
const (
	// sizedGapFactor sets the gap at the predicted median: this many seconds times the square root of
	// the prediction's spread in seconds (median × spread). Spacing polls like 1/√density is what
	// minimises the mean lag for a given number of polls; the factor trades one for the other.
	sizedGapFactor = 2.5
	// sizedWindow is how many spreads either side of the median the window reaches.
	sizedWindow = 2.5
	// sizedWindowCap bounds the gap inside the window to this fraction of the max delay.
	sizedWindowCap = 0.3
)

// sized aims the next poll at a job of known size: it sleeps long before the predicted window, looks
// often through it and never waits more than the max delay. ok is false when the size or the
// estimator's prediction is missing.
// It reads cfg's size and estimator, and t, how long the wait has run.
func sized(cfg *waitConfig, vendor string, t, maxD time.Duration) (time.Duration, bool) {
	if cfg.size <= 0 || cfg.estimator == nil {
		return 0, false
	}
	m, spread, ok := cfg.estimator.predict(vendor, cfg.size)
	if !ok || m <= 0 || spread <= 0 {
		return 0, false
	}
	windowCap := max(cfg.minDelay, time.Duration(float64(maxD)*sizedWindowCap))
	center := sizedGapFactor * math.Sqrt(m.Seconds()*spread) * float64(time.Second)
	lm := math.Log(float64(m))
	// gap is the spacing wanted around t (time since the wait began): widest far from the predicted
	// completion, narrowest at it, growing like 1/√density of the predicted distribution.
	gap := func(t time.Duration) time.Duration {
		if t <= 0 {
			return maxD
		}
		u := (math.Log(float64(t)) - lm) / spread
		g := center * math.Exp(u*u/4)
		hi := maxD
		if math.Abs(u) <= sizedWindow {
			hi = windowCap
		}
		if g >= float64(hi) {
			return hi
		}
		return max(time.Duration(g), cfg.minDelay)
	}
	// Step as far as the gap at the current time allows, but stop at the first point whose own gap is
	// shorter than the step to it: the predicted window's first poll must not be stepped over.
	limit := gap(t)
	d := cfg.minDelay
	for tau := cfg.minDelay; tau <= limit; tau = tau + tau/32 + time.Millisecond {
		if gap(t+tau) < tau {
			break
		}
		d = tau
	}
	if d < limit && gap(t+limit) >= limit && limit-d < d/16 {
		d = limit
	}
	return d, true
}

// learn teaches the estimator a done job's duration, interval-censored between the last poll that saw it
// running and the poll that saw it done. Failed and canceled jobs say nothing about throughput.
func (s *schedule) learn(now time.Time, job *Job) {
	if s.cfg.estimator == nil || s.cfg.size <= 0 || s.ranFor < 0 {
		return
	}
	if job.State != StateSucceeded && job.State != StatePartiallySucceeded {
		return
	}
	s.cfg.estimator.observe(s.vendor, s.cfg.size, s.ranFor, now.Sub(s.began))
}

// allFailed reports whether a done job of known size failed for every one of its users, which some
// vendors cannot say themselves (Huawei reports failures but no total).
func allFailed(job *Job, size int) bool {
	if size <= 0 || job.State != StatePartiallySucceeded {
		return false
	}
	if job.Counts.Succeeded != nil && *job.Counts.Succeeded > 0 {
		return false
	}
	failed := len(job.Failures)
	if job.Counts.Failed != nil {
		failed = max(failed, *job.Counts.Failed)
	}
	return failed >= size
}
