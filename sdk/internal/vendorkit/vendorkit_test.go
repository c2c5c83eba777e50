package vendorkit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/internal/httpx"
	"golang.org/x/time/rate"
)

func TestBackoffWithinBounds(t *testing.T) {
	p := Policy{MaxAttempts: 10, MinDelay: 100 * time.Millisecond, MaxDelay: 2 * time.Second}
	for n := 0; n < 10; n++ {
		full := min(p.MinDelay<<n, p.MaxDelay)
		for i := 0; i < 200; i++ {
			d := p.Backoff(n)
			if d < full/2 || d > full {
				t.Fatalf("retry %d: delay %v outside [%v, %v]", n, d, full/2, full)
			}
		}
	}
}

func TestDelayHonoursRetryAfterCapped(t *testing.T) {
	p := Policy{MinDelay: 10 * time.Millisecond, MaxDelay: 20 * time.Millisecond, MaxRetryAfter: 30 * time.Second}
	if d := p.Delay(0, &sdk.APIError{RetryAfter: 5 * time.Second}); d != 5*time.Second {
		t.Errorf("Retry-After 5s: %v", d)
	}
	if d := p.Delay(0, &sdk.APIError{RetryAfter: 10 * time.Hour}); d != 30*time.Second {
		t.Errorf("absurd Retry-After not capped: %v", d)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 24, 6, 0, 0, 0, time.UTC)
	cases := map[string]time.Duration{
		"":                              0,
		"7":                             7 * time.Second,
		"0":                             0,
		"-3":                            0,
		"soon":                          0,
		"Tue, 24 Nov 2026 06:00:30 GMT": 30 * time.Second,
		"Tue, 24 Nov 2026 05:00:00 GMT": 0,
		"999999999":                     24 * time.Hour,
	}
	for in, want := range cases {
		if got := httpx.ParseRetryAfter(in, now); got != want {
			t.Errorf("%q = %v, want %v", in, got, want)
		}
	}
}

func TestRetryDo(t *testing.T) {
	cases := []struct {
		name  string
		errs  []error
		calls int
		ok    bool
	}{
		{"success", []error{nil}, 1, true},
		{"transient then success", []error{&sdk.APIError{StatusCode: 503}, &sdk.APIError{StatusCode: 429}, nil}, 3, true},
		{"permanent stops", []error{WithCause(&sdk.APIError{StatusCode: 404}, sdk.ErrNotFound, nil)}, 1, false},
		{"exhausted", []error{&sdk.APIError{StatusCode: 502}, &sdk.APIError{StatusCode: 502}, &sdk.APIError{StatusCode: 502}, &sdk.APIError{StatusCode: 502}}, 4, false},
		{"reset is transient", []error{transportErr(syscall.ECONNRESET), nil}, 2, true},
		{"plain error is permanent", []error{errors.New("bad input")}, 1, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				calls := 0
				err := Policy(httpx.RetryPolicy{}).Do(context.Background(), slog.New(slog.DiscardHandler), func(context.Context) error {
					e := c.errs[min(calls, len(c.errs)-1)]
					calls++
					return e
				})
				if calls != c.calls || (err == nil) != c.ok {
					t.Errorf("calls %d err %v", calls, err)
				}
			})
		})
	}
}

func TestRetryStopsOnCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		calls := 0
		go func() { time.Sleep(100 * time.Millisecond); cancel() }()
		start := time.Now()
		err := Policy{MaxAttempts: 5, MinDelay: time.Hour, MaxDelay: time.Hour}.Do(ctx, nil, func(context.Context) error {
			calls++
			return &sdk.APIError{StatusCode: 503}
		})
		if calls != 1 || err == nil || time.Since(start) != 100*time.Millisecond {
			t.Errorf("calls %d err %v after %v", calls, err, time.Since(start))
		}
	})
}

func TestIsTemporary(t *testing.T) {
	cases := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{context.Canceled, false},
		{&sdk.APIError{StatusCode: 423}, true},
		{WithCause(&sdk.APIError{StatusCode: 200}, sdk.ErrRateLimited, nil), true},
		{WithCause(&sdk.APIError{StatusCode: 400}, sdk.ErrInvalidInput, nil), false},
		{WithCause(&sdk.APIError{}, nil, sdk.ErrBodyTooLarge), false},
		{transportErr(io.ErrUnexpectedEOF), true},
		{transportErr(&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}), true},
		{transportErr(errors.New("tls: bad certificate")), false},
		{fmt.Errorf("wrapped: %w", &sdk.APIError{StatusCode: 500}), true},
	}
	for _, c := range cases {
		if got := sdk.IsTemporary(c.err); got != c.want {
			t.Errorf("sdk.IsTemporary(%v) = %v", c.err, got)
		}
	}
}

