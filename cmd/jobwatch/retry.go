package main

import (
	"context"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/observe"
)

// withRetries is o that also tells r about every poll that failed and will be tried again, so that a
// job's bar or line says "retrying: connection refused (3/6)" instead of standing still. A retry
// inside one client call (no job id) is the call's own business, and not shown.
func withRetries(o *observe.Observer, r reporter) *observe.Observer {
	prev := o.Retry
	o.Retry = func(ctx context.Context, e observe.Retry) {
		if prev != nil {
			prev(ctx, e)
		}
		if e.JobID != "" {
			r.retry(e.Vendor, e.JobID, e.Err, e.Attempt, e.MaxAttempts)
		}
	}
	return o
}

// resultOutcome is the outcome of a job the Watcher reported. A job the sdk never got an answer for
// comes as a placeholder in StateUnknown; the outcome then has no job, as for a job never polled.
func resultOutcome(res sdk.WatchResult) outcome {
	out := outcome{vendor: res.Job.Vendor, id: res.Job.ID, job: res.Job, err: res.Err}
	if res.Err != nil && res.Job.State == sdk.StateUnknown {
		out.job = nil
	}
	return out
}
