package waitflow

import (
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/jobwatch/jobwatch/sdk"
)

// WaitJob waits for one job. It drives an sdk.Planner on workflow time: each poll is one Status
// activity, each delay a durable timer, and the jitter comes from a seed, so a replay makes the same
// decisions. After MaxPollsPerRun polls it continues as new with the wait's resume state, which keeps
// each run's history short however long the wait.
//
// It returns the final job, or a non-retryable application error: JobFailed or JobCanceled (details:
// the WaitJobResult with the final job and every failed user), WaitTimeout (details: the last job
// seen), InvalidInput, or the type of the activity's error (NotFound, Unauthorized, Permanent,
// Transient after too many in a row) with its VendorError.
func WaitJob(ctx workflow.Context, in WaitJobInput) (WaitJobResult, error) {
	if err := in.validate(); err != nil {
		return WaitJobResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalidInput, nil)
	}
	if in.Seed == 0 {
		in.Seed = seedOf(workflow.GetInfo(ctx).WorkflowExecution.ID)
	}
	o := in.Options.sdkOptions(in.Size, plannerVersion(ctx))
	w, err := newJobWait(in.Vendor, in.JobID, o, in.Options.jitter(), workflow.Now(ctx), in.Resume)
	if err != nil {
		return WaitJobResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalidInput, nil)
	}
	ctx = workflow.WithActivityOptions(ctx, activityOptions(in.TaskQueue, in.Retry, in.StatusTimeout))
	maxPolls := orDefault(in.MaxPollsPerRun, DefaultMaxPollsPerRun)
	maxRetryAfter := in.Options.filled().MaxRetryAfter
	for polled := 1; ; polled++ {
		if err := sleepUntil(ctx, w.p.Next()); err != nil {
			return WaitJobResult{}, err
		}
		var p Poll
		err := workflow.ExecuteActivity(ctx, StatusActivity, StatusInput{Vendor: in.Vendor, JobID: in.JobID}).Get(ctx, &p)
		if err != nil && ctx.Err() != nil {
			return WaitJobResult{}, ctx.Err()
		}
		w.polls++
		perr := pollError(err, maxRetryAfter)
		if perr == nil && p.Job == nil {
			// the Planner needs a job or an error; an activity of another build could answer neither
			perr = temporal.NewNonRetryableApplicationError(fmt.Sprintf("%s job %s: the Status activity returned no job", in.Vendor, in.JobID), ErrTypePermanent, nil)
		}
		if done, final, ferr := w.observe(workflow.Now(ctx), p.Job, perr, unit(in.Seed, uint64(w.polls))); done {
			return w.finish(final, ferr)
		}
		// Continue as new only after a poll that succeeded: the count of transient errors in a row is
		// the one part of the plan a new run would not get back.
		if polled >= maxPolls && perr == nil {
			in.Resume = w.state()
			return WaitJobResult{}, workflow.NewContinueAsNewError(ctx, WaitJobWorkflow, in)
		}
	}
}

func (in WaitJobInput) validate() error {
	switch {
	case in.Vendor == "":
		return errors.New("WaitJob: vendor is empty")
	case in.JobID == "":
		return errors.New("WaitJob: job id is empty")
	case in.Size < 0:
		return fmt.Errorf("WaitJob: size %d is negative", in.Size)
	case in.MaxPollsPerRun < 0:
		return fmt.Errorf("WaitJob: max polls per run %d is negative", in.MaxPollsPerRun)
	case in.StatusTimeout < 0:
		return errors.New("WaitJob: status timeout is negative")
	}
	return in.Options.validate()
}

