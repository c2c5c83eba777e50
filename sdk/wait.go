package sdk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/jobwatch/jobwatch/sdk/internal/httpx"
	"github.com/jobwatch/jobwatch/sdk/observe"
)

// Poller is what a vendor client offers Wait and the Watcher: its vendor's name and one status call.
// Every vendor client in sdk/<vendor> is a Poller.
type Poller interface {
	// Vendor names the vendor, as in Job.Vendor.
	Vendor() string
	// Status returns the job's current state. A wait ends at the first job whose State is done (Done
	// need not be set: the wait sets it).
	Status(ctx context.Context, jobID string) (*Job, error)
}

// ErrPoller matches the error a wait or a Watcher reports for a Poller that breaks its contract: a
// Status that returns neither a job nor an error, or a Poller type the Watcher cannot key jobs by (one
// that is not comparable, such as a struct value holding a slice, map or func; pass a pointer instead).
var ErrPoller = errors.New("poller broke its contract")

// LocationPoller is a Poller whose vendor names the URL to poll next (Oracle's 202 Location, kept in
// Job.NextPoll); Wait follows that URL instead of rebuilding the status path.
type LocationPoller interface {
	Poller
	// StatusAt reads the job at location, a URL the vendor returned in Job.NextPoll.
	StatusAt(ctx context.Context, location string) (*Job, error)
}

// BatchPoller is a Poller that reads several jobs in one call (Tencent ListJobs). The Watcher batches
// the ids of such a poller.
type BatchPoller interface {
	Poller
	// StatusMany returns the jobs found among ids, keyed by id.
	StatusMany(ctx context.Context, ids []string) (map[string]*Job, error)
	// BatchSize is the most ids one StatusMany request carries.
	BatchSize() int
}

// Defaults of the wait schedule. The min delay is smithy's waiter default; the max delay is tuned on
// bench's workload U (no progress, no size; durations log-uniform 1 s–30 min): there, over 8 seeds,
// the default schedule makes fewer requests per job than smithy-go's waiter (2 s, 120 s) with a lower
// mean and p99 lag, and more lag than fixed 30 s polling with fewer requests (bench/RESULTS.md).
const (
	DefaultMinDelay           = 2 * time.Second
	DefaultMaxDelay           = 80 * time.Second
	DefaultMaxWait            = 6 * time.Hour
	DefaultJitter             = 0.2
	DefaultMaxTransientErrors = 5
	// DefaultWaitMaxRetryAfter caps a Retry-After during a wait.
	DefaultWaitMaxRetryAfter = 2 * time.Minute
)

// Errors of a wait, matched with errors.Is.
var (
	// ErrJobFailed matches a *JobError for a job that ended failed.
	ErrJobFailed = errors.New("job failed")
	// ErrJobCanceled matches a *JobError for a job that ended canceled.
	ErrJobCanceled = errors.New("job canceled")
	// ErrWaitTimeout matches a *WaitTimeoutError: the job was not done when the wait's budget ran out.
	ErrWaitTimeout = errors.New("wait timed out")
	// ErrWaitOptions marks an invalid WaitOption.
	ErrWaitOptions = errors.New("invalid wait options")
)

// JobError is returned with the final job by Wait when the job ended failed or canceled.
type JobError struct {
	Job *Job
}

// Error says which job ended failed or canceled, and how many users failed when the vendor says.
func (e *JobError) Error() string {
	return fmt.Sprintf("%s job %s ended %s%s", e.Job.Vendor, e.Job.ID, e.Job.State, failedSuffix(e.Job))
}

func failedSuffix(j *Job) string {
	if j.Counts.Failed != nil {
		return fmt.Sprintf(" (%d users failed)", *j.Counts.Failed)
	}
	if n := len(j.Failures); n > 0 {
		return fmt.Sprintf(" (%d failures)", n)
	}
	return ""
}

// Is matches ErrJobFailed or ErrJobCanceled, by the job's state.
func (e *JobError) Is(target error) bool {
	return (target == ErrJobFailed && e.Job.State == StateFailed) || (target == ErrJobCanceled && e.Job.State == StateCanceled)
}

