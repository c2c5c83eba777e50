package oracle_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/oracle"
)

// TestLocationOfAnotherJob: Oracle's answer names no job, but a 202's Location does, and a wait follows
// it: a Location naming another job is an unexpected response, for v1 and v3, with or without a body.
// A Location naming this job (absolute, relative or with a query) is followed as before.
func TestLocationOfAnotherJob(t *testing.T) {
	cases := []struct {
		location string
		other    bool
	}{
		{"/cloudapi/restapi/user/status/OTHER", true},
		{"/cloudapi/restapi/user/status/95733/log", true},
		{"/cloudapi/restapi/user/", true},
		{"/cloudapi/restapi/user/status/95733", false},
		{"/cloudapi/restapi/v3/user/status/95733/", false},
		{"status/95733?attempt=2", false},
	}
	for _, api := range []oracle.API{oracle.V1, oracle.V3} {
		for _, body := range []string{"", `{"added":[]}`} {
			for _, c := range cases {
				t.Run(string(api)+"/"+c.location+"/body="+body, func(t *testing.T) {
					var mu sync.Mutex
					var seen []string // request URIs
					srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						mu.Lock()
						seen = append(seen, r.URL.RequestURI())
						mu.Unlock()
						_, _ = io.Copy(io.Discard, r.Body)
						w.Header().Set("Content-Type", "application/json")
						w.Header().Set("Location", c.location)
						w.WriteHeader(http.StatusAccepted)
						io.WriteString(w, body)
					}))
					defer srv.Close()
					cl, err := oracle.New(oracle.Config{API: api, Username: "u", Password: "p", Token: "t"}, &sdk.ClientOptions{BaseURL: srv.URL, Getenv: func(string) string { return "" }, MaxAttempts: -1})
					if err != nil {
						t.Fatal(err)
					}
					job, err := cl.Status(t.Context(), "95733")
					if c.other {
						if !errors.Is(err, sdk.ErrUnexpectedResponse) {
							t.Errorf("Status = %v, %v; want an error matching sdk.ErrUnexpectedResponse", job, err)
						}
						return
					}
					if err != nil || job.ID != "95733" {
						t.Fatalf("Status = %+v, %v; want job 95733 running", job, err)
					}
					// The next Status polls the Location.
					if _, err := cl.Status(t.Context(), "95733"); err != nil {
						t.Fatal(err)
					}
					base, _ := url.Parse(srv.URL)
					mu.Lock()
					defer mu.Unlock()
					if want, _ := base.Parse(c.location); len(seen) != 2 || seen[1] != want.RequestURI() {
						t.Errorf("polled %v, want the Location %s second", seen, want.RequestURI())
					}
				})
			}
		}
	}
}

// TestFailedUsersCSVRefusesAPath: the CSV export's path ends with /draft after the id, so ".." would
// read another endpoint's answer; it is refused, as by Status, before anything is sent.
func TestFailedUsersCSVRefusesAPath(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.NotFound(w, r)
	}))
	defer srv.Close()
	for _, api := range []oracle.API{oracle.V1, oracle.V3} {
		cl, err := oracle.New(oracle.Config{API: api, Username: "u", Password: "p", Token: "t"}, &sdk.ClientOptions{BaseURL: srv.URL, Getenv: func(string) string { return "" }})
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"", " ", "..", ".", "%2e%2E", "a/b", "a%2Fb", `a\b`} {
			if _, err := cl.FailedUsersCSV(t.Context(), id); !errors.Is(err, sdk.ErrInvalidInput) {
				t.Errorf("%s FailedUsersCSV(%q) = %v, want an error matching sdk.ErrInvalidInput", api, id, err)
			}
		}
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}
