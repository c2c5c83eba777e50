package oracle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"

	gen "github.com/jobwatch/jobwatch/generated/oracle"
	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/internal/sdktest"
)

const password = "sentinel-oracle-password-xyz"

func newTestClient(t *testing.T, mt *httpmock.MockTransport, cfg Config) *Client {
	t.Helper()
	c, err := New(cfg, &sdk.ClientOptions{HTTPClient: &http.Client{Transport: mt}, BaseURL: "https://pc.example", Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func user(login string) gen.UserRO {
	return gen.UserRO{LoginId: login, EmailAddress: login + "@x", FirstName: "F", LastName: "L", Organization: gen.CompanyRO{Name: "sfo"}}
}

const accessFailed = "User created, but Application Access failed"

func withInfo(u gen.UserRO, info *string, ok *bool) gen.UserRO {
	u.StatusInfo, u.StatusInfoOK = info, ok
	return u
}

func TestMapStatus(t *testing.T) {
	s := func(v string) *string { return &v }
	b := func(v bool) *bool { return &v }
	info := "still owns projects"
	failedUser := user("BOB")
	failedUser.StatusInfo = &info
	cases := []struct {
		name      string
		status    int
		body      gen.UserDataStore
		want      sdk.State
		succeeded int
		failures  []sdk.Failure
	}{
		{"202 running", 202, gen.UserDataStore{}, sdk.StateRunning, -1, nil},
		{"200 clean", 200, gen.UserDataStore{Added: &[]gen.UserRO{user("A"), user("B")}, Exception: s("")}, sdk.StateSucceeded, 2, nil},
		{"200 delete failed", 200, gen.UserDataStore{Deleted: &[]string{"C"}, DeleteFailed: &[]gen.UserRO{failedUser}}, sdk.StatePartiallySucceeded, 1,
			[]sdk.Failure{{User: "BOB", Action: "delete", Message: info}}},
		{"200 exception", 200, gen.UserDataStore{Modified: &[]gen.UserRO{user("A")}, Exception: s("LDAP timeout")}, sdk.StatePartiallySucceeded, 1,
			[]sdk.Failure{{Message: "LDAP timeout"}}},
		{"200 nothing succeeded", 200, gen.UserDataStore{DeleteFailed: &[]gen.UserRO{failedUser}}, sdk.StateFailed, 0,
			[]sdk.Failure{{User: "BOB", Action: "delete", Message: info}}},
		{"200 exception only", 200, gen.UserDataStore{Exception: s("identity system down")}, sdk.StateFailed, 0,
			[]sdk.Failure{{Message: "identity system down"}}},
		{"200 statusInfo on added (Oracle's failed-users guide)", 200, gen.UserDataStore{Added: &[]gen.UserRO{withInfo(user("JSMITH"), s(accessFailed), nil), user("A")}, Exception: s("")},
			sdk.StatePartiallySucceeded, 1, []sdk.Failure{{User: "JSMITH", Action: "add", Message: accessFailed}}},
		{"200 statusInfo on the only user", 200, gen.UserDataStore{Added: &[]gen.UserRO{withInfo(user("JSMITH"), s(accessFailed), nil)}},
			sdk.StateFailed, 0, []sdk.Failure{{User: "JSMITH", Action: "add", Message: accessFailed}}},
		{"200 empty statusInfo is success", 200, gen.UserDataStore{Added: &[]gen.UserRO{withInfo(user("A"), s(""), nil)}, Modified: &[]gen.UserRO{withInfo(user("B"), s("  "), nil)}},
			sdk.StateSucceeded, 2, nil},
		{"200 statusInfoOK false on modified", 200, gen.UserDataStore{Modified: &[]gen.UserRO{withInfo(user("M"), nil, b(false)), user("N")}},
			sdk.StatePartiallySucceeded, 1, []sdk.Failure{{User: "M", Action: "modify", Message: "statusInfoOK is false"}}},
		{"200 statusInfoOK true wins over a message", 200, gen.UserDataStore{Added: &[]gen.UserRO{withInfo(user("A"), s("User created"), b(true))}},
			sdk.StateSucceeded, 1, nil},
		{"200 statusInfoOK false with its message", 200, gen.UserDataStore{Added: &[]gen.UserRO{withInfo(user("A"), s("Role not found"), b(false))}},
			sdk.StateFailed, 0, []sdk.Failure{{User: "A", Action: "add", Message: "Role not found"}}},
		{"200 user reported twice is one failure with both messages", 200, gen.UserDataStore{
			Added:        &[]gen.UserRO{withInfo(user("A"), s(accessFailed), nil), withInfo(user("A"), s("Role not found"), nil), user("OK")},
			DeleteFailed: &[]gen.UserRO{failedUser, failedUser}},
			sdk.StatePartiallySucceeded, 1, []sdk.Failure{{User: "A", Action: "add", Message: accessFailed + "; Role not found"}, {User: "BOB", Action: "delete", Message: info}}},
		{"200 every signal at once", 200, gen.UserDataStore{Added: &[]gen.UserRO{withInfo(user("A"), s(accessFailed), nil)}, Modified: &[]gen.UserRO{withInfo(user("M"), nil, b(false))},
			Deleted: &[]string{"D"}, DeleteFailed: &[]gen.UserRO{failedUser}, Exception: s("LDAP timeout")},
			sdk.StatePartiallySucceeded, 1, []sdk.Failure{{User: "A", Action: "add", Message: accessFailed}, {User: "M", Action: "modify", Message: "statusInfoOK is false"},
				{User: "BOB", Action: "delete", Message: info}, {Message: "LDAP timeout"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			j := mapStatus("95733", c.status, &c.body)
			if j.State != c.want || j.Done != c.want.Done() {
				t.Fatalf("state %s", j.State)
			}
			if c.succeeded >= 0 && *j.Counts.Succeeded != c.succeeded {
				t.Errorf("succeeded = %d", *j.Counts.Succeeded)
			}
			if c.succeeded < 0 && j.Counts.Succeeded != nil {
				t.Errorf("running job has counts")
			}
			if fmt.Sprint(j.Failures) != fmt.Sprint(append([]sdk.Failure{}, c.failures...)) {
				t.Errorf("failures = %+v, want %+v", j.Failures, c.failures)
			}
		})
	}
}

func TestStatusV1DocumentedAndRunning(t *testing.T) {
	seed := sdktest.Seed(t, "oracle_status_200.json")
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder("GET", "https://pc.example/cloudapi/restapi/user/status/95733", func(req *http.Request) (*http.Response, error) {
		if u, p, ok := req.BasicAuth(); !ok || u != "admin" || p != password {
			t.Errorf("basic auth missing")
		}
		return sdktest.JSONResponse(200, string(seed)), nil
	})
	mt.RegisterResponder("GET", "https://pc.example/cloudapi/restapi/user/status/7", func(*http.Request) (*http.Response, error) {
		return sdktest.JSONResponse(202, `{"added":[]}`, "Location", "/cloudapi/restapi/queue/status/7"), nil
	})
	// Where the Location points: the job's next Status goes there, and a done job's next one by id again.
	mt.RegisterResponder("GET", "https://pc.example/cloudapi/restapi/queue/status/7", func(*http.Request) (*http.Response, error) {
		return sdktest.JSONResponse(200, `{"added":[]}`), nil
	})
	c := newTestClient(t, mt, Config{Username: "admin", Password: password})
	j, err := c.Status(context.Background(), "95733")
	if err != nil {
		t.Fatal(err)
	}
	if j.State != sdk.StateSucceeded || *j.Counts.Succeeded != 1 || j.VendorStatus[0] != "200" {
		t.Errorf("job = %+v", j)
	}
	for i, want := range []sdk.State{sdk.StateRunning, sdk.StateSucceeded, sdk.StateRunning} {
		r, err := c.Status(context.Background(), "7")
		if err != nil || r.State != want {
			t.Errorf("poll %d = %+v, %v; want %s", i+1, r, err, want)
		}
	}
	info := mt.GetCallCountInfo()
	if n, m := info["GET https://pc.example/cloudapi/restapi/user/status/7"], info["GET https://pc.example/cloudapi/restapi/queue/status/7"]; n != 2 || m != 1 {
		t.Errorf("calls by id %d, at the Location %d; want 2 and 1", n, m)
	}
}

func TestStatusV3AndErrors(t *testing.T) {
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder("GET", "https://pc.example/cloudapi/restapi/v3/user/status/1", func(req *http.Request) (*http.Response, error) {
		if req.Header.Get("Authorization") != "Bearer tok" {
			t.Errorf("bearer missing")
		}
		return sdktest.JSONResponse(400, `{"message":"Invalid input, Please check."}`), nil
	})
	mt.RegisterResponder("GET", "https://pc.example/cloudapi/restapi/v3/user/status/2", func(*http.Request) (*http.Response, error) {
		r := httpmock.NewStringResponse(404, "Not Found")
		r.Header.Set("Content-Type", "text/plain")
		return r, nil
	})
	c := newTestClient(t, mt, Config{API: V3, Token: "tok"})
	_, err := c.Status(context.Background(), "1")
	var ae *sdk.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 400 || !errors.Is(err, sdk.ErrInvalidInput) || !strings.Contains(ae.Message, "Invalid input") {
		t.Errorf("400: %v", err)
	}
	_, err = c.Status(context.Background(), "2")
	if !errors.Is(err, sdk.ErrNotFound) || !errors.Is(err, sdk.ErrUnexpectedResponse) {
		t.Errorf("undocumented 404: %v", err)
	}
	if _, err := c.Status(context.Background(), "a/b"); err == nil {
		t.Error("job id with a slash accepted")
	}
}

func TestSubmit(t *testing.T) {
	// Oracle's reference documents the 202 by its Location header only: whatever the body, even none
	// under a JSON content type, the job id comes from Location and the started job is never lost.
	for _, body := range []string{`{}`, ``, `not json`, `{"added":[]}`} {
		mt := httpmock.NewMockTransport()
		mt.RegisterResponder("POST", "https://pc.example/cloudapi/restapi/user", func(*http.Request) (*http.Response, error) {
			return sdktest.JSONResponse(202, body, "Location", "https://pc.example/cloudapi/restapi/user/status/95733"), nil
		})
		c := newTestClient(t, mt, Config{Username: "admin", Password: password})
		id, err := c.Submit(context.Background(), gen.UserDataStore{Added: &[]gen.UserRO{user("A")}})
		if err != nil || id != "95733" {
			t.Fatalf("body %q: id %q err %v", body, id, err)
		}
	}
	mt := httpmock.NewMockTransport()
	c := newTestClient(t, mt, Config{Username: "admin", Password: password})
	if _, err := c.Submit(context.Background(), gen.UserDataStore{}); err == nil {
		t.Error("empty submit accepted")
	}
}

// TestSubmitSendsOnlyWhatWasSet submits Oracle's documented create-user request: the body sent is that
// request, with no "disabled": false or empty organization id/displayName added.
func TestSubmitSendsOnlyWhatWasSet(t *testing.T) {
	const documented = `{"added":[{"organization":{"name":"sfo","type":"Company"},"roles":[{"name":"PrimaveraUnifierProduction"}],"loginId":"JSMITH","firstName":"JIM","lastName":"SMITH","emailAddress":"jim.smith@company.com","userType":"EMP"}]}`
	var sent []byte
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder("POST", "https://pc.example/cloudapi/restapi/user", func(req *http.Request) (*http.Response, error) {
		sent, _ = io.ReadAll(req.Body)
		return sdktest.JSONResponse(202, `{}`, "Location", "/cloudapi/restapi/user/status/95733"), nil
	})
	var users gen.UserDataStore
	if err := json.Unmarshal([]byte(documented), &users); err != nil {
		t.Fatal(err)
	}
	if _, err := newTestClient(t, mt, Config{Username: "admin", Password: password}).Submit(context.Background(), users); err != nil {
		t.Fatal(err)
	}
	var want, got any
	_ = json.Unmarshal([]byte(documented), &want)
	if err := json.Unmarshal(sent, &got); err != nil || !reflect.DeepEqual(want, got) {
		t.Errorf("sent %s\nwant %s", sent, documented)
	}
}

func TestNewValidates(t *testing.T) {
	env := map[string]string{EnvUsername: "u", EnvPassword: password}
	c, err := New(Config{}, &sdk.ClientOptions{BaseURL: "https://h", Getenv: func(k string) string { return env[k] }})
	if err != nil || c.cfg.Username != "u" {
		t.Fatalf("env not read: %v", err)
	}
	for _, s := range []string{fmt.Sprintf("%v", c.cfg), fmt.Sprintf("%+v", c.cfg), fmt.Sprintf("%#v", c.cfg)} {
		if strings.Contains(s, password) {
			t.Errorf("config prints its password: %s", s)
		}
	}
	bad := []struct {
		cfg  Config
		base string
	}{
		{Config{API: "v9", Token: "t"}, "https://h"},
		{Config{API: V3}, "https://h"},
		{Config{Username: "u", Password: "p"}, ""},
		{Config{Username: "u", Password: "p"}, "not a url"},
	}
	for _, b := range bad {
		if _, err := New(b.cfg, &sdk.ClientOptions{BaseURL: b.base, Getenv: func(string) string { return "" }}); err == nil {
			t.Errorf("%v accepted", b.cfg)
		}
	}
}

// A running job's 202 may come without a body: the status and Location say it all.
func TestStatus202WithoutBody(t *testing.T) {
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder("GET", "https://pc.example/cloudapi/restapi/user/status/95733", func(*http.Request) (*http.Response, error) {
		r := httpmock.NewStringResponse(202, "")
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Location", "https://pc.example/cloudapi/restapi/user/status/95733")
		r.ContentLength = 0
		return r, nil
	})
	job, err := newTestClient(t, mt, Config{Username: "admin", Password: password}).Status(context.Background(), "95733")
	if err != nil || job.State != sdk.StateRunning || job.Done {
		t.Fatalf("job %+v, err %v; want running", job, err)
	}
}