// WaitJobs waits for many jobs of one vendor. Each job has its own Planner. When the worker's client
// reads jobs in batches (Tencent ListJobs, as Describe reports), every sweep polls every pending job in
// ⌈pending ÷ batch⌉ StatusMany activities, on one schedule: for a batched vendor a call costs the
// same whatever the number of ids in it, so polling a job a little early is free while splitting a
// sweep is not. Otherwise each job is polled by its own Status activity when it is due.
//
// It continues as new after MaxPollsPerRun activities (counted at the end of a sweep). A job that
// ends failed, canceled, timed out or with an error is reported in its JobOutcome; WaitJobs itself
// fails only on invalid input or a worker without the vendor's client.
func WaitJobs(ctx workflow.Context, in WaitJobsInput) (WaitJobsResult, error) {
	if err := in.validate(); err != nil {
		return WaitJobsResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalidInput, nil)
	}
	if in.Seed == 0 {
		in.Seed = seedOf(workflow.GetInfo(ctx).WorkflowExecution.ID)
	}
	ctx = workflow.WithActivityOptions(ctx, activityOptions(in.TaskQueue, in.Retry, in.StatusTimeout))
	st := in.Resume
	if st == nil {
		var info VendorInfo
		// no vendor request, and the first sweep waits for it: ahead of a backlog, as the batches are
		dctx := workflow.WithPriority(ctx, temporal.Priority{PriorityKey: BatchPriority})
		if err := workflow.ExecuteActivity(dctx, DescribeActivity, in.Vendor).Get(ctx, &info); err != nil {
			return WaitJobsResult{}, err
		}
		st = &WaitJobsState{BatchSize: info.BatchSize, Results: map[string]JobOutcome{}}
	}
	st.Runs++
	now := workflow.Now(ctx)
	o := in.Options.sdkOptions(0, plannerVersion(ctx))
	jitter := in.Options.jitter()
	waits := make(map[string]*jobWait)
	var ids []string // pending ids in a fixed order: map order would differ between replays
	if in.Resume == nil {
		for _, id := range in.JobIDs {
			w, err := newJobWait(in.Vendor, id, o, jitter, now, nil)
			if err != nil {
				return WaitJobsResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalidInput, nil)
			}
			waits[id], ids = w, append(ids, id)
		}
	} else {
		for id, r := range st.Pending {
			w, err := newJobWait(in.Vendor, id, o, jitter, now, &r)
			if err != nil {
				return WaitJobsResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalidInput, nil)
			}
			waits[id], ids = w, append(ids, id)
		}
		slices.Sort(ids)
	}
	maxPolls := orDefault(in.MaxPollsPerRun, DefaultMaxPollsPerRun)
	maxRetryAfter := in.Options.filled().MaxRetryAfter
	runPolls := 0
	for len(ids) > 0 {
		due := waits[ids[0]].p.Next()
		for _, id := range ids[1:] {
			if t := waits[id].p.Next(); t.Before(due) {
				due = t
			}
		}
		if err := sleepUntil(ctx, due); err != nil {
			return WaitJobsResult{}, err
		}
		st.Sweeps++
		polls, clean, err := sweep(ctx, in, st, ids, waits, maxRetryAfter)
		if err != nil {
			return WaitJobsResult{}, err
		}
		st.Polls += polls
		runPolls += polls
		ids = slices.DeleteFunc(ids, func(id string) bool {
			if _, done := st.Results[id]; done {
				delete(waits, id)
				return true
			}
			return false
		})
		if len(ids) > 0 && runPolls >= maxPolls && clean {
			st.Pending = make(map[string]ResumeState, len(ids))
			for _, id := range ids {
				st.Pending[id] = *waits[id].state()
			}
			in.Resume = st
			return WaitJobsResult{}, workflow.NewContinueAsNewError(ctx, WaitJobsWorkflow, in)
		}
	}
	return WaitJobsResult{Jobs: st.Results, Polls: st.Polls, Sweeps: st.Sweeps, Runs: st.Runs}, nil
}