func TestAPIErrorMatching(t *testing.T) {
	e := &sdk.APIError{Vendor: "webex", Operation: "status", StatusCode: 404, Code: "x", Message: "gone", RequestID: "T1"}
	var wrapped error = fmt.Errorf("polling: %w", e)
	var got *sdk.APIError
	if !errors.As(wrapped, &got) || !errors.Is(wrapped, sdk.ErrNotFound) || errors.Is(wrapped, sdk.ErrServerError) {
		t.Errorf("matching failed")
	}
	if s := e.Error(); s != "webex status: HTTP 404 code x: gone (request T1)" {
		t.Errorf("Error() = %q", s)
	}
	// Without a kind of the vendor's, an error's kind is its status's.
	kinds := []error{sdk.ErrNotFound, sdk.ErrUnauthorized, sdk.ErrRateLimited, sdk.ErrInvalidInput, sdk.ErrServerError}
	for status, want := range map[int]error{401: sdk.ErrUnauthorized, 403: sdk.ErrUnauthorized, 429: sdk.ErrRateLimited, 400: sdk.ErrInvalidInput, 503: sdk.ErrServerError, 410: sdk.ErrNotFound, 409: nil} {
		e := &sdk.APIError{StatusCode: status}
		for _, k := range kinds {
			if errors.Is(e, k) != (k == want) {
				t.Errorf("HTTP %d matches %v: %v, want %v", status, k, errors.Is(e, k), k == want)
			}
		}
	}
	// The vendor's kind wins over the status's: Tencent's errors come in a 200 body.
	if e := WithCause(&sdk.APIError{StatusCode: 200}, sdk.ErrRateLimited, nil); !errors.Is(e, sdk.ErrRateLimited) || !e.RetryableError() {
		t.Errorf("%v: want ErrRateLimited and retryable", e)
	}
}

func TestDoerCapsBodyAndSetsUserAgent(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.UserAgent(), "jobwatch/") {
			t.Errorf("User-Agent = %q", r.UserAgent())
		}
		w.Write(bytes.Repeat([]byte("x"), 2048))
	}))
	defer srv.Close()
	for _, c := range []struct {
		limit int64
		err   error
	}{{1024, sdk.ErrBodyTooLarge}, {2048, nil}, {4096, nil}} {
		s := mustSettings(t, &sdk.ClientOptions{MaxBodyBytes: c.limit, HTTPClient: srv.Client()})
		req, _ := http.NewRequest("GET", srv.URL, nil)
		resp, err := NewDoer("v", s).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !errors.Is(err, c.err) {
			t.Errorf("limit %d: err %v, want %v", c.limit, err, c.err)
		}
		if c.err == nil && len(b) != 2048 {
			t.Errorf("limit %d: read %d bytes", c.limit, len(b))
		}
		if err != nil {
			ce := ClassifyCallError(context.Background(), "v", "status", err)
			if !errors.Is(ce, sdk.ErrBodyTooLarge) {
				t.Errorf("classified as %v", ce)
			}
		}
	}
}

func TestResponseError(t *testing.T) {
	mk := func(status int, ct, body string) (*http.Response, []byte) {
		r := &http.Response{StatusCode: status, Header: http.Header{}}
		if ct != "" {
			r.Header.Set("Content-Type", ct)
		}
		r.Header.Set("Retry-After", "3")
		return r, []byte(body)
	}
	parse := func(b []byte) (VendorError, bool) {
		if strings.Contains(string(b), "code") {
			return VendorError{Code: "C1", Message: "m", RequestID: "r"}, true
		}
		return VendorError{}, false
	}
	r, b := mk(503, "application/json", `{"code":1}`)
	e := ResponseError("v", "status", r, b, parse)
	if e.Code != "C1" || e.RetryAfter != 3*time.Second || !errors.Is(e, sdk.ErrServerError) || errors.Is(e, sdk.ErrUnexpectedResponse) {
		t.Errorf("json error: %+v", e)
	}
	r, b = mk(502, "text/html", `<html>secret-looking page</html>`)
	e = ResponseError("v", "status", r, b, parse)
	if !errors.Is(e, sdk.ErrUnexpectedResponse) || strings.Contains(e.Error(), "secret-looking") || !strings.Contains(e.Error(), "text/html") {
		t.Errorf("html error: %v", e)
	}
	r, b = mk(500, "", "")
	if e = ResponseError("v", "status", r, b, parse); !strings.Contains(e.Error(), "empty body") {
		t.Errorf("empty: %v", e)
	}
}

