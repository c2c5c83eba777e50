package bulk

import (
	"context"
	"errors"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/observe"
)

// This file holds the run's calls of the observe.Observer hooks, so that an unobserved run pays a nil
// check and nothing else.

// observer returns the run's Observer, Options.Observer or the one ctx carries, and ctx carrying it
// for the vendor client's requests, retries and limiter waits; nil and ctx when none.
func observer(ctx context.Context, o *observe.Observer) (context.Context, *observe.Observer) {
	if o == nil {
		return ctx, observe.FromContext(ctx)
	}
	return observe.NewContext(ctx, o), o
}

// chunkEnded reports the end of chunk idx of round: its job's end state, or err when it ended without
// one.
func (r *runner) chunkEnded(ctx context.Context, round, idx int, state string, err error) {
	if r.obs == nil || r.obs.Chunk == nil {
		return
	}
	cs := r.st.chunk(round, idx)
	r.obs.Chunk(ctx, observe.Chunk{Vendor: r.v.Vendor(), Round: round, Chunk: idx + 1, JobID: cs.job, Users: len(cs.lines),
		State: state, Start: cs.at, Duration: r.opts.Now().Sub(cs.at), Err: err})
}

// roundEnded reports the end of round, whose chunks are chunks.
func (r *runner) roundEnded(ctx context.Context, round int, chunks []Chunk) {
	if r.obs == nil || r.obs.Round == nil {
		return
	}
	e := observe.Round{Vendor: r.v.Vendor(), Round: round, Chunks: len(chunks)}
	for _, c := range chunks {
		cs := r.st.chunk(round, c.Index)
		if !cs.at.IsZero() && (e.Start.IsZero() || cs.at.Before(e.Start)) {
			e.Start = cs.at
		}
		e.Users += len(cs.lines)
		for _, n := range cs.lines {
			l := r.st.Line(n)
			switch {
			case l == nil:
			case l.Outcome == OutcomeSucceeded:
				e.Succeeded++
			case l.Outcome == OutcomeFailed && l.Retryable && round < r.opts.MaxRounds:
				e.Retryable++
			case l.Outcome == OutcomeFailed:
				e.Failed++
			}
		}
	}
	if !e.Start.IsZero() {
		e.Duration = r.opts.Now().Sub(e.Start)
	}
	r.obs.Round(ctx, e)
}

// poll is one status poll of a chunk's job, as the round loop saw it: sent at start, answered at end,
// what it read, what it meant (an observe.Outcome constant) and when the job is polled next (zero when
// this poll ended it).
type poll struct {
	start, end time.Time
	job        *sdk.Job
	err        error
	outcome    string
	next       time.Time
}

// polled reports a poll of chunk idx of round. The observation lag of a poll that saw the job done is
// measured from the end the vendor reports, else from the last poll that saw it running (or from its
// submit).
func (r *runner) polled(ctx context.Context, round, idx int, p poll) {
	if r.obs == nil || r.obs.Poll == nil {
		return
	}
	cs := r.st.chunk(round, idx)
	cs.polls++
	e := observe.Poll{Vendor: r.v.Vendor(), JobID: cs.job, Outcome: p.outcome, Attempt: cs.polls, Start: p.start,
		Duration: p.end.Sub(p.start), Err: p.err, Next: p.next}
	if p.job != nil {
		e.State = string(p.job.State)
	}
	var ae *sdk.APIError
	if errors.As(p.err, &ae) {
		e.StatusCode = ae.StatusCode
	}
	switch {
	case p.outcome == observe.OutcomeDone && p.job != nil && p.job.Finished != nil:
		e.Lag, e.LagExact = max(p.end.Sub(*p.job.Finished), 0), true
	case p.outcome == observe.OutcomeDone:
		seen := cs.at
		if !cs.running.IsZero() {
			seen = cs.running
		}
		e.Lag = max(p.end.Sub(seen), 0)
	case p.outcome == observe.OutcomeRunning:
		cs.running = p.end
	}
	r.obs.Poll(ctx, e)
}
