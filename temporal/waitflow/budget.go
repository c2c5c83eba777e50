package waitflow

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Names of the budget workflow and of its lease update.
const (
	BudgetWorkflow = "jobwatch.Budget"
	LeaseUpdate    = "jobwatch.Lease"
)

// BatchPriority is the Temporal priority key of StatusMany and Describe activities: 2, ahead of the
// default 3 of every other task, so that a batched poll does not queue behind a backlog of single-job
// polls. Start WaitJobs with it too (client.StartWorkflowOptions.Priority), so that its workflow tasks
// go ahead of the single waits' as well: a workflow's priority applies to its workflow tasks, which a
// workflow cannot set for itself.
const BatchPriority = 2

// Defaults of the fleet budget.
const (
	// DefaultSlotWindow is how long after its instant a slot's request may still reach the vendor: the
	// pacer starts a request at most half of it late (SlotLateness) and leaves the other half for the
	// request to travel. It is part of the slot spacing, (1 s + window) ÷ limit.
	DefaultSlotWindow = 100 * time.Millisecond
	// TencentLimit is Tencent's documented limit: 20 requests per second per SecretId.
	TencentLimit = 20
)

// The budget workflow's own constants, pinned like the wait's defaults: a replay must hand out the
// leases its history recorded.
const (
	// budgetHorizon is the furthest ahead of now the budget leases a slot. A worker asks for as many
	// slots as it has activities waiting, so this bounds what a worker that dies takes with it, and the
	// budget can end after budgetIdle knowing that every slot it leased is over.
	budgetHorizon = 5 * time.Second
	// budgetIdle: a budget that leased nothing for this long ends; the next lease starts a new one.
	budgetIdle = time.Minute
	// budgetLeasesPerRun bounds one run's history (about 5 events a lease) before it continues as new.
	budgetLeasesPerRun = 500
	// budgetMinLead is the least time between the workflow task that grants a lease and its first slot,
	// for the answer to reach the worker.
	budgetMinLead = 20 * time.Millisecond
)

// BudgetInput starts the budget of one vendor account and carries it across continue-as-new.
type BudgetInput struct {
	// Limit is the vendor's documented limit: requests per rolling second for the account.
	Limit int `json:"limit"`
	// Window is how late after its instant a slot's request may reach the vendor (default
	// DefaultSlotWindow).
	Window time.Duration `json:"window,omitempty"`
	// Next is the first instant no lease holds yet; zero for a new budget.
	Next time.Time `json:"next,omitempty"`
	// Leased counts the slots the earlier runs leased.
	Leased int `json:"leased,omitempty"`
}

// LeaseRequest asks the budget for slots.
type LeaseRequest struct {
	// Count is how many slots the worker wants: one per activity waiting to send a request.
	Count int `json:"count"`
	// NotBefore is the earliest instant the worker can use a slot (its clock plus the time a lease
	// takes to come back).
	NotBefore time.Time `json:"not_before"`
}

// Lease is what the budget grants: Count slots, the first at First and each Spacing after the one
// before. A slot is used by starting a request no later than SlotLateness after its instant; a slot
// not used by then is lost. Count is 0 when the budget already leased its horizon; ask again at RetryAt.
type Lease struct {
	First   time.Time     `json:"first"`
	Spacing time.Duration `json:"spacing"`
	Count   int           `json:"count"`
	Window  time.Duration `json:"window"`
	RetryAt time.Time     `json:"retry_at,omitempty"`
}

// SlotLateness is how late after a slot's instant a request may start: half the window, leaving the
// other half for the request to reach the vendor.
func (l Lease) SlotLateness() time.Duration { return l.Window / 2 }

// Slot is the i-th slot of the lease.
func (l Lease) Slot(i int) time.Time { return l.First.Add(time.Duration(i) * l.Spacing) }

func (in BudgetInput) window() time.Duration { return orDefault(in.Window, DefaultSlotWindow) }

// spacing is the time between two slots: (1 s + window) ÷ limit, rounded up to the nanosecond. See the
// package documentation for why no rolling second then holds more than limit requests.
func (in BudgetInput) spacing() time.Duration {
	span := time.Second + in.window()
	n := time.Duration(in.Limit)
	return (span + n - 1) / n
}

func (in BudgetInput) validate() error {
	switch {
	case in.Limit <= 0:
		return fmt.Errorf("budget: limit %d must be positive", in.Limit)
	case in.Window < 0 || in.Window >= time.Second:
		return fmt.Errorf("budget: slot window %v must be in [0, 1s)", in.Window)
	}
	return nil
}

// lease grants r's slots at now (the workflow's time), advancing in.Next past them. The first slot is
// the later of the first free instant and the earliest the worker can use; no slot lies beyond the
// horizon.
func (in *BudgetInput) lease(now time.Time, r LeaseRequest) Lease {
	sp := in.spacing()
	first := now.Add(budgetMinLead)
	if r.NotBefore.After(first) {
		first = r.NotBefore
	}
	if in.Next.After(first) {
		first = in.Next
	}
	l := Lease{First: first, Spacing: sp, Window: in.window()}
	last := now.Add(budgetHorizon)
	if first.After(last) {
		l.RetryAt = first.Add(-budgetHorizon)
		return l
	}
	l.Count = min(r.Count, in.Limit, int(last.Sub(first)/sp)+1)
	in.Next = l.Slot(l.Count)
	in.Leased += l.Count
	return l
}

// Budget is the workflow that holds one vendor account's request budget (see the package
// documentation). Its id is BudgetID(queue); workers reach it with the LeaseUpdate update, starting it
// when it is not running (FleetBudget does both). It holds no credential and makes no request.
//
// It ends after a minute without a lease, when every slot it leased is long over, and continues as
// new every few hundred leases with the next free instant, so its history stays short.
func Budget(ctx workflow.Context, in BudgetInput) error {
	if err := in.validate(); err != nil {
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalidInput, nil)
	}
	leases := 0
	last := workflow.Now(ctx)
	err := workflow.SetUpdateHandlerWithOptions(ctx, LeaseUpdate, func(ctx workflow.Context, r LeaseRequest) (Lease, error) {
		leases++
		last = workflow.Now(ctx)
		return in.lease(last, r), nil
	}, workflow.UpdateHandlerOptions{Validator: func(r LeaseRequest) error {
		if r.Count <= 0 {
			return errors.New("lease: count must be positive")
		}
		if leases >= budgetLeasesPerRun {
			// this run is about to continue as new: the worker asks again and reaches the next run
			return errors.New("lease: the budget is continuing as new, ask again")
		}
		return nil
	}})
	if err != nil {
		return err
	}
	for {
		full, err := workflow.AwaitWithTimeout(ctx, budgetIdle, func() bool { return leases >= budgetLeasesPerRun })
		if err != nil {
			return err
		}
		if full {
			break
		}
		if workflow.Now(ctx).Sub(last) >= budgetIdle {
			return workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
		}
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return err
	}
	return workflow.NewContinueAsNewError(ctx, BudgetWorkflow, in)
}

// BudgetID is the workflow id of the budget of the vendor account whose activities run on queue.
func BudgetID(queue string) string { return "jobwatch-budget:" + queue }