func TestJobFinish(t *testing.T) {
	j := Finish(&sdk.Job{Vendor: "v", ID: "1", State: sdk.StateSucceeded, Counts: sdk.Counts{Total: Int(3), Failed: Int(0)}})
	if !j.Done || *j.Counts.Pending != 0 || j.Failures == nil {
		t.Errorf("job = %+v", j)
	}
	for _, s := range []sdk.State{sdk.StatePending, sdk.StateRunning, sdk.StateUnknown} {
		if s.Done() {
			t.Errorf("%s is done", s)
		}
	}
}

func TestUnknownStatusLoggedOnce(t *testing.T) {
	var buf bytes.Buffer
	s := mustSettings(t, &sdk.ClientOptions{Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	var u UnknownStatusLogger
	for i := 0; i < 3; i++ {
		u.Log(s, "webex", "latestExecutionStatus", "PAUSED")
	}
	u.Log(s, "webex", "latestExecutionStatus", "HELD")
	if n := strings.Count(buf.String(), "status value not in the spec"); n != 2 {
		t.Errorf("logged %d times, want 2:\n%s", n, buf.String())
	}
}

func TestSettingsHelpers(t *testing.T) {
	s := mustSettings(t, &sdk.ClientOptions{Getenv: func(k string) string { return map[string]string{"K": "from-env"}[k] }})
	a, b := "", "explicit"
	httpx.FromEnv(s, &a, "K")
	httpx.FromEnv(s, &b, "K")
	if a != "from-env" || b != "explicit" {
		t.Errorf("FromEnv: %q %q", a, b)
	}
	cases := []struct {
		base, def, want string
		ok              bool
	}{
		{"", "https://d.example", "https://d.example", true},
		{"http://127.0.0.1:8080/v1", "https://d.example", "http://127.0.0.1:8080/v1", true},
		{"", "", "", false},
		{"ftp://h", "", "", false},
		{"not a url", "", "", false},
	}
	for _, c := range cases {
		got, err := mustSettings(t, &sdk.ClientOptions{BaseURL: c.base}).Base("v", c.def)
		if got != c.want || (err == nil) != c.ok {
			t.Errorf("Base(%q, %q) = %q, %v", c.base, c.def, got, err)
		}
	}
}

// A rate limiter whose next slot is past the caller's deadline ends the request as the deadline's end
// (matching context.DeadlineExceeded, so that a wait reports a timeout), not as a transport failure.
func TestLimiterPastTheDeadlineIsTheDeadline(t *testing.T) {
	s := mustSettings(t, &sdk.ClientOptions{RateLimiter: rate.NewLimiter(rate.Every(time.Hour), 1)})
	d := NewDoer("v", s)
	d.settings.Limiter.Allow() // take the only token: the next is an hour away
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:1/", nil)
	if _, err := d.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err %v, want one matching context.DeadlineExceeded", err)
	}
}

// transportErr is a client's error for a call that got no answer because of cause.
func transportErr(cause error) *sdk.APIError {
	return noAnswer(&sdk.APIError{Vendor: "v", Operation: "status"}, cause)
}

// mustSettings is NewSettings(o), which must succeed.
func mustSettings(t *testing.T, o *sdk.ClientOptions) httpx.Settings {
	t.Helper()
	s, err := NewSettings(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestNewSettingsDefaults: nil options and zero fields take the defaults sdk.ClientOptions documents,
// where a client's behaviour does not show their exact value (vendortest's TestClientOptionsZeroIsDefault
// shows the rest through a client): a 30 s timeout per attempt, a 128 MiB body cap, a logger that
// discards, os.Getenv.
func TestNewSettingsDefaults(t *testing.T) {
	for name, o := range map[string]*sdk.ClientOptions{"nil": nil, "zero": {}} {
		s := mustSettings(t, o)
		if s.HTTPClient == nil || s.HTTPClient.Timeout != 30*time.Second || s.MaxBodyBytes != 128<<20 ||
			s.Logger == nil || s.Logger.Enabled(t.Context(), slog.LevelError) || s.Getenv == nil || s.Limiter != nil {
			t.Errorf("%s: settings %+v", name, s)
		}
		t.Setenv("JOBWATCH_TEST_GETENV", "from the process")
		if got := s.Getenv("JOBWATCH_TEST_GETENV"); got != "from the process" {
			t.Errorf("%s: Getenv read %q, want os.Getenv's", name, got)
		}
		if p := Policy(s.Retry); p.attempts() != 4 {
			t.Errorf("%s: %d attempts, want 4", name, p.attempts())
		}
	}
}
