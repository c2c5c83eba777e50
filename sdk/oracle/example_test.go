package oracle_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/oracle"
)

func ExampleClient_Status() {
	// A stand-in for Primavera Cloud: the job is still running.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Location", r.URL.Path)
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprint(w, `{"added":[]}`)
	}))
	defer srv.Close()

	c, err := oracle.New(oracle.Config{Username: "admin", Password: "secret"}, sdk.WithBaseURL(srv.URL))
	if err != nil {
		panic(err)
	}
	job, err := c.Status(context.Background(), "95733")
	if err != nil {
		panic(err)
	}
	fmt.Println(job.State, job.Done)
	// Output: running false
}
