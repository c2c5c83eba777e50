// Package waitflow runs jobwatch waits as Temporal workflows, so that a wait survives worker restarts
// and deploys, and a fleet of workers shares each vendor account's request budget.
//
// What runs where:
//   - WaitJob and WaitJobs are workflows. They hold no credential and make no request: they drive an
//     sdk.Planner on workflow time and sleep on durable timers, so they are deterministic and replayable.
//   - Status, StatusMany and Describe are activities, methods of Activities. They run on a worker that
//     was given the vendor clients (Register); each Status or StatusMany is one vendor request.
//   - The worker that runs the activities of one vendor account listens on that account's task queue
//     (TaskQueue). Budget, a workflow per account, holds the account's request budget; every Status
//     and StatusMany waits for a slot of it (FleetBudget) before its request.
//
// Inputs, results and errors carry job ids, states, counts and failed users, never credentials: those
// stay in the clients the worker was given.
//
// # The fleet budget
//
// A vendor limits requests per account per rolling second (Tencent: 20 per SecretId), whatever the
// number of workers. A task queue's rate limit cannot hold that: Temporal's matching service enforces
// TaskQueueActivitiesPerSecond R as an average with a burst of one second's worth, and splits it over
// the queue's partitions (4 by default), each dispatching on its own. A queue idle for a second has
// R tasks of burst in hand and dispatches them at once, then R more over the next second: up to about
// 2R in one rolling second. Three workers on a queue at 19/s sent 27 requests in one second to
// Tencent; at 9.5/s they stayed under 20 but used half the budget.
//
// The budget is therefore a sequence of slots, instants s apart, that the account's Budget workflow
// hands out, each once, in leases of a few slots (one lease per worker per quarter second at most):
//
//   - A worker sends a request on a slot T no earlier than T and starts it no later than T + w/2;
//     woken later than that (a busy machine), it drops the slot and takes another. The request is
//     assumed to reach the vendor within w/2 of its start, so it arrives in [T, T + w].
//   - A rolling second [a, a + 1 s) at the vendor then holds only requests whose slots lie in
//     (a − w, a + 1 s), an open interval of 1 s + w, which holds at most ⌈(1 s + w) ÷ s⌉ slots.
//   - With s = (1 s + w) ÷ limit that is at most limit, for any number of workers, any backlog and any
//     ramp: slots are the only way to send, each is used once, and no slot is leased twice (the next
//     free instant carries over continue-as-new; a budget ends only after a minute without a lease,
//     and it never leases more than 5 s ahead, so every slot of an ended budget is long over).
//
// With Tencent's limit of 20 and the default window w = 100 ms, s = 55 ms: at most 20 requests in any
// rolling second, and at most 18.18 a second on average under a backlog (91% of the limit), less
// only the slots lost to late wake-ups and the gaps while no worker asks. Retries are new activity
// attempts and take slots like any request.
//
// What the bound assumes: the workers' clocks agree (one machine, or NTP within a few milliseconds:
// add their largest difference to w), and a request reaches the vendor within w/2 of its start.
// A lease is an update of the Budget workflow; a worker whose lease gets no answer within 5 s resets the
// workflow's sticky queue (the worker that ran its last workflow task may be dead) and asks again, so a
// killed worker stops the fleet for seconds, not for minutes. Raise the window (BudgetInput.Window)
// where either assumption is weaker; each 10 ms of window costs 1% of the
// rate. Workers run at most ⌈limit⌉ activities at once each (WorkerOptions), so the backlog waits on
// the task queue, where a batched poll (StatusMany, priority BatchPriority) goes ahead of single ones.
package waitflow
