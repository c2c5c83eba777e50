package tencent_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/tencent"
	"github.com/jobwatch/jobwatch/simulator"
)

// Example runs the whole flow against jobwatch's simulator of Tencent (held to the same spec as the
// client): read two queued jobs in one ListJobs call with StatusMany (a Watcher batches the same way),
// then submit a bulk user job, wait for it to end, and list the users that failed.
func Example() {
	if err := importAndWait(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// queued: pending false [PENDING]
	// queued: pending false [PENDING]
	// state: partially_succeeded
	// failed: dave-fail, action IMPORT_USER, code "": user already exists
}

// importAndWait is Example's flow; it returns the first error, for Example to print.
func importAndWait() error {
	// The simulator stands in for Tencent on loopback; its jobs run for 50 ms.
	srv, err := simulator.NewServer(simulator.Options{JobDuration: 50 * time.Millisecond})
	if err != nil {
		return err
	}
	defer srv.Close()
	var queued []string // import jobs of an hour, just queued
	for _, user := range []string{"erin", "frank"} {
		id, err := srv.CreateJob(simulator.Tencent, []simulator.JobUser{{ID: user}}, time.Hour)
		if err != nil {
			return err
		}
		queued = append(queued, id)
	}
	creds := srv.Credentials()
	c, err := tencent.New(tencent.Config{SecretID: creds.TencentSecretID, SecretKey: sdk.Secret(creds.TencentSecretKey), Region: "ap-guangzhou", UserStoreID: "store-1"},
		&sdk.ClientOptions{BaseURL: srv.BaseURL(simulator.Tencent), Getenv: func(string) string { return "" }}) // ignore the real credentials in the environment
	if err != nil {
		return err
	}
	ctx := context.Background()
	jobs, err := c.StatusMany(ctx, queued)
	if err != nil {
		return err
	}
	for _, q := range queued {
		fmt.Println("queued:", jobs[q].State, jobs[q].Done, jobs[q].VendorStatus)
	}
	id, err := c.Submit(ctx, []tencent.ImportUser{
		{UserName: ptr("carol")}, {UserName: ptr("dave-fail")}, // the simulator fails users whose id contains "fail"
	})
	if err != nil {
		return err
	}
	// Short delays suit the simulator; against Tencent keep the defaults (2 s, doubling up to 2 min).
	job, err := sdk.Wait(ctx, c, id, &sdk.WaitOptions{MinDelay: 10 * time.Millisecond, MaxDelay: 40 * time.Millisecond})
	if err != nil && !errors.Is(err, sdk.ErrJobFailed) && !errors.Is(err, sdk.ErrJobCanceled) {
		return err // a failed or canceled job still lists its users
	}
	fmt.Println("state:", job.State)
	for _, f := range job.Failures {
		fmt.Printf("failed: %s, action %s, code %q: %s\n", f.User, f.Action, f.Code, f.Message)
	}
	return nil
}

func ptr(s string) *string { return &s }
