// Package observe is how a program watches jobwatch at work: hooks that the sdk, the vendor clients
// and the bulk engine call as waits begin and end, as each poll and request is answered, as a wait
// sleeps, retries or waits for a rate limiter, and as a Watcher's jobs change state. It uses the
// standard library only, so that importing a vendor package stays as light as without it; the
// module github.com/jobwatch/jobwatch/otel turns these events into OpenTelemetry traces and metrics.
//
// An Observer is a struct of functions, each optional, as net/http/httptrace's ClientTrace is; a nil
// *Observer and the zero Observer observe nothing and cost a nil check. Pass one to a wait or a
// Watcher in sdk.WaitOptions.Observer; calls made outside a wait (a Submit, a Status) report to the
// Observer their context carries (NewContext).
//
// Events carry no credential: a URL is redacted (no userinfo, no query values), an error is one the
// sdk returns, which never holds a secret. They carry job ids, which a trace may show; a metric must
// not take them as attributes, or its series would grow with the number of jobs.
//
// The sdk calls an Observer's functions on the goroutine that made the event: the caller of a wait,
// a request's goroutine, or the Watcher's scheduler. They must be quick, must not block, and must not
// call back into the wait or the Watcher that made the event.
package observe

import (
	"context"
	"time"
)

// Observer receives jobwatch's events. Every field may be nil.
type Observer struct {
	// WaitStart is called when a wait for one job begins, or resumes. The context it returns is the one
	// the wait's polls and sleeps run under, e.g. one that carries the wait's span; nil keeps ctx.
	WaitStart func(ctx context.Context, e WaitStart) context.Context
	// WaitEnd is called once when the wait that WaitStart began ends, with the context WaitStart
	// returned.
	WaitEnd func(ctx context.Context, e WaitEnd)
	// Poll is called after each status poll of a job in a wait, a Watcher or a bulk run, with what it
	// meant.
	Poll func(ctx context.Context, e Poll)
	// Request is called after each HTTP request a vendor client sent, retries included.
	Request func(ctx context.Context, e Request)
	// Sleep is called after a wait slept between two polls, or was cut short while sleeping.
	Sleep func(ctx context.Context, e Sleep)
	// Retry is called when a failed call or poll is about to be tried again.
	Retry func(ctx context.Context, e Retry)
	// LimiterWait is called after a request waited for its rate limiter's slot.
	LimiterWait func(ctx context.Context, e LimiterWait)
	// JobState is called when a Watcher's job is added, changes state or leaves the Watcher, so that
	// the jobs in flight can be counted by vendor and state.
	JobState func(e JobState)
	// Round is called when a bulk run's round ends.
	Round func(ctx context.Context, e Round)
	// Chunk is called when one chunk of a bulk run (one job of users) ends.
	Chunk func(ctx context.Context, e Chunk)
}

// WaitStart describes a wait that begins.
type WaitStart struct {
	// Vendor and JobID name the job.
	Vendor, JobID string
	// Began is when the wait first began: earlier than now for a wait resumed from a token.
	Began time.Time
}

// WaitEnd describes the end of a wait.
type WaitEnd struct {
	// Vendor and JobID name the job.
	Vendor, JobID string
	// State is the job's last state seen ("" when no poll succeeded).
	State string
	// Polls is how many polls this wait made (since it resumed, for a resumed wait).
	Polls int
	// Waited is how long the wait lasted, from when it first began.
	Waited time.Duration
	// Err is the error the wait returns, nil for a job that succeeded.
	Err error
}

// Outcomes of a poll.
const (
	// OutcomeRunning: the job is not done yet.
	OutcomeRunning = "running"
	// OutcomeDone: the job is done (whatever its end: succeeded, failed or canceled).
	OutcomeDone = "done"
	// OutcomeRetry: the poll failed transiently and the wait will poll again.
	OutcomeRetry = "retry"
	// OutcomeError: the poll failed and ends the wait.
	OutcomeError = "error"
)

// Poll describes one status poll of one job. In a Watcher, one request for a batch of jobs makes one
// Poll per job.
type Poll struct {
	// Vendor and JobID name the job.
	Vendor, JobID string
	// Outcome is one of the Outcome constants.
	Outcome string
	// State is the job's state as read ("" when the poll failed).
	State string
	// StatusCode is the HTTP status of a failed poll's answer; 0 when the poll succeeded or got no
	// answer (each Request event carries its own status).
	StatusCode int
	// Attempt numbers the polls of this wait, from 1. In a Watcher, which keeps no such count, it is
	// one more than the polls that found the job running plus the transient errors in a row since; in a
	// bulk run, it numbers the polls of the chunk's job that this process made.
	Attempt int
	// Start is when the poll was sent and Duration how long it took to answer.
	Start    time.Time
	Duration time.Duration
	// Lag, for a poll that saw the job done (Outcome OutcomeDone), is the observation lag: how long
	// after the job's end the poll answered. LagExact says it is measured from the end time the vendor
	// reports (Webex); otherwise it is an upper bound, measured from the last poll that saw the job
	// running (or from the wait's beginning).
	Lag      time.Duration
	LagExact bool
	// Err is the poll's error, nil when it succeeded.
	Err error
	// Next is when the wait plans to poll the job again (a progress display shows it); zero when this
	// poll ended the wait.
	Next time.Time
}

