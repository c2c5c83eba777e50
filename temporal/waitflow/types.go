package waitflow

import (
	"errors"
	"fmt"
	"math"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/jobwatch/jobwatch/sdk"
)

// Names under which Register registers the activities and RegisterWorkflows the workflows; starters
// and workflows refer to them by these names, so that a worker in another process resolves them.
const (
	WaitJobWorkflow    = "jobwatch.WaitJob"
	WaitJobsWorkflow   = "jobwatch.WaitJobs"
	StatusActivity     = "jobwatch.Status"
	StatusManyActivity = "jobwatch.StatusMany"
	DescribeActivity   = "jobwatch.Describe"
)

// Application error types. A workflow ends with one of the first four; an activity fails with one of
// the others, carrying a VendorError as its details.
const (
	// ErrTypeJobFailed: the job ended failed. The details hold the final WaitJobResult.
	ErrTypeJobFailed = "JobFailed"
	// ErrTypeJobCanceled: the job ended canceled. The details hold the final WaitJobResult.
	ErrTypeJobCanceled = "JobCanceled"
	// ErrTypeWaitTimeout: the max wait ran out before the job was done. The details hold the
	// WaitJobResult with the last job seen (nil if no poll succeeded).
	ErrTypeWaitTimeout = "WaitTimeout"
	// ErrTypeInvalidInput: the workflow input is wrong (unknown vendor, empty id, bad options).
	ErrTypeInvalidInput = "InvalidInput"

	// ErrTypeTransient: a vendor error worth retrying (rate limited, server error, connection reset). It
	// is the only retryable type: the activity's retry policy retries it.
	ErrTypeTransient = "Transient"
	// ErrTypeUnauthorized: the vendor refused the credentials (non-retryable).
	ErrTypeUnauthorized = "Unauthorized"
	// ErrTypeNotFound: the vendor does not know the job (non-retryable).
	ErrTypeNotFound = "NotFound"
	// ErrTypePermanent: any other vendor error that a retry would not fix (non-retryable).
	ErrTypePermanent = "Permanent"
	// ErrTypeNoClient: the worker has no client for the vendor the workflow asked for (non-retryable).
	ErrTypeNoClient = "NoClient"
)

// Defaults of what this package adds to the sdk's wait.
const (
	// DefaultMaxPollsPerRun bounds the Status activities of one workflow run before it continues as
	// new. A poll costs 11 history events (activity scheduled, started, completed; timer started, fired;
	// two workflow tasks of three), so a run stays near 1,100 events, far below Temporal's 10,240-event
	// warning; a default 6-hour wait (about 206 polls) takes 3 runs.
	DefaultMaxPollsPerRun = 100
	// DefaultStatusTimeout is the start-to-close timeout of one Status or StatusMany activity: a vendor
	// call (30 s client timeout) with room to wait for the client's own rate limiter.
	DefaultStatusTimeout = time.Minute
)

// WaitOptions are the sdk's wait options (sdk.WaitOptions' MinDelay and the rest) as plain fields, so
// that they can travel in a workflow's input. Zero fields take the workflow's defaults (pinned), which
// are its own so that an sdk upgrade never changes the schedule of a wait in flight.
type WaitOptions struct {
	MinDelay           time.Duration `json:"min_delay,omitempty"`
	MaxDelay           time.Duration `json:"max_delay,omitempty"`
	MaxWait            time.Duration `json:"max_wait,omitempty"`
	MaxRetryAfter      time.Duration `json:"max_retry_after,omitempty"`
	MaxTransientErrors int           `json:"max_transient_errors,omitempty"`
	// Jitter is the fraction each backoff delay is drawn below its nominal value, in [0,1]; nil means
	// the workflow's default (0.2), and 0 no jitter. The sdk's schedule draws at most 0.2 below (see
	// sdk.WaitOptions.Random), so a larger value acts as 0.2. The draw comes from a seed
	// (WaitJobInput.Seed), never from the machine.
	Jitter *float64 `json:"jitter,omitempty"`
}

