package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/observe"
	"github.com/jobwatch/jobwatch/sdk/webex"
	"github.com/jobwatch/jobwatch/simulator"
)

// An Observer's Retry hook tells a user that the wait rides out a vendor's hiccup, rather than staying
// silent. Here jobwatch's simulator of Webex answers the first two polls 503 Service Unavailable.
func ExampleWaitOptions_retries() {
	if err := waitThroughOutage(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// webex job: server error true; retry 1 of 5
	// webex job: server error true; retry 2 of 5
	// succeeded
}

// waitThroughOutage is the example's flow; it returns the first error, for the example to print.
func waitThroughOutage() error {
	srv, err := simulator.NewServer(simulator.Options{})
	if err != nil {
		return err
	}
	defer srv.Close()
	id, err := srv.CreateJob(simulator.Webex, []simulator.JobUser{{ID: "user-1", Action: "MOVE"}}, 50*time.Millisecond)
	if err != nil {
		return err
	}
	srv.Inject(simulator.Fault{Vendor: simulator.Webex, Kind: simulator.FaultStatus, Status: http.StatusServiceUnavailable, Count: 2})
	client, err := webex.New(webex.Config{Token: sdk.Secret(srv.Credentials().WebexToken)},
		&sdk.ClientOptions{BaseURL: srv.BaseURL(simulator.Webex), Getenv: func(string) string { return "" }, MaxAttempts: 1})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// Short delays suit the simulator; against a vendor keep the defaults.
	obs := &observe.Observer{Retry: func(_ context.Context, e observe.Retry) {
		if e.JobID != "" { // a poll of the wait, not a retry within one call
			fmt.Printf("%s job: server error %v; retry %d of %d\n", e.Vendor, errors.Is(e.Err, sdk.ErrServerError), e.Attempt, e.MaxAttempts-1)
		}
	}}
	job, err := sdk.Wait(ctx, client, id, &sdk.WaitOptions{MinDelay: 10 * time.Millisecond, MaxDelay: 20 * time.Millisecond, Observer: obs})
	if err != nil {
		return err
	}
	fmt.Println(job.State)
	return nil
}
