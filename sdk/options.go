package sdk

import (
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"time"

	"golang.org/x/time/rate"

	"github.com/jobwatch/jobwatch/sdk/observe"
)

// Defaults, in one place (the wait's and the Watcher's; a client's are in ClientOptions): each option
// left out, or given its zero value, takes the default here.
// Where "none" means something, a negative value means none (no cap, no bound, no jitter, no
// tolerance, no pacing), as in azcore's policies. The wait's min delay is smithy's waiter default; its
// max delay is tuned on bench's workload U (bench/RESULTS.md).
const (
	// DefaultMinDelay is WithMinDelay's default: the first delay between polls.
	DefaultMinDelay = 2 * time.Second
	// DefaultMaxDelay is WithMaxDelay's default: the longest delay between polls.
	DefaultMaxDelay = 80 * time.Second
	// DefaultMaxWait is WithMaxWait's default: the whole wait's bound.
	DefaultMaxWait = 6 * time.Hour
	// DefaultJitter is WithJitter's default: the fraction a backoff delay is drawn below its nominal value.
	DefaultJitter = 0.2
	// DefaultMaxTransientErrors is WithMaxTransientErrors's default.
	DefaultMaxTransientErrors = 5
	// DefaultWaitMaxRetryAfter is WithMaxRetryAfter's default: the cap on a Retry-After during a wait.
	DefaultWaitMaxRetryAfter = 2 * time.Minute
	// DefaultMaxInFlight is WithMaxInFlight's default: a Watcher's requests in flight per client.
	DefaultMaxInFlight = 4
	// DefaultRate is WithDefaultRate's default: a Watcher's pace, in requests per second, for a client
	// without a rate limiter of its own.
	DefaultRate = 10
	// DefaultSweepFloor is WithSweepFloor's default.
	DefaultSweepFloor = 5 * time.Second
)

// noBound stands for "none" where a duration bounds something: about 146 years, far from overflowing
// when added to a time.
const noBound = time.Duration(1 << 62)

// WaitOption tunes a wait: Wait, ResumeWait, the Planner, and each job of a Watcher. Left out or zero,
// each takes its default (see DefaultMinDelay and the rest). A bad value is an error matching
// ErrInvalidOption that names the option.
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
	random                      func() float64
	observer                    *observe.Observer // WithObserver
}

// WithMinDelay sets the first delay between polls. Zero means DefaultMinDelay; negative is an error.
func WithMinDelay(d time.Duration) WaitOption { return func(c *waitConfig) { c.minDelay = d } }

// WithMaxDelay caps the delay between polls. Zero means DefaultMaxDelay; negative means no cap (the
// backoff doubles until the max wait trims it).
func WithMaxDelay(d time.Duration) WaitOption { return func(c *waitConfig) { c.maxDelay = d } }

// WithMaxWait bounds the whole wait, counted from when it began, across resumes. Zero means
// DefaultMaxWait; negative means no bound (the wait ends when the job is done or its context ends).
// The wait never outlasts the bound: the last poll is due a min delay before it, and a request still in
// flight at the bound (a slow answer, a client's retry sleeping for a Retry-After, a wait for a rate
// limiter) is canceled there. The wait then ends with the last job seen and a *WaitTimeoutError. A
// WithMaxWait given on resuming replaces the budget the token carries.
func WithMaxWait(d time.Duration) WaitOption {
	return func(c *waitConfig) { c.maxWait, c.maxWaitSet = d, d != 0 }
}

// WithJitter sets the jitter fraction j: each backoff delay d is drawn from [d·(1−j), d], never below
// the min delay. Zero means DefaultJitter; negative means no jitter; above 1 is an error.
func WithJitter(j float64) WaitOption { return func(c *waitConfig) { c.jitter = j } }

// WithRandom draws the jitter from f, which returns numbers in [0,1): a seeded source, so that a
// workflow engine's replay draws the same delays. Nil means math/rand/v2.
func WithRandom(f func() float64) WaitOption { return func(c *waitConfig) { c.random = f } }

// WithMaxRetryAfter caps the delay a vendor's Retry-After (seconds or HTTP date) can impose on the next
// poll. Zero means DefaultWaitMaxRetryAfter; negative means Retry-After is ignored and the backoff alone
// decides: the same meaning as ClientOptions.MaxRetryAfter.
func WithMaxRetryAfter(d time.Duration) WaitOption {
	return func(c *waitConfig) { c.maxRetryAfter = d }
}

// WithMaxTransientErrors sets how many transient poll errors in a row a wait tolerates before it
// returns the last one. Zero means DefaultMaxTransientErrors; negative means none: the first transient
// error ends the wait.
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

// WithWaitLogger logs each poll and delay at debug level, and tolerated errors at warn level, through l.
// Nil means no logging.
func WithWaitLogger(l *slog.Logger) WaitOption { return func(c *waitConfig) { c.logger = l } }

// WithSize tells the wait how many users the job carries, e.g. sdk.WithSize(len(users)) with the users
// just given to a client's Submit. With WithEstimator, the schedule aims its polls at the completion
// predicted for that size; the size is kept in resume tokens. Where the size is known, a job that ends
// with every user failed is StateFailed whatever the vendor says (Huawei's queryTask reports no total, so
// it would otherwise read as partially succeeded). With a Watcher, give each job its own size with Add.
// Zero means unknown; negative is an error.
func WithSize(n int) WaitOption { return func(c *waitConfig) { c.size = n } }

