package huawei

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/jobwatch/jobwatch/sdk"
)

// newServerClient is a client of a server running h; opts (nil: none) are given with the server's URL.
func newServerClient(t *testing.T, h http.HandlerFunc, opts *sdk.ClientOptions) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	o := sdk.ClientOptions{}
	if opts != nil {
		o = *opts
	}
	o.BaseURL, o.Getenv = srv.URL, func(string) string { return "" }
	c, err := New(Config{AppKey: "app", AppSecret: secret}, &o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const taskDone = `{"failDataList":[],"resultCode":"0","taskInfo":{"remark":"","status":"DONE"},"resultMessage":"ok"}`

// TestStatusHasOneRetryLayer: against a server that always answers 503, one Status sends exactly
// MaxAttempts requests in all, token fetches included (the token fetch runs no retry loop of its own
// inside Status's). Before, one Status sent 16 requests.
func TestStatusHasOneRetryLayer(t *testing.T) {
	for _, attempts := range []int{1, 3, 4} {
		t.Run(fmt.Sprint(attempts), func(t *testing.T) {
			var n atomic.Int32
			c := newServerClient(t, func(w http.ResponseWriter, r *http.Request) {
				n.Add(1)
				w.WriteHeader(http.StatusServiceUnavailable)
			}, &sdk.ClientOptions{MaxAttempts: attempts, MinRetryDelay: -1})
			if _, err := c.Status(t.Context(), "t1"); !errors.Is(err, sdk.ErrServerError) {
				t.Fatalf("err = %v, want a server error", err)
			}
			if got := n.Load(); got != int32(attempts) {
				t.Errorf("%d requests, want %d", got, attempts)
			}
		})
	}
}

// gatedTransport answers the token request only once release is closed (or the request's context
// ends), and queryTask at once.
type gatedTransport struct {
	release    chan struct{}
	tokenCalls atomic.Int32
}

func (g *gatedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	body := taskDone
	if req.URL.Path == "/apigovernance/api/oauth/tokenByAkSk" {
		g.tokenCalls.Add(1)
		select {
		case <-g.release:
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
		body = `{"AccessToken":"tok-1","ApplyType":"Bearer","CreateTime":"1545650171","Expires":"600","Scope":"s","AppKey":"app","UserID":"u"}`
	}
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(body)), Request: req}, nil
}

// TestSharedTokenFetchOutlivesOneCaller: two callers share one token fetch; the first cancels while it
// runs and gets its own context.Canceled at once; the second gets the token and its task. Before, the
// fetch ran under the first caller's context and the second failed with context canceled.
func TestSharedTokenFetchOutlivesOneCaller(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := &gatedTransport{release: make(chan struct{})}
		c, err := New(Config{AppKey: "app", AppSecret: secret}, &sdk.ClientOptions{BaseURL: base, HTTPClient: &http.Client{Transport: g}})
		if err != nil {
			t.Fatal(err)
		}
		ctx1, cancel1 := context.WithCancel(t.Context())
		err1 := make(chan error, 1)
		go func() { _, err := c.Status(ctx1, "t1"); err1 <- err }()
		synctest.Wait() // the first caller's fetch is under way
		type result struct {
			job *sdk.Job
			err error
		}
		res2 := make(chan result, 1)
		go func() { j, err := c.Status(t.Context(), "t1"); res2 <- result{j, err} }()
		synctest.Wait() // the second caller waits for the same fetch
		cancel1()
		if err := <-err1; !errors.Is(err, context.Canceled) {
			t.Errorf("canceled caller: err = %v, want context.Canceled", err)
		}
		close(g.release)
		r := <-res2
		if r.err != nil || r.job == nil || !r.job.Done {
			t.Fatalf("second caller: %v %v, want the done task", r.job, r.err)
		}
		if n := g.tokenCalls.Load(); n != 1 {
			t.Errorf("%d token fetches, want 1 shared", n)
		}
	})
}

// TestResultCodesHaveKinds: Huawei's documented codes in a 200 body get sdk kinds, and retrying
// follows the kind: an internal system error is retried, invalid input and a missing user are not.
func TestResultCodesHaveKinds(t *testing.T) {
	cases := []struct {
		code  string
		kind  error
		calls int32
	}{
		{"60101900002", sdk.ErrServerError, 3},
		{"60101040050", sdk.ErrInvalidInput, 1},
		{"60101060007", sdk.ErrNotFound, 1},
		{"99999", nil, 1},
	}
	for _, tc := range cases {
		t.Run(tc.code, func(t *testing.T) {
			var queries atomic.Int32
			c := newServerClient(t, func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				w.Header().Set("Content-Type", "application/json")
				if r.URL.Path == "/apigovernance/api/oauth/tokenByAkSk" {
					io.WriteString(w, `{"AccessToken":"tok","ApplyType":"Bearer","CreateTime":"1545650171","Expires":"600","Scope":"s","AppKey":"app","UserID":"u"}`)
					return
				}
				queries.Add(1)
				fmt.Fprintf(w, `{"resultCode":%q,"resultMessage":"m"}`, tc.code)
			}, &sdk.ClientOptions{MaxAttempts: 3, MinRetryDelay: -1})
			_, err := c.Status(t.Context(), "t1")
			var ae *sdk.APIError
			if !errors.As(err, &ae) || ae.Code != tc.code || (tc.kind != nil && !errors.Is(err, tc.kind)) || (tc.kind == nil && len(ae.Unwrap()) != 0) {
				t.Fatalf("err = %v, want code %s of kind %v", err, tc.code, tc.kind)
			}
			if n := queries.Load(); n != tc.calls {
				t.Errorf("%d queryTask calls, want %d", n, tc.calls)
			}
		})
	}
}