// sweep polls the jobs due now (every pending job for a batched vendor), records the ones that ended
// in st.Results, and reports how many activities it ran and whether every poll succeeded. A vendor's
// Retry-After counts up to maxRetryAfter.
func sweep(ctx workflow.Context, in WaitJobsInput, st *WaitJobsState, ids []string, waits map[string]*jobWait, maxRetryAfter time.Duration) (polls int, clean bool, err error) {
	now := workflow.Now(ctx)
	type call struct {
		ids []string
		f   workflow.Future
	}
	var calls []call
	if st.BatchSize > 0 {
		// A batch goes ahead of the single-job polls queued on the task queue: one request serves up to
		// a batch of jobs, and behind a backlog of single polls it would see them only once they ended.
		bctx := workflow.WithPriority(ctx, temporal.Priority{PriorityKey: BatchPriority})
		for chunk := range slices.Chunk(ids, st.BatchSize) {
			f := workflow.ExecuteActivity(bctx, StatusManyActivity, StatusManyInput{Vendor: in.Vendor, JobIDs: chunk})
			calls = append(calls, call{chunk, f})
		}
	} else {
		for _, id := range ids {
			if w := waits[id]; !w.p.Next().After(now) {
				f := workflow.ExecuteActivity(ctx, StatusActivity, StatusInput{Vendor: in.Vendor, JobID: id})
				calls = append(calls, call{[]string{id}, f})
			}
		}
	}
	// Each call's jobs are observed as soon as its answer is in: a Get yields, so a sweep of a thousand
	// jobs never holds the workflow goroutine long enough to trip the SDK's deadlock detector.
	clean = true
	for _, c := range calls {
		var res map[string]Poll
		var err error
		if st.BatchSize > 0 {
			err = c.f.Get(ctx, &res)
		} else {
			var p Poll
			if err = c.f.Get(ctx, &p); err == nil {
				res = map[string]Poll{c.ids[0]: p}
			}
		}
		if err != nil && ctx.Err() != nil {
			return 0, false, ctx.Err()
		}
		now := workflow.Now(ctx)
		perr := pollError(err, maxRetryAfter)
		for _, id := range c.ids {
			w := waits[id]
			w.polls++
			var job *sdk.Job
			e := perr
			if e == nil {
				p, ok := res[id]
				if !ok || p.Job == nil {
					e = &vendorError{api: &sdk.APIError{Vendor: in.Vendor, Operation: "status", Message: "the batch answer does not list job " + id}, kind: sdk.ErrNotFound}
				}
				job = p.Job
			}
			if e != nil {
				clean = false
			}
			u := unit(in.Seed^seedOf(id), uint64(w.polls))
			if st.BatchSize > 0 {
				u = unit(in.Seed, uint64(st.Sweeps))
			}
			if done, final, ferr := w.observe(now, job, e, u); done {
				st.Results[id] = w.outcome(final, ferr)
			}
		}
	}
	return len(calls), clean, nil
}

func (in WaitJobsInput) validate() error {
	if in.Vendor == "" {
		return errors.New("WaitJobs: vendor is empty")
	}
	if len(in.JobIDs) == 0 {
		return errors.New("WaitJobs: no job ids")
	}
	seen := make(map[string]bool, len(in.JobIDs))
	for i, id := range in.JobIDs {
		if id == "" {
			return fmt.Errorf("WaitJobs: job id %d is empty", i)
		}
		if seen[id] {
			return fmt.Errorf("WaitJobs: job id %q is listed twice", id)
		}
		seen[id] = true
	}
	if in.MaxPollsPerRun < 0 || in.StatusTimeout < 0 {
		return errors.New("WaitJobs: max polls per run and status timeout must not be negative")
	}
	return in.Options.validate()
}

// jobWait is one job's wait inside a workflow: the Planner, whose resume token is its whole state,
// plus what the workflow reports (the last job seen, polls and runs).
type jobWait struct {
	vendor, id string
	p          *sdk.Planner
	began      time.Time
	last       *sdk.Job
	polls      int
	runs       int
	// draw is the Planner's Random for the poll being observed, from the workflow's seed, so that a
	// replay draws the same delays.
	draw float64
	// jitter is the workflow's options' jitter fraction (WaitOptions.jitter), which each draw scales.
	jitter float64
}

// newJobWait starts the wait for job id of vendor with the Planner's options opts and the workflow's
// jitter fraction (WaitOptions.jitter); r, when not nil, is where a previous run left it.
func newJobWait(vendor, id string, opts sdk.WaitOptions, jitter float64, now time.Time, r *ResumeState) (*jobWait, error) {
	w := &jobWait{vendor: vendor, id: id, began: now, runs: 1, jitter: jitter}
	opts.Random = func() float64 { return w.draw }
	if r != nil {
		// The Planner refuses a token of another job than the input names.
		opts.ResumeToken = r.Token
		w.began, w.last, w.polls, w.runs = r.Began, r.Last, r.Polls, r.Runs+1
	}
	p, err := sdk.NewPlanner(vendor, id, now, &opts)
	if err != nil {
		return nil, err
	}
	w.p = p
	return w, nil
}

