// Command starter shows a whole round on Temporal: it serves the jobwatch simulator, submits a Tencent
// import job of a few users (two of them fail), starts the WaitJob workflow on the account's task
// queue and prints the failed users when the workflow ends.
//
//	go run ./example/starter -listen 127.0.0.1:8089
//
// The worker (example/worker -simulator http://127.0.0.1:8089) does the polling; the starter only
// submits and waits for the workflow's result. It keeps serving the simulator until then.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/tencent"
	"github.com/jobwatch/jobwatch/simulator"
	"github.com/jobwatch/jobwatch/temporal/waitflow"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "starter:", err)
		os.Exit(1)
	}
}

func run() error {
	address := flag.String("address", client.DefaultHostPort, "Temporal frontend host:port")
	namespace := flag.String("namespace", client.DefaultNamespace, "Temporal namespace")
	account := flag.String("account", "sim", "name of the Tencent account: the task queue is jobwatch.tencent.<account>")
	listen := flag.String("listen", "127.0.0.1:8089", "loopback address to serve the simulator on")
	duration := flag.Duration("job-duration", 30*time.Second, "how long the simulated job runs")
	workflowID := flag.String("workflow-id", "", "workflow id (default jobwatch-tencent-<job id>)")
	flag.Parse()

	sim, err := simulator.New(simulator.Options{JobDuration: *duration})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	root := "http://" + ln.Addr().String()
	fmt.Println("simulator at", root)

	creds := sim.Credentials()
	tc, err := tencent.New(tencent.Config{SecretID: creds.TencentSecretID, SecretKey: creds.TencentSecretKey, Region: "ap-guangzhou", UserStoreID: "sim-store"},
		sdk.WithBaseURL(simulator.BaseURL(simulator.Tencent, root)))
	if err != nil {
		return err
	}
	ctx := context.Background()
	var users []tencent.ImportUser
	for _, u := range []string{"ann", "bob.fail", "carol", "dave.fail", "erin"} {
		users = append(users, tencent.ImportUser{UserName: &u, Email: ptr(u + "@example.com")})
	}
	jobID, err := tc.Submit(ctx, users)
	if err != nil {
		return err
	}
	fmt.Println("submitted Tencent job", jobID)

	c, err := client.Dial(client.Options{HostPort: *address, Namespace: *namespace})
	if err != nil {
		return err
	}
	defer c.Close()
	id := *workflowID
	if id == "" {
		id = "jobwatch-tencent-" + jobID
	}
	queue := waitflow.TaskQueue(tencent.Vendor, *account)
	// The input names the job and the schedule; the credentials stay with the worker.
	in := waitflow.WaitJobInput{Vendor: tencent.Vendor, JobID: jobID, Size: len(users),
		Options: waitflow.WaitOptions{MinDelay: 2 * time.Second, MaxDelay: 10 * time.Second, MaxWait: time.Hour}}
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: queue}, waitflow.WaitJobWorkflow, in)
	if err != nil {
		return err
	}
	fmt.Println("started workflow", run.GetID(), "run", run.GetRunID())

	var res waitflow.WaitJobResult
	err = run.Get(ctx, &res)
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) && (ae.Type() == waitflow.ErrTypeJobFailed || ae.Type() == waitflow.ErrTypeJobCanceled) {
		if derr := ae.Details(&res); derr != nil {
			return errors.Join(err, derr)
		}
	} else if err != nil {
		return err
	}
	j := res.Job
	fmt.Printf("job %s ended %s after %d polls in %d run(s)\n", j.ID, j.State, res.Polls, res.Runs)
	for _, f := range j.Failures {
		fmt.Printf("failed: %s (%s) %s\n", f.User, f.Code, f.Message)
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
