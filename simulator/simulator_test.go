package simulator

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	hgen "github.com/jobwatch/jobwatch/generated/huawei"
	ogen "github.com/jobwatch/jobwatch/generated/oracle"
	tgen "github.com/jobwatch/jobwatch/generated/tencent"
	wgen "github.com/jobwatch/jobwatch/generated/webex"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// newSim returns a simulator whose violations fail t, and an HTTP client that reaches it in memory.
func newSim(t *testing.T, opts Options) (*Simulator, *http.Client) {
	t.Helper()
	opts.OnViolation = func(vendor string, err error) { t.Errorf("%s violation: %v", vendor, err) }
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s, &http.Client{Transport: s.Transport()}
}

const root = "http://sim.test"

func TestTC3SignatureMatchesThePublishedVector(t *testing.T) {
	payload := `{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}`
	got := tc3Signature("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "cvm", "POST", "/", "",
		[]string{"content-type:application/json; charset=utf-8", "host:cvm.tencentcloudapi.com"}, []byte(payload), 1551113065, false)
	if want := "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"; got != want {
		t.Fatalf("signature %s, want %s", got, want)
	}
}

// tencentCall signs and sends one action the way the documentation describes.
func tencentCall(t *testing.T, s *Simulator, hc *http.Client, action string, body any, mutate func(*http.Request)) tgen.ListJobsResult {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, root+"/", bytes.NewReader(b))
	ts := time.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-TC-Action", action)
	req.Header.Set("X-TC-Version", "2022-03-31")
	req.Header.Set("X-TC-Region", "ap-guangzhou")
	req.Header.Set("X-TC-Timestamp", strconv.FormatInt(ts, 10))
	c := s.Credentials()
	sig := tc3Signature(c.TencentSecretKey, "ciam", "POST", "/", "", []string{"content-type:application/json", "host:sim.test"}, b, ts, false)
	date := time.Unix(ts, 0).UTC().Format("2006-01-02")
	req.Header.Set("Authorization", fmt.Sprintf("TC3-HMAC-SHA256 Credential=%s/%s/ciam/tc3_request, SignedHeaders=content-type;host, Signature=%s", c.TencentSecretID, date, sig))
	if mutate != nil {
		mutate(req)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env tgen.ListJobsEnvelope
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || resp.StatusCode != 200 {
		t.Fatalf("HTTP %d: %v", resp.StatusCode, err)
	}
	return env.Response
}

