package webex_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/webex"
	"github.com/jobwatch/jobwatch/simulator"
)

// clock is the simulator's clock in these tests: it moves only when a test moves it, so that a job
// stands where the test put it however long the test takes.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// simulated starts the simulator on loopback with a manual clock and a client for it.
func simulated(t *testing.T, opts simulator.Options) (*simulator.Server, *clock, *webex.Client) {
	t.Helper()
	clk := &clock{now: time.Date(2026, 5, 30, 13, 4, 0, 0, time.UTC)}
	opts.Now = clk.Now
	srv := simulator.NewTest(t, opts)
	c, err := webex.New(webex.Config{Token: sdk.Secret(srv.Credentials().WebexToken)}, &sdk.ClientOptions{BaseURL: srv.BaseURL(simulator.Webex), Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	return srv, clk, c
}

// invoke calls a job action of the simulated Webex (pause, resume, abandon), as an administrator would.
func invoke(t *testing.T, srv *simulator.Server, id, action string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, srv.BaseURL(simulator.Webex)+"/telephony/config/jobs/person/moveLocation/"+id+"/actions/"+action+"/invoke", nil)
	req.Header.Set("Authorization", "Bearer "+srv.Credentials().WebexToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("%s: %v", action, err)
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestPausedJobIsNotDone: a job paused with pauseMoveUsersJob is paused, not done, and stays so however
// long it stays paused; a Wait keeps waiting through the pause (its progress events say paused) and
// ends when the resumed job ends; abandoned after a pause, the job is canceled.
func TestPausedJobIsNotDone(t *testing.T) {
	srv, clk, c := simulated(t, simulator.Options{JobDuration: 10 * time.Second})
	ctx := context.Background()
	users := []webex.UserItem{{UserId: "u1"}, {UserId: "u2"}, {UserId: "u3"}, {UserId: "u4"}}
	id, err := c.Submit(ctx, "LOC", users)
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(5 * time.Second)
	if code := invoke(t, srv, id, "pause"); code != http.StatusAccepted {
		t.Fatalf("pause answered %d", code)
	}
	for range 2 {
		j, err := c.Status(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if j.State != sdk.StatePaused || j.Done || j.State.Done() || !slices.Equal(j.VendorStatus, []string{"STOPPED", "STOPPED"}) ||
			*j.Counts.Succeeded != 2 || *j.Counts.Pending != 2 || j.Finished != nil {
			t.Fatalf("paused job: %s done=%v vendor %v counts %v/%v finished %v", j.State, j.Done, j.VendorStatus, *j.Counts.Succeeded, *j.Counts.Pending, j.Finished)
		}
		clk.Add(time.Hour) // a paused job does not move on
	}

	var mu sync.Mutex
	var seen []sdk.State
	resumed := false
	got, err := sdk.Wait(ctx, c, id, &sdk.WaitOptions{MinDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond, Progress: func(j *sdk.Job) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, j.State)
		if j.State == sdk.StatePaused && !resumed {
			resumed = true
			if code := invoke(t, srv, id, "resume"); code != http.StatusAccepted {
				t.Errorf("resume answered %d", code)
			}
			clk.Add(time.Minute) // the resumed job runs to its end
		}
	}})
	if err != nil || got.State != sdk.StateSucceeded || *got.Counts.Succeeded != 4 {
		t.Fatalf("Wait = %v, %v", got, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) == 0 || seen[0] != sdk.StatePaused || !resumed {
		t.Errorf("progress events %v, want paused first", seen)
	}

	// Paused, then abandoned: canceled, with the exit code of the stop.
	id2, err := c.Submit(ctx, "LOC", users)
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(5 * time.Second)
	if invoke(t, srv, id2, "pause") != http.StatusAccepted || invoke(t, srv, id2, "abandon") != http.StatusOK {
		t.Fatal("pause or abandon refused")
	}
	j, err := sdk.Wait(ctx, c, id2, &sdk.WaitOptions{MinDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond})
	if !errors.Is(err, sdk.ErrJobCanceled) || j.State != sdk.StateCanceled || !slices.Equal(j.VendorStatus, []string{"ABANDONED", "STOPPED"}) {
		t.Fatalf("abandoned after a pause: %v, %v", j, err)
	}
}

// documentedJob is Webex's documented status example (seed page 003), with its status and exit code
// replaced.
func documentedJob(t *testing.T, status, exit string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "contracttests", "testdata", "seeds", "webex_job_200.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	doc["latestExecutionStatus"], doc["latestExecutionExitCode"] = status, exit
	out, _ := json.Marshal(doc)
	return out
}

// TestStopStates maps Spring Batch's stop states as specs/SOURCES.md decides: STOPPING and STOPPED are
// a pause (not done), ABANDONED is canceled whatever the exit code, a running status wins over a stale
// STOPPED exit code, and a finished status with STOPPED is canceled.
func TestStopStates(t *testing.T) {
	cases := []struct {
		status, exit string
		want         sdk.State
	}{
		{"STOPPING", "UNKNOWN", sdk.StatePaused},
		{"STOPPING", "STOPPED", sdk.StatePaused},
		{"STOPPED", "STOPPED", sdk.StatePaused},
		{"ABANDONED", "STOPPED", sdk.StateCanceled},
		{"ABANDONED", "FAILED", sdk.StateCanceled},
		{"STARTED", "STOPPED", sdk.StateRunning},
		{"STARTING", "STOPPED", sdk.StatePending},
		{"COMPLETED", "STOPPED", sdk.StateCanceled},
	}
	for _, tc := range cases {
		t.Run(tc.status+"/"+tc.exit, func(t *testing.T) {
			body := documentedJob(t, tc.status, tc.exit)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/errors") {
					t.Errorf("errors list read for %s/%s", tc.status, tc.exit)
				}
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write(body)
			}))
			defer srv.Close()
			j := documentedJobAt(t, srv.URL)
			if j.State != tc.want || j.Done != tc.want.Done() || !slices.Equal(j.VendorStatus, []string{tc.status, tc.exit}) {
				t.Errorf("state %s done %v vendor %v, want %s", j.State, j.Done, j.VendorStatus, tc.want)
			}
		})
	}
}

