package webex_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	gen "github.com/jobwatch/jobwatch/generated/webex"
	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/webex"
)

// A stand-in for Webex: it starts a job and reports it completed with one failed move.
func fakeWebex() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == "POST":
			fmt.Fprint(w, `{"response":{"jobDetails":{"id":"J1","latestExecutionStatus":"STARTING"}}}`)
		case strings.HasSuffix(r.URL.Path, "/errors"):
			fmt.Fprint(w, `{"items":[{"item":"user-2","error":{"key":"400","message":[{"code":"19605","description":"not authorized"}]}}]}`)
		default:
			fmt.Fprint(w, `{"name":"moveusers","id":"J1","sourceUserId":"s","sourceCustomerId":"c","targetCustomerId":"c","instanceId":1,
				"latestExecutionStatus":"COMPLETED","latestExecutionExitCode":"COMPLETED_WITH_ERRORS","counts":{"totalMoves":2,"moved":1,"failed":1}}`)
		}
	}))
}

func ExampleClient_Status() {
	srv := fakeWebex()
	defer srv.Close()

	c, err := webex.New(webex.Config{Token: "token"}, sdk.WithBaseURL(srv.URL))
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	id, err := c.Submit(ctx, "location-1", []gen.UserItem{{UserId: "user-1"}, {UserId: "user-2"}})
	if err != nil {
		panic(err)
	}
	job, err := c.Status(ctx, id)
	if err != nil {
		panic(err)
	}
	fmt.Println(job.State, *job.Counts.Succeeded, *job.Counts.Failed, *job.Progress)
	for _, f := range job.Failures {
		fmt.Println(f.User, f.Code, f.Message)
	}
	// Output:
	// partially_succeeded 1 1 1
	// user-2 19605 not authorized
}
