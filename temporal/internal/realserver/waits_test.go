package realserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/temporal/waitflow"
)

// outcome is how one WaitJob workflow ended.
type outcome struct {
	res waitflow.WaitJobResult
	// typ is the application error's type, "" when the workflow succeeded.
	typ string
	// msg is the application error's message
	msg string
	err error
}

// startWaits starts one WaitJob workflow per job id on queue, the workflow id being prefix + job id.
func startWaits(t *testing.T, c client.Client, prefix, queue, vendor string, ids []string, in waitflow.WaitJobInput) map[string]client.WorkflowRun {
	t.Helper()
	runs := make(map[string]client.WorkflowRun, len(ids))
	var mu sync.Mutex
	var wg sync.WaitGroup
	var errs []error
	next := make(chan string)
	for range 16 { // starts at once, as far as one client goes
		wg.Go(func() {
			for id := range next {
				in := in
				in.Vendor, in.JobID = vendor, id
				run, err := c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: prefix + id, TaskQueue: queue}, waitflow.WaitJobWorkflow, in)
				mu.Lock()
				runs[id] = run
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	for _, id := range ids {
		next <- id
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return runs
}

// collect waits for every run (at most timeout) and returns how each ended.
func collect(t *testing.T, runs map[string]client.WorkflowRun, timeout time.Duration) map[string]outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var mu sync.Mutex
	out := make(map[string]outcome, len(runs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for id, run := range runs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			o := wait(ctx, run)
			mu.Lock()
			out[id] = o
			mu.Unlock()
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		t.Fatalf("the workflows did not all end within %v", timeout)
	}
	return out
}

func wait(ctx context.Context, run client.WorkflowRun) outcome {
	var o outcome
	err := run.Get(ctx, &o.res)
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		o.typ, o.msg = ae.Type(), ae.Error()
		if ae.HasDetails() {
			_ = ae.Details(&o.res)
		}
		return o
	}
	o.err = err
	return o
}

// comparable strips what two observations of one final job may differ in (times, progress, the vendor's
// status values) and returns the rest as JSON: state, counts and every failed user.
func comparable(j *sdk.Job) string {
	if j == nil {
		return "<nil>"
	}
	c := *j
	c.Created, c.Started, c.Updated, c.Finished, c.Progress, c.VendorStatus = nil, nil, nil, nil, nil, nil
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Sprint("unencodable job:", err)
	}
	return string(b)
}

// errType is the workflow error type that matches sdk.Wait's error.
func errType(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, sdk.ErrJobFailed):
		return waitflow.ErrTypeJobFailed
	case errors.Is(err, sdk.ErrJobCanceled):
		return waitflow.ErrTypeJobCanceled
	case errors.Is(err, sdk.ErrWaitTimeout):
		return waitflow.ErrTypeWaitTimeout
	}
	return "other: " + err.Error()
}
