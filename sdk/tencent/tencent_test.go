package tencent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jarcoal/httpmock"
	"golang.org/x/time/rate"

	gen "github.com/jobwatch/jobwatch/generated/tencent"
	"github.com/jobwatch/jobwatch/generated/tencent/importjob"
	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/internal/sdktest"
)

const (
	testID  = "AKIDtestSECRETIDxx"
	testKey = "sentinel-secret-key-0123456789"
)

// newTestClient is a client of mt, unpaced; opts (nil: none) set the rest.
func newTestClient(t *testing.T, mt *httpmock.MockTransport, opts *sdk.ClientOptions) *Client {
	t.Helper()
	o := sdk.ClientOptions{}
	if opts != nil {
		o = *opts
	}
	o.HTTPClient, o.BaseURL = &http.Client{Transport: mt}, "https://ciam.example"
	o.RateLimiter, o.Getenv = rate.NewLimiter(rate.Inf, 1), func(string) string { return "" }
	c, err := New(Config{SecretID: testID, SecretKey: testKey, Region: "ap-guangzhou", UserStoreID: "store-1"}, &o)
	if err != nil {
		t.Fatal(err)
	}
	c.now = func() time.Time { return time.Unix(1715156770, 0) }
	return c
}

func TestMapJobEveryStatus(t *testing.T) {
	s := func(v string) *string { return &v }
	fails := &[]gen.FailedUsers{{FailedUserIdentification: s("u1"), FailedReason: s("bad phone")}}
	details := &[]gen.ErrorDetails{{UserId: s("u2"), Error: s("dup")}}
	cases := []struct {
		status       gen.JobStatus
		failed       *[]gen.FailedUsers
		details      *[]gen.ErrorDetails
		want         sdk.State
		done         bool
		wantFailures int
	}{
		{gen.JobStatusPENDING, nil, nil, sdk.StatePending, false, 0},
		{gen.JobStatusPROCESSING, nil, nil, sdk.StateRunning, false, 0},
		{gen.JobStatusCOMPLETED, nil, nil, sdk.StateSucceeded, true, 0},
		{gen.JobStatusCOMPLETED, &[]gen.FailedUsers{}, nil, sdk.StateSucceeded, true, 0},
		{gen.JobStatusCOMPLETED, fails, nil, sdk.StatePartiallySucceeded, true, 1},
		{gen.JobStatusCOMPLETED, nil, details, sdk.StatePartiallySucceeded, true, 1},
		{gen.JobStatusCOMPLETED, fails, details, sdk.StatePartiallySucceeded, true, 2},
		{gen.JobStatusFAILED, fails, nil, sdk.StateFailed, true, 1},
		{"ARCHIVED", nil, nil, sdk.StateUnknown, false, 0},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%d/%d", c.status, lenOf(c.failed), lenOf(c.details)), func(t *testing.T) {
			created := int64(1715156770024)
			j := mapJob(&gen.Job{Id: "j", Status: c.status, FailedUsers: c.failed, ErrorDetails: c.details, CreatedDate: &created})
			if j.State != c.want || j.Done != c.done || len(j.Failures) != c.wantFailures {
				t.Errorf("got state %s done %v failures %v", j.State, j.Done, j.Failures)
			}
			if j.VendorStatus[0] != string(c.status) || j.Created.UnixMilli() != created {
				t.Errorf("raw status %v created %v", j.VendorStatus, j.Created)
			}
			if c.done && (j.Counts.Failed == nil || *j.Counts.Failed != c.wantFailures) {
				t.Errorf("failed count = %v", j.Counts.Failed)
			}
			if !c.done && j.Counts.Failed != nil {
				t.Errorf("failed count known while running")
			}
			if j.Counts.Total != nil {
				t.Errorf("total should be unknown")
			}
		})
	}
}

func lenOf[T any](p *[]T) int {
	if p == nil {
		return 0
	}
	return len(*p)
}

