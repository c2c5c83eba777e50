package waitflow

import (
	"fmt"
	"math"

	"go.temporal.io/sdk/worker"
	"golang.org/x/time/rate"

	"github.com/jobwatch/jobwatch/sdk"
)

// TaskQueue names the activity task queue of one vendor account, e.g. TaskQueue("tencent", "prod")
// is "jobwatch.tencent.prod". One queue per account, because the vendor's limit is per account: two
// accounts have two budgets, two workers of one account share one.
func TaskQueue(vendor, account string) string {
	return "jobwatch." + vendor + "." + account
}

// WorkerOptions returns the options of a worker that runs one vendor account's activities, whose
// budget is perSecond requests per second (the vendor's limit).
//
// The budget itself is the account's FleetBudget, not the task queue's rate limit: Temporal's matching
// service enforces TaskQueueActivitiesPerSecond as an average with a one-second burst, split over the
// queue's partitions, which lets a fleet send more than the limit in some seconds (see the package
// documentation). What the options do is keep the backlog in the task queue, where it costs nothing and
// waits in order of priority, rather than in the workers: a worker runs at most ⌈perSecond⌉ activities
// at once (each waits for its slot), about a second of the budget, so a worker killed mid-flight loses
// little and no activity waits for a slot near its start-to-close timeout.
func WorkerOptions(perSecond float64) (worker.Options, error) {
	if !(perSecond > 0) || perSecond > 1e6 {
		return worker.Options{}, fmt.Errorf("waitflow: requests per second %v must be positive and at most a million", perSecond)
	}
	return worker.Options{MaxConcurrentActivityExecutionSize: int(math.Ceil(perSecond))}, nil
}

// ClientLimiter is the rate limiter to give a vendor client of a worker that has no FleetBudget
// (sdk.ClientOptions.RateLimiter): it paces that one worker only. A client paced by a FleetBudget needs none, and
// should have none: a limiter could hold a request past the end of its slot.
func ClientLimiter(perSecond float64) *rate.Limiter {
	return rate.NewLimiter(perSecondLimit(perSecond), 1)
}

// BudgetedClientOptions are the options to build a vendor client with when a FleetBudget paces it: one
// attempt per call, so that every retry is an activity retry, paced by the fleet budget and visible in
// the history; and no pacing of the client's own. A client's default pacing (Tencent's
// limiter and one-second window) would hold a request that the budget released on its slot, past the end
// of the slot's window; the budget alone keeps the account under its limit.
func BudgetedClientOptions() *sdk.ClientOptions {
	return &sdk.ClientOptions{MaxAttempts: -1, RateLimiter: rate.NewLimiter(rate.Inf, 1)}
}

// perSecondLimit is n requests per second for golang.org/x/time/rate, a millionth under n, as the
// vendor clients pace themselves: the limiter's float arithmetic otherwise spaces some requests a
// nanosecond short, which lets n+1 requests into one second of a vendor's sliding window.
func perSecondLimit(n float64) rate.Limit { return rate.Limit(n * (1 - 1e-6)) }