// Request describes one HTTP request of a vendor client, as OpenTelemetry's HTTP client conventions
// describe a request.
type Request struct {
	// Vendor names the vendor of the client that sent the request.
	Vendor string
	// Method is the HTTP method.
	Method string
	// URL is the request's URL without userinfo and with every query value replaced by "REDACTED"
	// (a query may carry a signature).
	URL string
	// ServerAddress and ServerPort are the host and port the request went to.
	ServerAddress string
	ServerPort    int
	// StatusCode is the answer's HTTP status, 0 when there was no answer.
	StatusCode int
	// Attempt numbers the sends of this request (its method, host and path) in one call, from 1: a
	// retry of the call sends its requests again, and counts up those it had sent.
	Attempt int
	// Start is when the request was handed to the HTTP client, after its rate limiter slot, and
	// Duration how long until the answer's headers (or the failure).
	Start    time.Time
	Duration time.Duration
	// Err is the transport's error, nil when an answer came (whatever its status).
	Err error
}

// Reasons for a wait's sleep.
const (
	// SleepBackoff: the exponential backoff while the job runs and says nothing of its progress.
	SleepBackoff = "backoff"
	// SleepProgress: aimed at the end the job's reported progress predicts.
	SleepProgress = "progress"
	// SleepSize: aimed at the end the job's size (sdk.WaitOptions.Size) predicts.
	SleepSize = "size"
	// SleepError: backing off after a transient poll error.
	SleepError = "error"
	// SleepRetryAfter: the vendor's Retry-After asked for longer than the backoff.
	SleepRetryAfter = "retry_after"
	// SleepDeadline: shortened so that the last poll falls on the wait's deadline.
	SleepDeadline = "deadline"
	// SleepResumed: the first sleep of a wait resumed from a token, until the poll the token planned.
	SleepResumed = "resumed"
)

// Sleep describes one pause of a wait between two polls.
type Sleep struct {
	// Vendor and JobID name the job.
	Vendor, JobID string
	// Reason is one of the Sleep constants.
	Reason string
	// Planned is the delay the schedule chose; Start is when the sleep began and Slept how long it
	// lasted (shorter than Planned when the wait was canceled meanwhile).
	Planned time.Duration
	Start   time.Time
	Slept   time.Duration
}

// Reasons for a retry.
const (
	RetryRateLimited = "rate_limited"        // HTTP 429, or the vendor's rate-limit code
	RetryServer      = "server_error"        // HTTP 5xx, or the vendor's internal-error code
	RetryTimeout     = "timeout"             // an attempt timed out
	RetryTransport   = "transport"           // refused, reset or cut connection
	RetryResponse    = "unexpected_response" // an answer that is not the documented JSON
	RetryOther       = "other"               // anything else the sdk judged temporary
)

// Retry describes a call or poll that failed transiently and will be tried again.
type Retry struct {
	// Vendor names the vendor whose call failed.
	Vendor string
	// JobID is the job whose poll failed, "" for a retry inside one client call.
	JobID string
	// Reason is one of the Retry constants.
	Reason string
	// Attempt is the try that failed, from 1; Delay is the wait until the next. For a wait's poll,
	// Attempt counts the transient errors in a row.
	Attempt int
	Delay   time.Duration
	// MaxAttempts is the try after which the wait or call gives up, so that a line can read
	// "retrying in 8s (2/6)".
	MaxAttempts int
	// Err is the transient error (one the sdk returns: free of secrets).
	Err error
}

// LimiterWait describes a request's wait for its rate limiter.
type LimiterWait struct {
	// Vendor names the vendor of the client (or the Watcher's pacing of it) that waited, and Waited
	// how long.
	Vendor string
	Waited time.Duration
	// Err is why the wait ended without a slot (the context ended, or the deadline is nearer than
	// the slot), nil when it got one.
	Err error
}

// JobState describes a move of a Watcher's job: From is "" when the job is added, To is "" when it
// leaves the Watcher (done, or removed).
type JobState struct {
	// Vendor names the job's vendor; the job itself is not named, as a count by state needs no id.
	Vendor   string
	From, To string
}

// Round describes a bulk run's round: every chunk submitted in it has ended.
type Round struct {
	// Vendor names the run's vendor.
	Vendor string
	// Round numbers the rounds of the run, from 1.
	Round int
	// Chunks and Users are how many jobs the round submitted and how many users they carried;
	// Succeeded, Failed (for good) and Retryable (resubmitted next round) count those users' ends.
	Chunks, Users                int
	Succeeded, Failed, Retryable int
	// Start is when the round's first chunk was submitted, Duration how long until its last ended.
	Start    time.Time
	Duration time.Duration
}

// Chunk describes one job of a bulk run's round, from its submit to its end.
type Chunk struct {
	// Vendor names the run's vendor and Round the chunk's round, from 1.
	Vendor string
	Round  int
	// Chunk numbers the chunks of the round, from 1; JobID is the vendor's job for it.
	Chunk int
	JobID string
	Users int
	// State is the job's end state ("" when it has none, e.g. the submit failed).
	State string
	// Start is when the chunk was submitted and Duration how long until its job ended.
	Start    time.Time
	Duration time.Duration
	// Err is why the chunk did not end as a job's end (a refused submit, a wait cut short), nil when it
	// did.
	Err error
}

type ctxKey struct{}

// NewContext returns ctx carrying o: the vendor clients report the requests, retries and limiter
// waits of a call made with it to o. A wait given an Observer passes it on this way to its polls.
func NewContext(ctx context.Context, o *Observer) context.Context {
	return context.WithValue(ctx, ctxKey{}, o)
}

// FromContext returns the Observer ctx carries, nil when none.
func FromContext(ctx context.Context) *Observer {
	o, _ := ctx.Value(ctxKey{}).(*Observer)
	return o
}