// TestErrorsOfAJobCompletedWithErrors: a job that ends COMPLETED_WITH_ERRORS with counts.failed 0 (the
// simulator moves users named "warn" but lists an error for them) has its errors list read.
func TestErrorsOfAJobCompletedWithErrors(t *testing.T) {
	j := movedAMinuteAgo(t, simulator.Options{JobDuration: time.Second}, []webex.UserItem{{UserId: "u1"}, {UserId: "u2-warn"}})
	want := []sdk.Failure{{User: "u2-warn", Action: "move", Code: "25391", Message: "[Error 25391] Error Occurred while moving Call recording Settings to new location"}}
	if j.State != sdk.StatePartiallySucceeded || *j.Counts.Failed != 0 || *j.Counts.Succeeded != 2 ||
		!slices.Equal(j.VendorStatus, []string{"COMPLETED", "COMPLETED_WITH_ERRORS"}) || fmt.Sprint(j.Failures) != fmt.Sprint(want) {
		t.Fatalf("job %s %v counts failed %d succeeded %d, failures %+v", j.State, j.VendorStatus, *j.Counts.Failed, *j.Counts.Succeeded, j.Failures)
	}
}

// TestErrorsPagedWithStartAndMax: an errors list paged as Webex's published example is (items naming
// users by bare UUID, paging.limit 50, no Link header) is read to its end with start and max: 60
// failures, 60 failures reported, each user named by the person id it was submitted with.
func TestErrorsPagedWithStartAndMax(t *testing.T) {
	const failures, page = 60, 50
	uuid := func(i int) string { return fmt.Sprintf("52efdff9-9db6-438d-9b96-%012d", i) }
	var mu sync.Mutex
	var queries []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if !strings.HasSuffix(r.URL.Path, "/errors") {
			body := documentedJob(t, "COMPLETED", "COMPLETED_WITH_ERRORS")
			body = []byte(strings.Replace(string(body), `"failed":0`, `"failed":60`, 1))
			body = []byte(strings.Replace(string(body), `"totalMoves":1`, `"totalMoves":100`, 1))
			_, _ = w.Write(body)
			return
		}
		mu.Lock()
		queries = append(queries, r.URL.RawQuery)
		mu.Unlock()
		start, _ := strconv.Atoi(r.URL.Query().Get("start"))
		size := page
		if m, err := strconv.Atoi(r.URL.Query().Get("max")); err == nil && m > 0 {
			size = min(m, page)
		}
		var items []string
		for i := start; i < min(start+size, failures); i++ {
			items = append(items, fmt.Sprintf(`{"itemNumber": %d, "item": %q, "error": {"key": "400", "message": [{"description": "[Error 19605] User is assigned services not authorized to the new group: [Basic Call Logs].", "code": "19605", "location": "Y2lzY29zcGFyazovL3VzL0xPQ0FUSU9OL2U3ZjlmZTQ0LTI3ZjEtNGE2NC04NmJhLTM1NmE0YjUyMTk4ZA"}]}, "trackingId": "NA_097fb6e7-e972-41b3-a9e1-bd5a4a31eb33"}`, i+1, uuid(i)))
		}
		fmt.Fprintf(w, `{"items": [%s], "paging": {"next": [], "prev": null, "limit": %d, "offset": %d, "pages": null, "count": %d}}`, strings.Join(items, ","), page, start, len(items))
	}))
	defer srv.Close()
	j := documentedJobAt(t, srv.URL)
	if len(j.Failures) != failures {
		t.Fatalf("%d failures, want %d (queries %q)", len(j.Failures), failures, queries)
	}
	for i, f := range j.Failures {
		if want := base64.RawStdEncoding.EncodeToString([]byte("ciscospark://us/PEOPLE/" + uuid(i))); f.User != want || f.Code != "19605" {
			t.Fatalf("failure %d: %+v, want user %s", i, f, want)
		}
	}
	if want := []string{"", "start=50&max=50"}; !slices.Equal(queries, want) {
		t.Errorf("errors list queries %q, want %q", queries, want)
	}
}

