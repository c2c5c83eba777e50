package webex

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	gen "github.com/jobwatch/jobwatch/generated/webex"
	"github.com/jobwatch/jobwatch/sdk"
)

// serve starts a loopback Webex whose handler h answers every request, and a client pointed at it.
func serve(t *testing.T, h http.HandlerFunc) (*Client, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := New(Config{Token: token}, &sdk.ClientOptions{BaseURL: srv.URL + "/v1", MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

// published201 is the 201 answer example of Webex's published OpenAPI document (abridged to the fields
// Submit reads; the whole example is checked in contracttests).
const published201 = `{"response": {"name": "moveusers", "id": "Y2lzY29zcGFyazovL3VzL0pPQl9JRC9mZjBlN2Q2Ni05MDRlLTRkZGItYjJlNS05ZGM0ODk0ZDY5OTk", "trackingId": "ROUTER_ebb52b5b-d060-4164-9757-48b383423d73", "sourceUserId": "u", "sourceCustomerId": "c", "targetCustomerId": "c", "instanceId": 10, "latestExecutionStatus": "STARTED", "counts": {"totalMoves": 0, "moved": 0, "failed": 0}}}`

// TestSubmitReadsBothShapes: the published 201 (response.id) and the older 200 (response.jobDetails.id)
// both give the job id; Submit is called exactly once each time.
func TestSubmitReadsBothShapes(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"published 201 response.id", 201, published201, "Y2lzY29zcGFyazovL3VzL0pPQl9JRC9mZjBlN2Q2Ni05MDRlLTRkZGItYjJlNS05ZGM0ODk0ZDY5OTk"},
		{"live 200 response.jobDetails.id", 200, `{"response": {"jobDetails": {"name": "moveusers", "id": "J200", "latestExecutionStatus": "STARTING"}}}`, "J200"},
		{"live 200 with usersList", 200, `{"response": {"usersList": [{"userId": "u1"}], "jobDetails": {"id": "J201"}}}`, "J201"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			c, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/v1/telephony/config/jobs/person/moveLocation") {
					t.Errorf("request %s %s", r.Method, r.URL)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				fmt.Fprint(w, tc.body)
			})
			id, err := c.Submit(context.Background(), "LOC", []UserItem{{UserId: "u1"}})
			if err != nil || id != tc.want {
				t.Fatalf("Submit = %q, %v; want %q", id, err, tc.want)
			}
			if calls.Load() != 1 {
				t.Errorf("%d calls", calls.Load())
			}
		})
	}
}

