package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
)

// threePolls is a stand-in for a vendor client: each job is done on its third poll.
type threePolls struct {
	mu    sync.Mutex
	polls map[string]int
}

func (p *threePolls) Vendor() string { return "example" }

func (p *threePolls) Status(_ context.Context, id string) (*sdk.Job, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.polls[id]++
	j := &sdk.Job{Vendor: "example", ID: id, State: sdk.StateRunning, Counts: sdk.Counts{Total: ptr(10), Succeeded: ptr(p.polls[id] * 3)}}
	if p.polls[id] >= 3 {
		j.State, j.Counts.Succeeded, j.Counts.Failed = sdk.StateFailed, ptr(0), ptr(10)
		if id != "bad" {
			j.State, j.Counts.Succeeded, j.Counts.Failed = sdk.StateSucceeded, ptr(10), ptr(0)
		}
	}
	return j, nil
}

// ptr returns a pointer to n, for building sdk.Counts.
func ptr(n int) *int { return &n }

// Wait polls a job until it is done. Every vendor client has the same method: webex.Client.Wait,
// tencent.Client.Wait, and so on.
func ExampleWait() {
	client := &threePolls{polls: map[string]int{}}
	job, err := sdk.Wait(context.Background(), client, "bad",
		sdk.WithMinDelay(time.Millisecond), sdk.WithMaxWait(time.Minute),
		sdk.WithProgress(func(j *sdk.Job) { fmt.Println("progress:", j.State, *j.Counts.Succeeded, "of", *j.Counts.Total) }))
	var jobErr *sdk.JobError
	if errors.As(err, &jobErr) {
		fmt.Println("job ended", jobErr.Job.State, "with", *job.Counts.Failed, "failed users")
	}
	// Output:
	// progress: running 3 of 10
	// progress: running 6 of 10
	// progress: failed 0 of 10
	// job ended failed with 10 failed users
}

// A wait can outlive its process: keep the token of each checkpoint in a durable store, and resume
// from it after a restart. The max-wait budget keeps counting from when the wait first began.
func ExampleResumeWait() {
	client := &threePolls{polls: map[string]int{}}
	store := map[string]string{} // a database row, a workflow engine's state, a file...
	ctx, stop := context.WithCancel(context.Background())
	_, err := sdk.Wait(ctx, client, "job-1", sdk.WithMinDelay(time.Millisecond),
		sdk.WithCheckpoint(func(token string) { store["job-1"] = token; stop() })) // the process "dies"
	fmt.Println("first wait:", err)

	job, err := sdk.ResumeWait(context.Background(), client, store["job-1"], sdk.WithMinDelay(time.Millisecond))
	fmt.Println("resumed:", job.State, err, "after", client.polls["job-1"], "polls in all")
	// Output:
	// first wait: context canceled
	// resumed: succeeded <nil> after 3 polls in all
}

// A Watcher waits for many jobs, of any vendors, on one scheduler; results arrive as jobs finish.
func ExampleWatcher() {
	client := &threePolls{polls: map[string]int{}}
	w, err := sdk.NewWatcher(sdk.WithWaitOptions(sdk.WithMinDelay(time.Millisecond), sdk.WithMaxDelay(time.Millisecond)))
	if err != nil {
		panic(err)
	}
	defer w.Close()
	if err := w.AddAll(client, []string{"a", "b", "bad"}); err != nil {
		panic(err)
	}
	w.Drain() // no more jobs: All ends after the last result
	n := 0
	for job, err := range w.All() {
		if errors.Is(err, sdk.ErrJobFailed) {
			fmt.Println(job.ID, "failed")
		}
		n++
	}
	fmt.Println(n, "jobs done")
	// Output:
	// bad failed
	// 3 jobs done
}
