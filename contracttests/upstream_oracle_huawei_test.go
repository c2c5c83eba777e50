package contracttests

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	hgen "github.com/jobwatch/jobwatch/generated/huawei"
	ogen "github.com/jobwatch/jobwatch/generated/oracle"
	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/huawei"
	"github.com/jobwatch/jobwatch/sdk/oracle"
	"github.com/jobwatch/jobwatch/simulator"
	"github.com/jobwatch/jobwatch/specs"
)

func httpResponse(status int, ct string, body []byte) *http.Response {
	return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {ct}}, Body: io.NopCloser(bytes.NewReader(body))}
}

// TestUpstreamAnswers validates every documented Oracle and Huawei answer against its operation, decodes
// it with the generated client and maps it through the sdk: state, counts and every failed user named.
func TestUpstreamAnswers(t *testing.T) {
	const oracleStatus = "https://host:443/cloudapi/restapi/user/status/40870"
	huaweiQuery := "https://service.besclouds.com/apiaccess/rest/cc-management/v1/federationUserMgmt/queryTask"
	huaweiHeader := map[string]string{"Authorization": bearerHeader, "X-APP-Key": "app", "Content-Type": "application/json"}
	cases := []struct {
		name, spec, method, url, reqFile, file, ct string
		header                                     map[string]string
		state                                      sdk.State
		succeeded, failed                          int
		failures                                   []sdk.Failure
	}{
		{"oracle Get Job status example", specs.Oracle, "GET", oracleStatus, "", "oracle_status_200_reference.json", "application/json",
			map[string]string{"Authorization": basicHeader}, sdk.StateSucceeded, 1, 0, nil},
		{"oracle failed-users guide example", specs.Oracle, "GET", oracleStatus, "", "oracle_status_200_failedusers_guide.json", "application/json",
			map[string]string{"Authorization": basicHeader}, sdk.StateFailed, 0, 1,
			[]sdk.Failure{{User: "JSMITH", Action: "add", Message: "User created, but Application Access failed"}}},
		{"oracle v3 failed-users guide example", specs.Oracle, "GET", "https://host:443/cloudapi/restapi/v3/user/status/40870", "", "oracle_status_200_failedusers_guide.json", "application/json",
			map[string]string{"Authorization": bearerHeader}, sdk.StateFailed, 0, 1,
			[]sdk.Failure{{User: "JSMITH", Action: "add", Message: "User created, but Application Access failed"}}},
		{"oracle failed users CSV example", specs.Oracle, "GET", oracleStatus + "/draft", "", "oracle_draft_200.csv", "text/plain",
			map[string]string{"Authorization": basicHeader}, "", 0, 1, []sdk.Failure{{User: "JSMITH"}}},
		{"oracle failed users CSV example as octet-stream", specs.Oracle, "GET", oracleStatus + "/draft", "", "oracle_draft_200.csv", "application/octet-stream",
			map[string]string{"Authorization": basicHeader}, "", 0, 1, []sdk.Failure{{User: "JSMITH"}}},
		{"oracle log example", specs.Oracle, "GET", oracleStatus + "/log", "", "oracle_log_200.txt", "text/plain",
			map[string]string{"Authorization": basicHeader}, "", 0, 0, nil},
		{"huawei queryTask example", specs.Huawei, "POST", huaweiQuery, "huawei_querytask_request.json", "huawei_querytask_200.json", "application/json",
			huaweiHeader, sdk.StateSucceeded, -1, 0, nil},
	}
	ctx := context.Background()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := loadSpec(t, c.spec)
			var reqBody []byte
			if c.reqFile != "" {
				reqBody = upstreamPayload(t, c.reqFile)
			}
			req := newRequest(t, c.method, c.url, reqBody, c.header)
			if err := s.ValidateRequest(ctx, req, reqBody); err != nil {
				t.Errorf("request: %v", err)
			}
			body := upstreamPayload(t, c.file)
			if err := s.ValidateResponse(ctx, req, 200, http.Header{"Content-Type": {c.ct}}, body); err != nil {
				t.Fatalf("response: %v", err)
			}
			var job *sdk.Job
			switch c.file {
			case "oracle_draft_200.csv":
				users, err := oracle.ParseFailedUsersCSV(bytes.NewReader(body))
				if err != nil || len(users) != c.failed || users[0].Username != c.failures[0].User {
					t.Fatalf("CSV: %+v %v", users, err)
				}
				return
			case "oracle_log_200.txt":
				r, err := ogen.ParseGetUserJobLogResponse(httpResponse(200, c.ct, body))
				if err != nil || !bytes.Equal(r.Body, body) {
					t.Fatalf("log: %v", err)
				}
				return
			case "huawei_querytask_200.json":
				r, err := hgen.ParseQueryTaskResponse(httpResponse(200, c.ct, body))
				if err != nil || r.JSON200 == nil {
					t.Fatalf("decode: %v", err)
				}
				// The documented answer, served to the client, maps as Status maps it.
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					if strings.HasSuffix(r.URL.Path, "/tokenByAkSk") {
						_, _ = w.Write([]byte(`{"AccessToken":"tok-1","ApplyType":"Bearer","CreateTime":"1545650171","Expires":"600","Scope":"s","AppKey":"app","UserID":"u"}`))
						return
					}
					_, _ = w.Write(body)
				}))
				defer srv.Close()
				hc, err := huawei.New(huawei.Config{AppKey: "app", AppSecret: "test-secret"}, &sdk.ClientOptions{BaseURL: srv.URL, Getenv: func(string) string { return "" }})
				if err != nil {
					t.Fatal(err)
				}
				if job, err = hc.Status(ctx, "1659446191820726274"); err != nil {
					t.Fatal(err)
				}
			default:
				r, err := ogen.ParseGetUserJobStatusResponse(httpResponse(200, c.ct, body))
				if err != nil || r.JSON200 == nil {
					t.Fatalf("decode: %v", err)
				}
				srv, _ := vendorAnswer(t, 200, body)
				oc, err := oracle.New(oracle.Config{Username: "u", Password: "p"}, &sdk.ClientOptions{BaseURL: srv.URL, Getenv: func(string) string { return "" }})
				if err != nil {
					t.Fatal(err)
				}
				if job, err = oc.Status(ctx, "40870"); err != nil {
					t.Fatal(err)
				}
			}
			if job.State != c.state || !job.Done {
				t.Errorf("state = %s", job.State)
			}
			if c.succeeded >= 0 && (job.Counts.Succeeded == nil || *job.Counts.Succeeded != c.succeeded) {
				t.Errorf("succeeded = %v, want %d", job.Counts.Succeeded, c.succeeded)
			}
			if job.Counts.Failed == nil || *job.Counts.Failed != c.failed {
				t.Errorf("failed = %v, want %d", job.Counts.Failed, c.failed)
			}
			if fmt.Sprint(job.Failures) != fmt.Sprint(append([]sdk.Failure{}, c.failures...)) {
				t.Errorf("failures = %+v, want %+v", job.Failures, c.failures)
			}
		})
	}
}

