package waitflow

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/jobwatch/jobwatch/sdk"
)

// Activities are the Status, StatusMany and Describe activities over the vendor clients of one worker.
// The clients, with their credentials, live here and only here: a workflow names a vendor, the
// activity picks the client.
type Activities struct {
	clients map[string]sdk.Poller
	// budgets pace the requests of a vendor's client (UseBudget)
	budgets map[string]*FleetBudget
}

// batchPoller is a client that reads several jobs in one call (Tencent's ListJobs): a Poller with
// StatusMany and BatchSize, as sdk.Poller describes it.
type batchPoller interface {
	StatusMany(ctx context.Context, ids []string) (map[string]*sdk.Job, error)
	BatchSize() int
}

// locationPoller is a client that reads a job at a status URL its vendor named (Oracle's StatusAt).
type locationPoller interface {
	StatusAt(ctx context.Context, location string) (*sdk.Job, error)
}

// clientMaxRetryAfter caps the Retry-After an error asks the server to honour, as a client's default
// (sdk.ClientOptions.MaxRetryAfter) caps it within one call.
const clientMaxRetryAfter = 60 * time.Second

// NewActivities returns the activities over clients, one per vendor. Build each client with
// one attempt per call (BudgetedClientOptions does) so that a retry is a new
// activity attempt, paced by the account's FleetBudget (UseBudget), rather than a hidden second request
// inside one attempt.
func NewActivities(clients ...sdk.Poller) (*Activities, error) {
	a := &Activities{clients: make(map[string]sdk.Poller, len(clients)), budgets: map[string]*FleetBudget{}}
	for i, c := range clients {
		if c == nil {
			return nil, fmt.Errorf("waitflow: client %d is nil", i)
		}
		v := c.Vendor()
		if v == "" {
			return nil, fmt.Errorf("waitflow: client %d names no vendor", i)
		}
		if _, dup := a.clients[v]; dup {
			return nil, fmt.Errorf("waitflow: two clients for vendor %q: run one worker (and task queue) per vendor account", v)
		}
		a.clients[v] = c
	}
	return a, nil
}

// Register registers the activities over clients on w under their names (StatusActivity, ...). A
// worker needs nothing else of jobwatch: no vendor code, only the clients it was given.
func Register(w worker.ActivityRegistry, clients ...sdk.Poller) error {
	a, err := NewActivities(clients...)
	if err != nil {
		return err
	}
	a.Register(w)
	return nil
}

// UseBudget makes every request of vendor's client wait for a slot of b, the fleet budget of the
// vendor account the client belongs to. Call it before the worker starts.
func (a *Activities) UseBudget(vendor string, b *FleetBudget) error {
	if _, ok := a.clients[vendor]; !ok || b == nil {
		return fmt.Errorf("waitflow: no %q client to pace, or no budget", vendor)
	}
	a.budgets[vendor] = b
	return nil
}

// pace waits for the vendor's budget, if it has one, before one request.
func (a *Activities) pace(ctx context.Context, vendor string) error {
	if b := a.budgets[vendor]; b != nil {
		return b.Wait(ctx)
	}
	return nil
}

// Register registers a's activities on w under their names.
func (a *Activities) Register(w worker.ActivityRegistry) {
	w.RegisterActivityWithOptions(a.Status, activity.RegisterOptions{Name: StatusActivity})
	w.RegisterActivityWithOptions(a.StatusMany, activity.RegisterOptions{Name: StatusManyActivity})
	w.RegisterActivityWithOptions(a.Describe, activity.RegisterOptions{Name: DescribeActivity})
}

// RegisterWorkflows registers WaitJob, WaitJobs and Budget on w under their names.
func RegisterWorkflows(w worker.WorkflowRegistry) {
	w.RegisterWorkflowWithOptions(WaitJob, workflow.RegisterOptions{Name: WaitJobWorkflow})
	w.RegisterWorkflowWithOptions(WaitJobs, workflow.RegisterOptions{Name: WaitJobsWorkflow})
	w.RegisterWorkflowWithOptions(Budget, workflow.RegisterOptions{Name: BudgetWorkflow})
}

func (a *Activities) client(vendor string) (sdk.Poller, error) {
	c, ok := a.clients[vendor]
	if !ok {
		return nil, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("this worker has no %q client: register one, or route the workflow's task queue to a worker that has", vendor),
			ErrTypeNoClient, nil)
	}
	return c, nil
}

