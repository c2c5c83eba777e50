package sdk

import (
	"context"
	"errors"
	"time"

	"github.com/jobwatch/jobwatch/sdk/internal/httpx"
	"github.com/jobwatch/jobwatch/sdk/observe"
	"golang.org/x/time/rate"
)

// This file holds the calls of observe.Observer's hooks, so that a wait or the Watcher calls each in
// one line, and what the hooks cost is nothing but a nil check when no Observer is given.

// Reasons of a sleep, kept in an outcome as an index into sleepReasons.
const (
	whyBackoff uint8 = iota
	whyProgress
	whySize
	whyError
	whyRetryAfter
	whyDeadline
	whyResumed
)

var sleepReasons = [...]string{observe.SleepBackoff, observe.SleepProgress, observe.SleepSize, observe.SleepError,
	observe.SleepRetryAfter, observe.SleepDeadline, observe.SleepResumed}

// observeStart begins an observed wait: it returns the context the wait's polls and sleeps run under
// (carrying the Observer, and what WaitStart returned), and the wait's Observer, nil when none.
func (s *schedule) observeStart(ctx context.Context) (context.Context, *observe.Observer) {
	o := s.cfg.observer
	if o == nil {
		if o = observe.FromContext(ctx); o == nil {
			return ctx, nil
		}
	} else {
		ctx = observe.NewContext(ctx, o)
	}
	if o.WaitStart != nil {
		if c := o.WaitStart(ctx, observe.WaitStart{Vendor: s.vendor, JobID: s.jobID, Began: s.began}); c != nil {
			ctx = c
		}
	}
	return ctx, o
}

// observeEnd ends an observed wait with what it returns.
func (s *schedule) observeEnd(ctx context.Context, o *observe.Observer, polls int, job **Job, err *error) {
	if o == nil || o.WaitEnd == nil {
		return
	}
	e := observe.WaitEnd{Vendor: s.vendor, JobID: s.jobID, Polls: polls, Waited: time.Since(s.began), Err: *err}
	if *job != nil {
		e.State = string((*job).State)
	}
	o.WaitEnd(ctx, e)
}

// obsNow is the time when o observes, the zero time otherwise (a clock read saved per poll).
func obsNow(o *observe.Observer) time.Time {
	if o == nil {
		return time.Time{}
	}
	return time.Now()
}

// observePoll reports one poll of the job, sent at start and decided at end as out says.
func (s *schedule) observePoll(ctx context.Context, o *observe.Observer, attempt int, start, end time.Time, job *Job, err error, out outcome) {
	if o == nil || o.Poll == nil {
		return
	}
	e := observe.Poll{Vendor: s.vendor, JobID: s.jobID, Attempt: attempt, Start: start, Duration: end.Sub(start), Err: err}
	switch {
	case err != nil && !out.done:
		e.Outcome = observe.OutcomeRetry
	case out.done && out.job != nil && out.job.Done:
		e.Outcome = observe.OutcomeDone
	case out.done:
		e.Outcome = observe.OutcomeError
	default:
		e.Outcome = observe.OutcomeRunning
	}
	if !out.done {
		e.Next = s.next
	}
	if job != nil {
		e.State = string(job.State)
	}
	if out.job != nil && out.job.Done {
		e.State = string(out.job.State)
		seen := s.began // when the job was last seen running, or the wait began
		if s.ranFor >= 0 {
			seen = s.began.Add(s.ranFor)
		}
		e.Lag = end.Sub(seen)
		if f := out.job.Finished; f != nil {
			e.Lag, e.LagExact = max(end.Sub(*f), 0), true
		}
	}
	var ae *APIError
	if errors.As(err, &ae) {
		e.StatusCode = ae.StatusCode
	}
	o.Poll(ctx, e)
}

// observeSleep reports a sleep of the wait from start until now, planned for planned, for reason why.
func (s *schedule) observeSleep(ctx context.Context, o *observe.Observer, start time.Time, planned time.Duration, why uint8) {
	if o == nil || o.Sleep == nil {
		return
	}
	o.Sleep(ctx, observe.Sleep{Vendor: s.vendor, JobID: s.jobID, Reason: sleepReasons[why], Planned: planned, Start: start, Slept: time.Since(start)})
}

// observeRetry reports a poll that failed with err, after observe decided out, when the wait goes on
// to retry it.
func (s *schedule) observeRetry(ctx context.Context, o *observe.Observer, err error, out outcome) {
	if o == nil || o.Retry == nil || err == nil || out.done {
		return
	}
	// observe ends the wait at the (maxTransient+1)-th transient error in a row.
	o.Retry(ctx, observe.Retry{Vendor: s.vendor, JobID: s.jobID, Err: err, Attempt: int(s.errs), MaxAttempts: s.cfg.maxTransient + 1, Delay: out.delay,
		Reason: httpx.RetryReason(err, ErrRateLimited, ErrServerError, ErrUnexpectedResponse)})
}

// flightState is the state a Watcher's job counts under among the jobs in flight: its last state
// seen, "new" before its first answer.
func (e *entry) flightState() string {
	if st := summaryStates[e.sum.state]; st != "" {
		return string(st)
	}
	return "new"
}

// observeMove reports that a Watcher's job moved from state from to its present state (to "" when it
// leaves the Watcher), when the two differ.
func (s *schedule) observeMove(from, to string) {
	if o := s.cfg.observer; o != nil && o.JobState != nil && from != to {
		o.JobState(observe.JobState{Vendor: s.vendor, From: from, To: to})
	}
}

// pollContext is the context a Watcher polls a client under: ctx carrying the Observer of the
// client's first job, if it has one.
func (s *schedule) pollContext(ctx context.Context) context.Context {
	if s.cfg.observer == nil {
		return ctx
	}
	return observe.NewContext(ctx, s.cfg.observer)
}

// waitLimiter waits for l's slot, and reports the wait to ctx's Observer.
func waitLimiter(ctx context.Context, vendor string, l *rate.Limiter) error {
	return httpx.WaitLimiter(ctx, observe.FromContext(ctx), vendor, l)
}
