package sdk_test

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/webex"
	"github.com/jobwatch/jobwatch/simulator"
)

// NewPlanner is Wait's schedule without the sleeping: here a simulated clock drives it, as a workflow
// engine's durable timers or a cron would, and jobwatch's simulator of Webex runs its job on the same
// clock. Each Observe says when the next poll is due.
func ExampleNewPlanner() {
	start := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	var clock atomic.Int64 // the simulated time in Unix nanoseconds; the simulator's handlers read it
	clock.Store(start.UnixNano())
	// No sockets are needed: the simulator answers in memory through the client's http.Client.
	sim, err := simulator.New(simulator.Options{Now: func() time.Time { return time.Unix(0, clock.Load()).UTC() }})
	if err != nil {
		fmt.Println(err)
		return
	}
	id, err := sim.CreateJob(simulator.Webex, []simulator.JobUser{{ID: "user-1", Action: "MOVE"}}, 5*time.Second) // 5 s simulated
	if err != nil {
		fmt.Println(err)
		return
	}
	inMemory := &http.Client{Transport: sim.Transport()}
	client, err := webex.New(webex.Config{Token: sdk.Secret(sim.Credentials().WebexToken)}, &sdk.ClientOptions{HTTPClient: inMemory,
		BaseURL: simulator.BaseURL(simulator.Webex, "https://webex.example"), Getenv: func(string) string { return "" }}) // ignore the real credentials in the environment
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
