package contracttests

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
	"strings"
	"testing"

	tgen "github.com/jobwatch/jobwatch/generated/tencent"
	"github.com/jobwatch/jobwatch/generated/tencent/importjob"
	wgen "github.com/jobwatch/jobwatch/generated/webex"
	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/tencent"
	"github.com/jobwatch/jobwatch/sdk/webex"
	"github.com/jobwatch/jobwatch/specs"
)

// upstreamPayload returns a vendor's own example stored verbatim under testdata/upstream (see the
// SOURCES.md there).
func upstreamPayload(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "upstream", name))
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return b
}

// vendorAnswer serves body with status on loopback for every request, recording how many came.
func vendorAnswer(t *testing.T, status int, body []byte, header ...string) (*httptest.Server, *int) {
	t.Helper()
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls++
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

// wantJob is what a payload must map to through the sdk.
type wantJob struct {
	id       string
	state    sdk.State
	done     bool
	failed   *int // nil where the vendor reports no count yet
	total    *int
	failures []sdk.Failure
}

func checkJob(t *testing.T, j *sdk.Job, w wantJob) {
	t.Helper()
	if j.ID != w.id || j.State != w.state || j.Done != w.done {
		t.Errorf("job %s %s done=%v, want %s %s done=%v", j.ID, j.State, j.Done, w.id, w.state, w.done)
	}
	if fmt.Sprint(deref(j.Counts.Failed)) != fmt.Sprint(deref(w.failed)) || fmt.Sprint(deref(j.Counts.Total)) != fmt.Sprint(deref(w.total)) {
		t.Errorf("counts failed=%v total=%v, want %v %v", deref(j.Counts.Failed), deref(j.Counts.Total), deref(w.failed), deref(w.total))
	}
	if fmt.Sprintf("%+v", j.Failures) != fmt.Sprintf("%+v", w.failures) {
		t.Errorf("failures\n got %+v\nwant %+v", j.Failures, w.failures)
	}
}

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func intp(v int) *int { return &v }

// TestVendorExamplePayloads holds every documented and official example the vendors publish (stored
// verbatim under testdata/upstream) to our spec and our sdk: each validates against the operation and
// status it documents, declares no field the spec lacks, and decodes and maps through the sdk to the
// right job or error.
func TestVendorExamplePayloads(t *testing.T) {
	const tencentUser = "53e25c3****************e4eb5bd1"
	tencentFailure := []sdk.Failure{{User: tencentUser, Action: "IMPORT_USER", Message: "error reason; error message"}}
	importHeaders := map[string]string{}
	for k, v := range tencentHeaders {
		importHeaders[k] = v
	}
	importHeaders["X-TC-Action"] = "CreateApiImportUserJob"
	webexURL := "https://webexapis.com/v1/telephony/config/jobs/person/moveLocation"

	cases := []struct {
		name     string
		spec     string
		method   string
		url      string
		header   map[string]string
		op       string
		request  string // file, or "" (the request is then only routed)
		status   int
		response string // file, or "" for a request-only example
		// sdk decodes and maps the payload (request or response) through the sdk and checks the outcome.
		sdk func(t *testing.T, payload []byte)
	}{
		{name: "webex validateOrInitiate request", spec: specs.Webex, method: "POST", url: webexURL, header: map[string]string{"Authorization": bearerHeader, "Content-Type": "application/json"},
			op: "validateOrInitiateMoveUsersJob", request: "webex_moveusers_request.json",
			sdk: func(t *testing.T, payload []byte) { roundTrip[wgen.MoveUsersRequest](t, payload) }},
		{name: "webex started 201 (published)", spec: specs.Webex, method: "POST", url: webexURL, header: map[string]string{"Authorization": bearerHeader, "Content-Type": "application/json"},
			op: "validateOrInitiateMoveUsersJob", request: "webex_moveusers_request.json", status: 201, response: "webex_moveusers_201.json",
			sdk: func(t *testing.T, payload []byte) {
				srv, calls := vendorAnswer(t, 201, payload, "TrackingID", "ROUTER_T")
				c, _ := webex.New(webex.Config{Token: "t"}, &sdk.ClientOptions{BaseURL: srv.URL + "/v1"})
				id, err := c.Submit(context.Background(), "LOC", []webex.UserItem{{UserId: "u1"}})
				if err != nil || id != "Y2lzY29zcGFyazovL3VzL0pPQl9JRC9mZjBlN2Q2Ni05MDRlLTRkZGItYjJlNS05ZGM0ODk0ZDY5OTk" || *calls != 1 {
					t.Fatalf("Submit = %q, %v (%d calls)", id, err, *calls)
				}
				var started wgen.MoveUsersJobStarted
				if err := json.Unmarshal(payload, &started); err != nil {
					t.Fatal(err)
				}
				// The job in the 201 answer, served back as the status answer, maps as Status maps it.
				jobBody, _ := json.Marshal(started.Response)
				statusSrv, _ := vendorAnswer(t, 200, jobBody)
				sc, _ := webex.New(webex.Config{Token: "t"}, &sdk.ClientOptions{BaseURL: statusSrv.URL + "/v1"})
				j, err := sc.Status(context.Background(), id)
				if err != nil {
					t.Fatal(err)
				}
				checkJob(t, j, wantJob{id: id, state: sdk.StateRunning, total: intp(0), failed: intp(0), failures: nil})
			}},
		{name: "webex validate 200 (published)", spec: specs.Webex, method: "POST", url: webexURL, header: map[string]string{"Authorization": bearerHeader, "Content-Type": "application/json"},
			op: "validateOrInitiateMoveUsersJob", status: 200, response: "webex_moveusers_validate_200.json",
			sdk: func(t *testing.T, payload []byte) {
				srv, _ := vendorAnswer(t, 200, payload)
				c, _ := webex.New(webex.Config{Token: "t"}, &sdk.ClientOptions{BaseURL: srv.URL + "/v1"})
				id, err := c.Submit(context.Background(), "LOC", []webex.UserItem{{UserId: "u1"}})
				if id != "" || !errors.Is(err, webex.ErrJobMayHaveStarted) {
					t.Fatalf("a validation answer to Submit: %q, %v", id, err)
				}
			}},
		{name: "webex 400 (published)", spec: specs.Webex, method: "POST", url: webexURL, header: map[string]string{"Authorization": bearerHeader, "Content-Type": "application/json"},
			op: "validateOrInitiateMoveUsersJob", status: 400, response: "webex_moveusers_400.json",
			sdk: func(t *testing.T, payload []byte) {
				srv, calls := vendorAnswer(t, 400, payload)
				c, _ := webex.New(webex.Config{Token: "t"}, &sdk.ClientOptions{BaseURL: srv.URL + "/v1"})
				_, err := c.Submit(context.Background(), "LOC", []webex.UserItem{{UserId: "u1"}})
				var ae *sdk.APIError
				if !errors.As(err, &ae) || ae.Code != "1026016" || ae.Message != "User should have either phone number or extension." || *calls != 1 {
					t.Fatalf("err = %v", err)
				}
			}},
		{name: "webex listMoveUsersJobs 200 (published, items without name)", spec: specs.Webex, method: "GET", url: webexURL, header: map[string]string{"Authorization": bearerHeader},
			op: "listMoveUsersJobs", status: 200, response: "webex_listjobs_200.json",
			sdk: func(t *testing.T, payload []byte) {
				var list wgen.MoveUsersJobList
				if err := json.Unmarshal(payload, &list); err != nil || len(list.Items) != 2 || list.Items[0].Name != nil || list.Items[1].InstanceId != 328658 {
					t.Fatalf("decoded %+v, %v", list, err)
				}
			}},
		{name: "webex listMoveUsersJobErrors 200 (published)", spec: specs.Webex, method: "GET", url: webexURL + "/J1/errors", header: map[string]string{"Authorization": bearerHeader},
			op: "listMoveUsersJobErrors", status: 200, response: "webex_moveusers_errors_200.json",
			sdk: func(t *testing.T, payload []byte) {
				// The documented job, ended COMPLETED_WITH_ERRORS with counts.failed 0: Status reads the
				// published errors list, and names the user as Submit took it (the person id), not by the
				// bare UUID the list gives.
				var doc map[string]any
				if err := json.Unmarshal(seed(t, "webex_job_200.json"), &doc); err != nil {
					t.Fatal(err)
				}
				doc["latestExecutionExitCode"] = "COMPLETED_WITH_ERRORS"
				status, _ := json.Marshal(doc)
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					if strings.HasSuffix(r.URL.Path, "/errors") {
						_, _ = w.Write(payload)
						return
					}
					_, _ = w.Write(status)
				}))
				t.Cleanup(srv.Close)
				c, _ := webex.New(webex.Config{Token: "t"}, &sdk.ClientOptions{BaseURL: srv.URL + "/v1", Getenv: func(string) string { return "" }})
				id := doc["id"].(string)
				j, err := c.Status(context.Background(), id)
				if err != nil {
					t.Fatal(err)
				}
				person := base64.RawStdEncoding.EncodeToString([]byte("ciscospark://us/PEOPLE/52efdff9-9db6-438d-9b96-638365789353"))
				checkJob(t, j, wantJob{id: id, state: sdk.StatePartiallySucceeded, done: true, total: intp(1), failed: intp(0), failures: []sdk.Failure{{User: person, Action: "move",
					Code: "19605", Message: "[Error 19605] User is assigned services not authorized to the new group: [Basic Call Logs]."}}})
			}},
		{name: "tencent ListJobs request", spec: specs.Tencent, method: "POST", url: "https://ciam.tencentcloudapi.com/", header: tencentHeaders,
			op: "ListJobs", request: "tencent_listjobs_request.json"},
		{name: "tencent ListJobs 200", spec: specs.Tencent, method: "POST", url: "https://ciam.tencentcloudapi.com/", header: tencentHeaders,
			op: "ListJobs", request: "tencent_listjobs_request.json", status: 200, response: "tencent_listjobs_200.json",
			sdk: func(t *testing.T, payload []byte) {
				srv, _ := vendorAnswer(t, 200, payload)
				c := tencentClient(t, srv.URL)
				j, err := c.Status(context.Background(), "c29f2c0f****************405ec698")
				if err != nil {
					t.Fatal(err)
				}
				checkJob(t, j, wantJob{id: "c29f2c0f****************405ec698", state: sdk.StatePending, failures: tencentFailure})
			}},
		{name: "tencent CreateApiImportUserJob request (every ImportUser field)", spec: specs.TencentImport, method: "POST", url: "https://ciam.tencentcloudapi.com/", header: importHeaders,
			op: "CreateApiImportUserJob", request: "tencent_createapiimportuserjob_request.json",
			sdk: func(t *testing.T, payload []byte) {
				r := roundTrip[importjob.CreateApiImportUserJobRequest](t, payload)
				u := r.DataFlowUserCreateList[0]
				if u.Salt == nil || u.Salt.SaltLocation == nil || *u.Salt.SaltLocation.SaltLocationTypeEnum != tencent.SaltHead ||
					*u.PasswordEncryptTypeEnum != tencent.PasswordSHA1 || u.IndexedAttribute5 == nil || u.IdentityVerified == nil || !*u.IdentityVerified ||
					u.CustomizationAttributes == nil || (*u.CustomizationAttributes)[0].Name != "nickname" {
					t.Errorf("decoded user %+v", u)
				}
			}},
		{name: "tencent CreateApiImportUserJob 200", spec: specs.TencentImport, method: "POST", url: "https://ciam.tencentcloudapi.com/", header: importHeaders,
			op: "CreateApiImportUserJob", request: "tencent_createapiimportuserjob_request.json", status: 200, response: "tencent_createapiimportuserjob_200.json",
			sdk: func(t *testing.T, payload []byte) {
				srv, calls := vendorAnswer(t, 200, payload)
				c := tencentClient(t, srv.URL)
				var req importjob.CreateApiImportUserJobRequest
				_ = json.Unmarshal(upstreamPayload(t, "tencent_createapiimportuserjob_request.json"), &req)
				id, err := c.Submit(context.Background(), req.DataFlowUserCreateList)
				if err != nil || id != "c29f2c0f****************405ec698" || *calls != 1 {
					t.Fatalf("Submit = %q, %v", id, err)
				}
				var env importjob.CreateApiImportUserJobEnvelope
				if err := json.Unmarshal(payload, &env); err != nil || env.Response.Job == nil {
					t.Fatal(err)
				}
				var j tencentJob
				b, _ := json.Marshal(env.Response.Job)
				if err := json.Unmarshal(b, &j); err != nil {
					t.Fatal(err)
				}
				// The job in the import answer, served back as a ListJobs answer, maps as Status maps it.
				list, _ := json.Marshal(map[string]any{"Response": map[string]any{"JobSet": []tencentJob{j}, "Total": 1, "RequestId": "r-1"}})
				listSrv, _ := vendorAnswer(t, 200, list)
				got, err := tencentClient(t, listSrv.URL).Status(context.Background(), id)
				if err != nil {
					t.Fatal(err)
				}
				checkJob(t, got, wantJob{id: id, state: sdk.StatePending, failures: tencentFailure})
			}},
	}
	ctx := context.Background()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := loadSpec(t, c.spec)
			var reqBody []byte
			if c.request != "" {
				reqBody = upstreamPayload(t, c.request)
			} else {
				reqBody = []byte(`{"usersList": [{"locationId": "L", "validate": true, "users": [{"userId": "u"}]}]}`)
			}
			req := newRequest(t, c.method, c.url, reqBody, c.header)
			if err := s.ValidateRequest(ctx, req, reqBody); err != nil {
				t.Errorf("request: %v", err)
			}
			if c.request != "" {
				mt, err := mediaOf(s.Doc, exampleRef{op: c.op})
				if err != nil {
					t.Fatal(err)
				}
				var v any
				_ = json.Unmarshal(reqBody, &v)
				if missing := undeclared(v, mt.Schema.Value, ""); len(missing) > 0 {
					t.Errorf("request fields the spec does not declare: %v", missing)
				}
			}
			payload := reqBody
			if c.response != "" {
				payload = upstreamPayload(t, c.response)
				if err := s.ValidateResponse(ctx, req, c.status, http.Header{"Content-Type": {"application/json"}}, payload); err != nil {
					t.Errorf("response: %v", err)
				}
				mt, err := mediaOf(s.Doc, exampleRef{op: c.op, status: fmt.Sprint(c.status)})
				if err == nil {
					var v any
					_ = json.Unmarshal(payload, &v)
					if missing := undeclared(v, mt.Schema.Value, ""); len(missing) > 0 {
						t.Errorf("response fields the spec does not declare: %v", missing)
					}
				}
			}
			if c.sdk != nil {
				c.sdk(t, payload)
			}
		})
	}
}

// roundTrip decodes payload into the generated type T and encodes it again: the result must be the same
// JSON, so that a request built from the type sends every field of the example and nothing else (no
// zero value the caller did not set).
func roundTrip[T any](t *testing.T, payload []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(payload, &v); err != nil {
		t.Fatal(err)
	}
	again, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if eq, err := jsonEqual(payload, again); err != nil || !eq {
		t.Errorf("%T does not carry the example unchanged:\n sent %s\n want %s", v, again, payload)
	}
	return v
}

// tencentJob is the ListJobs job type the client maps; the import answer's job has the same JSON shape.
type tencentJob = tgen.Job

// tencentClient is a Tencent client pointed at a loopback fake, with test-only credentials.
func tencentClient(t *testing.T, base string) *tencent.Client {
	t.Helper()
	c, err := tencent.New(tencent.Config{SecretID: "AKIDtest", SecretKey: "test-key", Region: "ap-guangzhou", UserStoreID: "2c3aca3b****************a7efe88e"},
		&sdk.ClientOptions{BaseURL: base, Getenv: func(string) string { return "" }, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