// FailuresError is a poll's error for a job that is done but whose per-user failures could not be
// read, as when Webex's errors list, a second call, fails. Job is the job as read: its id, state,
// counts and times; its Failures list is empty because who failed is not known, not because nobody
// did. Err is why the failures could not be read.
//
// When Err is final, Wait, the Watcher and the Planner end with Job and this error, so that the job's
// end is not lost with the call. When it is temporary (as a wait judges poll errors: IsTemporary, or
// an answer that is not the documented JSON) they poll again, within WithMaxTransientErrors; a wait
// that then ends on that bound or on its deadline reports Job as its last job. A Poller of one's own
// must set Job.ID to the polled job's id and return a done Job; otherwise this is a plain error.
//
// It does not unwrap to Err: Err concerns the failures list, not the job, and matching it with
// errors.Is as ErrNotFound or ErrUnauthorized would say that the job is unknown or the credentials
// wrong. Read Err for its details. IsTemporary follows Err. Like *JobError, it matches ErrJobFailed
// or ErrJobCanceled by the job's state.
type FailuresError struct {
	Job *Job
	Err error
}

// Error names the job, its state and failed count, and why its failures could not be read.
func (e *FailuresError) Error() string {
	if e.Job == nil {
		return fmt.Sprintf("a done job's failures could not be read: %v", e.Err)
	}
	return fmt.Sprintf("%s job %s is %s%s, but who failed could not be read: %v", e.Job.Vendor, e.Job.ID, e.Job.State, failedSuffix(e.Job), e.Err)
}

// Is matches ErrJobFailed or ErrJobCanceled, by the job's state.
func (e *FailuresError) Is(target error) bool {
	return e.Job != nil && (&JobError{Job: e.Job}).Is(target)
}

// WaitTimeoutError is returned, with the last job seen, when a wait's max-wait budget or its context's
// deadline ran out before the job was done. It matches ErrWaitTimeout and context.DeadlineExceeded.
// When Cause is a *FailuresError, the job was done but who failed could not be read, and Job is done.
type WaitTimeoutError struct {
	Vendor string
	JobID  string
	// Waited is how long the wait had run, across resumes.
	Waited time.Duration
	// Job is the last state seen, nil if no poll succeeded.
	Job *Job
	// Cause is the last error of a poll, if the last poll failed.
	Cause error
}

// Error says which job, how long the wait lasted and, when there is one, the last error seen.
func (e *WaitTimeoutError) Error() string {
	s := fmt.Sprintf("%s job %s: %v after %s", e.Vendor, e.JobID, ErrWaitTimeout, e.Waited.Round(time.Millisecond))
	if e.Job != nil {
		s += fmt.Sprintf(" (last state %s)", e.Job.State)
	}
	if e.Cause != nil {
		s += ": last error: " + e.Cause.Error()
	}
	return s
}

// Is matches ErrWaitTimeout and context.DeadlineExceeded.
func (e *WaitTimeoutError) Is(target error) bool {
	return target == ErrWaitTimeout || target == context.DeadlineExceeded
}

// Unwrap returns the last poll's error, if any.
func (e *WaitTimeoutError) Unwrap() error { return e.Cause }

// WaitOption tunes a wait (and the Watcher's schedule for a job).
type WaitOption func(*waitConfig)

type waitConfig struct {
	minDelay, maxDelay, maxWait time.Duration
	maxRetryAfter               time.Duration
	jitter                      float64
	maxTransient                int
	progress                    func(*Job)
	checkpoint                  func(token string)
	retryNotify                 func(RetryEvent)
	logger                      *slog.Logger
	maxWaitSet                  bool
	size                        int // users in the job, 0 when unknown (WithSize)
	estimator                   *ThroughputEstimator
	observer                    *observe.Observer // WithObserver
}

// WithMinDelay sets the first delay between polls (default DefaultMinDelay).
func WithMinDelay(d time.Duration) WaitOption { return func(c *waitConfig) { c.minDelay = d } }

// WithMaxDelay caps the delay between polls (default DefaultMaxDelay).
func WithMaxDelay(d time.Duration) WaitOption { return func(c *waitConfig) { c.maxDelay = d } }

// WithMaxWait bounds the whole wait, counted from when it began, across resumes (default DefaultMaxWait).
// The last poll is due at the bound and the wait ends when it answers, so the wait outlasts the bound by
// that poll's time, plus its wait for a rate limiter's slot when the client or the Watcher paces it.
func WithMaxWait(d time.Duration) WaitOption {
	return func(c *waitConfig) { c.maxWait, c.maxWaitSet = d, true }
}

