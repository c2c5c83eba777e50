package webex_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/webex"
)

// serve answers the status call of job-1 with body, over a real socket.
func serve(t *testing.T, body string) *webex.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/telephony/config/jobs/person/moveLocation/job-1" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	c, err := webex.New(webex.Config{Token: "t"}, &sdk.ClientOptions{BaseURL: srv.URL, Getenv: func(string) string { return "" }, MaxAttempts: -1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestStatusAnswerAboutAnotherJob: an answer whose id is another job's is not this job: its end would be
// reported as this one's.
func TestStatusAnswerAboutAnotherJob(t *testing.T) {
	c := serve(t, `{"id":"job-OTHER","name":"n","latestExecutionStatus":"COMPLETED","latestExecutionExitCode":"COMPLETED","counts":{"totalMoves":1,"moved":1,"failed":0}}`)
	job, err := c.Status(t.Context(), "job-1")
	if !errors.Is(err, sdk.ErrUnexpectedResponse) || job != nil {
		t.Errorf("Status = %v, %v; want an error matching sdk.ErrUnexpectedResponse", job, err)
	}
}

// TestProgressStaysWithinZeroToOne: counts that are negative or add up to more than the total are kept
// as Webex sent them, but the progress derived from them stays within [0, 1].
func TestProgressStaysWithinZeroToOne(t *testing.T) {
	cases := []struct {
		name                 string
		total, moved, failed int
		skipped              string
		want                 float64
	}{
		{"negative moved", 5, -4, 0, "", 0},    // -0.80 before
		{"moved above total", 5, 25, 0, "", 1}, // 5.00 before
		{"sum above total", 5, 3, 4, "", 1},
		{"negative skipped", 5, 1, 0, `,"skipped":-9`, 0},
		{"in range", 4, 1, 1, "", 0.5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cl := serve(t, fmt.Sprintf(`{"id":"job-1","name":"n","latestExecutionStatus":"STARTED","counts":{"totalMoves":%d,"moved":%d,"failed":%d%s}}`,
				c.total, c.moved, c.failed, c.skipped))
			job, err := cl.Status(t.Context(), "job-1")
			if err != nil {
				t.Fatal(err)
			}
			if job.Progress == nil {
				t.Fatal("no progress")
			}
			if *job.Progress != c.want {
				t.Errorf("progress %.2f, want %.2f", *job.Progress, c.want)
			}
			if c.name != "in range" && job.Counts.Pending != nil {
				t.Errorf("pending %d derived from counts that do not add up", *job.Counts.Pending)
			}
			if *job.Counts.Total != c.total || *job.Counts.Succeeded != c.moved || *job.Counts.Failed != c.failed {
				t.Errorf("counts %d/%d/%d, want them as sent: %d/%d/%d", *job.Counts.Total, *job.Counts.Succeeded, *job.Counts.Failed, c.total, c.moved, c.failed)
			}
		})
	}
}

// TestErrorsPageOfAnotherJob: a Link rel="next" to another job's errors list would add that job's
// failures to this one: it is an unexpected response, and Status returns the done job without failures
// in an *sdk.FailuresError. A next page of this job's own list is followed.
func TestErrorsPageOfAnotherJob(t *testing.T) {
	for _, c := range []struct {
		next  string
		other bool
	}{
		{"/telephony/config/jobs/person/moveLocation/job-OTHER/errors?start=1", true},
		{"/telephony/config/jobs/person/moveLocation/job-1/errors/../../job-OTHER/errors", true},
		{"/telephony/config/jobs/person/moveLocation/job-1/errors?start=1", false},
	} {
		t.Run(c.next, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				switch {
				case r.URL.Path == "/telephony/config/jobs/person/moveLocation/job-1":
					fmt.Fprint(w, `{"id":"job-1","name":"n","latestExecutionStatus":"COMPLETED","latestExecutionExitCode":"COMPLETED_WITH_ERRORS","counts":{"totalMoves":3,"moved":1,"failed":2}}`)
				case r.URL.Path == "/telephony/config/jobs/person/moveLocation/job-1/errors" && r.URL.RawQuery == "":
					w.Header().Set("Link", "<"+c.next+`>; rel="next"`)
					fmt.Fprint(w, `{"items":[{"item":"user-a","error":{"key":"400","message":[{"code":"1026","description":"mine"}]}}]}`)
				default:
					fmt.Fprint(w, `{"items":[{"item":"user-b","error":{"key":"400","message":[{"code":"1026","description":"page 2"}]}}]}`)
				}
			}))
			defer srv.Close()
			cl, err := webex.New(webex.Config{Token: "t"}, &sdk.ClientOptions{BaseURL: srv.URL, Getenv: func(string) string { return "" }, MaxAttempts: -1})
			if err != nil {
				t.Fatal(err)
			}
			job, err := cl.Status(t.Context(), "job-1")
			var fe *sdk.FailuresError
			if c.other {
				if !errors.As(err, &fe) || fe.Job.ID != "job-1" || !errors.Is(failuresCause(fe), sdk.ErrUnexpectedResponse) {
					t.Errorf("Status = %v, %v; want an *sdk.FailuresError matching sdk.ErrUnexpectedResponse", job, err)
				}
				return
			}
			if err != nil || len(job.Failures) != 2 {
				t.Errorf("Status = %+v, %v; want both pages' failures", job, err)
			}
		})
	}
}

// failuresCause is the *sdk.APIError a FailuresError holds as its cause (reachable with errors.As).
func failuresCause(fe *sdk.FailuresError) error {
	var ae *sdk.APIError
	if errors.As(fe, &ae) {
		return ae
	}
	return nil
}
