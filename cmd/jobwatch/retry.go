package main

import "github.com/jobwatch/jobwatch/sdk"

// retryOptions are the wait options that tell r about every poll that failed and will be tried again,
// so that a job's bar or line says "retrying: connection refused (3/6)" instead of standing still.
func retryOptions(r reporter) []sdk.WaitOption {
	return []sdk.WaitOption{sdk.WithRetryNotify(func(ev sdk.RetryEvent) {
		r.retry(ev.Vendor, ev.JobID, ev.Err, ev.Attempt, ev.MaxAttempts)
	})}
}
