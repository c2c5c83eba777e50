package tencent_test

import (
	"context"
	"fmt"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/tencent"
	"github.com/jobwatch/jobwatch/simulator"
)

// ExampleClient_StatusMany reads several jobs in one ListJobs call, from the simulator of Tencent
// CIAM: two import jobs of an hour, just queued. A Watcher batches the same way.
func ExampleClient_StatusMany() {
	srv, err := simulator.NewServer(simulator.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	var ids []string
	for _, user := range []string{"carol", "dave"} {
		id, err := srv.CreateJob(simulator.Tencent, []simulator.JobUser{{ID: user}}, time.Hour)
		if err != nil {
			fmt.Println(err)
			return
		}
		ids = append(ids, id)
	}
	creds := srv.Credentials()
	c, err := tencent.New(tencent.Config{SecretID: creds.TencentSecretID, SecretKey: sdk.Secret(creds.TencentSecretKey),
		Region: "ap-guangzhou", UserStoreID: "store-1"},
		&sdk.ClientOptions{BaseURL: srv.BaseURL(simulator.Tencent), Getenv: func(string) string { return "" }})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	jobs, err := c.StatusMany(ctx, ids)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, id := range ids {
		fmt.Println(jobs[id].State, jobs[id].Done, jobs[id].VendorStatus)
	}
	// Output:
	// pending false [PENDING]
	// pending false [PENDING]
}