// pinned are the workflow's own schedule defaults: 2 s to 2 min, a 6 h max wait, Retry-After up to
// 2 min, 5 transient errors, jitter 0.2. A workflow replays its history with the code of the day, so a
// default that changed with an sdk upgrade would change the timers of every wait in flight and fail
// their replay. Change these only behind workflow.GetVersion.
var pinned = WaitOptions{MinDelay: 2 * time.Second, MaxDelay: 2 * time.Minute, MaxWait: 6 * time.Hour,
	MaxRetryAfter: 2 * time.Minute, MaxTransientErrors: 5, Jitter: &pinnedJitter}

var pinnedJitter = 0.2

// filled is o with pinned's value in each zero field (a nil Jitter).
func (o WaitOptions) filled() WaitOptions {
	o.MinDelay = orDefault(o.MinDelay, pinned.MinDelay)
	o.MaxDelay = orDefault(o.MaxDelay, pinned.MaxDelay)
	o.MaxWait = orDefault(o.MaxWait, pinned.MaxWait)
	o.MaxRetryAfter = orDefault(o.MaxRetryAfter, pinned.MaxRetryAfter)
	o.MaxTransientErrors = orDefault(o.MaxTransientErrors, pinned.MaxTransientErrors)
	if o.Jitter == nil {
		o.Jitter = pinned.Jitter
	}
	return o
}

// sdkOptions turns o into the Planner's options, but for Random, which jobWait sets to the draws of
// the workflow's seed. version is the workflow's plannerVersion: runs recorded before
// plannerLastPollRoom polled last at the max wait itself, which a budget longer by the min delay
// reproduces, since the Planner leaves the last poll a min delay of room before its bound.
func (o WaitOptions) sdkOptions(size int, version workflow.Version) sdk.WaitOptions {
	f := o.filled()
	if version < plannerLastPollRoom {
		f.MaxWait += f.MinDelay
	}
	return sdk.WaitOptions{MinDelay: f.MinDelay, MaxDelay: f.MaxDelay, MaxWait: f.MaxWait, MaxTransientErrors: f.MaxTransientErrors, Size: size}
}

// sdkJitter is the sdk's fixed jitter fraction (sdk.WaitOptions.Random: a delay d is drawn as
// d·(1 − sdkJitter·Random())).
const sdkJitter = 0.2

// jitter is the jitter fraction o draws with: its Jitter (filled), at most sdkJitter.
func (o WaitOptions) jitter() float64 { return min(*o.filled().Jitter, sdkJitter) }

// random is the Planner's Random for a seeded draw u in [0,1) and a jitter j (WaitOptions.jitter): the
// delay it gives, d·(1 − j·(1−u)), is the one this workflow drew before the sdk fixed its jitter
// (d·(1−j) + u·j·d), so that histories recorded then replay alike. It divides by sdkJitter last, as
// it always has: a precomputed j/sdkJitter would round some draws differently.
func random(j, u float64) float64 {
	return (1 - u) * j / sdkJitter
}

// plannerLastPollRoom is the version of the workflows whose last poll comes a min delay before the max
// wait, as the sdk's Planner now leaves it (workflow.GetVersion change plannerChange).
const plannerLastPollRoom workflow.Version = 1

const plannerChange = "planner-last-poll-room"

// plannerVersion is the schedule this run keeps to: the default version when it replays a history
// recorded before the change, plannerLastPollRoom otherwise.
func plannerVersion(ctx workflow.Context) workflow.Version {
	return workflow.GetVersion(ctx, plannerChange, workflow.DefaultVersion, plannerLastPollRoom)
}

// orDefault is v, or def where v is zero.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func (o WaitOptions) validate() error {
	j := *o.filled().Jitter
	switch {
	case o.MinDelay < 0 || o.MaxDelay < 0 || o.MaxWait < 0 || o.MaxRetryAfter < 0:
		return errors.New("wait options: delays and max wait must not be negative")
	case o.MaxTransientErrors < 0:
		return errors.New("wait options: max transient errors must not be negative")
	case j < 0 || j > 1 || math.IsNaN(j):
		return fmt.Errorf("wait options: jitter %v is not in [0,1]", j)
	}
	return nil
}

