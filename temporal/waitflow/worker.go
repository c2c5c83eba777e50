package waitflow

import (
	"fmt"

	"go.temporal.io/sdk/worker"
	"golang.org/x/time/rate"

	"github.com/jobwatch/jobwatch/sdk"
)

// DefaultTencentPerSecond is the activity rate of a Tencent account's task queue: Tencent allows 20
// requests per second per SecretId; 19 leaves a margin for network jitter, as the sdk's client does.
const DefaultTencentPerSecond = 19

// TaskQueue names the activity task queue of one vendor account, e.g. TaskQueue("tencent", "prod")
// is "jobwatch.tencent.prod". One queue per account, because the vendor's limit is per account: two
// accounts have two budgets, two workers of one account share one.
func TaskQueue(vendor, account string) string {
	return "jobwatch." + vendor + "." + account
}

// WorkerOptions returns the options of a worker that runs one vendor account's activities at
// perSecond vendor requests per second, the vendor's limit.
//
// TaskQueueActivitiesPerSecond is the fleet-wide budget: the Temporal server enforces it when it hands
// out activity tasks of the queue, to every worker polling the queue together, so that ten workers of
// one account still make perSecond requests in all. As each Status or StatusMany activity is one
// request (clients built with MaxAttempts 1, retries being new activities), activities per second
// are requests per second.
//
// WorkerActivitiesPerSecond is set to the same rate, not to a share of it: a worker alone may use the
// whole budget when the others are idle, and it never throttles below what the server hands it, so
// the two limits never fight. The client's own limiter (ClientLimiter) is set alike.
func WorkerOptions(perSecond float64) (worker.Options, error) {
	if !(perSecond > 0) {
		return worker.Options{}, fmt.Errorf("waitflow: requests per second %v must be positive", perSecond)
	}
	return worker.Options{
		TaskQueueActivitiesPerSecond: perSecond,
		WorkerActivitiesPerSecond:    perSecond,
	}, nil
}

// ClientLimiter is the rate limiter to give a vendor client of a worker (sdk.WithRateLimiter): the
// same rate as the task queue, so that it only smooths a burst the server let through and never holds
// an activity back from a budget the server granted.
func ClientLimiter(perSecond float64) *rate.Limiter {
	return rate.NewLimiter(perSecondLimit(perSecond), 1)
}

// ClientRetry is the retry policy to build a worker's vendor clients with (sdk.WithRetry): one attempt,
// so that every retry is an activity retry, paced by the task queue and visible in the history.
func ClientRetry() sdk.RetryPolicy {
	p := sdk.DefaultRetryPolicy()
	p.MaxAttempts = 1
	return p
}

// perSecondLimit is n requests per second for golang.org/x/time/rate, a millionth under n, as the
// vendor clients pace themselves: the limiter's float arithmetic otherwise spaces some requests a
// nanosecond short, which lets n+1 requests into one second of a vendor's sliding window.
func perSecondLimit(n float64) rate.Limit { return rate.Limit(n * (1 - 1e-6)) }
