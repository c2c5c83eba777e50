package sdk

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jobwatch/jobwatch/sdk/observe"
)

// WaitOptions tune a wait: Wait, the Planner, and each job of a Watcher. A nil *WaitOptions, like every
// zero field, takes the default its field states; where "none" means something, a negative value means
// none. A value a field cannot take is an error naming the field (e.g. "sdk.WaitOptions.MinDelay: must
// not be negative") that matches ErrInvalidOption.
type WaitOptions struct {
	// MinDelay is the first delay between polls. Zero means 2 s; negative is an error.
	MinDelay time.Duration
	// MaxDelay caps the delay between polls, and a vendor's Retry-After. Zero means 80 s; negative
	// means no cap (the backoff doubles until the max wait trims it).
	MaxDelay time.Duration
	// MaxWait bounds the whole wait, counted from when it began, across resumes. Zero means 6 h;
	// negative means no bound (the wait ends when the job is done or its context ends). The last poll
	// is due a min delay before the bound, and a request still in flight at the bound is canceled
	// there; the wait then ends with the last job seen and an error matching ErrWaitTimeout. Set on
	// resuming (ResumeToken), it replaces the budget the token carries.
	MaxWait time.Duration
	// MaxTransientErrors is how many transient poll errors in a row a wait rides out before it ends
	// with the last one. Zero means 5; negative means none: the first transient error ends the wait.
	MaxTransientErrors int
	// Random draws each backoff delay's jitter, in [0,1): a delay d is d·(1 − 0.2·Random()), never below
	// the min delay. A seeded source makes a workflow engine's replay draw the same delays; one
	// returning 0 gives the nominal delays. Nil means math/rand/v2.
	Random func() float64
	// Size is how many users the job carries, e.g. len(users) just given to a client's Submit. With an
	// Estimator, the polls aim at the completion predicted for that size; a resume token keeps it.
	// Where it is known, a job that ends with every user failed is StateFailed whatever the vendor says
	// (Huawei reports no total). Zero means unknown; negative is an error.
	Size int
	// Estimator is shared by every wait given it: a job of known Size is scheduled around the
	// completion it predicts, and each such job that succeeds teaches it its vendor's throughput. Save it
	// (MarshalJSON) across restarts. Nil means none.
	Estimator *ThroughputEstimator
	// Observer receives the wait's events (polls, sleeps, retries, its start and end). Nil means the
	// context's (observe.FromContext), if any.
	Observer *observe.Observer
	// Progress is called with the job each time its state, counts or progress change, the first poll
	// included. In Wait it runs on the caller's goroutine before the next poll. In a Watcher it runs on
	// a delivery goroutine of the job's own, never the scheduler: it may call any Watcher method, a
	// slow one delays no poll and no other job, and one job's events arrive in order, before its result
	// (a lagging callback gets only the newest event of each kind). Nil means none.
	Progress func(*Job)
	// Checkpoint is called with a fresh resume token after every poll that leaves the job not done, for
	// a durable store; continue the wait with that token in ResumeToken. It runs as Progress does. Nil
	// means none.
	Checkpoint func(token string)
	// ResumeToken continues the wait a token (of Checkpoint or Planner.ResumeToken) describes, in this
	// process or an earlier one: its job, its budget counted from when it first began, and where its
	// schedule stood. A token that is corrupt, of another vendor or of another job than the one named is
	// an error matching ErrInvalidInput. Empty means a new wait.
	ResumeToken string
}

// WatcherOptions tune a Watcher. A nil *WatcherOptions, like every zero field, takes the default its
// field states.
type WatcherOptions struct {
	// Wait are every job's wait options; Add may override them per job.
	Wait WaitOptions
	// MaxInFlight bounds the requests in flight per client. Zero means 4; negative means no bound.
	MaxInFlight int
}

// The schedule's fixed parts and the defaults the option docs state. The min delay is smithy's waiter
// default; the max delay is tuned on bench's workload U (bench/RESULTS.md).
const (
	defaultMinDelay     = 2 * time.Second
	defaultMaxDelay     = 80 * time.Second
	defaultMaxWait      = 6 * time.Hour
	defaultMaxTransient = 5
	defaultMaxInFlight  = 4
	// jitter is the fraction a backoff delay is drawn below its nominal value.
	jitter = 0.2
	// defaultRate paces a Watcher's requests, per second, through a client without a limiter of its own.
	defaultRate = 10
	// sweepFloor is the shortest delay ceiling a batching client's sweep may impose: polling a few jobs
	// faster would spend requests for little lag.
	sweepFloor = 5 * time.Second
)

// noBound stands for "none" where a duration bounds something: about 146 years, far from overflowing
// when added to a time.
const noBound = time.Duration(1 << 62)

// waitConfig is a WaitOptions with its defaults filled in.
type waitConfig struct {
	minDelay, maxDelay, maxWait time.Duration
	maxWaitSet                  bool // MaxWait was given: it replaces a resume token's budget
	maxTransient                int
	size                        int
	estimator                   *ThroughputEstimator
	random                      func() float64
	observer                    *observe.Observer
	progress                    func(*Job)
	checkpoint                  func(token string)
}

// badField is the error of an option field given a value it cannot take.
func badField(field string, value any, why string) error {
	return fmt.Errorf("sdk.%s: %s (got %v): %w", field, why, value, ErrInvalidOption)
}

func newWaitConfig(o *WaitOptions) (waitConfig, error) {
	if o == nil {
		o = &WaitOptions{}
	}
	c := waitConfig{size: o.Size, estimator: o.Estimator, random: o.Random, observer: o.Observer,
		progress: o.Progress, checkpoint: o.Checkpoint, maxWaitSet: o.MaxWait != 0}
	switch {
	case o.MinDelay < 0:
		return c, badField("WaitOptions.MinDelay", o.MinDelay, "must not be negative")
	case o.Size < 0:
		return c, badField("WaitOptions.Size", o.Size, "must not be negative")
	}
	c.minDelay = orDefault(o.MinDelay, defaultMinDelay)
	c.maxDelay = orNone(orDefault(o.MaxDelay, defaultMaxDelay), noBound)
	c.maxWait = orNone(orDefault(o.MaxWait, defaultMaxWait), noBound)
	c.maxTransient = max(orDefault(o.MaxTransientErrors, defaultMaxTransient), 0)
	if c.maxDelay < c.minDelay {
		return c, badField("WaitOptions.MaxDelay", o.MaxDelay, fmt.Sprintf("is below the min delay %s", c.minDelay))
	}
	if c.random == nil {
		c.random = rand.Float64
	}
	return c, nil
}

// overlay is base with the non-zero fields of o in its place: a Watcher job's own options over the
// Watcher's. ResumeToken is left as it is: Add reads the job's own, and the Watcher's is always "".
func overlay(base WaitOptions, o *WaitOptions) WaitOptions {
	if o == nil {
		return base
	}
	base.MinDelay = orDefault(o.MinDelay, base.MinDelay)
	base.MaxDelay = orDefault(o.MaxDelay, base.MaxDelay)
	base.MaxWait = orDefault(o.MaxWait, base.MaxWait)
	base.MaxTransientErrors = orDefault(o.MaxTransientErrors, base.MaxTransientErrors)
	base.Size = orDefault(o.Size, base.Size)
	base.Estimator = orDefault(o.Estimator, base.Estimator)
	base.Observer = orDefault(o.Observer, base.Observer)
	if o.Random != nil {
		base.Random = o.Random
	}
	if o.Progress != nil {
		base.Progress = o.Progress
	}
	if o.Checkpoint != nil {
		base.Checkpoint = o.Checkpoint
	}
	return base
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
