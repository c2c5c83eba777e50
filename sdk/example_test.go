package sdk_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/webex"
	"github.com/jobwatch/jobwatch/simulator"
)

// NewWatcher makes one scheduler for many jobs; Results delivers each job's outcome as a
// WatchResult as soon as it ends, while jobs can still be added (All is the same stream as an
// iterator, for when every job was added up front). Here the job runs on jobwatch's simulator of Webex.
func ExampleNewWatcher() {
	srv, err := simulator.NewServer(simulator.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	id, err := srv.CreateJob(simulator.Webex, []simulator.JobUser{{ID: "user-1", Action: "MOVE"}}, 50*time.Millisecond)
	if err != nil {
		fmt.Println(err)
		return
	}
	client, err := webex.New(webex.Config{Token: sdk.Secret(srv.Credentials().WebexToken)},
		&sdk.ClientOptions{BaseURL: srv.BaseURL(simulator.Webex), Getenv: func(string) string { return "" }}) // ignore the real credentials in the environment
	if err != nil {
		fmt.Println(err)
		return
	}

	// Short delays suit the simulator; against a vendor keep the defaults. A client without a rate
	// limiter of its own is paced at 10 requests a second. The max wait bounds each job.
	w, err := sdk.NewWatcher(&sdk.WatcherOptions{Wait: sdk.WaitOptions{MinDelay: 10 * time.Millisecond, MaxDelay: 20 * time.Millisecond, MaxWait: 10 * time.Second}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer w.Close()
	if err := w.Add(client, id, nil); err != nil {
		fmt.Println(err)
		return
	}
	r := <-w.Results()
	fmt.Println(r.Job.Vendor, r.Job.ID == id, r.Job.State, r.Err)
	// Output:
	// webex true succeeded <nil>
}

// NewPlanner is Wait's schedule without the sleeping: here a simulated clock drives it, as a workflow
// engine's durable timers or a cron would, and jobwatch's simulator of Webex runs its job on the same
// clock. Each Observe says when the next poll is due.
func ExampleNewPlanner() {
	start := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	var clock atomic.Int64 // the simulated time in Unix nanoseconds; the simulator's handlers read it
	clock.Store(start.UnixNano())
	srv, err := simulator.NewServer(simulator.Options{Now: func() time.Time { return time.Unix(0, clock.Load()).UTC() }})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	id, err := srv.CreateJob(simulator.Webex, []simulator.JobUser{{ID: "user-1", Action: "MOVE"}}, 5*time.Second) // 5 s simulated
	if err != nil {
		fmt.Println(err)
		return
	}
	client, err := webex.New(webex.Config{Token: sdk.Secret(srv.Credentials().WebexToken)},
		&sdk.ClientOptions{BaseURL: srv.BaseURL(simulator.Webex), Getenv: func(string) string { return "" }}) // ignore the real credentials in the environment
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	p, err := sdk.NewPlanner(client.Vendor(), id, start, &sdk.WaitOptions{MinDelay: 2 * time.Second, MaxDelay: time.Minute, Random: func() float64 { return 0 }})
	if err != nil {
		fmt.Println(err)
		return
	}
	now := start
	for {
		job, err := client.Status(ctx, id) // in a workflow: an activity
		next, done, final, finalErr := p.Observe(now, job, err)
		if done {
			fmt.Println("done at +", now.Sub(start), final.State, finalErr)
			return
		}
		if err != nil { // a transient error: Observe planned a retry
			fmt.Println("poll at +", now.Sub(start), "failed:", err, "; next in", next.Sub(now))
		} else {
			fmt.Println("poll at +", now.Sub(start), job.State, "; next in", next.Sub(now))
		}
		now = next // in a workflow: a durable timer until next
		clock.Store(now.UnixNano())
	}
	// Output:
	// poll at + 0s pending ; next in 2s
	// poll at + 2s running ; next in 4s
	// done at + 6s succeeded <nil>
}