func TestStatusDocumentedPayloadAndSignature(t *testing.T) {
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder("POST", "https://ciam.example/", func(req *http.Request) (*http.Response, error) {
		body, _ := io.ReadAll(req.Body)
		if req.Header.Get("X-TC-Action") != "ListJobs" || req.Header.Get("X-TC-Region") != "ap-guangzhou" || req.Header.Get("X-TC-Version") != "2022-03-31" {
			t.Errorf("headers = %v", req.Header)
		}
		want := authorization(signInput{SecretID: testID, SecretKey: testKey, Service: "ciam", Host: "ciam.example",
			ContentType: req.Header.Get("Content-Type"), Method: "POST", Path: "/", Payload: body, Timestamp: 1715156770})
		if req.Header.Get("Authorization") != want {
			t.Errorf("Authorization does not sign the body sent")
		}
		if !strings.Contains(string(body), `"JobIds":["c29f2c0f****************405ec698"]`) || !strings.HasPrefix(req.Header.Get("User-Agent"), "jobwatch/") {
			t.Errorf("body %s UA %s", body, req.Header.Get("User-Agent"))
		}
		return sdktest.JSONResponse(200, sdktest.Seed(t, "tencent_listjobs_200.json")), nil
	})
	c := newTestClient(t, mt, nil)
	j, err := c.Status(context.Background(), "c29f2c0f****************405ec698")
	if err != nil {
		t.Fatal(err)
	}
	if j.State != sdk.StatePending || j.Done || len(j.Failures) != 1 || j.Failures[0].User != "53e25c3****************e4eb5bd1" || j.Failures[0].Message != "error reason; error message" {
		t.Errorf("job = %+v", j)
	}
}

