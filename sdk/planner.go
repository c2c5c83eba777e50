package sdk

import (
	"time"
)

// Planner is Wait's schedule without the waiting: feed it each poll's result and the time, and it says
// when to poll next, exactly as Wait would. Use it to drive polls from your own scheduler (a workflow
// engine's timers, a cron) or to study a schedule on a simulated clock, as the benchmarks do. Its whole
// state is its resume token (ResumeToken, NewPlannerFromResumeToken); its jitter draws from WithRandom
// when given, so that a replay makes the same decisions.
//
// Told a job's size (WithSize) and given a ThroughputEstimator (WithEstimator), it aims the polls at
// the completion predicted for that size: max-delay sleeps before the predicted window, polls spaced
// like 1/√density of the prediction through it (at most 0.3 × the max delay apart there), never more
// than the max delay apart; each job that succeeds teaches the estimator.
type Planner struct {
	s *schedule
}

// NewPlanner starts a plan for jobID of vendor at start; the first poll is due at start.
func NewPlanner(vendor, jobID string, start time.Time, opts ...WaitOption) (*Planner, error) {
	if err := checkJobID(vendor, jobID, -1); err != nil {
		return nil, err
	}
	cfg, err := newWaitConfig(opts)
	if err != nil {
		return nil, err
	}
	return &Planner{s: newSchedule(&cfg, vendor, jobID, start, nil)}, nil
}

// NewPlannerFromResumeToken continues a plan from a resume token (of a Planner, a Watcher or a
// checkpoint), as ResumeWait continues a wait: the max-wait budget still counts from when the wait first
// began, opts may change the delays, and a WithMaxWait replaces the budget the token carries. The first
// poll is due at Next, never later than a min delay before the (possibly shortened) deadline. It reads
// no clock: a token whose wait began in the future is the engine's to judge with its own clock.
func NewPlannerFromResumeToken(token string, opts ...WaitOption) (*Planner, error) {
	s, err := resumeSchedule("", token, opts)
	if err != nil {
		return nil, err
	}
	return &Planner{s: s}, nil
}

// Next is when the next poll is due: the start for a new plan, the token's next poll (trimmed to a min
// delay before the deadline) for a resumed one, and what Observe last returned after that.
func (p *Planner) Next() time.Time { return p.s.next }

// Observe records the result of a poll made at now. It returns when the next poll is due (no later
// than a min delay before the max-wait deadline, so that the poll can answer in time), or done with the
// wait's final job and error: a done job (with a *JobError when it failed or was canceled), a permanent
// error, too many transient errors, or a *WaitTimeoutError once less than a min delay is left. A nil job with a nil error is a poller's bug: it
// ends the plan with an error matching ErrPoller.
func (p *Planner) Observe(now time.Time, job *Job, err error) (next time.Time, done bool, final *Job, finalErr error) {
	if job == nil && err == nil {
		err = noJobError(p.s.vendor, p.s.jobID)
	}
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