func TestTencentJobLifecycleAuthAndLimits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, hc := newSim(t, Options{JobDuration: 10 * time.Second})
		imp := map[string]any{"UserStoreId": "store-1", "DataFlowUserCreateList": []map[string]string{{"UserName": "alice"}, {"UserName": "bob-fail"}}}
		r := tencentCall(t, s, hc, "CreateApiImportUserJob", imp, nil)
		if r.Error != nil {
			t.Fatalf("import: %+v", r.Error)
		}
		id := s.Jobs(Tencent)[0]
		list := map[string]any{"UserStoreId": "store-1", "JobIds": []string{id}}
		for _, step := range []struct {
			at   time.Duration
			want tgen.JobStatus
		}{{0, tgen.JobStatusPENDING}, {5 * time.Second, tgen.JobStatusPROCESSING}, {10 * time.Second, tgen.JobStatusCOMPLETED}} {
			time.Sleep(step.at - time.Duration(0))
			r := tencentCall(t, s, hc, "ListJobs", list, nil)
			if r.JobSet == nil || len(*r.JobSet) != 1 || (*r.JobSet)[0].Status != step.want {
				t.Fatalf("at +%v: %+v", step.at, r)
			}
			if step.want == tgen.JobStatusCOMPLETED {
				f := (*r.JobSet)[0].FailedUsers
				if f == nil || len(*f) != 1 || *(*f)[0].FailedUserIdentification != "bob-fail" {
					t.Errorf("failed users %+v", f)
				}
			}
		}
		cases := []struct {
			name   string
			mutate func(*http.Request)
			code   string
		}{
			{"wrong secret id", func(r *http.Request) {
				r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), s.creds.TencentSecretID, "AKIDwrong", 1))
			}, "AuthFailure.SecretIdNotFound"},
			{"tampered signature", func(r *http.Request) {
				a := r.Header.Get("Authorization")
				r.Header.Set("Authorization", a[:len(a)-4]+"0000")
			}, "AuthFailure.SignatureFailure"},
			{"tampered body", func(r *http.Request) {
				r.Body = io.NopCloser(strings.NewReader(`{"UserStoreId":"store-2"}`))
				r.ContentLength = -1
			}, "AuthFailure.SignatureFailure"},
			{"clock skew", func(r *http.Request) {
				r.Header.Set("X-TC-Timestamp", strconv.FormatInt(time.Now().Add(-10*time.Minute).Unix(), 10))
			}, "AuthFailure.SignatureExpire"},
			{"not TC3", func(r *http.Request) { r.Header.Set("Authorization", "Bearer x") }, "AuthFailure.InvalidAuthorization"},
		}
		for _, tc := range cases {
			time.Sleep(time.Second)
			if r := tencentCall(t, s, hc, "ListJobs", list, tc.mutate); r.Error == nil || r.Error.Code != tc.code {
				t.Errorf("%s: got %+v, want %s", tc.name, r.Error, tc.code)
			} else if strings.Contains(r.Error.Message, s.creds.TencentSecretKey) {
				t.Errorf("%s: message holds the secret", tc.name)
			}
		}
		time.Sleep(time.Second)
		many := make([]string, 101)
		for i := range many {
			many[i] = fmt.Sprint("id-", i)
		}
		if r := tencentCall(t, s, hc, "ListJobs", map[string]any{"UserStoreId": "store-1", "JobIds": many}, nil); r.Error == nil || r.Error.Code != "InvalidParameterValue" {
			t.Errorf("101 ids: %+v", r.Error)
		}
		time.Sleep(time.Second)
		limited := 0
		for range 25 {
			if r := tencentCall(t, s, hc, "ListJobs", list, nil); r.Error != nil && r.Error.Code == "RequestLimitExceeded" {
				limited++
			}
		}
		if limited != 5 {
			t.Errorf("%d of 25 requests in one instant refused, want 5", limited)
		}
		if st := s.Stats(Tencent); st.RateLimited != 5 || st.MaxPerSecond != 25 {
			t.Errorf("stats %+v", st)
		}
	})
}

func TestOracleLifecycleAndAuth(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, hc := newSim(t, Options{JobDuration: 4 * time.Second})
		c := s.Credentials()
		basic := func(_ context.Context, r *http.Request) error {
			r.SetBasicAuth(c.OracleUsername, c.OraclePassword)
			return nil
		}
		cl, _ := ogen.NewClientWithResponses(root, ogen.WithHTTPClient(hc), ogen.WithRequestEditorFn(basic))
		del := []string{"CFAIL"}
		created, err := cl.CreateUserJobWithResponse(t.Context(), ogen.UserDataStore{Added: &[]ogen.UserRO{{LoginId: "JSMITH", EmailAddress: "j@x", FirstName: "J", LastName: "S",
			Organization: ogen.CompanyRO{Name: "sfo"}}}, Deleted: &del})
		if err != nil || created.StatusCode() != 202 {
			t.Fatalf("create: %v %v", err, created.Status())
		}
		loc := created.HTTPResponse.Header.Get("Location")
		id := loc[strings.LastIndex(loc, "/")+1:]
		r, _ := cl.GetUserJobStatusWithResponse(t.Context(), id)
		if r.StatusCode() != 202 || r.HTTPResponse.Header.Get("Location") != loc {
			t.Fatalf("running: %d %q", r.StatusCode(), r.HTTPResponse.Header.Get("Location"))
		}
		time.Sleep(4 * time.Second)
		r, _ = cl.GetUserJobStatusWithResponse(t.Context(), id)
		if r.StatusCode() != 200 || len(*r.JSON200.Added) != 1 || len(*r.JSON200.DeleteFailed) != 1 || (*r.JSON200.DeleteFailed)[0].LoginId != "CFAIL" {
			t.Fatalf("done: %d %s", r.StatusCode(), r.Body)
		}
		wrong := func(_ context.Context, r *http.Request) error { r.SetBasicAuth(c.OracleUsername, "nope"); return nil }
		bad, _ := ogen.NewClientWithResponses(root, ogen.WithHTTPClient(hc), ogen.WithRequestEditorFn(wrong))
		if r, _ := bad.GetUserJobStatusWithResponse(t.Context(), id); r.StatusCode() != 401 {
			t.Errorf("wrong password: %d", r.StatusCode())
		}
		v3 := func(_ context.Context, r *http.Request) error {
			r.Header.Set("Authorization", "Bearer "+c.OracleToken)
			return nil
		}
		cl3, _ := ogen.NewClientWithResponses(root, ogen.WithHTTPClient(hc), ogen.WithRequestEditorFn(v3))
		if r, _ := cl3.GetUserJobStatusV3WithResponse(t.Context(), id); r.StatusCode() != 200 {
			t.Errorf("v3: %d", r.StatusCode())
		}
	})
}