// observe feeds one poll to the Planner, whose jitter comes from u, a seeded draw in [0,1).
func (w *jobWait) observe(now time.Time, job *sdk.Job, err error, u float64) (done bool, final *sdk.Job, ferr error) {
	w.draw = random(w.jitter, u)
	_, done, final, ferr = w.p.Observe(now, job, err)
	if err == nil && job != nil {
		w.last = job
	}
	return done, final, ferr
}

func (w *jobWait) state() *ResumeState {
	return &ResumeState{Token: w.p.ResumeToken(), Began: w.began, Polls: w.polls, Runs: w.runs, Last: w.last}
}

// finish turns the Planner's final answer into WaitJob's result or typed error.
func (w *jobWait) finish(final *sdk.Job, ferr error) (WaitJobResult, error) {
	res := WaitJobResult{Job: final, Polls: w.polls, Runs: w.runs}
	if ferr == nil {
		return res, nil
	}
	typ, msg, details := classify(w.vendor, w.id, ferr)
	if typ == ErrTypeWaitTimeout {
		res.Job = w.last
	}
	if details == nil {
		details = res
	}
	return res, temporal.NewNonRetryableApplicationError(msg, typ, nil, details)
}

func (w *jobWait) outcome(final *sdk.Job, ferr error) JobOutcome {
	if ferr == nil {
		return JobOutcome{Job: final}
	}
	typ, msg, _ := classify(w.vendor, w.id, ferr)
	if typ == ErrTypeWaitTimeout {
		final = w.last
	}
	return JobOutcome{Job: final, ErrorType: typ, Error: msg}
}

// classify names the error type of a wait's final error, with a message and, for a vendor error, the
// VendorError details.
func classify(vendor, id string, ferr error) (typ, msg string, details any) {
	var ae *temporal.ApplicationError
	var apiErr *sdk.APIError
	switch {
	case errors.Is(ferr, sdk.ErrJobFailed):
		return ErrTypeJobFailed, ferr.Error(), nil
	case errors.Is(ferr, sdk.ErrJobCanceled):
		return ErrTypeJobCanceled, ferr.Error(), nil
	case errors.Is(ferr, sdk.ErrWaitTimeout):
		return ErrTypeWaitTimeout, ferr.Error(), nil
	case errors.As(ferr, &ae):
		var ve VendorError
		if ae.HasDetails() && ae.Details(&ve) == nil {
			details = ve
		}
		return ae.Type(), fmt.Sprintf("%s job %s: %s", vendor, id, ae.Message()), details
	case errors.As(ferr, &apiErr) && errors.Is(ferr, sdk.ErrNotFound):
		return ErrTypeNotFound, ferr.Error(), nil
	case endedOnTransient(ferr):
		// Too many transient errors in a row (a vendor's, or Status activities that timed out on every
		// attempt), or undocumented answers.
		return ErrTypeTransient, ferr.Error(), nil
	}
	return ErrTypePermanent, ferr.Error(), nil
}

// endedOnTransient reports whether the Planner ended a wait on ferr after riding it out as transient:
// it ends a wait on a transient error only after too many in a row. The errors pollError hands it
// are either the sdk's temporary ones, or an answer that was not the documented JSON.
func endedOnTransient(ferr error) bool {
	return sdk.IsTemporary(ferr) || errors.Is(ferr, sdk.ErrUnexpectedResponse)
}

// pollError turns a Status activity's failure into the error the Planner judges. A vendor's answer
// comes back as the sdk error it was (an *sdk.APIError, with its kind; its Retry-After capped at
// maxRetryAfter), a failure below HTTP or an activity that timed out on every attempt as an error that
// says it is worth retrying, so that the Planner judges them as sdk.Wait would: it counts the
// transient ones against MaxTransientErrors and backs off. Anything else stays an error the Planner
// ends the wait with.
func pollError(err error, maxRetryAfter time.Duration) error {
	var te *temporal.TimeoutError
	if errors.As(err, &te) {
		// The activity ran out of time on every attempt (a worker killed mid-deploy, a vendor call that
		// hung): a per-attempt timeout, transient as in sdk.Wait, counted against MaxTransientErrors.
		return noAnswer("activity", "status", te.Error())
	}
	var ae *temporal.ApplicationError
	if err == nil || !errors.As(err, &ae) {
		return err
	}
	var ve VendorError
	if ae.HasDetails() {
		_ = ae.Details(&ve)
	}
	// The activity retries only what sdk.IsTemporary calls temporary; an answer that was not the
	// documented JSON is the Planner's to judge (a wait rides a few out).
	if ae.Type() != ErrTypeTransient && !(ae.Type() == ErrTypePermanent && ve.Unexpected) {
		return err
	}
	if ve.Transport {
		return noAnswer(ve.Vendor, ve.Operation, ae.Message())
	}
	out := &vendorError{api: &sdk.APIError{Vendor: ve.Vendor, Operation: ve.Operation, StatusCode: ve.StatusCode, Code: ve.Code, Message: ve.Message,
		RequestID: ve.RequestID, RetryAfter: min(ve.RetryAfter, maxRetryAfter)}, kind: kinds[ve.Kind], retry: ae.Type() == ErrTypeTransient}
	if ve.Unexpected {
		out.cause = sdk.ErrUnexpectedResponse
	}
	return out
}

