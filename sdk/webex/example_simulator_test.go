package webex_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/webex"
	"github.com/jobwatch/jobwatch/simulator"
)

// Example runs the whole flow against jobwatch's simulator of Webex (held to the same spec as the
// client): submit a bulk user job, wait for it to end, and list the users that failed.
func Example() {
	// The simulator stands in for Webex on loopback; its jobs run for 50 ms.
	srv, err := simulator.NewServer(simulator.Options{JobDuration: 50 * time.Millisecond})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	creds := srv.Credentials()

	c, err := webex.New(webex.Config{Token: sdk.Secret(creds.WebexToken)},
		&sdk.ClientOptions{BaseURL: srv.BaseURL(simulator.Webex), Getenv: func(string) string { return "" }}) // ignore the real credentials in the environment
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	id, err := c.Submit(ctx, "location-1", []webex.UserItem{
		{UserId: "user-1"}, {UserId: "user-2"}, {UserId: "user-3-fail"}, // the simulator fails users whose id contains "fail"
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	// Short delays suit the simulator; against Webex keep the defaults (2 s, doubling up to 2 min).
	job, err := sdk.Wait(ctx, c, id, &sdk.WaitOptions{MinDelay: 10 * time.Millisecond, MaxDelay: 40 * time.Millisecond})
	switch {
	case errors.Is(err, sdk.ErrJobFailed), errors.Is(err, sdk.ErrJobCanceled): // job has the users
	case err != nil:
		fmt.Println(err)
		return
	}
	fmt.Println("state:", job.State)
	for _, f := range job.Failures {
		fmt.Printf("failed: %s, action %s, code %q: %s\n", f.User, f.Action, f.Code, f.Message)
	}
	// Output:
	// state: partially_succeeded
	// failed: user-3-fail, action move, code "1026": The user cannot be moved: the target location has no free extension.
}
