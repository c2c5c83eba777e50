package huawei

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	gen "github.com/jobwatch/jobwatch/generated/huawei"
	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/internal/sdktest"
)

const (
	secret   = "sentinel-huawei-app-secret"
	base     = "https://cc.example"
	queryURL = base + "/apiaccess/rest/cc-management/v1/federationUserMgmt/queryTask"
	tokenURL = base + "/apigovernance/api/oauth/tokenByAkSk"
)

// fakeToken answers tokenByAkSk with tokens tok-1, tok-2, ... and counts the calls.
func fakeToken(mt *httpmock.MockTransport, t *testing.T) *atomic.Int32 {
	var n atomic.Int32
	mt.RegisterResponder("POST", tokenURL, func(req *http.Request) (*http.Response, error) {
		b, _ := io.ReadAll(req.Body)
		if !strings.Contains(string(b), `"app_secret":"`+secret+`"`) || req.Header.Get("X-Token-Expire") != "600" {
			t.Errorf("token request = %s %v", b, req.Header)
		}
		k := n.Add(1)
		return sdktest.JSONResponse(200, fmt.Sprintf(`{"AccessToken":"tok-%d","ApplyType":"Bearer","CreateTime":"1545650171","Expires":"600","Scope":"s","AppKey":"app","UserID":"u"}`, k)), nil
	})
	return &n
}

func newTestClient(t *testing.T, mt *httpmock.MockTransport) *Client {
	t.Helper()
	c, err := New(Config{AppKey: "app", AppSecret: secret}, &sdk.ClientOptions{HTTPClient: &http.Client{Transport: mt}, BaseURL: base})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestMapTaskEveryStatus(t *testing.T) {
	st := func(s gen.TaskStatus) *gen.TaskInfo { return &gen.TaskInfo{Status: &s} }
	acct, act, code := "u-1", gen.ActionCREATE, gen.FailCodeUserExists
	fails := &[]gen.FailData{{FederationUser: &gen.FederationUser{UserAccount: &acct, Action: &act}, FailCode: &code}}
	cases := []struct {
		info  *gen.TaskInfo
		fails *[]gen.FailData
		want  sdk.State
	}{
		{st(gen.TaskStatusTODO), nil, sdk.StatePending},
		{st(gen.TaskStatusDOING), nil, sdk.StateRunning},
		{st(gen.TaskStatusDONE), &[]gen.FailData{}, sdk.StateSucceeded},
		{st(gen.TaskStatusDONE), fails, sdk.StatePartiallySucceeded},
		{st("PAUSED"), nil, sdk.StateUnknown},
		{nil, nil, sdk.StateUnknown},
	}
	for i, c := range cases {
		t.Run(fmt.Sprint(i, c.want), func(t *testing.T) {
			j := mapTask("t1", &gen.QueryTaskResult{ResultCode: "0", TaskInfo: c.info, FailDataList: c.fails})
			if j.State != c.want || j.Done != c.want.Done() {
				t.Fatalf("state %s", j.State)
			}
			if c.want == sdk.StatePartiallySucceeded {
				want := sdk.Failure{User: "u-1", Action: "CREATE", Code: "60101000108", Message: "The user already exists."}
				if len(j.Failures) != 1 || j.Failures[0] != want || *j.Counts.Failed != 1 {
					t.Errorf("failures = %+v", j.Failures)
				}
			}
		})
	}
	if len(failCodeMeanings) != 15 {
		t.Errorf("%d fail codes have a meaning, want the 15 documented", len(failCodeMeanings))
	}
}

func TestStatusDocumentedPayloadTokenOnce(t *testing.T) {
	seed := sdktest.Seed(t, "huawei_querytask_200.json")
	mt := httpmock.NewMockTransport()
	tokens := fakeToken(mt, t)
	mt.RegisterResponder("POST", queryURL, func(req *http.Request) (*http.Response, error) {
		if req.Header.Get("Authorization") != "Bearer tok-1" || req.Header.Get("X-APP-Key") != "app" {
			t.Errorf("auth headers = %v", req.Header)
		}
		return sdktest.JSONResponse(200, string(seed)), nil
	})
	c := newTestClient(t, mt)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Go(func() {
			j, err := c.Status(context.Background(), "1659446191820726274")
			if err != nil || j.State != sdk.StateSucceeded || len(j.Failures) != 0 || *j.Counts.Failed != 0 {
				t.Errorf("job %+v err %v", j, err)
			}
		})
	}
	wg.Wait()
	if n := tokens.Load(); n != 1 {
		t.Errorf("token fetched %d times under concurrency, want 1", n)
	}
}

