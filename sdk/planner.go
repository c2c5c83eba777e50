package sdk

import (
	"fmt"
	"time"
)

// Planner is Wait's schedule without the waiting: feed it each poll's result and the time, and it says
// when to poll next, exactly as Wait would. Use it to drive polls from your own scheduler (a workflow
// engine's timers, a cron) or to study a schedule on a simulated clock, as the benchmarks do.
//
// Told a job's size (WithSize) and given a ThroughputEstimator (WithEstimator), it aims the polls at
// the completion predicted for that size: max-delay sleeps before the predicted window, polls spaced
// like 1/√density of the prediction through it (at most 0.3 × the max delay apart there), never more
// than the max delay apart; each job that succeeds teaches the estimator. On bench's workload S (2,000
// jobs, cold estimator counted) this gives under a quarter of smithy's waiter's p99 lag and under half of
// fixed 30 s polling's mean lag, with fewer requests per job than smithy's waiter (bench/RESULTS.md).
type Planner struct {
	s *schedule
}

// NewPlanner starts a plan for jobID of vendor at start; the first poll is due at start.
func NewPlanner(vendor, jobID string, start time.Time, opts ...WaitOption) (*Planner, error) {
	if jobID == "" {
		return nil, fmt.Errorf("%s: job id is empty", vendor)
	}
	cfg, err := newWaitConfig(opts)
	if err != nil {
		return nil, err
	}
	return &Planner{s: newSchedule(&cfg, vendor, jobID, start)}, nil
}

// Observe records the result of a poll made at now. It returns when the next poll is due (never past
// the max-wait deadline), or done with the wait's final job and error: a done job (with a *JobError
// when it failed or was canceled), a permanent error, too many transient errors, or a
// *WaitTimeoutError once the deadline has passed.
func (p *Planner) Observe(now time.Time, job *Job, err error) (next time.Time, done bool, final *Job, finalErr error) {
	out := p.s.observe(now, job, err)
	if out.done {
		return time.Time{}, true, out.job, out.err
	}
	return p.s.next, false, nil, nil
}

// Location is the URL the vendor asked to be polled next (Oracle's 202 Location), "" if none.
func (p *Planner) Location() string { return p.s.location() }

// ResumeToken returns the plan as a resume token, for ResumeWait.
func (p *Planner) ResumeToken() string { return p.s.token() }
