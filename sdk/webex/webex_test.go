package webex

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	gen "github.com/jobwatch/jobwatch/generated/webex"
	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/internal/sdktest"
)

const token = "sentinel-webex-token-abcdef"

func newTestClient(t *testing.T, mt *httpmock.MockTransport) *Client {
	t.Helper()
	c, err := New(Config{Token: token, OrgID: "org1"}, &sdk.ClientOptions{HTTPClient: &http.Client{Transport: mt}, BaseURL: "https://webex.example/v1"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const jobURL = "https://webex.example/v1/telephony/config/jobs/person/moveLocation/J1"

func job(status gen.ExecutionStatus, exit string, total, moved, failed int) *gen.MoveUsersJob {
	j := &gen.MoveUsersJob{Id: "J1", LatestExecutionStatus: status, Counts: gen.Counts{TotalMoves: total, Moved: moved, Failed: failed}}
	if exit != "" {
		e := gen.ExitCode(exit)
		j.LatestExecutionExitCode = &e
	}
	return j
}

func TestMapJobEveryStatus(t *testing.T) {
	cases := []struct {
		status              gen.ExecutionStatus
		exit                string
		total, moved, fails int
		want                sdk.State
	}{
		{gen.ExecutionStatusSTARTING, "UNKNOWN", 4, 0, 0, sdk.StatePending},
		{gen.ExecutionStatusSTARTED, "UNKNOWN", 4, 1, 0, sdk.StateRunning},
		{gen.ExecutionStatusCOMPLETED, "COMPLETED", 4, 4, 0, sdk.StateSucceeded},
		{gen.ExecutionStatusCOMPLETED, "", 4, 4, 0, sdk.StateSucceeded},
		{gen.ExecutionStatusCOMPLETED, "COMPLETED", 4, 3, 1, sdk.StatePartiallySucceeded},
		{gen.ExecutionStatusCOMPLETED, "COMPLETED_WITH_ERRORS", 4, 3, 1, sdk.StatePartiallySucceeded},
		{gen.ExecutionStatusCOMPLETED, "COMPLETED_WITH_PENDING_ORDERS", 4, 4, 0, sdk.StatePartiallySucceeded},
		{gen.ExecutionStatusCOMPLETED, "STOPPED", 4, 2, 0, sdk.StateCanceled},
		{gen.ExecutionStatusFAILED, "FAILED", 4, 0, 4, sdk.StateFailed},
		{gen.ExecutionStatusABANDONED, "", 4, 0, 0, sdk.StateCanceled},
		{gen.ExecutionStatusSTOPPING, "UNKNOWN", 4, 1, 0, sdk.StatePaused},
		{gen.ExecutionStatusSTOPPED, "STOPPED", 4, 2, 0, sdk.StatePaused},
		{gen.ExecutionStatusABANDONED, "STOPPED", 4, 2, 0, sdk.StateCanceled},
		{gen.ExecutionStatusSTARTED, "STOPPED", 4, 2, 0, sdk.StateRunning},
		{gen.ExecutionStatusUNKNOWN, "UNKNOWN", 4, 0, 0, sdk.StateUnknown},
		{"PAUSED", "", 4, 0, 0, sdk.StateUnknown},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%s/%d", c.status, c.exit, c.fails), func(t *testing.T) {
			j := mapJob(job(c.status, c.exit, c.total, c.moved, c.fails))
			if j.State != c.want || j.Done != c.want.Done() {
				t.Errorf("state %s done %v, want %s", j.State, j.Done, c.want)
			}
			if *j.Counts.Total != c.total || *j.Counts.Succeeded != c.moved || *j.Counts.Failed != c.fails {
				t.Errorf("counts = %+v", j.Counts)
			}
			if want := float64(c.moved+c.fails) / float64(c.total); *j.Progress != want {
				t.Errorf("progress = %v, want %v", *j.Progress, want)
			}
			if j.VendorStatus[0] != string(c.status) {
				t.Errorf("vendor status = %v", j.VendorStatus)
			}
		})
	}
}

func TestStatusDocumentedPayload(t *testing.T) {
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder("GET", `=~^https://webex.example/v1/telephony/config/jobs/person/moveLocation/Y2lz`, func(req *http.Request) (*http.Response, error) {
		if req.Header.Get("Authorization") != "Bearer "+token || req.URL.Query().Get("orgId") != "org1" {
			t.Errorf("auth or orgId missing")
		}
		return sdktest.JSONResponse(200, sdktest.Seed(t, "webex_job_200.json")), nil
	})
	c := newTestClient(t, mt)
	j, err := c.Status(context.Background(), "Y2lzY29zcGFyazovL3VzL0pPQl9JRC8xMzFkOTg1ZC1iZThhLTQ3MjgtYjM2MC02MzBjNTAxNTEyNzE")
	if err != nil {
		t.Fatal(err)
	}
	if j.State != sdk.StateSucceeded || *j.Counts.Succeeded != 1 || *j.Progress != 1 || *j.Counts.Pending != 0 {
		t.Errorf("job = %+v", j)
	}
	if j.Finished == nil || j.Finished.Format(time.RFC3339Nano) != "2023-05-30T13:04:03.252Z" || j.Started == nil || j.Created == nil {
		t.Errorf("times = %v %v %v", j.Created, j.Started, j.Finished)
	}
	if len(j.Failures) != 0 || mt.GetTotalCallCount() != 1 {
		t.Errorf("no errors list should be read for a clean job")
	}
}

func TestStatusReadsErrorsListOnce(t *testing.T) {
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder("GET", jobURL+"?orgId=org1", func(*http.Request) (*http.Response, error) {
		return sdktest.JSONResponse(200, `{"name":"m","id":"J1","sourceUserId":"s","sourceCustomerId":"c","targetCustomerId":"c","instanceId":1,
			"latestExecutionStatus":"COMPLETED","latestExecutionExitCode":"COMPLETED_WITH_ERRORS","counts":{"totalMoves":2,"moved":1,"failed":1}}`), nil
	})
	mt.RegisterResponder("GET", jobURL+"/errors?orgId=org1", func(*http.Request) (*http.Response, error) {
		return sdktest.JSONResponse(200, `{"items":[{"itemNumber":1,"item":"user-42","error":{"key":"400","message":[{"description":"[Error 19605] not authorized","code":"19605"}]},"trackingId":"NA_1"}]}`), nil
	})
	c := newTestClient(t, mt)
	j, err := c.Status(context.Background(), "J1")
	if err != nil {
		t.Fatal(err)
	}
	want := sdk.Failure{User: "user-42", Action: "move", Code: "19605", Message: "[Error 19605] not authorized"}
	if j.State != sdk.StatePartiallySucceeded || len(j.Failures) != 1 || j.Failures[0] != want {
		t.Errorf("job %s failures %+v", j.State, j.Failures)
	}
	if n := mt.GetCallCountInfo()["GET "+jobURL+"/errors?orgId=org1"]; n != 1 {
		t.Errorf("errors list read %d times", n)
	}
}

func TestStatusErrors(t *testing.T) {
	cases := []struct {
		name   string
		resp   func() *http.Response
		kind   error
		calls  int
		code   string
		unexpt bool
	}{
		{"404", func() *http.Response {
			return sdktest.JSONResponse(404, `{"message":"Job not found","errors":[{"description":"Job not found"}],"trackingId":"ROUTER_1"}`)
		}, sdk.ErrNotFound, 1, "", false},
		{"401", func() *http.Response { return sdktest.JSONResponse(401, `{"message":"Unauthorized","trackingId":"T"}`) }, sdk.ErrUnauthorized, 1, "", false},
		{"400 telephony", func() *http.Response {
			return sdktest.JSONResponse(400, `{"error":[{"code":1026010,"message":"User is not a valid Calling User."}]}`)
		}, sdk.ErrInvalidInput, 1, "1026010", false},
		{"429 then retried", func() *http.Response { return sdktest.JSONResponse(429, `{"message":"slow down"}`, "Retry-After", "7") }, sdk.ErrRateLimited, 4, "", false},
		{"html 502", func() *http.Response {
			r := httpmock.NewStringResponse(502, "<html>bad gateway</html>")
			r.Header.Set("Content-Type", "text/html")
			return r
		}, sdk.ErrServerError, 4, "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sdktest.InBubble(t, func(t *testing.T, mt *httpmock.MockTransport) {
				mt.RegisterResponder("GET", jobURL+"?orgId=org1", func(*http.Request) (*http.Response, error) { return c.resp(), nil })
				cl := newTestClient(t, mt)
				start := time.Now()
				_, err := cl.Status(context.Background(), "J1")
				var ae *sdk.APIError
				if !errors.As(err, &ae) || !errors.Is(err, c.kind) || ae.Vendor != Vendor || ae.Code != c.code {
					t.Fatalf("err = %v", err)
				}
				if c.unexpt != errors.Is(err, sdk.ErrUnexpectedResponse) {
					t.Errorf("unexpected-response marking wrong: %v", err)
				}
				if n := mt.GetTotalCallCount(); n != c.calls {
					t.Errorf("calls = %d, want %d", n, c.calls)
				}
				if c.code == "" && c.name == "429 then retried" && time.Since(start) < 21*time.Second {
					t.Errorf("Retry-After 7s not honoured: waited %v for 3 retries", time.Since(start))
				}
				if strings.Contains(err.Error(), token) {
					t.Error("error leaks the token")
				}
			})
		})
	}
}

