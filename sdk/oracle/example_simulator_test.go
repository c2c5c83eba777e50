package oracle_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/oracle"
	"github.com/jobwatch/jobwatch/simulator"
)

// Example runs the whole flow against jobwatch's simulator of Oracle (held to the same spec as the
// client): read a running job once with Status, then submit a bulk user job (Oracle answers 202 with
// the job in Location), wait for it to end, and list the users that failed.
func Example() {
	// The simulator stands in for Oracle on loopback; its jobs run for 50 ms.
	srv, err := simulator.NewServer(simulator.Options{JobDuration: 50 * time.Millisecond})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	// A job of an hour that the simulator has just started: Status reads it once, without waiting.
	started, err := srv.CreateJob(simulator.Oracle, []simulator.JobUser{{ID: "JSMITH", Action: "added"}}, time.Hour)
	if err != nil {
		log.Fatal(err)
	}
	creds := srv.Credentials()
	c, err := oracle.New(oracle.Config{Username: creds.OracleUsername, Password: sdk.Secret(creds.OraclePassword)},
		&sdk.ClientOptions{BaseURL: srv.BaseURL(simulator.Oracle), Getenv: func(string) string { return "" }}) // ignore the real credentials in the environment
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	running, err := c.Status(ctx, started)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("status:", running.ID == started, running.State, running.Done)
	id, err := c.Submit(ctx, oracle.UserDataStore{
		Added: &[]oracle.UserRO{{LoginId: "JSMITH", EmailAddress: "jsmith@example.com", FirstName: "John", LastName: "Smith",
			Organization: oracle.CompanyRO{Name: "sfo"}}},
		Deleted: &[]string{"OLDUSER", "OLD-FAIL"}, // the simulator fails users whose id contains "fail"
	})
	if err != nil {
		log.Fatal(err)
	}
	// Short delays suit the simulator; against Oracle keep the defaults (2 s, doubling up to 2 min).
	job, err := sdk.Wait(ctx, c, id, &sdk.WaitOptions{MinDelay: 10 * time.Millisecond, MaxDelay: 40 * time.Millisecond})
	if err != nil && !errors.Is(err, sdk.ErrJobFailed) && !errors.Is(err, sdk.ErrJobCanceled) {
		log.Fatal(err) // a failed or canceled job still lists its users
	}
	fmt.Println("state:", job.State)
	for _, f := range job.Failures {
		fmt.Printf("failed: %s, action %s, code %q: %s\n", f.User, f.Action, f.Code, f.Message)
	}
	// Output:
	// status: true running false
	// state: partially_succeeded
	// failed: OLD-FAIL, action delete, code "": The user could not be processed: it still owns projects.
}