// TestUpstreamRequests validates every documented Oracle request against the spec and checks that the
// generated types carry it unchanged: decoding and re-encoding it adds no field the example left out
// (no "disabled": false, no organization "id": "" or "displayName": "").
func TestUpstreamRequests(t *testing.T) {
	for _, c := range []struct{ file, url, auth string }{
		{"oracle_create_request_jobstatus_guide.json", "https://host:443/cloudapi/restapi/user", basicHeader},
		{"oracle_create_request_failedusers_guide.json", "https://host:443/cloudapi/restapi/user", basicHeader},
		{"oracle_create_request_failedusers_guide.json", "https://host:443/cloudapi/restapi/v3/user", bearerHeader},
	} {
		t.Run(c.file+" "+c.url, func(t *testing.T) {
			s := loadSpec(t, specs.Oracle)
			body := upstreamPayload(t, c.file)
			req := newRequest(t, "POST", c.url, body, map[string]string{"Authorization": c.auth, "Content-Type": "application/json"})
			if err := s.ValidateRequest(context.Background(), req, body); err != nil {
				t.Fatalf("documented request violates the spec: %v", err)
			}
			var typed oracle.UserDataStore
			if err := json.Unmarshal(body, &typed); err != nil {
				t.Fatal(err)
			}
			again, err := json.Marshal(typed)
			if err != nil {
				t.Fatal(err)
			}
			var want, got any
			_ = json.Unmarshal(body, &want)
			_ = json.Unmarshal(again, &got)
			if !reflect.DeepEqual(want, got) {
				t.Errorf("the generated types change the documented request:\nwant %s\ngot  %s", body, again)
			}
		})
	}
}

