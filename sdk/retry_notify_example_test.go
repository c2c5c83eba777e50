package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
)

// flaky is a stand-in for a vendor client whose first two answers are 503s.
type flaky struct {
	mu    sync.Mutex
	polls int
}

func (p *flaky) Vendor() string { return "example" }

func (p *flaky) Status(_ context.Context, id string) (*sdk.Job, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.polls++; p.polls <= 2 {
		return nil, &sdk.APIError{Vendor: "example", Operation: "status", StatusCode: 503, Kind: sdk.ErrServerError}
	}
	return &sdk.Job{Vendor: "example", ID: id, State: sdk.StateSucceeded, Done: true}, nil
}

// WithRetryNotify tells a user that the wait rides out a vendor's hiccup, rather than staying silent.
func ExampleWithRetryNotify() {
	job, err := sdk.Wait(context.Background(), &flaky{}, "job-1", sdk.WithMinDelay(time.Millisecond),
		sdk.WithRetryNotify(func(ev sdk.RetryEvent) {
			fmt.Printf("%s job %s: server error %v; retry %d of %d\n", ev.Vendor, ev.JobID, errors.Is(ev.Err, sdk.ErrServerError), ev.Attempt, ev.MaxAttempts-1)
		}))
	fmt.Println(job.State, err)
	// Output:
	// example job job-1: server error true; retry 1 of 5
	// example job job-1: server error true; retry 2 of 5
	// succeeded <nil>
}