func TestStatusManyBatches(t *testing.T) {
	mt := httpmock.NewMockTransport()
	calls := 0
	mt.RegisterResponder("POST", "https://ciam.example/", func(req *http.Request) (*http.Response, error) {
		calls++
		var asked struct{ JobIds []string }
		if err := json.NewDecoder(req.Body).Decode(&asked); err != nil {
			return nil, err
		}
		var jobs []string
		for _, id := range asked.JobIds {
			jobs = append(jobs, fmt.Sprintf(`{"Id":%q,"Status":"PROCESSING"}`, id))
		}
		return sdktest.JSONResponse(200, `{"Response":{"JobSet":[`+strings.Join(jobs, ",")+`],"RequestId":"r"}}`), nil
	})
	c := newTestClient(t, mt, nil)
	ids := make([]string, 250)
	for i := range ids {
		ids[i] = fmt.Sprintf("j%d", i)
	}
	got, err := c.StatusMany(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	if calls != 3 || len(got) != 250 {
		t.Errorf("calls = %d, jobs = %d; want 3 calls (100+100+50) and 250 jobs", calls, len(got))
	}
}

func TestErrorsInBody(t *testing.T) {
	cases := []struct {
		code string
		kind error
	}{
		{"AuthFailure.SignatureFailure", sdk.ErrUnauthorized},
		{"ResourceNotFound", sdk.ErrNotFound},
		{"InvalidParameter.ParameterIllegal", sdk.ErrInvalidInput},
		{"InternalError", sdk.ErrServerError},
		{"RequestLimitExceeded", sdk.ErrRateLimited},
	}
	for _, c := range cases {
		t.Run(c.code, func(t *testing.T) {
			sdktest.InBubble(t, func(t *testing.T, mt *httpmock.MockTransport) {
				mt.RegisterResponder("POST", "https://ciam.example/", func(*http.Request) (*http.Response, error) {
					return sdktest.JSONResponse(200, `{"Response":{"Error":{"Code":"`+c.code+`","Message":"nope"},"RequestId":"req-9"}}`), nil
				})
				cl := newTestClient(t, mt, nil)
				_, err := cl.Status(context.Background(), "j1")
				var ae *sdk.APIError
				if !errors.As(err, &ae) || ae.Code != c.code || ae.RequestID != "req-9" || ae.Vendor != "tencent" || !errors.Is(err, c.kind) {
					t.Fatalf("err = %v", err)
				}
				wantCalls := 1
				if c.kind == sdk.ErrRateLimited || c.kind == sdk.ErrServerError { // retried by kind, though HTTP 200
					wantCalls = 4 // sdk.ClientOptions.MaxAttempts's default
				}
				if n := mt.GetTotalCallCount(); n != wantCalls {
					t.Errorf("calls = %d, want %d", n, wantCalls)
				}
				if strings.Contains(err.Error(), testKey) {
					t.Errorf("error leaks the secret key")
				}
			})
		})
	}
}

func TestSubmit(t *testing.T) {
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder("POST", "https://ciam.example/", func(req *http.Request) (*http.Response, error) {
		if req.Header.Get("X-TC-Action") != "CreateApiImportUserJob" {
			t.Errorf("action = %s", req.Header.Get("X-TC-Action"))
		}
		return sdktest.JSONResponse(200, `{"Response":{"Job":{"Id":"job-7","Status":"PENDING","Type":"IMPORT_USER"},"RequestId":"r"}}`), nil
	})
	c := newTestClient(t, mt, nil)
	name := "zhangsan"
	id, err := c.Submit(context.Background(), []importjob.ImportUser{{UserName: &name}})
	if err != nil || id != "job-7" {
		t.Fatalf("id %q err %v", id, err)
	}
	if _, err := c.Submit(context.Background(), nil); err == nil {
		t.Error("empty submit accepted")
	}
}

func TestNewValidatesAndRedacts(t *testing.T) {
	env := map[string]string{EnvSecretID: "AKIDenv", EnvSecretKey: testKey, EnvRegion: "ap-singapore"}
	c, err := New(Config{UserStoreID: "s"}, &sdk.ClientOptions{Getenv: func(k string) string { return env[k] }})
	if err != nil || c.cfg.SecretID != "AKIDenv" || c.cfg.Region != "ap-singapore" {
		t.Fatalf("env not read: %v", err)
	}
	for _, s := range []string{fmt.Sprintf("%v", c.cfg), fmt.Sprintf("%+v", c.cfg), fmt.Sprintf("%#v", c.cfg), fmt.Sprint(c.cfg)} {
		if strings.Contains(s, testKey) {
			t.Errorf("config prints its secret: %s", s)
		}
	}
	if _, err := New(Config{UserStoreID: "s"}, &sdk.ClientOptions{Getenv: func(string) string { return "" }}); err == nil || !strings.Contains(err.Error(), EnvSecretID) {
		t.Errorf("missing credentials: %v", err)
	}
	if _, err := New(Config{SecretID: "a", SecretKey: "b", Region: "r"}, nil); err == nil {
		t.Error("missing user store accepted")
	}
}

func TestParseErrorAndNonJSON(t *testing.T) {
	if ve, ok := parseError([]byte(`{"Response":{"Error":{"Code":"InternalError","Message":"m"},"RequestId":"r"}}`)); !ok || ve.Code != "InternalError" || ve.RequestID != "r" {
		t.Errorf("parseError = %+v %v", ve, ok)
	}
	for _, bad := range []string{`{}`, `not json`, `{"Response":{"RequestId":"r"}}`} {
		if _, ok := parseError([]byte(bad)); ok {
			t.Errorf("parseError(%s) ok", bad)
		}
	}
	sdktest.InBubble(t, func(t *testing.T, mt *httpmock.MockTransport) {
		mt.RegisterResponder("POST", "https://ciam.example/", func(*http.Request) (*http.Response, error) {
			r := httpmock.NewStringResponse(502, "<html>gateway</html>")
			r.Header.Set("Content-Type", "text/html")
			return r, nil
		})
		_, err := newTestClient(t, mt, nil).Status(context.Background(), "j1")
		if !errors.Is(err, sdk.ErrUnexpectedResponse) || !errors.Is(err, sdk.ErrServerError) {
			t.Errorf("html 502: %v", err)
		}
		mt.RegisterResponder("POST", "https://ciam.example/", func(*http.Request) (*http.Response, error) {
			return sdktest.JSONResponse(200, `{"Response":{"Error":{"Code":"FailedOperation.ImportUserIsEmpty","Message":"empty"},"RequestId":"r"}}`), nil
		})
		name := "u"
		_, err = newTestClient(t, mt, nil).Submit(context.Background(), []importjob.ImportUser{{UserName: &name}})
		var ae *sdk.APIError
		if !errors.As(err, &ae) || ae.Code != codeImportUserIsEmpty || mt.GetTotalCallCount() != 5 {
			t.Errorf("submit error %v after %d calls (submit must not retry)", err, mt.GetTotalCallCount())
		}
		mt.RegisterResponder("POST", "https://ciam.example/", func(*http.Request) (*http.Response, error) {
			return sdktest.JSONResponse(200, `{"Response":{"JobSet":[{"Id":"","Status":"PENDING"}],"RequestId":"r"}}`), nil
		})
		if _, err := newTestClient(t, mt, nil).Status(context.Background(), "j1"); !errors.Is(err, sdk.ErrUnexpectedResponse) {
			t.Errorf("job without Id: %v", err)
		}
		mt.RegisterResponder("POST", "https://ciam.example/", func(*http.Request) (*http.Response, error) {
			return sdktest.JSONResponse(200, `{"Response":{"JobSet":null,"RequestId":"r"}}`), nil
		})
		if _, err := newTestClient(t, mt, nil).Status(context.Background(), "missing"); !errors.Is(err, sdk.ErrNotFound) {
			t.Errorf("missing job: %v", err)
		}
	})
	if len(codeMeanings) != 28 {
		t.Errorf("%d codes have a meaning", len(codeMeanings))
	}
}

// TestSignedWhenSentNotWhenQueued: a request that waits ten minutes for its limiter slot is stamped
// and signed with the time it is sent. Tencent refuses a signature more than five minutes old
// (AuthFailure.SignatureExpire), so a request signed before it queued would fail after any long wait.
func TestSignedWhenSentNotWhenQueued(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		type sent struct {
			at     time.Time
			ts     string
			auth   string
			wanted string
		}
		var got []sent
		rt := roundTripFunc(func(req *http.Request) (*http.Response, error) {
			body, _ := io.ReadAll(req.Body)
			now := time.Now()
			got = append(got, sent{at: now, ts: req.Header.Get("X-TC-Timestamp"), auth: req.Header.Get("Authorization"),
				wanted: authorization(signInput{SecretID: testID, SecretKey: testKey, Service: "ciam", Host: "ciam.example",
					ContentType: req.Header.Get("Content-Type"), Method: "POST", Path: "/", Payload: body, Timestamp: now.Unix()})})
			return sdktest.JSONResponse(200, sdktest.Seed(t, "tencent_listjobs_200.json")), nil
		})
		c, err := New(Config{SecretID: testID, SecretKey: testKey, Region: "ap-guangzhou", UserStoreID: "store-1"},
			&sdk.ClientOptions{HTTPClient: &http.Client{Transport: rt}, BaseURL: "https://ciam.example", RateLimiter: rate.NewLimiter(rate.Every(10*time.Minute), 1), Getenv: func(string) string { return "" }})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		for range 2 { // the second waits ten minutes for the limiter
			if _, err := c.Status(context.Background(), "c29f2c0f****************405ec698"); err != nil {
				t.Fatal(err)
			}
		}
		if len(got) != 2 || got[1].at.Sub(start) < 10*time.Minute-time.Second {
			t.Fatalf("sent %d requests, the second %v after the first", len(got), got[len(got)-1].at.Sub(start))
		}
		for i, s := range got {
			if s.ts != fmt.Sprint(s.at.Unix()) || s.auth != s.wanted {
				t.Errorf("request %d sent at %d: X-TC-Timestamp %s, signature over the sending time %v", i, s.at.Unix(), s.ts, s.auth == s.wanted)
			}
		}
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// The user store, like the credentials and region, comes from the environment when Config leaves it
// empty, and the error without it names the variable.
func TestUserStoreFromEnv(t *testing.T) {
	env := map[string]string{EnvSecretID: "AKIDenv", EnvSecretKey: testKey, EnvRegion: "ap-singapore", EnvUserStore: "store-env"}
	c, err := New(Config{}, &sdk.ClientOptions{Getenv: func(k string) string { return env[k] }})
	if err != nil || c.cfg.UserStoreID != "store-env" {
		t.Fatalf("user store not read from %s: %v", EnvUserStore, err)
	}
	delete(env, EnvUserStore)
	if _, err := New(Config{}, &sdk.ClientOptions{Getenv: func(k string) string { return env[k] }}); err == nil || !strings.Contains(err.Error(), EnvUserStore) {
		t.Errorf("missing user store: %v, want an error naming %s", err, EnvUserStore)
	}
}
