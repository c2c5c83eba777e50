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
// client): submit a bulk user job, wait for it to end, and list the users that failed.
func Example() {
	// The simulator stands in for Tencent on loopback; its jobs run for 50 ms.
	srv, err := simulator.NewServer(simulator.Options{JobDuration: 50 * time.Millisecond})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	creds := srv.Credentials()

	c, err := tencent.New(tencent.Config{SecretID: creds.TencentSecretID, SecretKey: sdk.Secret(creds.TencentSecretKey), Region: "ap-guangzhou", UserStoreID: "store-1"},
		&sdk.ClientOptions{BaseURL: srv.BaseURL(simulator.Tencent), Getenv: func(string) string { return "" }}) // ignore the real credentials in the environment
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	id, err := c.Submit(ctx, []tencent.ImportUser{
		{UserName: ptr("carol")}, {UserName: ptr("dave-fail")}, // the simulator fails users whose id contains "fail"
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	// Short delays suit the simulator; against Tencent keep the defaults (2 s, doubling up to 2 min).
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
	// failed: dave-fail, action IMPORT_USER, code "": user already exists
}

func ptr(s string) *string { return &s }
