package huawei_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/huawei"
	"github.com/jobwatch/jobwatch/simulator"
)

// Example runs the whole flow against jobwatch's simulator of Huawei (held to the same spec as the
// client): submit a bulk user job, wait for it to end, list the users that failed, and read a queued
// task once with Status. The client trades the app key and secret for a token itself.
func Example() {
	// The simulator stands in for Huawei on loopback; its jobs run for 50 ms.
	srv, err := simulator.NewServer(simulator.Options{JobDuration: 50 * time.Millisecond})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	creds := srv.Credentials()

	c, err := huawei.New(huawei.Config{AppKey: creds.HuaweiAppKey, AppSecret: sdk.Secret(creds.HuaweiAppSecret)},
		&sdk.ClientOptions{BaseURL: srv.BaseURL(simulator.Huawei), Getenv: func(string) string { return "" }}) // ignore the real credentials in the environment
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	id, err := c.Submit(ctx, []huawei.FederationUserInput{
		{Action: huawei.ActionCreate, UserAccount: "agent001"},
		{Action: huawei.ActionCreate, UserAccount: "agent002-fail"}, // the simulator fails users whose id contains "fail"
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	// Short delays suit the simulator; against Huawei keep the defaults (2 s, doubling up to 2 min).
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

	// Status reads a task once, without waiting: this one, of an hour, is still queued, and
	// VendorStatus keeps Huawei's own word for that.
	queued, err := srv.CreateJob(simulator.Huawei, []simulator.JobUser{{ID: "zhang.san", Action: "CREATE"}}, time.Hour)
	if err != nil {
		fmt.Println(err)
		return
	}
	if task, err := c.Status(ctx, queued); err != nil {
		fmt.Println(err)
	} else {
		fmt.Println("status:", task.ID == queued, task.State, task.Done, task.VendorStatus)
	}
	// Output:
	// state: partially_succeeded
	// failed: agent002-fail, action CREATE, code "60101000108": The user already exists.
	// status: true pending false [TODO]
}