// WithJitter sets the jitter fraction j in [0,1]: each backoff delay d is drawn from [d·(1−j), d], never
// below the min delay (default DefaultJitter).
func WithJitter(j float64) WaitOption { return func(c *waitConfig) { c.jitter = j } }

// WithMaxRetryAfter caps the delay a vendor's Retry-After (seconds or HTTP date) can impose on the next
// poll. Zero means DefaultWaitMaxRetryAfter; negative means Retry-After is ignored and the backoff alone
// decides: the same meaning as RetryPolicy.MaxRetryAfter.
func WithMaxRetryAfter(d time.Duration) WaitOption {
	return func(c *waitConfig) { c.maxRetryAfter = d }
}

// WithMaxTransientErrors sets how many transient poll errors in a row a wait tolerates before it
// returns the last one (default DefaultMaxTransientErrors).
func WithMaxTransientErrors(n int) WaitOption { return func(c *waitConfig) { c.maxTransient = n } }

// WithProgress calls f with the job each time its state, counts or progress change, the first poll
// included.
//
// Which goroutine runs f: in Wait and ResumeWait, the goroutine that called Wait, before the next
// poll, so the wait takes as long as f more. In a Watcher, a delivery goroutine of the job's own, never
// the scheduler: f may call any Watcher method, and a slow f delays no poll and no other job. The
// events of one job reach its callbacks one at a time, in the order they happened, and all of them
// before the job's result is delivered; when f is still busy as newer events of its job come, only
// the newest event of each kind waits, so a lagging f skips intermediate states but never sees an older
// one after a newer one. See Watcher.Close for what happens to a callback that is running at Close.
func WithProgress(f func(*Job)) WaitOption { return func(c *waitConfig) { c.progress = f } }

// WithCheckpoint calls f with a fresh resume token after every poll that leaves the job not done, so
// that a caller can keep it in a durable store and continue with ResumeWait after a restart. f runs as
// WithProgress says; in a Watcher, a lagging f gets only the newest token, which supersedes the others.
func WithCheckpoint(f func(token string)) WaitOption { return func(c *waitConfig) { c.checkpoint = f } }

// RetryEvent describes a poll that failed transiently and will be tried again.
type RetryEvent struct {
	Vendor, JobID string        // the job whose poll failed
	Err           error         // the transient error (already free of secrets)
	Attempt       int           // transient errors in a row so far, from 1
	MaxAttempts   int           // the wait gives up after this many in a row
	Delay         time.Duration // until the next try
}

// WithRetryNotify calls f each time a poll fails transiently and the wait will try again, e.g. to show
// "retrying in 8s (2/6)". It is not called for the error that ends a wait: that one is returned. f runs
// as WithProgress says, in order with the job's progress and checkpoint events.
func WithRetryNotify(f func(RetryEvent)) WaitOption { return func(c *waitConfig) { c.retryNotify = f } }

// retryEvent is the event a poll that failed with err makes, after observe decided out; ok is false
// when the wait does not try again.
func (s *schedule) retryEvent(err error, out outcome) (RetryEvent, bool) {
	if err == nil || out.done {
		return RetryEvent{}, false
	}
	// observe ends the wait at the (maxTransient+1)-th transient error in a row.
	return RetryEvent{Vendor: s.vendor, JobID: s.jobID, Err: err, Attempt: int(s.errs), MaxAttempts: s.cfg.maxTransient + 1, Delay: out.delay}, true
}

// checkJobID rejects an id that is empty after trimming white space: no vendor has such a job, and in a
// batch of ids it would fail the whole request. at is the id's position in a list, -1 for a single id.
func checkJobID(vendor, id string, at int) error {
	if strings.TrimSpace(id) != "" {
		return nil
	}
	where := ""
	if at >= 0 {
		where = fmt.Sprintf(" at position %d", at)
	}
	if id == "" {
		return fmt.Errorf("%s: job id%s is empty: %w", vendor, where, ErrInvalidInput)
	}
	return fmt.Errorf("%s: job id%s %q is empty after trimming white space: %w", vendor, where, id, ErrInvalidInput)
}

// pollChecked is s.poll with the Poller's contract enforced: a poll yields a job or an error.
func (s *schedule) pollChecked(ctx context.Context, p Poller) (*Job, error) {
	job, err := s.poll(ctx, p)
	if job == nil && err == nil {
		err = noJobError(s.vendor, s.jobID)
	}
	return job, err
}

