// Package sdk is what jobwatch users import: one model of a bulk user job for every vendor, typed errors,
// the client options every vendor package takes (ClientOptions), and the ways to wait for jobs.
//
// Each vendor has its own package (sdk/oracle, sdk/huawei, sdk/webex, sdk/tencent) with a Client whose
// Status returns a *Job. From credentials to a Job takes five lines:
//
//	c, err := webex.New(webex.Config{}, nil) // the token from WEBEX_ACCESS_TOKEN; nil: default options
//	if err != nil { ... }
//	job, err := c.Status(ctx, jobID)
//	if err != nil { ... }
//	fmt.Println(job.State, job.Counts.Failed, job.Failures)
//
// # Waiting: which to use when
//
//   - One job: Wait(ctx, client, jobID, opts) polls until the job is done and returns it. To survive a
//     restart, keep the token WaitOptions.Checkpoint hands over after every poll, and pass it back in
//     WaitOptions.ResumeToken.
//   - Many jobs, of any vendors: a Watcher. It polls them all on one goroutine, batches the ids of a
//     client that reads several jobs per call, keeps each client under its rate limit, and delivers
//     each job's end on Results.
//   - An engine with its own timers (a workflow engine, a cron, a simulation): a Planner. Tell it each
//     poll's result and the time, and it says when to poll next; it never sleeps, reads no clock and
//     calls no vendor. Its state is its resume token and its randomness is WaitOptions.Random, so a
//     replay makes the same decisions; temporal/waitflow drives Temporal workflows with it.
//
// All three poll on one schedule (a backoff from a min to a max delay, jittered; aimed at the job's end
// when the vendor reports progress or the job's size is known; a vendor's Retry-After honoured up to
// the max delay; bounded by a max wait), share one resume token format, and take the same WaitOptions.
//
// # Options
//
// Every option follows one convention: a zero value takes the default its doc states (in ClientOptions'
// and WaitOptions' field comments), and a negative value means none where "none" means something (no
// cap, no bound, no retry). A bad value is an error matching
// ErrInvalidOption that names the option. Every error type and sentinel of this package is in
// errors.go.
package sdk