// kindList are the sdk's sentinels of a vendor error's kind.
var kindList = []error{sdk.ErrNotFound, sdk.ErrUnauthorized, sdk.ErrRateLimited, sdk.ErrInvalidInput, sdk.ErrServerError}

// kinds are the sdk's sentinels by the name an activity's VendorError.Kind gives them.
var kinds = func() map[string]error {
	m := map[string]error{}
	for _, k := range kindList {
		m[k.Error()] = k
	}
	return m
}()

// vendorError is a vendor's error rebuilt in a workflow from what an activity reported: the
// *sdk.APIError (errors.As), the sentinel it matched and its cause (errors.Is), and whether the
// activity judged it worth retrying (RetryableError, which sdk.IsTemporary reads).
type vendorError struct {
	api         *sdk.APIError
	kind, cause error // nil: none
	transport   bool  // no answer came
	retry       bool
}

// noAnswer is the vendorError of a call of vendor's operation that got no answer, worth retrying; msg
// says why.
func noAnswer(vendor, operation, msg string) *vendorError {
	return &vendorError{api: &sdk.APIError{Vendor: vendor, Operation: operation}, cause: retryable(msg), transport: true, retry: true}
}

func (e *vendorError) Error() string {
	switch {
	case e.transport:
		return fmt.Sprintf("%s %s: transport: %v", e.api.Vendor, e.api.Operation, e.cause)
	case e.cause != nil:
		return e.api.Error() + ": " + e.cause.Error()
	}
	return e.api.Error()
}

func (e *vendorError) Unwrap() []error {
	out := []error{e.api}
	if e.kind != nil {
		out = append(out, e.kind)
	}
	if e.cause != nil {
		out = append(out, e.cause)
	}
	return out
}

func (e *vendorError) RetryableError() bool { return e.retry }

// retryableError is the cause of a transient failure that an activity reported: it says it is worth
// retrying (RetryableError, as aws-sdk-go-v2's errors do), which sdk.IsTemporary and so the Planner
// read.
type retryableError string

func retryable(msg string) error              { return retryableError(msg) }
func (e retryableError) Error() string        { return string(e) }
func (e retryableError) RetryableError() bool { return true }

// activityOptions are the Status and StatusMany options: a short start-to-close timeout, and the
// retry policy shaped as a client's retries are. Only ErrTypeTransient is retried.
func activityOptions(queue string, r RetryOptions, timeout time.Duration) workflow.ActivityOptions {
	p := r.withDefaults()
	return workflow.ActivityOptions{
		TaskQueue:           queue,
		StartToCloseTimeout: orDefault(timeout, DefaultStatusTimeout),
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        p.MinDelay,
			BackoffCoefficient:     2,
			MaximumInterval:        p.MaxDelay,
			MaximumAttempts:        int32(min(p.MaxAttempts, 1<<20)),
			NonRetryableErrorTypes: []string{ErrTypeUnauthorized, ErrTypeNotFound, ErrTypePermanent, ErrTypeNoClient},
		},
	}
}

func sleepUntil(ctx workflow.Context, t time.Time) error {
	if d := t.Sub(workflow.Now(ctx)); d > 0 {
		return workflow.Sleep(ctx, d)
	}
	return nil
}

// unit is a deterministic draw in [0,1) for the n-th poll of a wait seeded with seed (splitmix64).
func unit(seed, n uint64) float64 {
	z := seed + n*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return float64(z>>11) / (1 << 53)
}

func seedOf(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64() | 1
}
