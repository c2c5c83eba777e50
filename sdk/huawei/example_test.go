package huawei_test

import (
	"context"
	"fmt"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/huawei"
	"github.com/jobwatch/jobwatch/simulator"
)

// ExampleClient_Status reads a task once, without waiting, from the simulator of Huawei's customer
// engagement API: a task of an hour, just queued. sdk.Wait polls until it ends.
func ExampleClient_Status() {
	srv, err := simulator.NewServer(simulator.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	id, err := srv.CreateJob(simulator.Huawei, []simulator.JobUser{{ID: "zhang.san", Action: "CREATE"}}, time.Hour)
	if err != nil {
		fmt.Println(err)
		return
	}
	creds := srv.Credentials()
	c, err := huawei.New(huawei.Config{AppKey: creds.HuaweiAppKey, AppSecret: sdk.Secret(creds.HuaweiAppSecret)},
		&sdk.ClientOptions{BaseURL: srv.BaseURL(simulator.Huawei), Getenv: func(string) string { return "" }})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	job, err := c.Status(ctx, id)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(job.ID == id, job.State, job.Done, job.VendorStatus)
	// Output: true pending false [TODO]
}