// TestFailuresNameTheSubmittedUser: users submitted by their person ids, as Webex documents, come back
// in failures with the same ids, though the errors list names them by bare UUID.
func TestFailuresNameTheSubmittedUser(t *testing.T) {
	person := func(uuid string) string {
		return base64.RawStdEncoding.EncodeToString([]byte("ciscospark://us/PEOPLE/" + uuid))
	}
	failing := person("9c2a0510-0950-452f-81ff-9a5d23692de6")
	j := movedAMinuteAgo(t, simulator.Options{JobDuration: time.Second, FailUser: func(vendor, user string) (simulator.Failure, bool) {
		return simulator.Failure{Code: "19605", Message: "User is assigned services not authorized to the new group."}, user == failing
	}}, []webex.UserItem{{UserId: person("052ab9bd-c6e2-6eae-1a9a-5efa0a25c16a")}, {UserId: failing}})
	if len(j.Failures) != 1 || j.Failures[0].User != failing {
		t.Fatalf("failures %+v, want the user %s", j.Failures, failing)
	}
}

// TestSubmitErrorsShowTheirMessage: Webex's request validation errors (errors[{code, message}]) come
// back in the error, from the simulator (a user twice) and in the documented BATCH-400 form.
func TestSubmitErrorsShowTheirMessage(t *testing.T) {
	_, _, sim := simulated(t, simulator.Options{})
	_, err := sim.Submit(context.Background(), "LOC", []webex.UserItem{{UserId: "u1"}, {UserId: "u1"}})
	var ae *sdk.APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusBadRequest || ae.Code != "1026019" || ae.Message != "Duplicate entry for user is not allowed." ||
		!strings.Contains(err.Error(), "Duplicate entry for user is not allowed.") {
		t.Fatalf("a user twice: %v", err)
	}

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"errors": [{"code": "BATCH-400", "message": "Attribute 'User ID' is required."}], "trackingId": "ROUTER_1"}`)
	}))
	defer srv.Close()
	c, _ := webex.New(webex.Config{Token: "t"}, &sdk.ClientOptions{BaseURL: srv.URL + "/v1", Getenv: func(string) string { return "" }})
	_, err = c.Submit(context.Background(), "LOC", []webex.UserItem{{UserId: "u1"}})
	if !errors.As(err, &ae) || ae.Code != "BATCH-400" || ae.Message != "Attribute 'User ID' is required." || ae.RequestID != "ROUTER_1" ||
		!strings.Contains(err.Error(), "Attribute 'User ID' is required.") {
		t.Fatalf("BATCH-400: %v", err)
	}
}

// documentedJobAt reads, through a client, the status of the job of Webex's documented answer from a
// server at root (an answer about another job is not this one), failing t on any error.
func documentedJobAt(t *testing.T, root string) *sdk.Job {
	t.Helper()
	c, err := webex.New(webex.Config{Token: "t"}, &sdk.ClientOptions{BaseURL: root + "/v1", Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	j, err := c.Status(context.Background(), "Y2lzY29zcGFyazovL3VzL0pPQl9JRC8xMzFkOTg1ZC1iZThhLTQ3MjgtYjM2MC02MzBjNTAxNTEyNzE")
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// movedAMinuteAgo submits a move of users to a simulator of Webex run with opts and reads the job's
// status a simulated minute later, when it has ended; it fails t on any error.
func movedAMinuteAgo(t *testing.T, opts simulator.Options, users []webex.UserItem) *sdk.Job {
	t.Helper()
	_, clk, c := simulated(t, opts)
	ctx := context.Background()
	id, err := c.Submit(ctx, "LOC", users)
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Minute)
	j, err := c.Status(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return j
}