// RetryOptions shape the Temporal retry policy of the Status and StatusMany activities, as
// sdk.ClientOptions's retry fields shape a client's retries. Zero fields take the same defaults: 4
// attempts, 250 ms doubling up to 8 s.
type RetryOptions struct {
	MaxAttempts int           `json:"max_attempts,omitempty"`
	MinDelay    time.Duration `json:"min_delay,omitempty"`
	MaxDelay    time.Duration `json:"max_delay,omitempty"`
}

// withDefaults is r with its zero (or negative) fields given their defaults.
func (r RetryOptions) withDefaults() RetryOptions {
	p := RetryOptions{MaxAttempts: 4, MinDelay: 250 * time.Millisecond, MaxDelay: 8 * time.Second}
	if r.MaxAttempts > 0 {
		p.MaxAttempts = r.MaxAttempts
	}
	if r.MinDelay > 0 {
		p.MinDelay = r.MinDelay
	}
	if r.MaxDelay > 0 {
		p.MaxDelay = r.MaxDelay
	}
	return p
}

// WaitJobInput is the input of WaitJob. It names the job, never a credential.
type WaitJobInput struct {
	// Vendor is the vendor's name as its client's Vendor() says ("oracle", "huawei", "webex", "tencent").
	Vendor string `json:"vendor"`
	// JobID is the vendor's job id.
	JobID string `json:"job_id"`
	// Options tune the schedule; zero fields take the sdk's defaults.
	Options WaitOptions `json:"options"`
	// Size is the number of users in the job when the starter knows it, 0 when not.
	Size int `json:"size,omitempty"`
	// TaskQueue is the task queue of the vendor account's activity workers; "" means the workflow's own.
	TaskQueue string `json:"task_queue,omitempty"`
	// Retry shapes the activities' retry policy; zero fields take its defaults (see RetryOptions).
	Retry RetryOptions `json:"retry"`
	// StatusTimeout is one poll's start-to-close timeout (default DefaultStatusTimeout).
	StatusTimeout time.Duration `json:"status_timeout,omitempty"`
	// MaxPollsPerRun is how many polls one run makes before it continues as new (default
	// DefaultMaxPollsPerRun).
	MaxPollsPerRun int `json:"max_polls_per_run,omitempty"`
	// Seed seeds the jitter; 0 derives it from the workflow id, so that every run and every replay of
	// one wait draws the same delays.
	Seed uint64 `json:"seed,omitempty"`
	// Resume is where the wait stood when the previous run continued as new; nil for a new wait.
	Resume *ResumeState `json:"resume,omitempty"`
}

// ResumeState is what one run hands the next when it continues as new.
type ResumeState struct {
	// Token is the Planner's resume token, its whole state: what the next run's Planner resumes from,
	// and what sdk.Wait would take (WaitOptions.ResumeToken) to finish this wait outside Temporal.
	Token string `json:"token"`
	// Began is when the wait began, as the token says.
	Began time.Time `json:"began"`
	// Polls and Runs count the Status activities and the runs of the whole wait so far.
	Polls int `json:"polls"`
	Runs  int `json:"runs"`
	// Last is the last job seen, so that a timeout in a later run still reports it.
	Last *sdk.Job `json:"last,omitempty"`
}

// WaitJobResult is what WaitJob returns, and the details of its JobFailed, JobCanceled and WaitTimeout
// errors.
type WaitJobResult struct {
	// Job is the final job: state, counts and every failed user. For a timeout it is the last job
	// seen, nil if no poll succeeded.
	Job *sdk.Job `json:"job"`
	// Polls is the number of Status activities the wait made, across continue-as-new.
	Polls int `json:"polls"`
	// Runs is the number of workflow runs the wait took (1 without continue-as-new).
	Runs int `json:"runs"`
}

// StatusInput is the input of the Status activity.
type StatusInput struct {
	Vendor string `json:"vendor"`
	JobID  string `json:"job_id"`
	// Location is the URL the vendor asked to be polled at next (Oracle's 202 Location). Workflows
	// recorded before the Oracle client followed its Location itself set it; it is kept so that their
	// scheduled activities still run as recorded. New workflows leave it empty.
	Location string `json:"location,omitempty"`
}

