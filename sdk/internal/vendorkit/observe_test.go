package vendorkit

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/internal/httpx"
	"github.com/jobwatch/jobwatch/sdk/observe"
	"golang.org/x/time/rate"
)

// TestDoerObserved: every attempt of a retried call is a Request event with its attempt number,
// status and a URL without userinfo or query values, and each retry a Retry event with its reason.
func TestDoerObserved(t *testing.T) {
	var n int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n++; n == 1 {
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		io.WriteString(w, "{}")
	}))
	defer srv.Close()
	var mu sync.Mutex
	var got []string
	add := func(f string, a ...any) { mu.Lock(); got = append(got, fmt.Sprintf(f, a...)); mu.Unlock() }
	obs := &observe.Observer{
		Request: func(ctx context.Context, e observe.Request) {
			add("request %s %s %s attempt=%d status=%d err=%v", e.Vendor, e.Method, strings.TrimPrefix(e.URL, srv.URL), e.Attempt, e.StatusCode, e.Err)
		},
		Retry: func(ctx context.Context, e observe.Retry) {
			add("retry %s %s attempt=%d", e.Vendor, e.Reason, e.Attempt)
		},
		LimiterWait: func(ctx context.Context, e observe.LimiterWait) { add("limiter %s err=%v", e.Vendor, e.Err) },
	}
	s := mustSettings(t, &sdk.ClientOptions{HTTPClient: srv.Client(), RateLimiter: rate.NewLimiter(rate.Inf, 1)})
	d := NewDoer("v", s)
	ctx := observe.NewContext(t.Context(), obs)
	err := Policy(httpx.RetryPolicy{MinDelay: -1}).Do(ctx, nil, func(ctx context.Context) error {
		return get(ctx, d, srv.URL+"/jobs/1?sig=secret&x=1")
	})
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"limiter v err=<nil>",
		"request v GET /jobs/1?sig=REDACTED&x=REDACTED attempt=1 status=429 err=<nil>",
		"retry v rate_limited attempt=1",
		"limiter v err=<nil>",
		"request v GET /jobs/1?sig=REDACTED&x=REDACTED attempt=2 status=200 err=<nil>",
	}, "\n")
	if g := strings.Join(got, "\n"); g != want {
		t.Errorf("events:\n%s\nwant:\n%s", g, want)
	}
}

// TestDoerObservedCountsSendsPerRequest: a call of two requests (a token, then a query) whose token
// fetch failed once is retried whole; its query, which the failed attempt never sent, is a first send
// (Attempt 1, no resend), and the token's second send is Attempt 2.
func TestDoerObservedCountsSendsPerRequest(t *testing.T) {
	tokens := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tokens += strings.Count(r.URL.Path, "/token"); tokens == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "{}")
	}))
	defer srv.Close()
	var got []string
	obs := &observe.Observer{Request: func(_ context.Context, e observe.Request) {
		got = append(got, fmt.Sprintf("%s attempt=%d status=%d", strings.TrimPrefix(e.URL, srv.URL), e.Attempt, e.StatusCode))
	}}
	d := NewDoer("v", mustSettings(t, &sdk.ClientOptions{HTTPClient: srv.Client(), RateLimiter: rate.NewLimiter(rate.Inf, 1)}))
	err := Policy(httpx.RetryPolicy{MinDelay: -1}).Do(observe.NewContext(t.Context(), obs), nil, func(ctx context.Context) error {
		if err := get(ctx, d, srv.URL+"/token?t=1"); err != nil {
			return err
		}
		return get(ctx, d, srv.URL+"/query")
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "/token?t=REDACTED attempt=1 status=503, /token?t=REDACTED attempt=2 status=200, /query attempt=1 status=200"
	if g := strings.Join(got, ", "); g != want {
		t.Errorf("requests: %s\nwant:      %s", g, want)
	}
}

// get sends a GET of url through d: an error for a failed request or an answer other than 200.
func get(ctx context.Context, d *Doer, url string) error {
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := d.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return ResponseError("v", "status", resp, nil, nil)
	}
	return nil
}

// stubTransport answers every request at once, without a socket.
type stubTransport struct{}

func (stubTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, ContentLength: 0, Body: http.NoBody, Header: http.Header{}}, nil
}

// TestDoerUnobservedAllocatesNothingMore: without an Observer, a call through the retry loop and the
// Doer (its limiter included) allocates no more than the same request through the Doer's own
// http.Client: the hooks cost nothing unobserved.
func TestDoerUnobservedAllocatesNothingMore(t *testing.T) {
	hc := &http.Client{Transport: stubTransport{}}
	d := NewDoer("v", mustSettings(t, &sdk.ClientOptions{HTTPClient: hc, RateLimiter: rate.NewLimiter(rate.Inf, 1)}))
	req, _ := http.NewRequest("GET", "http://host/jobs/1", nil)
	ctx := context.Background()
	op := func(context.Context) error { resp, err := d.Do(req); resp.Body.Close(); return err }
	_ = op(ctx) // the Doer's User-Agent header, set once, makes the client's path allocate more
	plain := testing.AllocsPerRun(200, func() { resp, _ := d.client.Do(req); resp.Body.Close() })
	doer := testing.AllocsPerRun(200, func() { _ = Policy{}.Do(ctx, nil, op) })
	if doer != plain {
		t.Errorf("a call through the retry loop and the Doer allocates %v times, through its http.Client %v", doer, plain)
	}
}