func TestHuaweiTokensExpire(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, hc := newSim(t, Options{JobDuration: 2 * time.Second})
		c := s.Credentials()
		plain, _ := hgen.NewClientWithResponses(root, hgen.WithHTTPClient(hc))
		if r, _ := plain.TokenByAkSkWithResponse(t.Context(), nil, hgen.TokenRequest{AppKey: c.HuaweiAppKey, AppSecret: "wrong"}); r.StatusCode() != 401 || r.JSON401 == nil {
			t.Fatalf("wrong secret: %d", r.StatusCode())
		}
		life := 60
		tok, err := plain.TokenByAkSkWithResponse(t.Context(), &hgen.TokenByAkSkParams{XTokenExpire: &life}, hgen.TokenRequest{AppKey: c.HuaweiAppKey, AppSecret: c.HuaweiAppSecret})
		if err != nil || tok.JSON200 == nil || tok.JSON200.Expires != "60" {
			t.Fatalf("token: %v %s", err, tok.Body)
		}
		auth := func(_ context.Context, r *http.Request) error {
			r.Header.Set("X-APP-Key", c.HuaweiAppKey)
			r.Header.Set("Authorization", "Bearer "+tok.JSON200.AccessToken)
			return nil
		}
		cl, _ := hgen.NewClientWithResponses(root, hgen.WithHTTPClient(hc), hgen.WithRequestEditorFn(auth))
		ct, _ := cl.CreateTaskWithResponse(t.Context(), hgen.CreateTaskRequest{FederationUserList: []hgen.FederationUserInput{
			{Action: hgen.ActionCREATE, UserAccount: "ann"}, {Action: hgen.ActionCREATE, UserAccount: "failing-bob"}}})
		if ct.JSON200 == nil || ct.JSON200.ResultCode == nil || *ct.JSON200.ResultCode != "0" {
			t.Fatalf("createTask: %s", ct.Body)
		}
		q := func() *hgen.QueryTaskResponse {
			r, err := cl.QueryTaskWithResponse(t.Context(), hgen.QueryTaskRequest{TaskId: *ct.JSON200.TaskId})
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		if r := q(); *r.JSON200.TaskInfo.Status != hgen.TaskStatusTODO {
			t.Errorf("first: %s", r.Body)
		}
		time.Sleep(2 * time.Second)
		r := q()
		if *r.JSON200.TaskInfo.Status != hgen.TaskStatusDONE || len(*r.JSON200.FailDataList) != 1 || *(*r.JSON200.FailDataList)[0].FailCode != hgen.FailCodeUserExists {
			t.Errorf("done: %s", r.Body)
		}
		time.Sleep(time.Minute)
		if r := q(); r.StatusCode() != 401 {
			t.Errorf("expired token: %d", r.StatusCode())
		}
	})
}

