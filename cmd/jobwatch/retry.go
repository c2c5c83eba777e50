package main

import "github.com/jobwatch/jobwatch/sdk"

// retryOptions are the wait options that tell r about every request that failed and will be tried
// again, so that a job's bar or line says "retrying: connection refused (3/6)" instead of standing
// still.
//
// The sdk's retry hook (sdk.WithRetryNotify) is not on this branch yet; once it is, this becomes:
//
//	return []sdk.WaitOption{sdk.WithRetryNotify(func(ev sdk.RetryEvent) {
//		r.retry(ev.Vendor, ev.JobID, ev.Err, ev.Attempt, ev.MaxAttempts)
//	})}
func retryOptions(r reporter) []sdk.WaitOption {
	_ = r
	return nil
}
