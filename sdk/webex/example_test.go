package webex_test

import (
	"context"
	"fmt"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/webex"
	"github.com/jobwatch/jobwatch/simulator"
)

// ExampleClient_Status starts a move on the simulator of Webex and reads the job once, without
// waiting: it is still queued. sdk.Wait polls until it ends.
func ExampleClient_Status() {
	srv, err := simulator.NewServer(simulator.Options{JobDuration: time.Hour})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	c, err := webex.New(webex.Config{Token: sdk.Secret(srv.Credentials().WebexToken)},
		&sdk.ClientOptions{BaseURL: srv.BaseURL(simulator.Webex), Getenv: func(string) string { return "" }})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	id, err := c.Submit(ctx, "location-1", []webex.UserItem{{UserId: "user-1"}, {UserId: "user-2"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	job, err := c.Status(ctx, id)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(job.ID == id, job.State, job.Done, *job.Counts.Total)
	// Output: true pending false 2
}