func TestWebexLifecycleRateAndAbandon(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, hc := newSim(t, Options{JobDuration: 10 * time.Second, WebexRate: 5, WebexSubmitShape: WebexSubmitLegacy})
		c := s.Credentials()
		auth := func(_ context.Context, r *http.Request) error {
			r.Header.Set("Authorization", "Bearer "+c.WebexToken)
			return nil
		}
		cl, _ := wgen.NewClientWithResponses(root+"/v1", wgen.WithHTTPClient(hc), wgen.WithRequestEditorFn(auth))
		users := []wgen.UserItem{{UserId: "u1"}, {UserId: "u2-fail"}, {UserId: "u3"}, {UserId: "u4"}}
		st, err := cl.ValidateOrInitiateMoveUsersJobWithResponse(t.Context(), nil, wgen.MoveUsersRequest{UsersList: []wgen.UsersListItem{{LocationId: "loc", Users: users}}})
		if err != nil || st.JSON200 == nil {
			t.Fatalf("start: %v", err)
		}
		started, _ := st.JSON200.Response.AsStartJobResponse()
		id := started.JobDetails.Id
		time.Sleep(6 * time.Second)
		r, _ := cl.GetMoveUsersJobStatusWithResponse(t.Context(), id, nil)
		if r.JSON200 == nil || r.JSON200.LatestExecutionStatus != wgen.ExecutionStatusSTARTED || r.JSON200.Counts.Moved+r.JSON200.Counts.Failed != 2 {
			t.Fatalf("running: %s", r.Body)
		}
		time.Sleep(5 * time.Second)
		r, _ = cl.GetMoveUsersJobStatusWithResponse(t.Context(), id, nil)
		if r.JSON200.LatestExecutionStatus != wgen.ExecutionStatusCOMPLETED || *r.JSON200.LatestExecutionExitCode != wgen.ExitCodeCOMPLETEDWITHERRORS || r.JSON200.Counts.Failed != 1 {
			t.Fatalf("done: %s", r.Body)
		}
		e, _ := cl.ListMoveUsersJobErrorsWithResponse(t.Context(), id, nil)
		if e.JSON200 == nil || len(e.JSON200.Items) != 1 || e.JSON200.Items[0].Item == nil || *e.JSON200.Items[0].Item != "u2-fail" {
			t.Fatalf("errors: %s", e.Body)
		}
		limited := 0
		for range 8 {
			r, _ := cl.GetMoveUsersJobStatusWithResponse(t.Context(), id, nil)
			if r.StatusCode() == 429 && r.HTTPResponse.Header.Get("Retry-After") == "1" {
				limited++
			}
		}
		if limited == 0 {
			t.Error("no 429 beyond the rate")
		}
		time.Sleep(time.Second)
		st, _ = cl.ValidateOrInitiateMoveUsersJobWithResponse(t.Context(), nil, wgen.MoveUsersRequest{UsersList: []wgen.UsersListItem{{LocationId: "loc", Users: users}}})
		started, _ = st.JSON200.Response.AsStartJobResponse()
		if a, _ := cl.AbandonMoveUsersJobWithResponse(t.Context(), started.JobDetails.Id, nil); a.StatusCode() != 200 {
			t.Fatalf("abandon: %d", a.StatusCode())
		}
		r, _ = cl.GetMoveUsersJobStatusWithResponse(t.Context(), started.JobDetails.Id, nil)
		if r.JSON200.LatestExecutionStatus != wgen.ExecutionStatusABANDONED {
			t.Errorf("abandoned: %s", r.Body)
		}
		bad, _ := wgen.NewClientWithResponses(root+"/v1", wgen.WithHTTPClient(hc), wgen.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
			r.Header.Set("Authorization", "Bearer nope")
			return nil
		}))
		time.Sleep(time.Second)
		if r, _ := bad.GetMoveUsersJobStatusWithResponse(t.Context(), id, nil); r.StatusCode() != 401 || r.JSON401 == nil {
			t.Errorf("wrong token: %d", r.StatusCode())
		}
	})
}

func TestFaultsInMemory(t *testing.T) {
	s, hc := newSim(t, Options{})
	s.Inject(Fault{Vendor: Webex, Kind: FaultReset}, Fault{Vendor: Webex, Kind: FaultResetMidBody}, Fault{Vendor: Webex, Kind: FaultHTML},
		Fault{Vendor: Webex, Kind: FaultStatus, Status: 503, RetryAfter: "7"})
	get := func() (*http.Response, []byte, error) {
		req, _ := http.NewRequest("GET", root+webexJobs+"/x", nil)
		req.Header.Set("Authorization", "Bearer "+s.creds.WebexToken)
		resp, err := hc.Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp, b, err
	}
	if _, _, err := get(); !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("reset: %v", err)
	}
	if _, _, err := get(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("reset mid-body: %v", err)
	}
	if resp, b, _ := get(); resp.Header.Get("Content-Type") != "application/json" || !bytes.HasPrefix(b, []byte("<!DOCTYPE html>")) {
		t.Errorf("html: %s", b)
	}
	if resp, _, _ := get(); resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "7" {
		t.Errorf("503: %v", resp.Status)
	}
	if resp, _, _ := get(); resp.StatusCode != 404 {
		t.Errorf("after the faults: %v", resp.Status)
	}
}