// TestSubmitWithoutIDSaysTheJobMayHaveStarted: a 2xx answer with no id is an error naming the tracking
// id and what the body identified, never an empty id, and Submit is not retried.
func TestSubmitWithoutIDSaysTheJobMayHaveStarted(t *testing.T) {
	cases := []struct {
		name, body, tracking string
		status               int
		wantIn               []string
		wantRequestID        string
	}{
		{"201 job without id", `{"response": {"name": "moveusers", "trackingId": "ROUTER_BODY", "latestExecutionStatus": "STARTED"}}`, "ROUTER_HDR", 201,
			[]string{"may have started", `name "moveusers"`, `latestExecutionStatus "STARTED"`, "HTTP 201"}, "ROUTER_HDR"},
		{"200 jobDetails without id", `{"response": {"jobDetails": {"name": "moveusers", "trackingId": "ROUTER_BODY"}}}`, "", 200,
			[]string{"may have started", "response.jobDetails"}, "ROUTER_BODY"},
		{"validation answer", `{"response": [{"userId": "u1"}]}`, "ROUTER_HDR", 200, []string{"response[]"}, "ROUTER_HDR"},
		{"not json", `<html>ok</html>`, "ROUTER_HDR", 202, []string{"HTTP 202"}, "ROUTER_HDR"},
		{"empty", ``, "T", 204, []string{"HTTP 204"}, "T"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			c, _ := serve(t, func(w http.ResponseWriter, _ *http.Request) {
				calls.Add(1)
				if tc.tracking != "" {
					w.Header().Set("TrackingID", tc.tracking)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				fmt.Fprint(w, tc.body)
			})
			id, err := c.Submit(context.Background(), "LOC", []UserItem{{UserId: "u1"}})
			var ae *sdk.APIError
			if id != "" || !errors.As(err, &ae) || !errors.Is(err, ErrJobMayHaveStarted) || !errors.Is(err, sdk.ErrUnexpectedResponse) {
				t.Fatalf("Submit = %q, %v", id, err)
			}
			if ae.RequestID != tc.wantRequestID || ae.StatusCode != tc.status {
				t.Errorf("RequestID %q status %d", ae.RequestID, ae.StatusCode)
			}
			for _, w := range tc.wantIn {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(fmt.Sprintf("%v %+v", err, ae), token) {
				t.Error("token in the error")
			}
			if calls.Load() != 1 {
				t.Errorf("retried: %d calls", calls.Load())
			}
		})
	}
}

// TestStatusFollowsErrorPages: the errors list is read page by page through Link rel="next"; items
// without a user keep their code and message; a user named twice is one failure with both messages.
func TestStatusFollowsErrorPages(t *testing.T) {
	done := `{"name": "moveusers", "id": "J1", "sourceUserId": "s", "sourceCustomerId": "c", "targetCustomerId": "c", "instanceId": 1, "latestExecutionStatus": "COMPLETED", "latestExecutionExitCode": "COMPLETED_WITH_ERRORS", "counts": {"totalMoves": 5, "moved": 2, "failed": 3}}`
	pages := map[string]string{
		"":  `{"items": [{"itemNumber": 1, "item": "u1", "trackingId": "T", "errorType": "ERROR", "error": {"key": "400", "message": [{"description": "User Not Found", "code": "4003"}]}}]}`,
		"2": `{"items": [{"itemNumber": 2, "trackingId": "T", "errorType": "ERROR", "error": {"key": "500", "message": [{"description": "Error occurred while processing the move users request.", "code": "1026014"}]}}, {"itemNumber": 3, "item": "u1", "errorType": "ERROR", "error": {"key": "400", "message": [{"description": "Phone number is not in e164 format."}]}}]}`,
		"3": `{"items": [{"itemNumber": 4, "item": "u3", "errorType": "VALIDATION", "error": {}}]}`,
	}
	c, srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			t.Errorf("page %s without the token", r.URL)
		}
		w.Header().Set("Content-Type", "application/json")
		if !strings.HasSuffix(r.URL.Path, "/errors") {
			fmt.Fprint(w, done)
			return
		}
		p := r.URL.Query().Get("page")
		switch p {
		case "":
			w.Header().Set("Link", `<`+r.URL.Path+`?page=2>; rel="next", <`+r.URL.Path+`?page=3>; rel="last"`)
		case "2":
			w.Header().Set("Link", `<`+"http://"+r.Host+r.URL.Path+`?page=3>; rel="next"`)
		}
		fmt.Fprint(w, pages[p])
	})
	_ = srv
	j, err := c.Status(context.Background(), "J1")
	if err != nil {
		t.Fatal(err)
	}
	want := []sdk.Failure{
		{User: "u1", Action: "move", Code: "4003", Message: "User Not Found; Phone number is not in e164 format."},
		{User: "", Action: "move", Code: "1026014", Message: "Error occurred while processing the move users request."},
		{User: "u3", Action: "move", Code: "VALIDATION"},
	}
	if fmt.Sprint(j.Failures) != fmt.Sprint(want) {
		t.Errorf("failures\n got %+v\nwant %+v", j.Failures, want)
	}
}

// TestStatusErrorPagesAreBounded: a next link that loops, or one to another host, ends the read with an
// error instead of a poll that never ends or a token sent elsewhere.
func TestStatusErrorPagesAreBounded(t *testing.T) {
	done := `{"name": "m", "id": "J1", "sourceUserId": "s", "sourceCustomerId": "c", "targetCustomerId": "c", "instanceId": 1, "latestExecutionStatus": "COMPLETED", "counts": {"totalMoves": 1, "moved": 0, "failed": 1}}`
	cases := []struct {
		name, link, want string
		maxPages         int32
	}{
		{"loop", `<?n=1>; rel="next"`, "already read", 3},
		{"other host", `<https://evil.example/v1/x>; rel="next"`, "not on the API host", 1},
		{"endless", "", fmt.Sprintf("more than %d pages", maxErrorPages), maxErrorPages},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var pagesRead atomic.Int32
			c, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				if !strings.HasSuffix(r.URL.Path, "/errors") {
					fmt.Fprint(w, done)
					return
				}
				n := pagesRead.Add(1)
				link := tc.link
				if link == "" { // a fresh next page every time
					link = fmt.Sprintf(`<?n=%d>; rel="next"`, n)
				}
				w.Header().Set("Link", link)
				fmt.Fprint(w, `{"items": [{"item": "u1", "error": {"key": "400"}}]}`)
			})
			_, err := c.Status(context.Background(), "J1")
			var fe *sdk.FailuresError // the job is done; its errors list is what went wrong
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) || !errors.Is(failuresCause(fe), sdk.ErrUnexpectedResponse) {
				t.Fatalf("err = %v", err)
			}
			if pagesRead.Load() > tc.maxPages {
				t.Errorf("%d pages read", pagesRead.Load())
			}
		})
	}
}