func TestTokenRefreshAndRetryAfter401(t *testing.T) {
	mt := httpmock.NewMockTransport()
	tokens := fakeToken(mt, t)
	var rejectOnce atomic.Bool
	rejectOnce.Store(true)
	mt.RegisterResponder("POST", queryURL, func(req *http.Request) (*http.Response, error) {
		if rejectOnce.CompareAndSwap(true, false) {
			return sdktest.JSONResponse(401, `{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information"}`), nil
		}
		return sdktest.JSONResponse(200, `{"resultCode":"0","taskInfo":{"status":"DOING"}}`), nil
	})
	c := newTestClient(t, mt)
	now := time.Unix(1_700_000_000, 0)
	c.now = func() time.Time { return now }
	j, err := c.Status(context.Background(), "t")
	if err != nil || j.State != sdk.StateRunning {
		t.Fatalf("after 401: %v %v", j, err)
	}
	if tokens.Load() != 2 {
		t.Errorf("tokens = %d, want 2 (one refetch after the 401)", tokens.Load())
	}
	now = now.Add(479 * time.Second) // before 80% of 600 s
	c.Status(context.Background(), "t")
	if tokens.Load() != 2 {
		t.Errorf("token refetched before it was due")
	}
	now = now.Add(2 * time.Second)
	c.Status(context.Background(), "t")
	if tokens.Load() != 3 {
		t.Errorf("token not refreshed before expiry")
	}
}

func TestErrors(t *testing.T) {
	cases := []struct {
		name string
		resp *http.Response
		code string
		kind error
	}{
		{"resultCode not 0", sdktest.JSONResponse(200, `{"resultCode":"60101040050","resultMessage":"The input parameter taskId is invalid."}`), "60101040050", nil},
		{"401 twice", sdktest.JSONResponse(401, `{"error_code":"APIGW.0301","error_msg":"bad token"}`), "APIGW.0301", sdk.ErrUnauthorized},
		{"404", sdktest.JSONResponse(404, `{"resultCode":"404","resultMessage":"not found"}`), "404", sdk.ErrNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mt := httpmock.NewMockTransport()
			fakeToken(mt, t)
			mt.RegisterResponder("POST", queryURL, httpmock.ResponderFromResponse(c.resp))
			_, err := newTestClient(t, mt).Status(context.Background(), "t")
			var ae *sdk.APIError
			if !errors.As(err, &ae) || ae.Code != c.code || ae.Vendor != Vendor {
				t.Fatalf("err = %v", err)
			}
			if c.kind != nil && !errors.Is(err, c.kind) {
				t.Errorf("err %v is not %v", err, c.kind)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "tok-") {
				t.Errorf("error leaks a secret: %v", err)
			}
		})
	}
}

func TestSubmit(t *testing.T) {
	mt := httpmock.NewMockTransport()
	fakeToken(mt, t)
	mt.RegisterResponder("POST", base+"/apiaccess/rest/cc-management/v1/federationUserMgmt/createTask",
		httpmock.ResponderFromResponse(sdktest.JSONResponse(200, `{"resultCode":"0","resultMessage":"ok","taskId":"1659446191820726274"}`)))
	c := newTestClient(t, mt)
	id, err := c.Submit(context.Background(), []gen.FederationUserInput{{Action: gen.ActionCREATE, UserAccount: "a"}})
	if err != nil || id != "1659446191820726274" {
		t.Fatalf("id %q err %v", id, err)
	}
	if _, err := c.Submit(context.Background(), make([]gen.FederationUserInput, 101)); err == nil {
		t.Error("101 users accepted")
	}
}