func TestViolationsAreReported(t *testing.T) {
	var mu sync.Mutex
	var got []string
	s, err := New(Options{OnViolation: func(v string, err error) { mu.Lock(); got = append(got, v+": "+err.Error()); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: s.Transport()}
	req, _ := http.NewRequest("POST", root+"/apiaccess/rest/cc-management/v1/federationUserMgmt/queryTask", strings.NewReader(`{"task":1}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-APP-Key", "k")
	req.Header.Set("Authorization", "Bearer t")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 || len(got) != 1 || !strings.Contains(got[0], "taskId") {
		t.Fatalf("HTTP %d, violations %q", resp.StatusCode, got)
	}
	if st := s.Stats(Huawei); st.Violations != 1 || st.Requests != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestServerOnLoopback(t *testing.T) {
	srv := NewTest(t, Options{})
	resp, err := http.Get(srv.BaseURL(Webex) + "/telephony/config/jobs/person/moveLocation/none")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("no token: %d", resp.StatusCode)
	}
	if BaseURL(Oracle, srv.URL) != srv.URL || !strings.HasSuffix(srv.BaseURL(Webex), "/v1") {
		t.Error("base URLs")
	}
}

func TestISODuration(t *testing.T) {
	for d, want := range map[time.Duration]string{2752 * time.Millisecond: "PT2.752S", 65500 * time.Millisecond: "PT1M5.5S", time.Hour: "PT1H0S", 0: "PT0S"} {
		if got := isoDuration(d); got != want {
			t.Errorf("%v: %s, want %s", d, got, want)
		}
	}
}

// TestWebexSubmitShapes: by default the simulator answers a start in the published shape (201, the job
// under `response`) and the older live shape (200, `response.jobDetails`) by turns; each setting pins one.
func TestWebexSubmitShapes(t *testing.T) {
	cases := []struct {
		shape string
		want  []int
	}{
		{"", []int{201, 200, 201}},
		{WebexSubmitPublished, []int{201, 201}},
		{WebexSubmitLegacy, []int{200, 200}},
	}
	for _, tc := range cases {
		t.Run("shape="+tc.shape, func(t *testing.T) {
			s, hc := newSim(t, Options{WebexSubmitShape: tc.shape})
			tok := s.Credentials().WebexToken
			auth := func(_ context.Context, r *http.Request) error {
				r.Header.Set("Authorization", "Bearer "+tok)
				return nil
			}
			cl, _ := wgen.NewClientWithResponses(root+"/v1", wgen.WithHTTPClient(hc), wgen.WithRequestEditorFn(auth))
			for i, want := range tc.want {
				r, err := cl.ValidateOrInitiateMoveUsersJobWithResponse(t.Context(), nil, wgen.MoveUsersRequest{UsersList: []wgen.UsersListItem{{LocationId: "loc", Users: []wgen.UserItem{{UserId: "u1"}}}}})
				if err != nil || r.StatusCode() != want {
					t.Fatalf("start %d: %v %d %s", i, err, r.StatusCode(), r.Body)
				}
				id := ""
				if want == 201 {
					id = r.JSON201.Response.Id
				} else if d, err := r.JSON200.Response.AsStartJobResponse(); err == nil && d.JobDetails != nil {
					id = d.JobDetails.Id
				}
				if id == "" || r.HTTPResponse.Header.Get("TrackingID") == "" {
					t.Fatalf("start %d: no id or TrackingID in %s", i, r.Body)
				}
				if st, _ := cl.GetMoveUsersJobStatusWithResponse(t.Context(), id, nil); st.JSON200 == nil || st.JSON200.Id != id {
					t.Fatalf("status of %s: %s", id, st.Body)
				}
			}
		})
	}
}

// TestWebexPauseResumeAndStopStates: a paused job is STOPPED with exit code STOPPED and holds still; a
// resume runs it on as a new execution (listed first, the stopped one after it) to its end; pausing a
// job that is not running, or resuming one that is not paused, is refused (409).
func TestWebexPauseResumeAndStopStates(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, hc := newSim(t, Options{JobDuration: 10 * time.Second})
		cl := webexClient(t, s, hc)
		id, _ := s.CreateJob(Webex, []JobUser{{ID: "u1"}, {ID: "u2"}, {ID: "u3"}, {ID: "u4"}}, 0)
		time.Sleep(5 * time.Second)
		if p, _ := cl.PauseMoveUsersJobWithResponse(t.Context(), id, nil); p.StatusCode() != http.StatusAccepted {
			t.Fatalf("pause: %d %s", p.StatusCode(), p.Body)
		}
		if p, _ := cl.PauseMoveUsersJobWithResponse(t.Context(), id, nil); p.StatusCode() != http.StatusConflict {
			t.Errorf("second pause: %d", p.StatusCode())
		}
		time.Sleep(time.Hour)
		r, _ := cl.GetMoveUsersJobStatusWithResponse(t.Context(), id, nil)
		if j := r.JSON200; j == nil || j.LatestExecutionStatus != wgen.ExecutionStatusSTOPPED || *j.LatestExecutionExitCode != wgen.ExitCodeSTOPPED ||
			j.Counts.Moved != 2 || *j.Counts.Pending != 2 {
			t.Fatalf("paused an hour: %s", r.Body)
		}
		if p, _ := cl.ResumeMoveUsersJobWithResponse(t.Context(), id, nil); p.StatusCode() != http.StatusAccepted {
			t.Fatalf("resume: %d %s", p.StatusCode(), p.Body)
		}
		if p, _ := cl.ResumeMoveUsersJobWithResponse(t.Context(), id, nil); p.StatusCode() != http.StatusConflict {
			t.Errorf("second resume: %d", p.StatusCode())
		}
		r, _ = cl.GetMoveUsersJobStatusWithResponse(t.Context(), id, nil)
		if j := r.JSON200; j == nil || j.LatestExecutionStatus != wgen.ExecutionStatusSTARTED || j.Counts.Moved != 2 {
			t.Fatalf("resumed: %s", r.Body)
		}
		time.Sleep(5 * time.Second)
		r, _ = cl.GetMoveUsersJobStatusWithResponse(t.Context(), id, nil)
		j := r.JSON200
		if j == nil || j.LatestExecutionStatus != wgen.ExecutionStatusCOMPLETED || j.Counts.Moved != 4 || len(*j.JobExecutionStatus) != 2 {
			t.Fatalf("resumed job done: %s", r.Body)
		}
		if ex := *j.JobExecutionStatus; *ex[0].Id != *ex[1].Id+1 || *ex[1].StatusMessage != wgen.ExecutionStatusSTOPPED {
			t.Errorf("executions: %s", r.Body)
		}
		if p, _ := cl.PauseMoveUsersJobWithResponse(t.Context(), id, nil); p.StatusCode() != http.StatusConflict {
			t.Errorf("pause of a done job: %d", p.StatusCode())
		}
	})
}

// TestWebexErrorsListAsPublished: the errors list pages at 50 without max (the published example's
// paging.limit), honours start and max, names users submitted by person id by the UUID inside it, and
// lists users moved with an error, whose job ends COMPLETED_WITH_ERRORS with counts.failed 0.
func TestWebexErrorsListAsPublished(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, hc := newSim(t, Options{JobDuration: time.Second, FailUser: func(_, u string) (Failure, bool) {
			if u == "u1" || strings.Contains(u, "warn") {
				return Failure{}, false
			}
			return Failure{Code: "19605", Message: "User is assigned services not authorized to the new group."}, true
		}})
		cl := webexClient(t, s, hc)
		var users []JobUser
		for i := range 60 {
			users = append(users, JobUser{ID: fmt.Sprintf("u%d-fail", i)})
		}
		person := base64.RawStdEncoding.EncodeToString([]byte("ciscospark://us/PEOPLE/52efdff9-9db6-438d-9b96-638365789353"))
		users[0].ID = person
		id, _ := s.CreateJob(Webex, users, 0)
		time.Sleep(2 * time.Second)
		e, _ := cl.ListMoveUsersJobErrorsWithResponse(t.Context(), id, nil)
		if e.JSON200 == nil || len(e.JSON200.Items) != 50 || *e.JSON200.Paging.Limit != 50 || *e.JSON200.Items[0].Item != "52efdff9-9db6-438d-9b96-638365789353" ||
			!strings.Contains(e.HTTPResponse.Header.Get("Link"), `start=50`) {
			t.Fatalf("first page: %d items, Link %q", len(e.JSON200.Items), e.HTTPResponse.Header.Get("Link"))
		}
		e, _ = cl.ListMoveUsersJobErrorsWithResponse(t.Context(), id, &wgen.ListMoveUsersJobErrorsParams{Start: ptr(50), Max: ptr(50)})
		if e.JSON200 == nil || len(e.JSON200.Items) != 10 || *e.JSON200.Items[0].ItemNumber != 51 || e.HTTPResponse.Header.Get("Link") != "" {
			t.Fatalf("second page: %s", e.Body)
		}

		id, _ = s.CreateJob(Webex, []JobUser{{ID: "u1"}, {ID: "u2-warn"}}, 0)
		time.Sleep(2 * time.Second)
		r, _ := cl.GetMoveUsersJobStatusWithResponse(t.Context(), id, nil)
		if j := r.JSON200; j == nil || *j.LatestExecutionExitCode != wgen.ExitCodeCOMPLETEDWITHERRORS || j.Counts.Failed != 0 || j.Counts.Moved != 2 {
			t.Fatalf("moved with an error: %s", r.Body)
		}
		e, _ = cl.ListMoveUsersJobErrorsWithResponse(t.Context(), id, nil)
		if e.JSON200 == nil || len(e.JSON200.Items) != 1 || *e.JSON200.Items[0].Item != "u2-warn" {
			t.Fatalf("errors of a job completed with errors: %s", e.Body)
		}
	})
}

// TestWebexRefusesAsDocumented: a start Webex refuses is answered 400 with its request validation errors,
// errors[{code, message}] and no top-level message; the list's jobs have no name, as published.
func TestWebexRefusesAsDocumented(t *testing.T) {
	s, hc := newSim(t, Options{})
	cl := webexClient(t, s, hc)
	many := make([]wgen.UserItem, 101)
	for i := range many {
		many[i] = wgen.UserItem{UserId: fmt.Sprint("u", i)}
	}
	cases := []struct {
		name  string
		users []wgen.UserItem
		code  any
		msg   string
	}{
		{"a user twice", []wgen.UserItem{{UserId: "u1"}, {UserId: "u1"}}, 1026019.0, "Duplicate entry for user is not allowed."},
		{"more than 100 users in two lists", many, 1026018.0, "Selected Users list exceeds the maximum limit."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lists := []wgen.UsersListItem{{LocationId: "loc", Users: tc.users}}
			if len(tc.users) > 100 {
				lists = []wgen.UsersListItem{{LocationId: "loc", Users: tc.users[:60]}, {LocationId: "loc2", Users: tc.users[60:]}}
			}
			r, _ := cl.ValidateOrInitiateMoveUsersJobWithResponse(t.Context(), nil, wgen.MoveUsersRequest{UsersList: lists})
			var body map[string]any
			_ = json.Unmarshal(r.Body, &body)
			errs, _ := body["errors"].([]any)
			if r.StatusCode() != http.StatusBadRequest || body["message"] != nil || len(errs) != 1 ||
				errs[0].(map[string]any)["code"] != tc.code || errs[0].(map[string]any)["message"] != tc.msg {
				t.Fatalf("%d %s", r.StatusCode(), r.Body)
			}
		})
	}
	// A request that breaks the spec: BATCH-400 (on a simulator of its own: the violation is the point).
	lax, err := New(Options{OnViolation: func(string, error) {}})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, root+webexJobs, strings.NewReader(`{"usersList": []}`))
	req.Header.Set("Authorization", "Bearer "+lax.Credentials().WebexToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Transport: lax.Transport()}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Message *string `json:"message"`
		Errors  []struct{ Code, Message string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != 400 || body.Message != nil || len(body.Errors) != 1 ||
		body.Errors[0].Code != "BATCH-400" || body.Errors[0].Message == "" {
		t.Fatalf("%d %+v %v", resp.StatusCode, body, err)
	}

	_, _ = s.CreateJob(Webex, []JobUser{{ID: "u1"}}, 0)
	l, _ := cl.ListMoveUsersJobsWithResponse(t.Context(), nil)
	if l.JSON200 == nil || len(l.JSON200.Items) != 1 || strings.Contains(string(l.Body), `"name"`) {
		t.Fatalf("list: %s", l.Body)
	}
}

// webexClient is the generated Webex client on the in-memory simulator, with its token.
func webexClient(t *testing.T, s *Simulator, hc *http.Client) *wgen.ClientWithResponses {
	t.Helper()
	tok := s.Credentials().WebexToken
	cl, err := wgen.NewClientWithResponses(root+"/v1", wgen.WithHTTPClient(hc), wgen.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+tok)
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	return cl
}
