package sdk_test

import (
	"context"
	"fmt"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
)

// NewWatcher makes one scheduler for many jobs; Results delivers each job's outcome as a
// WatchResult as soon as it ends, while jobs can still be added (All is the same stream as an
// iterator, for when every job was added up front).
func ExampleNewWatcher() {
	client := &threePolls{polls: map[string]int{}}
	w, err := sdk.NewWatcher(sdk.WithWaitOptions(sdk.WithMinDelay(time.Millisecond), sdk.WithMaxDelay(time.Millisecond)))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer w.Close()
	if err := w.Add(client, "job-1"); err != nil {
		fmt.Println(err)
		return
	}
	r := <-w.Results()
	fmt.Println(r.Vendor, r.JobID, r.Job.State, r.Err)
	// Output:
	// example job-1 succeeded <nil>
}

// NewPlanner is Wait's schedule without the sleeping: here a simulated clock drives it, as a workflow
// engine's durable timers or a cron would. Each Observe says when the next poll is due.
func ExampleNewPlanner() {
	client := &threePolls{polls: map[string]int{}}
	start := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	p, err := sdk.NewPlanner(client.Vendor(), "job-1", start,
		sdk.WithMinDelay(2*time.Second), sdk.WithMaxDelay(time.Minute), sdk.WithJitter(0))
	if err != nil {
		fmt.Println(err)
		return
	}
	now := start
	for {
		job, err := client.Status(context.Background(), "job-1") // in a workflow: an activity
		next, done, final, finalErr := p.Observe(now, job, err)
		if done {
			fmt.Println("done at +", now.Sub(start), final.State, finalErr)
			return
		}
		fmt.Println("poll at +", now.Sub(start), job.State, "; next in", next.Sub(now))
		now = next // in a workflow: a durable timer until next
	}
	// Output:
	// poll at + 0s running ; next in 2s
	// poll at + 2s running ; next in 4s
	// done at + 6s succeeded <nil>
}