// Status reads one job: one vendor request (at in.Location when the vendor named one).
func (a *Activities) Status(ctx context.Context, in StatusInput) (Poll, error) {
	c, err := a.client(in.Vendor)
	if err != nil {
		return Poll{}, err
	}
	if err := a.pace(ctx, in.Vendor); err != nil {
		return Poll{}, err
	}
	var job *sdk.Job
	if lp, ok := c.(locationPoller); ok && in.Location != "" {
		job, err = lp.StatusAt(ctx, in.Location)
	} else {
		job, err = c.Status(ctx, in.JobID)
	}
	if err != nil {
		return Poll{}, a.activityError(ctx, in.Vendor, err)
	}
	if job == nil {
		return Poll{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("%s job %s: the client returned no job and no error", in.Vendor, in.JobID), ErrTypePermanent, nil)
	}
	return newPoll(job), nil
}

// StatusMany reads up to one batch of jobs in one vendor request (Tencent ListJobs). Ids the vendor
// does not return are absent from the map.
func (a *Activities) StatusMany(ctx context.Context, in StatusManyInput) (map[string]Poll, error) {
	c, err := a.client(in.Vendor)
	if err != nil {
		return nil, err
	}
	bp, ok := c.(batchPoller)
	if !ok {
		return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("the %s client reads one job per call: use Status", in.Vendor), ErrTypePermanent, nil)
	}
	if n := bp.BatchSize(); len(in.JobIDs) > n {
		return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("%d ids are more than one %s request carries (%d)", len(in.JobIDs), in.Vendor, n), ErrTypePermanent, nil)
	}
	if err := a.pace(ctx, in.Vendor); err != nil {
		return nil, err
	}
	jobs, err := bp.StatusMany(ctx, in.JobIDs)
	if err != nil {
		return nil, a.activityError(ctx, in.Vendor, err)
	}
	out := make(map[string]Poll, len(jobs))
	for id, j := range jobs {
		if j != nil {
			out[id] = newPoll(j)
		}
	}
	return out, nil
}

// Describe tells a workflow whether the worker's client of vendor reads jobs in batches. It makes no
// vendor request.
func (a *Activities) Describe(_ context.Context, vendor string) (VendorInfo, error) {
	c, err := a.client(vendor)
	if err != nil {
		return VendorInfo{}, err
	}
	info := VendorInfo{Vendor: vendor}
	if bp, ok := c.(batchPoller); ok {
		info.BatchSize = max(bp.BatchSize(), 1)
	}
	return info, nil
}

// activityError turns a client's error into an application error: transient ones retryable (with the
// vendor's Retry-After as the next delay), the rest non-retryable with the vendor's code. The message
// and details come from the vendor's answer (sdk.APIError never holds a credential) or, for a
// transport failure, from the error's text, which the sdk builds without the request's headers.
func (a *Activities) activityError(ctx context.Context, vendor string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	ve := VendorError{Vendor: vendor}
	// A done job whose failures could not be read: the details and the retry are its cause's (Webex's
	// errors list; sdk.IsTemporary follows a *sdk.FailuresError to it); its kind is not, since a 404 on
	// that list does not mean the job is unknown.
	var ae *sdk.APIError
	if errors.As(err, &ae) { // a *sdk.FailuresError's cause too
		// An oversized body is no undocumented answer: it would be as large the next time.
		tooLarge := errors.Is(ae, sdk.ErrBodyTooLarge)
		ve = VendorError{Vendor: ae.Vendor, Operation: ae.Operation, StatusCode: ae.StatusCode, Code: ae.Code,
			Message: ae.Message, RequestID: ae.RequestID, RetryAfter: ae.RetryAfter,
			Unexpected: errors.Is(ae, sdk.ErrUnexpectedResponse) && !tooLarge}
		for _, k := range kindList {
			if errors.Is(ae, k) {
				ve.Kind = k.Error()
			}
		}
		// No answer came: refused, reset, timed out (a response our checks refused has a cause of ours).
		ve.Transport = ae.StatusCode == 0 && !ve.Unexpected && !tooLarge && ve.Kind == ""
	}
	typ := ErrTypePermanent
	switch {
	case sdk.IsTemporary(err):
		typ = ErrTypeTransient
	case errors.Is(err, sdk.ErrUnauthorized):
		typ = ErrTypeUnauthorized
	case errors.Is(err, sdk.ErrNotFound):
		typ = ErrTypeNotFound
	}
	opts := temporal.ApplicationErrorOptions{NonRetryable: typ != ErrTypeTransient, Details: []any{ve}}
	if typ == ErrTypeTransient && ve.RetryAfter > 0 {
		opts.NextRetryDelay = min(ve.RetryAfter, clientMaxRetryAfter)
	}
	return temporal.NewApplicationErrorWithOptions(err.Error(), typ, opts)
}
