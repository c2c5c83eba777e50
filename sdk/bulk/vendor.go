package bulk

import (
	"context"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
)

// Checker is the offline part of a vendor: its limits, its request rules and its failure classes.
// Planning needs nothing more.
type Checker interface {
	// Vendor names the vendor ("huawei", "webex", "tencent", "oracle").
	Vendor() string
	// UsersPerJob is the most users one job takes.
	UsersPerJob() int
	// JobsInFlight is the most jobs the vendor runs at once for one account.
	JobsInFlight() int
	// CheckUser checks one user (a JSON object in the shape Submit takes) against the vendor's
	// documented request rules and returns its keys, the one reported first.
	CheckUser(user []byte) (keys []string, err error)
	// Classify returns a failure's code, as the report shows it, and whether a retry can fix it.
	Classify(f sdk.Failure) (code string, retryable bool)
}

// Vendor is a Checker that also submits and polls jobs.
type Vendor interface {
	Checker
	// Submit starts one job for users (each a JSON object CheckUser accepted) and returns its id.
	// An error with a NotSent() bool method answering true says the job-creating request was never
	// sent (a token fetch failed, say): the chunk is then submitted again after a pause, where any
	// other failure that may have reached the vendor makes its job looked for, or its users unknown.
	Submit(ctx context.Context, users [][]byte) (jobID string, err error)
	// Status returns the job as it stands.
	Status(ctx context.Context, jobID string) (*sdk.Job, error)
	// Refused reports whether a Submit error is the vendor refusing a new job because too many run
	// (Tencent's FailedOperation.DataFlowTooManyRequests, Oracle's one job at a time): the job was not
	// started, and the chunk is submitted again after a pause.
	Refused(err error) bool
}

// Lister is implemented by a Vendor with a list call, to find the job of a submit whose answer was lost.
type Lister interface {
	// JobsSince lists the account's jobs created at or after since, with Created set and, where the
	// vendor reports it, Counts.Total.
	JobsSince(ctx context.Context, since time.Time) ([]*sdk.Job, error)
}