func noJobError(vendor, jobID string) error {
	return fmt.Errorf("%w: %s Status for job %s returned neither a job nor an error", ErrPoller, vendor, jobID)
}

// WithWaitLogger logs each poll and delay at debug level, and tolerated errors at warn level, through l.
func WithWaitLogger(l *slog.Logger) WaitOption { return func(c *waitConfig) { c.logger = l } }

func newWaitConfig(opts []WaitOption) (waitConfig, error) {
	c := waitConfig{minDelay: DefaultMinDelay, maxDelay: DefaultMaxDelay, maxWait: DefaultMaxWait,
		jitter: DefaultJitter, maxTransient: DefaultMaxTransientErrors, maxRetryAfter: DefaultWaitMaxRetryAfter}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	switch {
	case c.minDelay <= 0:
		return c, fmt.Errorf("%w: min delay %s must be positive", ErrWaitOptions, c.minDelay)
	case c.maxDelay < c.minDelay:
		return c, fmt.Errorf("%w: max delay %s is below min delay %s", ErrWaitOptions, c.maxDelay, c.minDelay)
	case c.maxWait <= 0:
		return c, fmt.Errorf("%w: max wait %s must be positive", ErrWaitOptions, c.maxWait)
	case c.jitter < 0 || c.jitter > 1 || math.IsNaN(c.jitter):
		return c, fmt.Errorf("%w: jitter %v is not in [0,1]", ErrWaitOptions, c.jitter)
	case c.maxTransient < 0:
		return c, fmt.Errorf("%w: max transient errors %d is negative", ErrWaitOptions, c.maxTransient)
	}
	if err := validSize(c); err != nil {
		return c, err
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// schedule is where one wait stands: the state a resume token carries, plus what the next delay is
// computed from. Wait and the Watcher share it, so both poll on the same schedule. A Watcher holds one
// per job, so it is kept small: what few jobs need (a Location, an error, progress) lives in rare,
// allocated on first use.
type schedule struct {
	cfg      *waitConfig // shared by every job a Watcher's AddAll adds: read only
	vendor   string
	jobID    string
	began    time.Time // the wait ends at began + cfg.maxWait
	next     time.Time
	last     *Job
	capDelay *time.Duration // Watcher: its client's sweep time, a lower ceiling than maxDelay
	rare     *scheduleRare
	ranFor   time.Duration // from began to the last poll that saw the job not done; -1 before one
	// sum replaces last in a Watcher (capDelay set): the state, counts and progress of the last poll,
	// without the job itself, which is most of a watched job's memory.
	sum     jobSummary
	attempt int32 // polls that found the job not done; drives the backoff
	errs    int32 // transient errors in a row
}

// scheduleRare is the part of a schedule that few waits use.
type scheduleRare struct {
	location string // the URL the vendor named for the next poll (Oracle's Location)
	lastErr  error
	// progress observed at an earlier poll, for a rate estimate when the vendor gives no elapsed time
	seenProgress   float64
	seenProgressAt time.Time
	nearEnd        int // polls since the counts said every user was processed
	// unread is the done job of a *FailuresError with a temporary cause, until a poll succeeds.
	unread *Job
}

func newSchedule(cfg *waitConfig, vendor, jobID string, now time.Time) *schedule {
	return &schedule{cfg: cfg, vendor: vendor, jobID: jobID, began: now, next: now, ranFor: -1}
}

// the rare part, allocated on first use.
func (s *schedule) more() *scheduleRare {
	if s.rare == nil {
		s.rare = &scheduleRare{seenProgress: -1}
	}
	return s.rare
}

func (s *schedule) location() string {
	if s.rare == nil {
		return ""
	}
	return s.rare.location
}

func (s *schedule) lastErr() error {
	if s.rare == nil {
		return nil
	}
	return s.rare.lastErr
}

func (s *schedule) deadline() time.Time { return s.began.Add(s.cfg.maxWait) }

// backoff is the jittered exponential delay after the n-th poll that found the job running.
func (s *schedule) backoff() time.Duration {
	d := s.cfg.minDelay
	for i := int32(0); i < s.attempt && d < s.cfg.maxDelay; i++ {
		if d > s.cfg.maxDelay/2 {
			d = s.cfg.maxDelay // doubling again could overflow with an absurd max delay
			break
		}
		d *= 2
	}
	d = min(d, s.maxDelay())
	lo := time.Duration(float64(d) * (1 - s.cfg.jitter))
	if lo < s.cfg.minDelay {
		lo = min(s.cfg.minDelay, d)
	}
	if d > lo {
		return lo + time.Duration(rand.Int64N(int64(d-lo)+1))
	}
	return d
}

func (s *schedule) maxDelay() time.Duration {
	if s.capDelay != nil && *s.capDelay > 0 && *s.capDelay < s.cfg.maxDelay {
		return max(*s.capDelay, s.cfg.minDelay)
	}
	return s.cfg.maxDelay
}

// estimate aims the next poll at the job's estimated completion when the vendor reports progress:
// remaining = elapsed·(1−p)/p, with elapsed from the vendor's own clock (Webex timeElapsed) or from the
// progress rate between two polls, p read a tenth high (counts are noisy) and the poll placed short of
// the estimate. Once the counts reach the total before the job says done (they often run ahead), it
// polls near the end at delays doubling up to a third of the max delay. On bench's workload P (±10%
// noise, counts done up to 20% early) this keeps the p99 lag under 30 s with fewer requests than
// smithy's waiter; with exact counts it ends a little later than a perfect aim would. ok is false when
// there is nothing to estimate from.
func (s *schedule) estimate(j *Job, now time.Time) (time.Duration, bool) {
	if j.Progress == nil || math.IsNaN(*j.Progress) || math.IsInf(*j.Progress, 0) {
		return 0, false // a Poller's NaN or infinite progress says nothing
	}
	p := *j.Progress
	r := s.more()
	defer func(seen float64) {
		if seen > r.seenProgress {
			r.seenProgress, r.seenProgressAt = seen, now
		}
	}(p)
	if p <= 0 {
		return 0, false
	}
	// Progress is counted in whole users: the job may be up to one user further than it says. Aim at
	// that optimistic end, so that coarse counts cannot push a poll far past the real end.
	if t := j.Counts.Total; t != nil && *t > 0 {
		p = min(1, p+1/float64(*t))
	}
	// Counts may read low by a tenth: estimate from the highest progress they allow.
	p = min(1, p*(1+progressNoise))
	if p >= 1 {
		// The counts say every user is processed but the job is not done: vendors' counts are
		// rounded and run ahead of the job's end. The end is near, so look again soon, doubling from
		// the min delay up to a third of the max delay (nearEndCapDiv) rather than falling back to the long backoff.
		d := s.cfg.minDelay
		if j.Elapsed != nil {
			d = max(d, *j.Elapsed/nearEndFirstDiv) // a long job's end is not seconds away
		}
		for i := 0; i < r.nearEnd && d < s.maxDelay()/nearEndCapDiv; i++ {
			d *= 2
		}
		r.nearEnd++
		return min(d, max(s.maxDelay()/nearEndCapDiv, s.cfg.minDelay)), true
	}
	var remaining float64 // nanoseconds, in floating point: a far-off end must not wrap around
	switch {
	case j.Elapsed != nil && *j.Elapsed > 0:
		remaining = float64(*j.Elapsed) * (1 - p) / p
	case r.seenProgress >= 0 && *j.Progress > r.seenProgress && now.After(r.seenProgressAt):
		rate := (*j.Progress - r.seenProgress) / now.Sub(r.seenProgressAt).Seconds()
		remaining = (1 - p) / rate * float64(time.Second)
	default:
		return 0, false
	}
	// Counts and elapsed times are noisy (rounded, updated per step): aim short of the estimate and
	// estimate again there, so that an estimate a tenth too long cannot put the poll far past the end.
	remaining *= progressAim
	if math.IsNaN(remaining) || remaining >= float64(s.maxDelay()) {
		return s.maxDelay(), true // clamped before converting: a huge float is no valid Duration
	}
	return max(time.Duration(remaining), s.cfg.minDelay), true
}

// Shape of the progress estimate; tuned on bench's workload P (bench/RESULTS.md).
const (
	// progressAim is the fraction of the estimated remaining time the next poll waits.
	progressAim = 0.9
	// progressNoise is how far reported progress may read below the truth.
	progressNoise = 0.1
	// nearEndCapDiv bounds the delay once the counts reach the total to the max delay divided by this.
	nearEndCapDiv = 3
	// nearEndFirstDiv sets the first delay once the counts reach the total to the elapsed time divided
	// by this, at least the min delay.
	nearEndFirstDiv = 40
)

// outcome is what one poll means for the wait.
type outcome struct {
	done    bool
	job     *Job
	err     error
	changed bool
	delay   time.Duration
	why     uint8 // why the delay: an index into sleepReasons
}

// observe records the result of a poll made at now and decides what happens next.
func (s *schedule) observe(now time.Time, job *Job, err error) outcome {
	if fe := (*FailuresError)(nil); errors.As(err, &fe) && fe.Job != nil && fe.Job.ID == s.jobID && (fe.Job.Done || fe.Job.State.Done()) {
		// The job's end is known, who failed is not.
		job := fe.Job
		job.Done = true
		if allFailed(job, s.cfg.size) {
			job.State = StateFailed
		}
		if !temporaryInWait(err) {
			s.more().lastErr = err
			s.learn(now, job)
			s.next = now
			return outcome{done: true, job: job, err: err, changed: true}
		}
		// Polled again below, as for any transient error. Until a poll succeeds this is the job a
		// timeout reports; the last job seen, which decides whether the next answer is a change (a
		// progress event), stays the one before.
		s.more().unread = job
	}
	if err != nil {
		s.more().lastErr = err
		if !temporaryInWait(err) {
			return outcome{done: true, job: s.lastJob(), err: err}
		}
		s.errs++
		if int(s.errs) > s.cfg.maxTransient {
			return outcome{done: true, job: s.lastJob(), err: fmt.Errorf("%s job %s: %d transient errors in a row: %w", s.vendor, s.jobID, s.errs, err)}
		}
		d, why := s.backoff(), whyError
		var ae *APIError
		if errors.As(err, &ae) {
			if ra := httpx.CapRetryAfter(ae.RetryAfter, s.cfg.maxRetryAfter, DefaultWaitMaxRetryAfter); ra > d {
				d, why = ra, whyRetryAfter
			}
		}
		s.cfg.logger.LogAttrs(context.Background(), slog.LevelWarn, "jobwatch: poll failed; will retry",
			slog.String("vendor", s.vendor), slog.String("job", s.jobID), slog.Int("in_a_row", int(s.errs)), slog.Duration("delay", d), slog.String("error", err.Error()))
		return s.schedule(now, d, outcome{why: why})
	}
	s.errs = 0
	if s.rare != nil {
		s.rare.lastErr, s.rare.unread = nil, nil
	}
	// Done is State.Done() by definition; a Poller of the caller's own may leave it unset.
	job.Done = job.Done || job.State.Done()
	var changed bool
	if s.capDelay != nil {
		sum := summarize(job)
		changed, s.sum, s.last = sum != s.sum, sum, nil
	} else {
		changed = s.last == nil || changedJob(s.last, job)
		s.last = job
	}
	if job.Done {
		if allFailed(job, s.cfg.size) {
			job.State = StateFailed
		}
		s.learn(now, job)
		s.next = now
		var jerr error
		if job.State == StateFailed || job.State == StateCanceled {
			jerr = &JobError{Job: job}
		}
		return outcome{done: true, job: job, err: jerr, changed: changed}
	}
	if job.NextPoll != "" || s.rare != nil {
		s.more().location = job.NextPoll
	}
	s.ranFor = now.Sub(s.began)
	d, ok := s.estimate(job, now)
	why := whyProgress
	if !ok {
		d, ok = s.sized(now)
		why = whySize
	}
	if !ok {
		d, why = s.backoff(), whyBackoff
	}
	s.attempt++
	return s.schedule(now, d, outcome{job: job, changed: changed, why: why})
}

// schedule sets the next poll d after now, trimmed so that the wait ends at its deadline with one last
// poll; once the deadline has passed, the wait is over with a *WaitTimeoutError and the last job seen.
func (s *schedule) schedule(now time.Time, d time.Duration, out outcome) outcome {
	if s.expired(now) {
		out.done, out.job, out.err = true, s.lastJob(), s.timeout(now)
		return out
	}
	s.next = now.Add(min(d, s.deadline().Sub(now)))
	out.delay = s.next.Sub(now)
	if out.delay < d {
		out.why = whyDeadline
	}
	return out
}

// poll reads the job once through p: at the URL the vendor named for the next poll (Oracle's Location)
// when p can follow it, by id otherwise.
func (s *schedule) poll(ctx context.Context, p Poller) (*Job, error) {
	if lp, ok := p.(LocationPoller); ok && s.location() != "" {
		return lp.StatusAt(ctx, s.location())
	}
	return p.Status(ctx, s.jobID)
}

// temporaryInWait widens IsTemporary for a wait: one answer that is not the documented JSON (a gateway's
// HTML page, a cut body) should not end hours of waiting, so it counts as a transient error, bounded
// like the others. An oversized body stays permanent: it would be as large the next time.
func temporaryInWait(err error) bool {
	if fe := (*FailuresError)(nil); errors.As(err, &fe) {
		err = fe.Err
	}
	return IsTemporary(err) || (errors.Is(err, ErrUnexpectedResponse) && !errors.Is(err, ErrBodyTooLarge))
}

func changedJob(a, b *Job) bool {
	return a.State != b.State || !eqInt(a.Counts.Total, b.Counts.Total) || !eqInt(a.Counts.Succeeded, b.Counts.Succeeded) ||
		!eqInt(a.Counts.Failed, b.Counts.Failed) || !eqInt(a.Counts.Pending, b.Counts.Pending) || !eqFloat(a.Progress, b.Progress)
}

func eqInt(a, b *int) bool                   { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
func eqFloat(a, b *float64) bool             { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
func (s *schedule) expired(t time.Time) bool { return !t.Before(s.deadline()) }

func (s *schedule) timeout(now time.Time) *WaitTimeoutError {
	return &WaitTimeoutError{Vendor: s.vendor, JobID: s.jobID, Waited: now.Sub(s.began), Job: s.lastJob(), Cause: s.lastErr()}
}

// Waiter is one wait for one job. Its ResumeToken can be taken at any time, from any goroutine.
//
// Why both Waiter and Wait: Wait is NewWaiter and Waiter.Wait in one call, for a caller that only
// needs the result; a Waiter is for a caller that also reads Job or ResumeToken while the wait runs
// (e.g. to store a checkpoint from another goroutine).
type Waiter struct {
	p  Poller
	mu sync.Mutex
	s  *schedule
}

// NewWaiter prepares a wait for jobID on p; nothing is called until Wait.
func NewWaiter(p Poller, jobID string, opts ...WaitOption) (*Waiter, error) {
	if err := checkNilPoller(p); err != nil {
		return nil, err
	}
	if err := checkJobID(p.Vendor(), jobID, -1); err != nil {
		return nil, err
	}
	cfg, err := newWaitConfig(opts)
	if err != nil {
		return nil, err
	}
	return &Waiter{p: p, s: newSchedule(&cfg, p.Vendor(), jobID, time.Now())}, nil
}

// Wait polls p for jobID until the job is done, and returns the final job. A failed or canceled job is
// returned with a *JobError. When the max wait or ctx's deadline runs out first, the last job seen is
// returned with a *WaitTimeoutError; when ctx is canceled, with ctx.Err().
//
// Why both this and each client's Wait method: sdk.Wait takes any Poller (a fake in a test, a wrapper
// that adds metrics or caching, a vendor of your own), while client.Wait (e.g. webex.Client.Wait) is
// the short way to wait for a job of that vendor's client and does exactly this.
func Wait(ctx context.Context, p Poller, jobID string, opts ...WaitOption) (*Job, error) {
	w, err := NewWaiter(p, jobID, opts...)
	if err != nil {
		return nil, err
	}
	return w.Wait(ctx)
}

// ResumeWait continues a wait from a token taken with ResumeToken, in this process or an earlier one.
// The max-wait budget still counts from when the wait first began; opts may change the delays, and a
// WithMaxWait replaces the budget the token carries.
//
// Why both this and each client's ResumeWait method: sdk.ResumeWait takes any Poller (a fake, a
// wrapper, a vendor of your own), while client.ResumeWait is the short way for that vendor's client
// and does exactly this.
func ResumeWait(ctx context.Context, p Poller, token string, opts ...WaitOption) (*Job, error) {
	w, err := NewWaiterFromResumeToken(p, token, opts...)
	if err != nil {
		return nil, err
	}
	return w.Wait(ctx)
}

// Job returns the last state seen, nil before the first successful poll.
func (w *Waiter) Job() *Job {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.s.lastJob()
}

// Wait polls until the job is done; see the package-level Wait.
func (w *Waiter) Wait(ctx context.Context) (job *Job, err error) {
	s := w.s
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	ctx, obs := s.observeStart(ctx)
	polls, why := 0, whyResumed // the first sleep is until the poll a resume token planned
	defer func() { s.observeEnd(ctx, obs, polls, &job, &err) }()
	for {
		now := time.Now()
		if d := s.next.Sub(now); d > 0 {
			timer.Reset(d)
			select {
			case <-ctx.Done():
				s.observeSleep(ctx, obs, now, d, why)
				return w.stopped(ctx)
			case <-timer.C:
			}
			s.observeSleep(ctx, obs, now, d, why)
		}
		if ctx.Err() != nil {
			return w.stopped(ctx)
		}
		start := obsNow(obs)
		job, err := s.pollChecked(ctx, w.p)
		if err != nil && ctx.Err() != nil {
			return w.stopped(ctx)
		}
		now = time.Now()
		w.mu.Lock()
		out := s.observe(now, job, err)
		retry, retrying := s.retryEvent(err, out)
		w.mu.Unlock()
		polls, why = polls+1, out.why
		s.observePoll(ctx, obs, polls, start, now, job, err, out)
		// The callbacks run here, on the caller's goroutine, in the order the Watcher delivers them too.
		if out.changed && s.cfg.progress != nil {
			s.cfg.progress(out.job)
		}
		if out.done {
			return out.job, out.err
		}
		s.cfg.logger.LogAttrs(ctx, slog.LevelDebug, "jobwatch: polled", slog.String("vendor", s.vendor), slog.String("job", s.jobID),
			slog.Duration("next_in", out.delay))
		if retrying {
			observeRetry(ctx, obs, retry)
		}
		if retrying && s.cfg.retryNotify != nil {
			s.cfg.retryNotify(retry)
		}
		if s.cfg.checkpoint != nil {
			s.cfg.checkpoint(w.ResumeToken())
		}
	}
}

func (w *Waiter) stopped(ctx context.Context) (*Job, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return w.s.lastJob(), w.s.timeout(time.Now())
	}
	return w.s.lastJob(), ctx.Err()
}

// jobSummary is what a Watcher keeps of a running job's last poll: enough to tell a change and to say,
// on a timeout, where the job stood.
type jobSummary struct {
	counts   [4]int32 // total, succeeded, failed, pending
	progress float32
	known    uint8 // bit i: counts[i] reported; bit 4: progress reported; bit 7: a poll succeeded
	state    uint8 // index in summaryStates
}

var summaryStates = [...]State{"", StatePending, StateRunning, StateSucceeded, StatePartiallySucceeded, StateFailed, StateCanceled, StatePaused, StateUnknown}

func summarize(j *Job) jobSummary {
	sum := jobSummary{known: 1 << 7, state: uint8(len(summaryStates) - 1)}
	for i, st := range summaryStates {
		if st == j.State {
			sum.state = uint8(i)
		}
	}
	for i, c := range []*int{j.Counts.Total, j.Counts.Succeeded, j.Counts.Failed, j.Counts.Pending} {
		if c != nil {
			sum.counts[i], sum.known = int32(min(max(*c, math.MinInt32), math.MaxInt32)), sum.known|1<<i
		}
	}
	if j.Progress != nil {
		sum.progress, sum.known = float32(*j.Progress), sum.known|1<<4
	}
	return sum
}

// lastJob is the last job seen: the job itself, or in a Watcher one rebuilt from its summary (state,
// counts and progress); nil before a poll succeeded.
func (s *schedule) lastJob() *Job {
	if s.rare != nil && s.rare.unread != nil {
		return s.rare.unread
	}
	if s.last != nil || s.sum.known&(1<<7) == 0 {
		return s.last
	}
	j := &Job{Vendor: s.vendor, ID: s.jobID, State: summaryStates[s.sum.state]}
	for i, c := range []**int{&j.Counts.Total, &j.Counts.Succeeded, &j.Counts.Failed, &j.Counts.Pending} {
		if s.sum.known&(1<<i) != 0 {
			*c = intp(int(s.sum.counts[i]))
		}
	}
	if s.sum.known&(1<<4) != 0 {
		p := float64(s.sum.progress)
		j.Progress = &p
	}
	return j.finish()
}
