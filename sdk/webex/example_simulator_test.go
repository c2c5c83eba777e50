package webex_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/webex"
	"github.com/jobwatch/jobwatch/simulator"
)

// Example runs the whole flow against jobwatch's simulator of Webex (held to the same spec as the
// client): read a queued job once with Status, then submit a bulk move of users, wait for it to end,
// and list the users that failed.
func Example() {
	ctx := context.Background()
	// The simulator stands in for Webex, answering in memory through the injected http.Client (no
	// socket); its jobs run for 50 ms.
	sim, err := simulator.New(simulator.Options{JobDuration: 50 * time.Millisecond})
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := webex.New(webex.Config{Token: sdk.Secret(sim.Credentials().WebexToken)}, &sdk.ClientOptions{
		BaseURL:    simulator.BaseURL(simulator.Webex, "https://webex.example"),
		HTTPClient: &http.Client{Transport: sim.Transport()},
		Getenv:     func(string) string { return "" }, // ignore the real credentials in the environment
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	// Status reads a job once, without waiting: this move of two users, of an hour, is still queued.
	queued, err := sim.CreateJob(simulator.Webex, []simulator.JobUser{{ID: "user-a"}, {ID: "user-b"}}, time.Hour)
	if err == nil {
		var j *sdk.Job
		if j, err = c.Status(ctx, queued); err == nil {
			fmt.Println("status:", j.ID == queued, j.State, j.Done, *j.Counts.Total)
		}
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	id, err := c.Submit(ctx, "location-1", []webex.UserItem{
		{UserId: "user-1"}, {UserId: "user-2"}, {UserId: "user-3-fail"}, // the simulator fails users whose id contains "fail"
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	// Short delays suit the simulator; against Webex keep the defaults (2 s, doubling up to 2 min).
	job, err := sdk.Wait(ctx, c, id, &sdk.WaitOptions{MinDelay: 10 * time.Millisecond, MaxDelay: 40 * time.Millisecond})
	if err != nil && !errors.Is(err, sdk.ErrJobFailed) { // a failed job still lists its users
		fmt.Println(err)
		return
	}
	// Failures is Webex's errors list for the job, each naming the person id as submitted.
	fmt.Printf("state: %s, %d of %d failed\n", job.State, len(job.Failures), *job.Counts.Total)
	for _, f := range job.Failures {
		fmt.Printf("%s (%s): error %s, %s\n", f.User, f.Action, f.Code, f.Message)
	}
	// Output:
	// status: true pending false 2
	// state: partially_succeeded, 1 of 3 failed
	// user-3-fail (move): error 1026, The user cannot be moved: the target location has no free extension.
}
