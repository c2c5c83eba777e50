package vendorkit

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/internal/httpx"
)

// TestRetryPolicyZeroFieldsTakeDefaults: a field left zero takes its default and a negative one means
// none, so httpx.RetryPolicy{MaxAttempts: 3} still backs off and still caps a Retry-After of 20 hours at 60 s.
func TestRetryPolicyZeroFieldsTakeDefaults(t *testing.T) {
	const twentyHours = 72000 * time.Second
	cases := []struct {
		name       string
		p          httpx.RetryPolicy
		retryAfter time.Duration
		wantCalls  int
		minElapsed time.Duration
		maxElapsed time.Duration
	}{
		{"only MaxAttempts: Retry-After capped at the default", httpx.RetryPolicy{MaxAttempts: 3}, twentyHours, 3, 2 * defaultMaxRetryAfter, 2 * defaultMaxRetryAfter},
		{"only MaxAttempts: default backoff", httpx.RetryPolicy{MaxAttempts: 3}, 0, 3, defaultRetryMinDelay/2 + defaultRetryMinDelay, 3 * defaultRetryMinDelay},
		{"zero value is the default policy", httpx.RetryPolicy{}, 0, defaultMaxAttempts, 1, 7 * defaultRetryMinDelay},
		{"negative MaxAttempts: one try", httpx.RetryPolicy{MaxAttempts: -1}, twentyHours, 1, 0, 0},
		{"negative MinDelay: no backoff", httpx.RetryPolicy{MaxAttempts: 3, MinDelay: -1}, 0, 3, 0, 0},
		{"negative MaxRetryAfter: Retry-After ignored", httpx.RetryPolicy{MaxAttempts: 2, MinDelay: -1, MaxRetryAfter: -1}, twentyHours, 2, 0, 0},
		{"MaxRetryAfter caps", httpx.RetryPolicy{MaxAttempts: 2, MinDelay: -1, MaxRetryAfter: 10 * time.Second}, twentyHours, 2, 10 * time.Second, 10 * time.Second},
		{"negative MaxDelay: backoff uncapped", httpx.RetryPolicy{MaxAttempts: 3, MinDelay: 20 * time.Second, MaxDelay: -1}, 0, 3, 10*time.Second + 20*time.Second, 60 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				calls := 0
				start := time.Now()
				err := Policy(c.p).Do(t.Context(), nil, func(context.Context) error {
					calls++
					return &sdk.APIError{Vendor: "v", StatusCode: http.StatusServiceUnavailable, RetryAfter: c.retryAfter}
				})
				elapsed := time.Since(start)
				if err == nil || calls != c.wantCalls {
					t.Fatalf("%d calls (err %v), want %d", calls, err, c.wantCalls)
				}
				if elapsed < c.minElapsed || elapsed > c.maxElapsed {
					t.Errorf("retries took %v, want %v..%v", elapsed, c.minElapsed, c.maxElapsed)
				}
			})
		})
	}
}

// oncePoller fails its first poll with err, then reports the job done.
type oncePoller struct {
	err   error
	polls []time.Time
}

func (p *oncePoller) Vendor() string { return "fake" }

func (p *oncePoller) Status(_ context.Context, id string) (*sdk.Job, error) {
	p.polls = append(p.polls, time.Now())
	if len(p.polls) == 1 {
		return nil, p.err
	}
	return &sdk.Job{Vendor: "fake", ID: id, State: sdk.StateSucceeded, Done: true}, nil
}

