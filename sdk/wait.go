package sdk

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jobwatch/jobwatch/sdk/internal/httpx"
)

// Poller is what a vendor client offers Wait and the Watcher: its vendor's name and one status call.
// Every vendor client in sdk/<vendor> is a Poller. A Poller that also has the methods
// StatusMany(ctx, ids []string) (map[string]*Job, error) and BatchSize() int (Tencent's) reads several
// jobs in one call: the Watcher batches its jobs' ids, at most BatchSize a call. One that also has
// StatusAt(ctx, location string) (*Job, error) (Oracle's) follows the vendor's Location: a wait resumed
// from a token that carries one polls there.
type Poller interface {
	// Vendor names the vendor, as in Job.Vendor.
	Vendor() string
	// Status returns the job's current state. A wait ends at the first job whose State is done (Done
	// need not be set: the wait sets it).
	Status(ctx context.Context, jobID string) (*Job, error)
}

// locationPoller is a Poller that reads a job at a status URL its vendor named (Oracle's 202 Location),
// as a resume token of an earlier jobwatch may carry: a wait resumed from one polls there.
type locationPoller interface {
	Poller
	StatusAt(ctx context.Context, location string) (*Job, error)
}

// batchPoller is a Poller that reads several jobs in one call (Tencent ListJobs). The Watcher batches
// the ids of such a poller.
type batchPoller interface {
	Poller
	// StatusMany returns the jobs found among ids, keyed by id.
	StatusMany(ctx context.Context, ids []string) (map[string]*Job, error)
	// BatchSize is the most ids one StatusMany request carries.
	BatchSize() int
}

// checkJobID rejects, before anything is sent, an id that no vendor can have: empty, blank, or a dot
// segment (percent-encoded or not), which would reach another endpoint, and in a batch of ids would
// fail the whole request and lose the good ids' results. A vendor's own rules (Oracle's slash) stay in
// its Status.
func checkJobID(vendor, id string) error {
	problem := httpx.JobIDProblem(id, "")
	if problem == "" {
		return nil
	}
	if id == "" {
		return fmt.Errorf("%s: job id %s: %w", vendor, problem, ErrInvalidInput)
	}
	return fmt.Errorf("%s: job id %q %s: %w", vendor, id, problem, ErrInvalidInput)
}

// pollChecked is s.poll with the Poller's contract enforced: a poll yields a job or an error, and the
// job is the one asked about (an answer about another, followed through a Location say, is not).
func (s *schedule) pollChecked(ctx context.Context, p Poller) (*Job, error) {
	job, err := s.poll(ctx, p)
	switch {
	case job == nil && err == nil:
		err = noJobError(s.vendor, s.jobID)
	case err == nil && job.ID != "" && job.ID != s.jobID:
		job, err = nil, fmt.Errorf("%w: %s answered about job %q when asked about %q", ErrUnexpectedResponse, s.vendor, job.ID, s.jobID)
	}
	return job, err
}

func noJobError(vendor, jobID string) error {
	return brokenPoller("%s Status for job %s returned neither a job nor an error", vendor, jobID)
}

// schedule is where one wait stands: the state a resume token carries, plus what the next delay is
// computed from. Wait, the Planner and the Watcher share it, so all poll on the same schedule; observe
// is the one step from a poll's result to the next delay. A Watcher holds one per job, so it is kept
// small: what few jobs need (a Location, an error, progress) lives in rare, allocated on first use.
type schedule struct {
	cfg     *waitConfig // shared by every job a Watcher adds with the same options: read only
	vendor  string
	jobID   string
	began   time.Time // the wait ends at began + cfg.maxWait
	next    time.Time
	seen    lastSeen // what the wait remembers of the last job it saw
	rare    *scheduleRare
	ranFor  time.Duration // from began to the last poll that saw the job not done; -1 before one
	attempt int32         // polls that found the job not done; drives the backoff
	errs    int32         // transient errors in a row
}

// scheduleRare is the part of a schedule that few waits use.
type scheduleRare struct {
	location string // the URL the vendor named for the next poll (Oracle's Location)
	lastErr  error
	progress progressMemo
	// unread is the done job of a *FailuresError with a temporary cause, until a poll succeeds.
	unread *Job
}

// newSchedule starts the schedule of a wait for jobID of vendor at now; seen nil keeps the whole last
// job (jobMemo).
func newSchedule(cfg *waitConfig, vendor, jobID string, now time.Time, seen lastSeen) *schedule {
	if seen == nil {
		seen = &jobMemo{}
	}
	return &schedule{cfg: cfg, vendor: vendor, jobID: jobID, began: now, next: now, ranFor: -1, seen: seen}
}

