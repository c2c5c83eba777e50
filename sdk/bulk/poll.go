package bulk

import (
	"context"

	"github.com/jobwatch/jobwatch/sdk"
)

// status is the engine's one use of the sdk's job-status API: a single Status call per poll of a job in
// flight, paced by the engine's own round loop (Options.PollInterval) rather than sdk.Wait, because the
// engine must see every job of a round on one schedule to start the next chunk as soon as one ends.
// It is kept in this one file so that a change of the wait API touches nothing else.
func status(ctx context.Context, v Vendor, jobID string) (*sdk.Job, error) {
	return v.Status(ctx, jobID)
}