// TestRetryAfterOneCapOneMeaning: both forms of Retry-After (delta-seconds and HTTP date) are capped
// alike: sdk.ClientOptions.MaxRetryAfter's zero is the default cap, negative ignores Retry-After; a
// wait honours a Retry-After up to its max delay.
func TestRetryAfterOneCapOneMeaning(t *testing.T) {
	const backoff = time.Second
	caps := []struct {
		name       string
		cap        time.Duration
		wantPolicy time.Duration // Policy.Delay with MinDelay -1
	}{
		{"zero is the default cap", 0, defaultMaxRetryAfter},
		{"a cap", 30 * time.Second, 30 * time.Second},
		{"negative ignores Retry-After", -1, 0},
	}
	const waitMaxDelay = 45 * time.Second // the gap between the two polls of a wait whose backoff is 1 s
	for _, form := range []string{"seconds", "date"} {
		for _, c := range caps {
			t.Run(form+"/"+c.name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					h := http.Header{"Content-Type": {"application/json"}}
					if form == "seconds" {
						h.Set("Retry-After", "72000")
					} else {
						h.Set("Retry-After", time.Now().Add(20*time.Hour).UTC().Format(http.TimeFormat))
					}
					ae := ResponseError("fake", "status", &http.Response{StatusCode: http.StatusServiceUnavailable, Header: h}, []byte(`{}`), nil)
					if ae.RetryAfter != 20*time.Hour {
						t.Fatalf("Retry-After read as %v, want 20h", ae.RetryAfter)
					}
					if d := (Policy{MinDelay: -1, MaxRetryAfter: c.cap}).Delay(0, ae); d != c.wantPolicy {
						t.Errorf("Policy delay %v, want %v", d, c.wantPolicy)
					}
					p := &oncePoller{err: ae}
					if _, err := sdk.Wait(t.Context(), p, "j", &sdk.WaitOptions{MinDelay: backoff, MaxDelay: waitMaxDelay, Random: func() float64 { return 0 }}); err != nil {
						t.Fatal(err)
					}
					if len(p.polls) != 2 || p.polls[1].Sub(p.polls[0]) != waitMaxDelay {
						t.Errorf("polls %v, want two, %v apart", p.polls, waitMaxDelay)
					}
				})
			})
		}
	}
	// Neither form reads as more than 24 h, the date form included.
	now := time.Date(2026, 11, 24, 6, 0, 0, 0, time.UTC)
	for _, v := range []string{"999999999", now.Add(72 * time.Hour).Format(http.TimeFormat)} {
		if got := httpx.ParseRetryAfter(v, now); got != 24*time.Hour {
			t.Errorf("httpx.ParseRetryAfter(%q) = %v, want 24h", v, got)
		}
	}
}

// TestIsTemporaryByCause: a per-attempt timeout is temporary, only the caller's own context ending is
// final; an unknown host and a refused cross-origin redirect are final; an error in a 200 body is
// retried by its kind.
func TestIsTemporaryByCause(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	clientTimeout := &url.Error{Op: "Get", URL: "https://h/x", Err: fmt.Errorf("%w (Client.Timeout exceeded while awaiting headers)", context.DeadlineExceeded)}
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"http.Client timeout", ClassifyCallError(context.Background(), "v", "status", clientTimeout), true},
		{"per-attempt context canceled", ClassifyCallError(context.Background(), "v", "status", &url.Error{Op: "Get", URL: "u", Err: context.Canceled}), true},
		{"caller's context ended", ClassifyCallError(canceled, "v", "status", clientTimeout), false},
		{"bare context deadline", context.DeadlineExceeded, false},
		{"no such host", transportErr(&net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "x", IsNotFound: true}}), false},
		{"DNS timeout", transportErr(&net.OpError{Op: "dial", Err: &net.DNSError{Err: "timeout", Name: "x", IsTimeout: true}}), true},
		{"cross-origin redirect", transportErr(&url.Error{Op: "Get", URL: "u", Err: fmt.Errorf("%w: redirect to another origin refused", sdk.ErrUnexpectedResponse)}), false},
		{"server error in a 200 body", WithCause(&sdk.APIError{StatusCode: 200}, sdk.ErrServerError, nil), true},
		{"rate limited in a 200 body", WithCause(&sdk.APIError{StatusCode: 200}, sdk.ErrRateLimited, nil), true},
		{"invalid input in a 200 body", WithCause(&sdk.APIError{StatusCode: 200}, sdk.ErrInvalidInput, nil), false},
		{"501", WithCause(&sdk.APIError{StatusCode: 501}, sdk.ErrServerError, nil), false},
		{"503 too large", WithCause(&sdk.APIError{StatusCode: 503}, nil, sdk.ErrBodyTooLarge), false},
	}
	for _, c := range cases {
		if got := sdk.IsTemporary(c.err); got != c.want {
			t.Errorf("%s: sdk.IsTemporary(%v) = %v, want %v", c.name, c.err, got, c.want)
		}
	}
}