// lastSeen is what a wait remembers of the last job it saw: Wait and the Planner keep the job
// (jobMemo); a Watcher keeps a packed summary per job instead, since the job is most of a watched
// job's memory (watcher.go).
type lastSeen interface {
	// see records job as the last seen, and reports whether its state, counts or progress differ
	// from the one before (or there was none).
	see(job *Job) (changed bool)
	// job is the last job seen, of the given vendor and id; nil before one.
	job(vendor, jobID string) *Job
}

// jobMemo keeps the last job seen whole.
type jobMemo struct{ last *Job }

func (m *jobMemo) see(j *Job) bool {
	changed := m.last == nil || changedJob(m.last, j)
	m.last = j
	return changed
}

func (m *jobMemo) job(string, string) *Job { return m.last }

// the rare part, allocated on first use.
func (s *schedule) more() *scheduleRare {
	if s.rare == nil {
		s.rare = &scheduleRare{progress: noProgress}
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

// progressMemo is what the progress estimate remembers between polls.
type progressMemo struct {
	// the highest progress seen at an earlier poll, and when, for a rate estimate when the vendor
	// gives no elapsed time; -1 before one
	seen   float64
	seenAt time.Time
	// polls since the counts said every user was processed
	nearEnd int
}

// noProgress is the memo of a wait that has seen no progress.
var noProgress = progressMemo{seen: -1}

// nextDelay is the schedule: a pure function from where a wait stands to the delay until its next
// poll. The wait (of cfg, for a job of vendor) began at began; a poll at now found job running after
// attempt earlier such polls, and m is what the wait remembers of the job's progress. The delay is at
// most maxD (the max delay, or a Watcher's lower sweep). It returns why that delay, and what to
// remember of the progress from now on. Wait, the Planner and the Watcher all step through it, and so
// does temporal/waitflow, through the Planner.
func nextDelay(cfg *waitConfig, vendor string, began, now time.Time, attempt int32, m progressMemo, job *Job, maxD time.Duration) (time.Duration, uint8, progressMemo) {
	d, ok, m := estimate(cfg, m, job, now, maxD)
	if ok {
		return d, whyProgress, m
	}
	if d, ok := sized(cfg, vendor, now.Sub(began), maxD); ok {
		return d, whySize, m
	}
	return backoff(cfg.minDelay, cfg.maxDelay, maxD, attempt, cfg.random()), whyBackoff, m
}

// backoff is the schedule's backoff as a pure function: minDelay doubled attempt times up to maxDelay,
// capped at ceiling (maxDelay, or a Watcher's lower sweep), then drawn at u in [0,1) from
// [d·(1−jitter), d] as d − ⌈u·(d − d·(1−jitter))⌉ (u = 0 is d itself), never below minDelay.
func backoff(minDelay, maxDelay, ceiling time.Duration, attempt int32, u float64) time.Duration {
	d := minDelay
	for i := int32(0); i < attempt && d < maxDelay; i++ {
		if d > maxDelay/2 {
			d = maxDelay // doubling again could overflow with an absurd max delay
			break
		}
		d *= 2
	}
	d = min(d, ceiling)
	lo := time.Duration(float64(d) * (1 - jitter))
	if lo < minDelay {
		lo = min(minDelay, d)
	}
	if d > lo {
		return d - time.Duration(math.Ceil(u*float64(d-lo)))
	}
	return d
}

// maxDelay is the longest delay the schedule takes under ceiling (a Watcher's sweep; 0 for none).
func (s *schedule) maxDelay(ceiling time.Duration) time.Duration {
	if ceiling > 0 && ceiling < s.cfg.maxDelay {
		return max(ceiling, s.cfg.minDelay)
	}
	return s.cfg.maxDelay
}

// estimate aims the next poll at the job's estimated completion when the vendor reports progress:
// remaining = elapsed·(1−p)/p, with elapsed from the vendor's own clock (Job.ranFor) or from the
// progress rate between two polls, p read a tenth high (counts are noisy) and the poll placed short of
// the estimate. Once the counts reach the total before the job says done (they often run ahead), it
// polls near the end at delays doubling up to a third of the max delay; with exact counts it ends a
// little later than a perfect aim would. ok is false when there is nothing to estimate from.
// m is what the wait remembers of the progress; the memo returned is the one to keep.
func estimate(cfg *waitConfig, m progressMemo, j *Job, now time.Time, maxD time.Duration) (time.Duration, bool, progressMemo) {
	if j.Progress == nil || math.IsNaN(*j.Progress) || math.IsInf(*j.Progress, 0) {
		return 0, false, m // a Poller's NaN or infinite progress says nothing
	}
	p := *j.Progress
	next := m
	if p > m.seen {
		next.seen, next.seenAt = p, now
	}
	if p <= 0 {
		return 0, false, next
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
		d := cfg.minDelay
		if el, ok := j.ranFor(); ok {
			d = max(d, el/nearEndFirstDiv) // a long job's end is not seconds away
		}
		for i := 0; i < m.nearEnd && d < maxD/nearEndCapDiv; i++ {
			d *= 2
		}
		next.nearEnd++
		return min(d, max(maxD/nearEndCapDiv, cfg.minDelay)), true, next
	}
	var remaining float64 // nanoseconds, in floating point: a far-off end must not wrap around
	el, ranFor := j.ranFor()
	switch {
	case ranFor:
		remaining = float64(el) * (1 - p) / p
	case m.seen >= 0 && *j.Progress > m.seen && now.After(m.seenAt):
		rate := (*j.Progress - m.seen) / now.Sub(m.seenAt).Seconds()
		remaining = (1 - p) / rate * float64(time.Second)
	default:
		return 0, false, next
	}
	// Counts and elapsed times are noisy (rounded, updated per step): aim short of the estimate and
	// estimate again there, so that an estimate a tenth too long cannot put the poll far past the end.
	remaining *= progressAim
	if math.IsNaN(remaining) || remaining >= float64(maxD) {
		return maxD, true, next // clamped before converting: a huge float is no valid Duration
	}
	return max(time.Duration(remaining), cfg.minDelay), true, next
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

// observe records the result of a poll made at now and decides what happens next: the schedule's one
// step, the same for Wait, the Planner and the Watcher. ceiling lowers the max delay (a Watcher's sweep
// of a batching client); 0 is none.
func (s *schedule) observe(now time.Time, job *Job, err error, ceiling time.Duration) outcome {
	maxD := s.maxDelay(ceiling)
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
		d, why := backoff(s.cfg.minDelay, s.cfg.maxDelay, maxD, s.attempt, s.cfg.random()), whyError
		var ae *APIError
		if errors.As(err, &ae) && ae.RetryAfter > d {
			// A vendor's Retry-After is honoured up to the max delay.
			d, why = min(ae.RetryAfter, s.cfg.maxDelay), whyRetryAfter
		}
		return s.schedule(now, d, outcome{why: why})
	}
	s.errs = 0
	if s.rare != nil {
		s.rare.lastErr, s.rare.unread = nil, nil
	}
	// Done is State.Done() by definition; a Poller of the caller's own may leave it unset.
	job.Done = job.Done || job.State.Done()
	changed := s.seen.see(job)
	if job.Done {
		if allFailed(job, s.cfg.size) {
			job.State = StateFailed
		}
		s.learn(now, job)
		s.next = now
		var jerr error
		if job.State == StateFailed || job.State == StateCanceled {
			jerr = &jobError{job: job}
		}
		return outcome{done: true, job: job, err: jerr, changed: changed}
	}
	s.ranFor = now.Sub(s.began)
	m := noProgress
	if s.rare != nil {
		m = s.rare.progress
	}
	d, why, m2 := nextDelay(s.cfg, s.vendor, s.began, now, s.attempt, m, job, maxD)
	if m2 != m {
		s.more().progress = m2
	}
	s.attempt++
	return s.schedule(now, d, outcome{job: job, changed: changed, why: why})
}

// schedule sets the next poll d after now. Like smithy's waiter, it leaves the last poll a min delay
// of room before the deadline, so that it can answer before the request is canceled there; once less
// than that is left, the wait is over with an error matching ErrWaitTimeout and the last job seen.
func (s *schedule) schedule(now time.Time, d time.Duration, out outcome) outcome {
	left := s.deadline().Sub(now)
	if left <= s.cfg.minDelay {
		out.done, out.job, out.err = true, s.lastJob(), s.timeout(now)
		return out
	}
	s.next = now.Add(min(d, left-s.cfg.minDelay))
	out.delay = s.next.Sub(now)
	if out.delay < d {
		out.why = whyDeadline
	}
	return out
}

// lastDue is the latest a poll may be due: a min delay before the deadline (see schedule), never
// before the wait began.
func (s *schedule) lastDue() time.Time {
	if t := s.deadline().Add(-s.cfg.minDelay); t.After(s.began) {
		return t
	}
	return s.began
}

// poll reads the job once through p: at the status URL a resume token carried (Oracle's Location) when
// p can read one, by id otherwise.
func (s *schedule) poll(ctx context.Context, p Poller) (*Job, error) {
	if lp, ok := p.(locationPoller); ok && s.location() != "" {
		return lp.StatusAt(ctx, s.location())
	}
	return p.Status(ctx, s.jobID)
}

// temporaryInWait widens IsTemporary for a wait: one answer that is not the documented JSON (a gateway's
// HTML page, a cut body) should not end hours of waiting, so it counts as a transient error, bounded
// like the others. An oversized body stays permanent: it would be as large the next time.
func temporaryInWait(err error) bool {
	if fe := (*FailuresError)(nil); errors.As(err, &fe) {
		err = fe.err
	}
	if errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrInvalidInput) {
		// Final whatever the body: a 401, 403 or 404 page in HTML is still a refusal.
		return false
	}
	if ae := (*APIError)(nil); errors.As(err, &ae) && ae.noAnswer {
		return IsTemporary(err) // no answer came, so none was undocumented (a refused redirect is final)
	}
	return IsTemporary(err) || (errors.Is(err, ErrUnexpectedResponse) && !errors.Is(err, ErrBodyTooLarge) && !errors.Is(err, errBrokenPoller))
}

func changedJob(a, b *Job) bool {
	return a.State != b.State || !eqInt(a.Counts.Total, b.Counts.Total) || !eqInt(a.Counts.Succeeded, b.Counts.Succeeded) ||
		!eqInt(a.Counts.Failed, b.Counts.Failed) || !eqInt(a.Counts.Pending, b.Counts.Pending) || !eqFloat(a.Progress, b.Progress)
}

func eqInt(a, b *int) bool       { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
func eqFloat(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func (s *schedule) timeout(now time.Time) error {
	e := &waitTimeoutError{vendor: s.vendor, jobID: s.jobID, waited: now.Sub(s.began), cause: s.lastErr()}
	if j := s.lastJob(); j != nil {
		e.state = j.State
	}
	return e
}

// waiter is one wait for one job, polled on the caller's goroutine.
type waiter struct {
	p Poller
	s *schedule
}

// Wait polls p for jobID until the job is done, and returns the final job: the one way to wait for one
// job, of any Poller (every vendor client, a fake in a test, a wrapper that adds metrics). A nil opts
// takes every default. A failed or canceled job is returned with an error matching ErrJobFailed or
// ErrJobCanceled. When the max wait or ctx's deadline runs out first, the last job seen is returned
// with an error matching ErrWaitTimeout (and wrapping the last poll's error, if any); when ctx is
// canceled, with ctx.Err(). To keep a wait across restarts, store the tokens opts.Checkpoint gets and
// continue with one in opts.ResumeToken (jobID then may be "").
func Wait(ctx context.Context, p Poller, jobID string, opts *WaitOptions) (*Job, error) {
	w, err := newWaiter(p, jobID, opts)
	if err != nil {
		return nil, err
	}
	return w.wait(ctx)
}

// newWaiter prepares the wait Wait runs; nothing is called until wait.
func newWaiter(p Poller, jobID string, opts *WaitOptions) (*waiter, error) {
	if err := checkNilPoller(p); err != nil {
		return nil, err
	}
	cfg, err := newWaitConfig(opts)
	if err != nil {
		return nil, err
	}
	s, err := startWait(&cfg, p.Vendor(), jobID, opts, nil)
	if err != nil {
		return nil, err
	}
	return &waiter{p: p, s: s}, nil
}

// wait polls until the job is done; see Wait.
func (w *waiter) wait(ctx context.Context) (job *Job, err error) {
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
		// The request ends at the wait's deadline, as smithy's waiter's does: a slow answer or a client's
		// retry sleeping for a Retry-After must not carry the wait past its bound.
		pctx, cancel := context.WithDeadline(ctx, s.deadline())
		start := obsNow(obs)
		job, err := s.pollChecked(pctx, w.p)
		cut := err != nil && pctx.Err() != nil
		cancel()
		if err != nil && ctx.Err() != nil {
			return w.stopped(ctx)
		}
		if cut {
			return s.lastJob(), s.timeout(time.Now())
		}
		now = time.Now()
		out := s.observe(now, job, err, 0)
		polls, why = polls+1, out.why
		s.observePoll(ctx, obs, polls, start, now, job, err, out)
		// The callbacks run here, on the caller's goroutine, in the order the Watcher delivers them too.
		if out.changed && s.cfg.progress != nil {
			s.cfg.progress(out.job)
		}
		if out.done {
			return out.job, out.err
		}
		s.observeRetry(ctx, obs, err, out)
		if s.cfg.checkpoint != nil {
			s.cfg.checkpoint(s.token())
		}
	}
}

func (w *waiter) stopped(ctx context.Context) (*Job, error) {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return w.s.lastJob(), w.s.timeout(time.Now())
	}
	return w.s.lastJob(), ctx.Err()
}

// lastJob is the last job seen (the done job of a *FailuresError with a temporary cause until a poll
// succeeds); nil before a poll succeeded.
func (s *schedule) lastJob() *Job {
	if s.rare != nil && s.rare.unread != nil {
		return s.rare.unread
	}
	return s.seen.job(s.vendor, s.jobID)
}
