package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/webex"
	"github.com/jobwatch/jobwatch/simulator"
)

// Wait polls a job of any vendor client until it is done: sdk.Wait(ctx, client, id, nil) is the one way to
// wait for one job. Here the client is Webex's, against jobwatch's simulator of Webex,
// and every user of the job fails, so Wait returns the done job with an error matching sdk.ErrJobFailed.
func ExampleWait() {
	// The simulator stands in for Webex on loopback. It fails users whose id contains "fail"; this job
	// runs for 50 ms.
	srv, err := simulator.NewServer(simulator.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	id, err := srv.CreateJob(simulator.Webex, []simulator.JobUser{{ID: "user-1-fail", Action: "MOVE"}, {ID: "user-2-fail", Action: "MOVE"}},
		50*time.Millisecond)
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

	// Short delays suit the simulator; against a vendor keep the defaults (2 s, doubling up to 80 s).
	job, err := sdk.Wait(ctx, client, id, &sdk.WaitOptions{MinDelay: 10 * time.Millisecond, MaxDelay: 20 * time.Millisecond, MaxWait: time.Minute, Progress: func(j *sdk.Job) {
		// Called on the first poll and on every change of state, counts or progress after it: a
		// progress bar redraws here. How many calls come before the end depends on timing, so this
		// example prints only the last one.
		if j.Done {
			fmt.Println("progress:", j.State, *j.Counts.Failed, "of", *j.Counts.Total, "failed")
		}
	}})
	switch {
	case errors.Is(err, sdk.ErrJobFailed), errors.Is(err, sdk.ErrJobCanceled): // job is the done job
		fmt.Println("job ended", job.State, "with", *job.Counts.Failed, "failed users")
		for _, f := range job.Failures {
			fmt.Printf("%s, code %s: %s\n", f.User, f.Code, f.Message)
		}
	case err != nil: // the wait itself failed: a permanent error, too many transient ones, a timeout
		fmt.Println(err)
	}
	// Output:
	// progress: failed 2 of 2 failed
	// job ended failed with 2 failed users
	// user-1-fail, code 1026: The user cannot be moved: the target location has no free extension.
	// user-2-fail, code 1026: The user cannot be moved: the target location has no free extension.
}

// A wait can outlive its process: keep the token of each checkpoint in a durable store, and resume
// from it after a restart (WaitOptions.ResumeToken). The max-wait budget keeps counting from when the
// wait first began. Here both waits poll jobwatch's simulator of Webex.
func ExampleWait_resume() {
	bounded, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv, err := simulator.NewServer(simulator.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	// A sample job's clock starts at its first poll, so that this poll surely finds the job (of 50 ms)
	// not done yet, however slow the machine.
	id, err := srv.CreateSampleJob(simulator.Webex, []simulator.JobUser{{ID: "user-1", Action: "MOVE"}}, 50*time.Millisecond)
	if err != nil {
		log.Fatal(err)
	}
	newClient := func() (*webex.Client, error) {
		return webex.New(webex.Config{Token: sdk.Secret(srv.Credentials().WebexToken)},
			&sdk.ClientOptions{BaseURL: srv.BaseURL(simulator.Webex), Getenv: func(string) string { return "" }}) // ignore the real credentials in the environment
	}
	// Short delays suit the simulator; against a vendor keep the defaults.
	delays := sdk.WaitOptions{MinDelay: 10 * time.Millisecond, MaxDelay: 20 * time.Millisecond}

	client, err := newClient()
	if err != nil {
		log.Fatal(err)
	}
	store := map[string]string{} // a database row, a workflow engine's state, a file...
	ctx, stop := context.WithCancel(bounded)
	defer stop()
	first := delays
	first.Checkpoint = func(token string) { store[id] = token; stop() } // the process "dies"
	_, err = sdk.Wait(ctx, client, id, &first)
	fmt.Println("first wait:", err)

	client, err = newClient() // after the restart: a new client, and the token from the store
	if err != nil {
		log.Fatal(err)
	}
	resumed := delays
	resumed.ResumeToken = store[id]
	job, err := sdk.Wait(bounded, client, id, &resumed)
	if err != nil {
		fmt.Println("resumed:", err)
		return
	}
	fmt.Println("resumed:", job.ID == id, job.State)
	// Output:
	// first wait: context canceled
	// resumed: true succeeded
}

// NewWatcher makes one scheduler for many jobs, of any vendors; Results delivers each job's outcome as
// a WatchResult as soon as it ends, while jobs can still be added (All is the same stream as an
// iterator, for when every job was added up front). Here three jobs run on jobwatch's simulator of
// Webex, and the one whose user fails ends failed.
func ExampleWatcher() {
	srv, err := simulator.NewServer(simulator.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	var ids []string
	moves := map[string]string{} // job id → the user it moves, to name the jobs in the output
	// The simulator fails users whose id contains "fail".
	for _, user := range []string{"user-1", "user-2", "user-3-fail"} {
		id, err := srv.CreateJob(simulator.Webex, []simulator.JobUser{{ID: user, Action: "MOVE"}}, 50*time.Millisecond)
		if err != nil {
			log.Fatal(err)
		}
		ids, moves[id] = append(ids, id), user
	}
	client, err := webex.New(webex.Config{Token: sdk.Secret(srv.Credentials().WebexToken)},
		&sdk.ClientOptions{BaseURL: srv.BaseURL(simulator.Webex), Getenv: func(string) string { return "" }}) // ignore the real credentials in the environment
	if err != nil {
		log.Fatal(err)
	}

	// Short delays suit the simulator; against a vendor keep the defaults. A client without a rate
	// limiter of its own is paced at 10 requests a second. The max wait bounds each job.
	w, err := sdk.NewWatcher(&sdk.WatcherOptions{Wait: sdk.WaitOptions{MinDelay: 10 * time.Millisecond, MaxDelay: 20 * time.Millisecond, MaxWait: 10 * time.Second}})
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close()
	for _, id := range ids {
		if err := w.Add(client, id, nil); err != nil {
			log.Fatal(err)
		}
	}
	results := map[string]sdk.WatchResult{}
	for range ids { // one result per job added, in the order the jobs end
		r := <-w.Results()
		results[r.Job.ID] = r
	}
	for _, id := range ids {
		r := results[id]
		fmt.Println("the job moving", moves[id]+":", r.Job.Vendor, r.Job.State, "error:", r.Err != nil, "ErrJobFailed:", errors.Is(r.Err, sdk.ErrJobFailed))
		for _, f := range r.Job.Failures {
			fmt.Println("  ", f.User, "failed:", f.Message)
		}
	}
	// Output:
	// the job moving user-1: webex succeeded error: false ErrJobFailed: false
	// the job moving user-2: webex succeeded error: false ErrJobFailed: false
	// the job moving user-3-fail: webex failed error: true ErrJobFailed: true
	//    user-3-fail failed: The user cannot be moved: the target location has no free extension.
}