func TestConfigRedactsToken(t *testing.T) {
	cfg := Config{Token: token}
	for _, s := range []string{fmt.Sprintf("%v", cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg)} {
		if strings.Contains(s, token) {
			t.Errorf("config prints its token: %s", s)
		}
	}
	if _, err := New(Config{}, &sdk.ClientOptions{Getenv: func(string) string { return "" }}); err == nil || !strings.Contains(err.Error(), EnvToken) {
		t.Errorf("missing token: %v", err)
	}
}

// TestStatusQueryCarriesOrgIDOnlyWhenSet: with no OrgID the status URL has no query at all (the
// client then skips the generated builder's query handling); with one, it is the only parameter.
func TestStatusQueryCarriesOrgIDOnlyWhenSet(t *testing.T) {
	for _, tc := range []struct{ org, wantQuery string }{{"", ""}, {"org 1&x", "orgId=org+1%26x"}} {
		mt := httpmock.NewMockTransport()
		var gotQuery string
		mt.RegisterRegexpResponder("GET", regexp.MustCompile(`/moveLocation/J1$`), func(req *http.Request) (*http.Response, error) {
			gotQuery = req.URL.RawQuery
			return httpmock.NewJsonResponse(200, job(gen.ExecutionStatusSTARTED, "", 4, 1, 0))
		})
		c, err := New(Config{Token: token, OrgID: tc.org}, &sdk.ClientOptions{HTTPClient: &http.Client{Transport: mt}, BaseURL: "https://webex.example/v1", Getenv: func(string) string { return "" }})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Status(context.Background(), "J1"); err != nil {
			t.Fatalf("org %q: %v", tc.org, err)
		}
		if gotQuery != tc.wantQuery {
			t.Errorf("org %q: query %q, want %q", tc.org, gotQuery, tc.wantQuery)
		}
	}
}