// StatusManyInput is the input of the StatusMany activity: at most one batch of ids.
type StatusManyInput struct {
	Vendor string   `json:"vendor"`
	JobIDs []string `json:"job_ids"`
}

// Poll is one job as a Status activity returns it. While the job runs, Failures is left empty to keep
// the history short (the workflow needs the counts, not the users, until the end). Histories recorded
// before sdk.Job lost its NextPoll and Elapsed fields also hold next_poll and elapsed, which are no
// longer read: the client follows a Location itself, and the Planner reads a job's run time from its
// Started and Updated times.
type Poll struct {
	Job *sdk.Job `json:"job"`
}

func newPoll(j *sdk.Job) Poll {
	if j == nil {
		return Poll{}
	}
	c := *j
	if !c.Done {
		c.Failures = nil
	}
	return Poll{Job: &c}
}

// VendorInfo is what Describe tells a workflow about the worker's client of one vendor.
type VendorInfo struct {
	Vendor string `json:"vendor"`
	// BatchSize is the most ids one StatusMany carries; 0 when the client reads one job per call.
	BatchSize int `json:"batch_size"`
}

// VendorError is the details of an activity's application error: the vendor's answer, as
// sdk.APIError holds it, without anything of the request.
type VendorError struct {
	Vendor     string        `json:"vendor"`
	Operation  string        `json:"operation,omitempty"`
	StatusCode int           `json:"status_code,omitempty"`
	Code       string        `json:"code,omitempty"`
	Message    string        `json:"message,omitempty"`
	RequestID  string        `json:"request_id,omitempty"`
	RetryAfter time.Duration `json:"retry_after,omitempty"`
	// Kind names the sdk sentinel the error matched ("not found", "unauthorized", ...), "" for none.
	Kind string `json:"kind,omitempty"`
	// Unexpected is set when the answer was not what the spec documents (a gateway's HTML page).
	Unexpected bool `json:"unexpected,omitempty"`
	// Transport is set for a failure below HTTP (a reset or refused connection, a timeout).
	Transport bool `json:"transport,omitempty"`
}

// WaitJobsInput is the input of WaitJobs: many jobs of one vendor.
type WaitJobsInput struct {
	Vendor string `json:"vendor"`
	// JobIDs are the jobs to wait for, each listed once. The other fields mean what WaitJobInput's do;
	// Options apply to every job.
	JobIDs        []string      `json:"job_ids"`
	Options       WaitOptions   `json:"options"`
	TaskQueue     string        `json:"task_queue,omitempty"`
	Retry         RetryOptions  `json:"retry"`
	StatusTimeout time.Duration `json:"status_timeout,omitempty"`
	// MaxPollsPerRun counts activities, as WaitJob's does.
	MaxPollsPerRun int    `json:"max_polls_per_run,omitempty"`
	Seed           uint64 `json:"seed,omitempty"`
	// Resume is where the wait stood when the previous run continued as new; nil for a new wait.
	Resume *WaitJobsState `json:"resume,omitempty"`
}

// WaitJobsState is what one WaitJobs run hands the next.
type WaitJobsState struct {
	BatchSize int                    `json:"batch_size"`
	Pending   map[string]ResumeState `json:"pending"`
	Results   map[string]JobOutcome  `json:"results"`
	Polls     int                    `json:"polls"`
	Runs      int                    `json:"runs"`
	Sweeps    int                    `json:"sweeps"`
}

// JobOutcome is how one job of WaitJobs ended: a final job, or an error's type and message (JobFailed
// and JobCanceled come with the job too).
type JobOutcome struct {
	Job       *sdk.Job `json:"job,omitempty"`
	ErrorType string   `json:"error_type,omitempty"`
	Error     string   `json:"error,omitempty"`
}

// WaitJobsResult is what WaitJobs returns: every job's outcome, keyed by id.
type WaitJobsResult struct {
	Jobs map[string]JobOutcome `json:"jobs"`
	// Polls counts Status and StatusMany activities; Sweeps the rounds of polls; Runs the workflow runs.
	Polls  int `json:"polls"`
	Sweeps int `json:"sweeps"`
	Runs   int `json:"runs"`
}
