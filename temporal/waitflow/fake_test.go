package waitflow

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
)

// fakeJob is a scripted job: running from the start, done at doneAt with state and failures.
type fakeJob struct {
	doneAt   time.Time
	state    sdk.State
	failures []sdk.Failure
	total    int
}

// fakePoller is a vendor client on the test environment's clock: now is env.Now, so a job is done once
// the workflow's time has reached its end.
type fakePoller struct {
	vendor string
	now    func() time.Time
	batch  int // >0 makes it a batching poller (see batchingPoller)

	mu         sync.Mutex
	jobs       map[string]fakeJob
	errs       []error // returned, one per call, before any real answer
	calls      int     // Status calls, errors included
	manyCalls  []int   // ids per StatusMany call
	manyAt     []time.Time
	statusSeen []time.Time
}

func newFake(vendor string, now func() time.Time) *fakePoller {
	return &fakePoller{vendor: vendor, now: now, jobs: map[string]fakeJob{}}
}

func (f *fakePoller) add(id string, j fakeJob) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.jobs[id] = j
}

func (f *fakePoller) Vendor() string { return f.vendor }

func (f *fakePoller) Status(_ context.Context, id string) (*sdk.Job, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.statusSeen = append(f.statusSeen, f.now())
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		return nil, err
	}
	return f.jobLocked(id)
}

func (f *fakePoller) jobLocked(id string) (*sdk.Job, error) {
	fj, ok := f.jobs[id]
	if !ok {
		return nil, &sdk.APIError{Vendor: f.vendor, Operation: "status", StatusCode: 404, Code: "JobNotFound", Message: "no job " + id}
	}
	return fj.at(f.vendor, id, f.now()), nil
}

func (fj fakeJob) at(vendor, id string, now time.Time) *sdk.Job {
	j := &sdk.Job{Vendor: vendor, ID: id, State: sdk.StateRunning}
	if fj.total > 0 {
		j.Counts.Total = intp(fj.total)
	}
	if !now.Before(fj.doneAt) {
		j.State = fj.state
		j.Failures = fj.failures
		j.Counts.Failed = intp(len(fj.failures))
		if fj.total > 0 {
			j.Counts.Succeeded = intp(fj.total - len(fj.failures))
		}
		fin := fj.doneAt.UTC()
		j.Finished = &fin
	} else if len(fj.failures) > 0 {
		// a running job already reports some failed users: the activity must not carry them
		j.Failures = fj.failures[:1]
	}
	return finish(j)
}

// intp returns a pointer to n, for building sdk.Counts.
func intp(n int) *int { return &n }

// finish fills a fake job's derived fields as the vendor packages do: Done from State, a zero pending
// count for a done job of known total, and non-nil Failures.
func finish(j *sdk.Job) *sdk.Job {
	j.Done = j.State.Done()
	if j.Done && j.Counts.Pending == nil && j.Counts.Total != nil {
		j.Counts.Pending = intp(0)
	}
	if j.Failures == nil {
		j.Failures = []sdk.Failure{}
	}
	return j
}

// batchingPoller adds StatusMany to a fakePoller.
type batchingPoller struct{ *fakePoller }

func (b batchingPoller) BatchSize() int { return b.batch }

func (b batchingPoller) StatusMany(_ context.Context, ids []string) (map[string]*sdk.Job, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(ids) > b.batch {
		return nil, fmt.Errorf("%d ids in one call, batch is %d", len(ids), b.batch)
	}
	b.manyCalls = append(b.manyCalls, len(ids))
	b.manyAt = append(b.manyAt, b.now())
	out := make(map[string]*sdk.Job, len(ids))
	for _, id := range ids {
		if j, err := b.jobLocked(id); err == nil {
			out[id] = j
		}
	}
	return out, nil
}