func TestConfig(t *testing.T) {
	cfg := Config{AppKey: "k", AppSecret: secret}
	for _, s := range []string{fmt.Sprintf("%v", cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg)} {
		if strings.Contains(s, secret) {
			t.Errorf("config prints its secret: %s", s)
		}
	}
	env := map[string]string{EnvAppKey: "k", EnvAppSecret: secret, "JOBWATCH_HUAWEI_BASE_URL": base}
	if _, err := New(Config{}, &sdk.ClientOptions{Getenv: func(k string) string { return env[k] }}); err != nil {
		t.Errorf("env: %v", err)
	}
	// No default host: the documentation's example domain is nobody's tenant.
	delete(env, "JOBWATCH_HUAWEI_BASE_URL")
	if _, err := New(Config{}, &sdk.ClientOptions{Getenv: func(k string) string { return env[k] }}); err == nil || !strings.Contains(err.Error(), "JOBWATCH_HUAWEI_BASE_URL") {
		t.Errorf("no base URL: %v, want an error naming JOBWATCH_HUAWEI_BASE_URL", err)
	}
	if _, err := New(Config{}, &sdk.ClientOptions{Getenv: func(string) string { return "" }}); err == nil {
		t.Error("no credentials accepted")
	}
	if _, err := New(Config{AppKey: "k", AppSecret: "s", TokenLifetime: 2 * time.Hour}, &sdk.ClientOptions{BaseURL: base}); err == nil {
		t.Error("2h token lifetime accepted")
	}
}

func TestMapTaskDuplicateUsers(t *testing.T) {
	fd := func(acct string, act gen.Action, code gen.FailCode, msg string) gen.FailData {
		return gen.FailData{FederationUser: &gen.FederationUser{UserAccount: &acct, Action: &act}, FailCode: &code, FailMessage: &msg}
	}
	done := gen.TaskStatusDONE
	list := []gen.FailData{
		fd("ann", gen.ActionCREATE, gen.FailCodeUserExists, "The user already exists."),
		fd("bob", gen.ActionCREATE, gen.FailCodeRoleNotExist, "The transferred role ID r1 does not exist in the database."),
		fd("ann", gen.ActionCREATE, gen.FailCodeRoleNotExist, "The transferred role ID r9 does not exist in the database."),
		fd("ann", gen.ActionCREATE, gen.FailCodeUserExists, "The user already exists."),
		fd("ann", gen.ActionDISABLE, gen.FailCodeUserNotExist, ""),
	}
	j := mapTask("t1", &gen.QueryTaskResult{ResultCode: "0", TaskInfo: &gen.TaskInfo{Status: &done}, FailDataList: &list})
	want := []sdk.Failure{
		{User: "ann", Action: "CREATE", Code: "60101000108", Message: "The user already exists.; The transferred role ID r9 does not exist in the database."},
		{User: "bob", Action: "CREATE", Code: "60101030013", Message: "The transferred role ID r1 does not exist in the database."},
		{User: "ann", Action: "DISABLE", Code: "60101060007", Message: "The federated user does not exist."},
	}
	if fmt.Sprint(j.Failures) != fmt.Sprint(want) || *j.Counts.Failed != 3 || j.State != sdk.StatePartiallySucceeded {
		t.Errorf("failures = %+v\nwant %+v", j.Failures, want)
	}
}

func TestSubmitResultCodeOptional(t *testing.T) {
	cases := []struct {
		body, id, err string
	}{
		{`{"taskId":"1659446191820726274"}`, "1659446191820726274", ""},
		{`{"resultMessage":"ok","taskId":"7"}`, "7", ""},
		{`{"resultCode":"60101040050","resultMessage":"The input parameter federationUserList is invalid."}`, "", "60101040050"},
		{`{"resultMessage":"ok"}`, "", "may have been created"},
	}
	for _, c := range cases {
		mt := httpmock.NewMockTransport()
		fakeToken(mt, t)
		mt.RegisterResponder("POST", base+"/apiaccess/rest/cc-management/v1/federationUserMgmt/createTask",
			httpmock.ResponderFromResponse(sdktest.JSONResponse(200, c.body)))
		id, err := newTestClient(t, mt).Submit(context.Background(), []gen.FederationUserInput{{Action: gen.ActionCREATE, UserAccount: "a"}})
		if id != c.id || (c.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%s: id %q err %v", c.body, id, err)
		}
	}
}