// TestErrorsListFailureKeepsTheDoneJob: a done job whose errors list cannot be read comes back inside
// an *sdk.FailuresError, so that its state and counts are not lost with the call; its temporariness
// follows the errors list's failure, whose kind does not leak onto the job (a 404 on the list is not
// the job's). A Wait that saw the job running keeps polling through a temporary failure, and ends with
// the done job when the failure is final.
func TestErrorsListFailureKeepsTheDoneJob(t *testing.T) {
	cases := []struct {
		name      string
		status    int
		body      string
		kind      error
		temporary bool
	}{
		{"404 final", 404, `{"message":"not found","trackingId":"T"}`, sdk.ErrNotFound, false},
		{"401 final", 401, `{"message":"Unauthorized","trackingId":"T"}`, sdk.ErrUnauthorized, false},
		{"503 temporary", 503, `{"message":"busy","trackingId":"T"}`, sdk.ErrServerError, true},
	}
	const running = `{"id":"J1","latestExecutionStatus":"STARTED","counts":{"totalMoves":3,"moved":1,"failed":0}}`
	const done = `{"id":"J1","latestExecutionStatus":"COMPLETED","latestExecutionExitCode":"COMPLETED_WITH_ERRORS","counts":{"totalMoves":3,"moved":1,"failed":2}}`
	const list = `{"items":[{"itemNumber":1,"item":"u1","error":{"key":"400","message":[{"description":"no","code":"1"}]}},{"itemNumber":2,"item":"u2","error":{"key":"400","message":[{"description":"no","code":"1"}]}}]}`
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sdktest.InBubble(t, func(t *testing.T, mt *httpmock.MockTransport) {
				var polls, lists int
				mt.RegisterResponder("GET", jobURL+"?orgId=org1", func(*http.Request) (*http.Response, error) {
					polls++
					if polls == 1 {
						return sdktest.JSONResponse(200, running), nil
					}
					return sdktest.JSONResponse(200, done), nil
				})
				mt.RegisterResponder("GET", jobURL+"/errors?orgId=org1", func(*http.Request) (*http.Response, error) {
					lists++
					if tc.temporary && lists > 1 {
						return sdktest.JSONResponse(200, list), nil
					}
					return sdktest.JSONResponse(tc.status, tc.body), nil
				})
				// One attempt per call: the test is about what comes back, not about the client's retries.
				c, err := New(Config{Token: token, OrgID: "org1"}, &sdk.ClientOptions{HTTPClient: &http.Client{Transport: mt}, BaseURL: "https://webex.example/v1", MaxAttempts: -1})
				if err != nil {
					t.Fatal(err)
				}
				c.Status(context.Background(), "J1") // the running poll
				j, err := c.Status(context.Background(), "J1")
				var fe *sdk.FailuresError
				if j != nil || !errors.As(err, &fe) {
					t.Fatalf("Status = %v, %v; want an *sdk.FailuresError", j, err)
				}
				if fe.Job == nil || !fe.Job.Done || fe.Job.State != sdk.StatePartiallySucceeded || *fe.Job.Counts.Failed != 2 || len(fe.Job.Failures) != 0 {
					t.Errorf("job in the error = %+v", fe.Job)
				}
				if errors.Is(err, tc.kind) || !errors.Is(failuresCause(fe), tc.kind) || sdk.IsTemporary(err) != tc.temporary {
					t.Errorf("err %v: matches %v (want false), its Err matches %v (want true), temporary %v (want %v)",
						err, errors.Is(err, tc.kind), errors.Is(failuresCause(fe), tc.kind), sdk.IsTemporary(err), tc.temporary)
				}
				if !strings.Contains(err.Error(), "webex job J1 is partially_succeeded (2 users failed), but who failed could not be read") {
					t.Errorf("message %q", err)
				}

				polls, lists = 0, 0
				got, err := sdk.Wait(context.Background(), c, "J1", nil)
				switch {
				case tc.temporary:
					if err != nil || got == nil || len(got.Failures) != 2 || lists != 2 {
						t.Errorf("Wait through a temporary failure = %v, %v (errors list read %d times)", got, err, lists)
					}
				case !errors.As(err, &fe) || got != fe.Job || !got.Done || got.State != sdk.StatePartiallySucceeded:
					t.Errorf("Wait = %v, %v; want the done job and the *sdk.FailuresError", got, err)
				}
			})
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
