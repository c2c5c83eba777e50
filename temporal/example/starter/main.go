// Command starter shows a whole round on Temporal: it serves the jobwatch simulator, submits three
// Tencent import jobs (one clean, one where two users fail, one where every user fails), starts a
// WaitJob workflow for each on the account's task queue and prints each job's outcome as its
// workflow ends.
//
//	go run ./example/starter -listen 127.0.0.1:8089
//
// The worker (example/worker -simulator http://127.0.0.1:8089) does the polling; the starter only
// submits and waits for the workflows' results, and keeps serving the simulator until then. It takes
// the worker's connection flags (package connect).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/tencent"
	"github.com/jobwatch/jobwatch/simulator"
	"github.com/jobwatch/jobwatch/temporal/example/internal/connect"
	"github.com/jobwatch/jobwatch/temporal/waitflow"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "starter:", err)
		os.Exit(1)
	}
}

// batches are the demo's jobs: users whose name holds "fail" fail.
var batches = [][]string{
	{"ann", "bob.fail", "carol", "dave.fail", "erin"},
	{"frank", "grace", "heidi"},
	{"ivan.fail", "judy.fail"},
}

func run() error {
	dial := connect.Flags(flag.CommandLine)
	account := flag.String("account", "sim", "name of the Tencent account: the task queue is jobwatch.tencent.<account>")
	listen := flag.String("listen", "127.0.0.1:8089", "loopback address to serve the simulator on")
	duration := flag.Duration("job-duration", simulator.DefaultJobDuration, "how long each simulated job runs, as in jobwatch simulate and demo")
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
	tc, err := tencent.New(tencent.Config{SecretID: creds.TencentSecretID, SecretKey: sdk.Secret(creds.TencentSecretKey), Region: "ap-guangzhou", UserStoreID: "sim-store"},
		&sdk.ClientOptions{BaseURL: simulator.BaseURL(simulator.Tencent, root)})
	if err != nil {
		return err
	}
	c, _, err := dial()
	if err != nil {
		return err
	}
	defer c.Close()

	ctx := context.Background()
	queue := waitflow.TaskQueue(tencent.Vendor, *account)
	runs := make([]client.WorkflowRun, len(batches))
	for i, names := range batches {
		var users []tencent.ImportUser
		for _, u := range names {
			users = append(users, tencent.ImportUser{UserName: &u, Email: ptr(u + "@example.com")})
		}
		jobID, err := tc.Submit(ctx, users)
		if err != nil {
			return err
		}
		// The input names the job and the schedule; the credentials stay with the worker.
		in := waitflow.WaitJobInput{Vendor: tencent.Vendor, JobID: jobID, Size: len(users),
			Options: waitflow.WaitOptions{MinDelay: 2 * time.Second, MaxDelay: 10 * time.Second, MaxWait: time.Hour}}
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "jobwatch-tencent-" + jobID, TaskQueue: queue}, waitflow.WaitJobWorkflow, in)
		if err != nil {
			return err
		}
		fmt.Printf("submitted Tencent job %s (%s): workflow %s\n", jobID, strings.Join(names, ", "), run.GetID())
		runs[i] = run
	}

	var errs []error
	for _, run := range runs {
		if err := report(ctx, run); err != nil {
			errs = append(errs, fmt.Errorf("workflow %s: %w", run.GetID(), err))
		}
	}
	return errors.Join(errs...)
}

// report waits for one workflow and prints its job's outcome: the state, the counts, and each failed
// user with the vendor's code (when it gives one) and message.
func report(ctx context.Context, run client.WorkflowRun) error {
	var res waitflow.WaitJobResult
	err := run.Get(ctx, &res)
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) && (ae.Type() == waitflow.ErrTypeJobFailed || ae.Type() == waitflow.ErrTypeJobCanceled) {
		if derr := ae.Details(&res); derr != nil {
			return errors.Join(err, derr)
		}
	} else if err != nil {
		return err
	}
	j := res.Job
	if j == nil {
		return errors.New("the workflow returned no job")
	}
	line := fmt.Sprintf("job %s: %s after %d polls in %d run(s)", j.ID, j.State, res.Polls, res.Runs)
	if t := j.Counts.Total; t != nil {
		line += fmt.Sprintf(", %d users", *t)
	}
	if f := j.Counts.Failed; f != nil {
		line += fmt.Sprintf(", %d failed", *f)
	}
	fmt.Println(line)
	for _, f := range j.Failures {
		detail := f.Message
		if f.Code != "" {
			detail = f.Code + ": " + detail
		}
		if f.User == "" {
			fmt.Printf("  the job failed: %s\n", detail)
			continue
		}
		fmt.Printf("  failed user %s: %s\n", f.User, detail)
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