// TestUpstreamHuaweiToken validates Huawei's documented tokenByAkSk request and answer and decodes the
// answer with the generated client.
func TestUpstreamHuaweiToken(t *testing.T) {
	s := loadSpec(t, specs.Huawei)
	reqBody, body := upstreamPayload(t, "huawei_token_request.json"), upstreamPayload(t, "huawei_token_200.json")
	req := newRequest(t, "POST", "https://service.besclouds.com/apigovernance/api/oauth/tokenByAkSk", reqBody,
		map[string]string{"Content-Type": "application/json", "X-Token-Expire": "600"})
	if err := s.ValidateRequest(context.Background(), req, reqBody); err != nil {
		t.Errorf("request: %v", err)
	}
	if err := s.ValidateResponse(context.Background(), req, 200, jsonHeader, body); err != nil {
		t.Errorf("response: %v", err)
	}
	r, err := hgen.ParseTokenByAkSkResponse(httpResponse(200, "application/json", body))
	if err != nil || r.JSON200 == nil || r.JSON200.AccessToken != "zzzzzzzzzzzzzzzzzz" || r.JSON200.Expires != "600" {
		t.Fatalf("decode: %+v %v", r, err)
	}
}

// TestOracleFailedUsersAgainstSimulator runs a job with a user whose application access fails through
// the strict simulator (every exchange held to the spec, /draft's CSV included): the status answer
// names the user by statusInfo, and the failed-users export lists the same user.
func TestOracleFailedUsersAgainstSimulator(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := strictSim(t, simulator.Options{JobDuration: 5 * time.Second})
		c := newE2E(t, sim, sim.Transport(), "http://sim.test", nil)
		u := func(login string) ogen.UserRO {
			return ogen.UserRO{LoginId: login, EmailAddress: login + "@example.com", FirstName: "F", LastName: login, Organization: ogen.CompanyRO{Name: "sfo"}}
		}
		id, err := c.oracle.Submit(t.Context(), ogen.UserDataStore{Added: &[]ogen.UserRO{u("JSMITH"), u("NEW-FAIL")}})
		if err != nil {
			t.Fatal(err)
		}
		job, err := sdk.Wait(t.Context(), c.oracle, id, nil)
		want := []sdk.Failure{{User: "NEW-FAIL", Action: "add", Message: simulator.OracleAccessFailed}}
		if err != nil || job.State != sdk.StatePartiallySucceeded || fmt.Sprint(job.Failures) != fmt.Sprint(want) {
			t.Fatalf("job %+v, %v", job, err)
		}
		rows, err := c.oracle.FailedUsersCSV(t.Context(), id)
		if err != nil || len(rows) != 1 || rows[0].Username != "NEW-FAIL" || rows[0].LastName != "NEW-FAIL" || rows[0].Company != "sfo" {
			t.Fatalf("failed users %+v, %v", rows, err)
		}
		if st := sim.Stats(simulator.Oracle); st.Violations != 0 {
			t.Errorf("%+v", st)
		}
	})
}
