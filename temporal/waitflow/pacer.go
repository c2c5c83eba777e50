package waitflow

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// leaseGap is the least time between two lease requests of one worker: a lease covers every activity
// waiting at the time, so asking more often would only grow the budget's history.
const leaseGap = 250 * time.Millisecond

// leaseTimeout bounds one lease request; a worker that gets no answer resets the budget's sticky
// queue and asks again.
const leaseTimeout = 5 * time.Second

// FleetBudget is a worker's side of its vendor account's budget: every Status and StatusMany activity
// waits in Wait for a slot leased from the account's Budget workflow before it makes its request. One
// FleetBudget serves all of a worker's activities for one vendor account; any number of workers, in
// any number of processes, share the account's budget through the workflow.
type FleetBudget struct {
	lease func(ctx context.Context, r LeaseRequest) (Lease, error)
	// unstick sends the budget's next workflow task to the task queue rather than to the sticky queue
	// of the worker that ran the last one, which may be dead
	unstick func(ctx context.Context)

	mu       sync.Mutex
	slots    []slot // leased, not yet taken by a request, in time order
	waiting  int    // Wait calls without a slot
	wake     chan struct{}
	fetching bool
	rtt      time.Duration // how long the last lease took to come back
	closed   bool
}

type slot struct {
	at   time.Time
	late time.Duration
}

// NewFleetBudget returns the budget of the vendor account whose activities run on queue (of c's
// namespace, which the Temporal client does not tell), limit being
// the vendor's documented requests per rolling second for the account (TencentLimit for Tencent). It
// leases slots through c from the Budget workflow BudgetID(queue), which it starts on queue when it is
// not running: every worker of the queue must register the workflows (RegisterWorkflows).
func NewFleetBudget(c client.Client, namespace, queue string, limit int) (*FleetBudget, error) {
	in := BudgetInput{Limit: limit}
	if err := in.validate(); err != nil {
		return nil, fmt.Errorf("waitflow: %w", err)
	}
	if c == nil || queue == "" {
		return nil, errors.New("waitflow: a fleet budget needs a Temporal client and the account's task queue")
	}
	lease := func(ctx context.Context, r LeaseRequest) (Lease, error) {
		start := c.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
			ID:                       BudgetID(queue),
			TaskQueue:                queue,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
			// ahead of the waits' workflow tasks: a lease late by a backlog is a lease lost
			Priority: temporal.Priority{PriorityKey: 1},
		}, BudgetWorkflow, in)
		h, err := c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
			StartWorkflowOperation: start,
			UpdateOptions: client.UpdateWorkflowOptions{
				WorkflowID: BudgetID(queue), UpdateName: LeaseUpdate, Args: []any{r},
				WaitForStage: client.WorkflowUpdateStageCompleted,
			},
		})
		if err != nil {
			return Lease{}, err
		}
		var l Lease
		err = h.Get(ctx, &l)
		return l, err
	}
	// A lease is an update, whose workflow task goes to the sticky queue of the worker that ran the
	// budget's last one; if that worker was killed, the update waits there (measured: minutes). Resetting
	// the stickiness sends the next workflow task to the account's queue, where any live worker takes it.
	unstick := func(ctx context.Context) {
		_, _ = c.WorkflowService().ResetStickyTaskQueue(ctx, &workflowservice.ResetStickyTaskQueueRequest{
			Namespace: namespace, Execution: &commonpb.WorkflowExecution{WorkflowId: BudgetID(queue)}})
	}
	return newFleetBudget(lease, unstick), nil
}

func newFleetBudget(lease func(context.Context, LeaseRequest) (Lease, error), unstick func(context.Context)) *FleetBudget {
	return &FleetBudget{lease: lease, unstick: unstick, wake: make(chan struct{}), rtt: budgetMinLead}
}

// Wait returns when the caller may send one request: at a slot of the account's budget, at most the
// slot's lateness after its instant. It returns ctx's error if ctx ends first.
func (b *FleetBudget) Wait(ctx context.Context) error {
	for {
		b.mu.Lock()
		now := time.Now()
		// slots whose time passed unused are lost: sending on them could crowd a later second
		i := 0
		for i < len(b.slots) && now.After(b.slots[i].at.Add(b.slots[i].late)) {
			i++
		}
		b.slots = b.slots[i:]
		if len(b.slots) > 0 {
			s := b.slots[0]
			b.slots = b.slots[1:]
			b.mu.Unlock()
			if err := sleepCtx(ctx, time.Until(s.at)); err != nil {
				return err
			}
			if !time.Now().After(s.at.Add(s.late)) {
				return nil
			}
			continue // woken too late (a busy machine): this slot is lost, take another
		}
		if b.closed {
			b.mu.Unlock()
			return errors.New("waitflow: the fleet budget is closed")
		}
		b.waiting++
		wake := b.wake
		if !b.fetching {
			b.fetching = true
			go b.fetch()
		}
		b.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
		}
		b.mu.Lock()
		b.waiting--
		b.mu.Unlock()
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// Close stops the budget's lease requests; a Wait after Close fails once the slots it holds are used.
func (b *FleetBudget) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	close(b.wake)
	b.wake = make(chan struct{})
}

// fetch leases slots while callers wait without one, one lease at a time, at most one per leaseGap.
func (b *FleetBudget) fetch() {
	delay := time.Duration(0)
	for {
		if delay > 0 {
			time.Sleep(delay)
		}
		b.mu.Lock()
		n := b.waiting - len(b.slots)
		if n <= 0 || b.closed {
			b.fetching = false
			b.mu.Unlock()
			return
		}
		notBefore := time.Now().Add(2 * b.rtt)
		b.mu.Unlock()

		ctx, cancel := context.WithTimeout(context.Background(), leaseTimeout)
		sent := time.Now()
		l, err := b.lease(ctx, LeaseRequest{Count: n, NotBefore: notBefore})
		if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			uctx, ucancel := context.WithTimeout(context.Background(), leaseTimeout)
			b.unstick(uctx)
			ucancel()
		}
		cancel()

		b.mu.Lock()
		delay = leaseGap
		switch {
		case err != nil:
			// the budget is continuing as new, or the server is out of reach: ask again a little later
		case l.Count == 0:
			delay = max(delay, time.Until(l.RetryAt))
		default:
			b.rtt = time.Since(sent)
			for i := range l.Count {
				b.slots = append(b.slots, slot{at: l.Slot(i), late: l.SlotLateness()})
			}
			slices.SortFunc(b.slots, func(x, y slot) int { return x.at.Compare(y.at) })
			close(b.wake)
			b.wake = make(chan struct{})
		}
		b.mu.Unlock()
	}
}

// sleepCtx sleeps for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
