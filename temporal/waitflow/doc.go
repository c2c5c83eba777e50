// Package waitflow runs jobwatch waits as Temporal workflows, so that a wait survives worker restarts
// and deploys, and a fleet of workers shares each vendor account's request budget.
//
// What runs where:
//   - WaitJob and WaitJobs are workflows. They hold no credential and make no request: they drive an
//     sdk.Planner on workflow time and sleep on durable timers, so they are deterministic and replayable.
//   - Status, StatusMany and Describe are activities, methods of Activities. They run on a worker that
//     was given the vendor clients (Register); each Status or StatusMany is one vendor request.
//   - The worker that runs the activities of one vendor account listens on that account's task queue
//     (TaskQueue), whose TaskQueueActivitiesPerSecond is the vendor's limit. The Temporal server
//     enforces that limit across every worker on the queue, which makes it the fleet-wide budget.
//
// Inputs, results and errors carry job ids, states, counts and failed users, never credentials: those
// stay in the clients the worker was given.
package waitflow
