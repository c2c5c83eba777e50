package bulk

import (
	"context"
	"fmt"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/internal/vendorkit"
)

// batchStatus is implemented by a Vendor that reads many jobs in one call (Tencent's ListJobs).
type batchStatus interface {
	StatusMany(ctx context.Context, ids []string) (map[string]*sdk.Job, error)
}

// statuses polls the round's jobs in flight once, keyed by chunk index: one StatusMany call when the
// vendor has one, else one Status call per job.
//
// This is the engine's one use of the sdk's job-status API: single status calls, paced by the round
// loop (Options.PollInterval) rather than sdk.Wait or a Watcher, because the engine must see every job
// of a round on one schedule to start the next chunk as soon as one ends. It is kept in this one file
// so that a change of the wait API touches nothing else.
func (r *runner) statuses(ctx context.Context, round int, inflight []int) (map[int]*sdk.Job, map[int]error) {
	jobs, errs := make(map[int]*sdk.Job, len(inflight)), map[int]error{}
	if b, ok := r.v.(batchStatus); ok && len(inflight) > 1 {
		ids := make([]string, len(inflight))
		for i, idx := range inflight {
			ids[i] = r.st.chunk(round, idx).job
		}
		r.requests++
		got, err := b.StatusMany(ctx, ids)
		for i, idx := range inflight {
			switch j, found := got[ids[i]]; {
			case err != nil:
				errs[idx] = err
			case !found:
				errs[idx] = vendorkit.WithCause(&sdk.APIError{Vendor: r.v.Vendor(), Operation: "status", Message: fmt.Sprintf("job %s not listed", ids[i])}, sdk.ErrNotFound, nil)
			default:
				jobs[idx] = j
			}
		}
		return jobs, errs
	}
	for _, idx := range inflight {
		r.requests++
		j, err := r.v.Status(ctx, r.st.chunk(round, idx).job)
		if err != nil {
			errs[idx] = err
			continue
		}
		jobs[idx] = j
	}
	return jobs, errs
}