func TestNextLink(t *testing.T) {
	cases := []struct {
		values []string
		want   string
	}{
		{nil, ""},
		{[]string{`<https://a/x?start=10&max=10>; rel="next"`}, "https://a/x?start=10&max=10"},
		{[]string{`<https://a/p1>; rel="prev", <https://a/p3>; rel="next"`}, "https://a/p3"},
		{[]string{`<https://a/p1>; rel="first"`, `<https://a/p2>; rel=next`}, "https://a/p2"},
		{[]string{`<https://a/x,y>; title="a, b"; rel="last next"`}, "https://a/x,y"},
		{[]string{`https://a/p2; rel="next"`}, ""},
	}
	for _, tc := range cases {
		if got := nextLink(tc.values); got != tc.want {
			t.Errorf("nextLink(%q) = %q, want %q", tc.values, got, tc.want)
		}
	}
}

// TestFailuresOfVendorModelItems: items as wxc_sdk models them (item optional, errorType present).
func TestFailuresOfVendorModelItems(t *testing.T) {
	var items []gen.JobErrorItem
	if err := json.Unmarshal([]byte(`[
		{"item": "u1", "errorType": "ERROR", "error": {"key": "400", "message": [{"code": "4003", "description": "User Not Found"}]}},
		{"errorType": "ERROR", "error": {"key": "500", "message": [{"description": "job-level"}]}},
		{"errorType": "ERROR", "error": {"key": "500", "message": [{"description": "job-level"}]}},
		{"item": "u1", "error": {"message": [{"description": "User Not Found"}]}},
		{"item": "u2", "errorType": "VALIDATION", "error": {}}]`), &items); err != nil {
		t.Fatal(err)
	}
	got := mapFailures(items, "")
	want := []sdk.Failure{
		{User: "u1", Action: "move", Code: "4003", Message: "User Not Found"},
		{Action: "move", Code: "500", Message: "job-level"},
		{Action: "move", Code: "500", Message: "job-level"},
		{User: "u2", Action: "move", Code: "VALIDATION"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

// TestErrorPagesCarryTheProvidersToken: with a credentials provider, every page of the errors list is
// sent with the token the provider gives at that moment, the further pages too.
func TestErrorPagesCarryTheProvidersToken(t *testing.T) {
	done := `{"name": "moveusers", "id": "J1", "sourceUserId": "s", "sourceCustomerId": "c", "targetCustomerId": "c", "instanceId": 1, "latestExecutionStatus": "COMPLETED", "latestExecutionExitCode": "COMPLETED_WITH_ERRORS", "counts": {"totalMoves": 2, "moved": 0, "failed": 2}}`
	var calls atomic.Int32
	var seen []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.Query().Get("page")+"="+r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case !strings.HasSuffix(r.URL.Path, "/errors"):
			fmt.Fprint(w, done)
		case r.URL.Query().Get("page") == "":
			w.Header().Set("Link", `<`+r.URL.Path+`?page=2>; rel="next"`)
			fmt.Fprint(w, `{"items": [{"item": "u1", "error": {"key": "400"}}]}`)
		default:
			fmt.Fprint(w, `{"items": [{"item": "u2", "error": {"key": "400"}}]}`)
		}
	}))
	defer srv.Close()
	c, err := New(Config{Credentials: func(context.Context) (Config, error) {
		return Config{Token: sdk.Secret(fmt.Sprintf("rotated-%d", calls.Add(1)))}, nil
	}}, &sdk.ClientOptions{BaseURL: srv.URL + "/v1", MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	j, err := c.Status(context.Background(), "J1")
	if err != nil || len(j.Failures) != 2 {
		t.Fatalf("job %v, err %v", j, err)
	}
	want := []string{"=Bearer rotated-1", "=Bearer rotated-2", "2=Bearer rotated-3"}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("requests %q, want %q", seen, want)
	}
}
