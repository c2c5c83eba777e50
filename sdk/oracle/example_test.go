package oracle_test

import (
	"context"
	"fmt"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/oracle"
	"github.com/jobwatch/jobwatch/simulator"
)

// ExampleClient_Status reads a job once, without waiting, from the simulator of Oracle: a job of an
// hour has just started. sdk.Wait polls until it ends.
func ExampleClient_Status() {
	srv, err := simulator.NewServer(simulator.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	id, err := srv.CreateJob(simulator.Oracle, []simulator.JobUser{{ID: "JSMITH", Action: "added"}}, time.Hour)
	if err != nil {
		fmt.Println(err)
		return
	}
	creds := srv.Credentials()
	c, err := oracle.New(oracle.Config{Username: creds.OracleUsername, Password: sdk.Secret(creds.OraclePassword)},
		&sdk.ClientOptions{BaseURL: srv.BaseURL(simulator.Oracle), Getenv: func(string) string { return "" }})
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
	fmt.Println(job.ID == id, job.State, job.Done)
	// Output: true running false
}