// WithEstimator shares e with the wait: a job of known size (WithSize) is scheduled around the
// completion e predicts, and every such job that succeeds teaches e its vendor's throughput. Give the
// same estimator to every wait, Planner and Watcher of a process, and save it (MarshalJSON) across
// restarts. Nil means none.
func WithEstimator(e *ThroughputEstimator) WaitOption {
	return func(c *waitConfig) { c.estimator = e }
}

// badOption is the error of an option given a value it cannot take.
func badOption(option string, value any, why string) error {
	return fmt.Errorf("sdk.%s(%v): %s: %w", option, value, why, ErrInvalidOption)
}

func newWaitConfig(opts []WaitOption) (waitConfig, error) {
	var c waitConfig
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	switch {
	case c.minDelay < 0:
		return c, badOption("WithMinDelay", c.minDelay, "must not be negative")
	case c.size < 0:
		return c, badOption("WithSize", c.size, "must not be negative")
	case c.jitter > 1 || math.IsNaN(c.jitter):
		return c, badOption("WithJitter", c.jitter, "must be at most 1")
	}
	c.minDelay = orDefault(c.minDelay, DefaultMinDelay)
	c.maxDelay = orNone(orDefault(c.maxDelay, DefaultMaxDelay), noBound)
	c.maxWait = orNone(orDefault(c.maxWait, DefaultMaxWait), noBound)
	c.maxRetryAfter = orDefault(c.maxRetryAfter, DefaultWaitMaxRetryAfter) // negative: ignored (httpx.CapRetryAfter)
	c.jitter = max(orDefault(c.jitter, DefaultJitter), 0)
	c.maxTransient = max(orDefault(c.maxTransient, DefaultMaxTransientErrors), 0)
	if c.maxDelay < c.minDelay {
		return c, badOption("WithMaxDelay", c.maxDelay, fmt.Sprintf("is below the min delay %s", c.minDelay))
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	if c.random == nil {
		c.random = rand.Float64
	}
	return c, nil
}

// orDefault is v, or def where v is zero.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// orNone is d, or none where d is negative.
func orNone(d, none time.Duration) time.Duration {
	if d < 0 {
		return none
	}
	return d
}

// WatcherOption tunes a Watcher. Left out or zero, each takes its default (DefaultMaxInFlight,
// DefaultRate, DefaultSweepFloor, the poller's own batch size).
type WatcherOption func(*watcherConfig)

type watcherConfig struct {
	wait        []WaitOption
	maxInFlight int
	batchSize   int
	defaultRate rate.Limit
	sweepFloor  time.Duration
	logger      *slog.Logger
	progress    func(*Job)
}

// WithWaitOptions sets the schedule options of every job (Add can add more per job).
func WithWaitOptions(opts ...WaitOption) WatcherOption {
	return func(c *watcherConfig) { c.wait = append(c.wait, opts...) }
}

// WithMaxInFlight bounds the requests in flight per client. Zero means DefaultMaxInFlight; negative
// means no bound.
func WithMaxInFlight(n int) WatcherOption { return func(c *watcherConfig) { c.maxInFlight = n } }

// WithBatchSize caps the job ids per call of a batching Poller (see Poller) below its own BatchSize.
// Zero means the poller's own; negative means no batching (one id per call).
func WithBatchSize(n int) WatcherOption { return func(c *watcherConfig) { c.batchSize = n } }

// WithDefaultRate paces clients that have no rate limiter of their own, in requests per second. Zero
// means DefaultRate; negative means no pacing.
func WithDefaultRate(r rate.Limit) WatcherOption { return func(c *watcherConfig) { c.defaultRate = r } }

// WithSweepFloor sets the shortest delay ceiling a batching client's sweep may impose: with few jobs,
// polling all of them faster than this would spend requests for little lag. Zero means
// DefaultSweepFloor; negative means none.
func WithSweepFloor(d time.Duration) WatcherOption {
	return func(c *watcherConfig) { c.sweepFloor = d }
}

// WithWatcherLogger logs through l: each request at debug level (vendor, how many jobs, error), each
// tolerated poll error at warn level, and each job's end at info level (state, error). l's handler runs
// on the scheduler goroutine, so it must be quick and must not call the Watcher. Nil means no logging.
func WithWatcherLogger(l *slog.Logger) WatcherOption { return func(c *watcherConfig) { c.logger = l } }

// WithWatchProgress calls f whenever a job's state, counts or progress change, for every job, before
// the job's own WithProgress. f runs on the job's delivery goroutine, never on the scheduler, exactly as
// WithProgress describes: it may call any Watcher method, and a slow f delays only its own job's events.
// Calls for different jobs run on different goroutines and may overlap, so f must be safe for
// concurrent use; the *Job it gets is shared with the scheduler and must be treated as read-only.
func WithWatchProgress(f func(*Job)) WatcherOption { return func(c *watcherConfig) { c.progress = f } }

func newWatcherConfig(opts []WatcherOption) (watcherConfig, error) {
	var c watcherConfig
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if math.IsNaN(float64(c.defaultRate)) {
		return c, badOption("WithDefaultRate", c.defaultRate, "is not a number")
	}
	if _, err := newWaitConfig(c.wait); err != nil {
		return c, err
	}
	c.maxInFlight = orDefault(c.maxInFlight, DefaultMaxInFlight)
	if c.maxInFlight < 0 {
		c.maxInFlight = math.MaxInt
	}
	c.defaultRate = orDefault(c.defaultRate, DefaultRate)
	if c.defaultRate < 0 {
		c.defaultRate = rate.Inf
	}
	c.sweepFloor = max(orDefault(c.sweepFloor, DefaultSweepFloor), 0)
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}
