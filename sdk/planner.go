package sdk

import (
	"time"
)

// Planner is Wait's schedule without the waiting, for an engine that keeps its own timers (a workflow
// engine, a cron): feed it each poll's result and the time, and it says when to poll next, exactly as
// Wait would. It reads no clock and draws its jitter from WaitOptions.Random, so a replay with the same
// inputs and draws makes the same decisions; its whole state is its resume token.
//
// Told a job's size (WaitOptions.Size) and given a ThroughputEstimator, it aims the polls at the
// completion predicted for that size, never more than the max delay apart; each job that succeeds
// teaches the estimator.
type Planner struct {
	s *schedule
}

// NewPlanner starts a plan for jobID of vendor at start; the first poll is due at start. A nil opts
// takes every default. With opts.ResumeToken it continues that plan instead (start is then unused,
// and jobID and vendor may be "" or must be the token's): the max-wait budget still counts from when
// the wait first began, and the first poll is due at Next, never later than a min delay before the
// deadline. A token whose wait began in the future is the engine's to judge with its own clock.
func NewPlanner(vendor, jobID string, start time.Time, opts *WaitOptions) (*Planner, error) {
	cfg, err := newWaitConfig(opts)
	if err != nil {
		return nil, err
	}
	s, err := startSchedule(&cfg, vendor, jobID, opts, start, nil)
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
// wait's final job and error, as Wait returns them: a done job (with an error matching ErrJobFailed or
// ErrJobCanceled when it failed or was canceled), a permanent error, too many transient errors, or an
// error matching ErrWaitTimeout once less than a min delay is left. A nil job with a nil error ends the
// plan with an error matching ErrUnexpectedResponse.
func (p *Planner) Observe(now time.Time, job *Job, err error) (next time.Time, done bool, final *Job, finalErr error) {
	if job == nil && err == nil {
		err = noJobError(p.s.vendor, p.s.jobID)
	}
	out := p.s.observe(now, job, err, 0)
	if out.done {
		return time.Time{}, true, out.job, out.err
	}
	return p.s.next, false, nil, nil
}

// ResumeToken returns the plan as a resume token, for WaitOptions.ResumeToken.
func (p *Planner) ResumeToken() string { return p.s.token() }
