package vendortest

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/time/rate"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/internal/sdktest"
	"github.com/jobwatch/jobwatch/sdk/webex"
)

// fakeWebex answers a Webex client in memory: the job's status with status (its Retry-After header
// retryAfter), or the done job when status is 200. It records each request's virtual time, so
// that, in a synctest bubble, the delays between retries can be read exactly.
type fakeWebex struct {
	status     int
	retryAfter string
	answer     http.HandlerFunc
	sdktest.Arrivals
}

func (f *fakeWebex) RoundTrip(req *http.Request) (*http.Response, error) {
	f.Arrive()
	rec := httptest.NewRecorder()
	if f.status == http.StatusOK {
		if req.Body == nil {
			req.Body = http.NoBody // a client's GET has none; a server's request always has one
		}
		f.answer(rec, req)
	} else {
		if f.retryAfter != "" {
			rec.Header().Set("Retry-After", f.retryAfter)
		}
		rec.Header().Set("Content-Type", "application/json")
		rec.WriteHeader(f.status)
		fmt.Fprint(rec, `{"message":"busy","trackingId":"t"}`)
	}
	return rec.Result(), nil
}

// gaps are the delays between the recorded requests.
func (f *fakeWebex) gaps() []time.Duration {
	times := f.Times()
	var out []time.Duration
	for i := 1; i < len(times); i++ {
		out = append(out, times[i].Sub(times[i-1]))
	}
	return out
}

// within says whether every gap is in [lo, hi].
func within(gaps []time.Duration, lo, hi time.Duration) bool {
	for _, g := range gaps {
		if g < lo || g > hi {
			return false
		}
	}
	return true
}

// TestClientOptionsZeroIsDefault: every field of sdk.ClientOptions left zero behaves as the default
// its comment names, observed through a Webex client: each row runs the same calls once with the field
// zero and once set to its documented default, and both runs must give the row's observation.
func TestClientOptionsZeroIsDefault(t *testing.T) {
	webexID := vendors()[3].jobID
	cases := []struct {
		name           string
		zero, explicit sdk.ClientOptions // each run adds its transport, a token and no environment
		status         int               // of the fake's answers
		retryAfter     string
		calls          int // Status calls, 1 when zero
		want           string
		observe        func(f *fakeWebex, err error) string
	}{
		{
			name: "MaxAttempts: 4 tries", status: http.StatusServiceUnavailable,
			zero: sdk.ClientOptions{MinRetryDelay: -1}, explicit: sdk.ClientOptions{MinRetryDelay: -1, MaxAttempts: 4},
			want: "4 requests, HTTP 503",
			observe: func(f *fakeWebex, err error) string {
				return fmt.Sprintf("%d requests, HTTP %d", len(f.Times()), statusOf(err))
			},
		},
		{
			name: "MinRetryDelay: 250 ms, drawn from its upper half", status: http.StatusServiceUnavailable,
			zero: sdk.ClientOptions{MaxAttempts: 2}, explicit: sdk.ClientOptions{MaxAttempts: 2, MinRetryDelay: 250 * time.Millisecond},
			want: "first retry after 125ms..250ms",
			observe: func(f *fakeWebex, _ error) string {
				if g := f.gaps(); len(g) == 1 && within(g, 125*time.Millisecond, 250*time.Millisecond) {
					return "first retry after 125ms..250ms"
				}
				return fmt.Sprint("gaps ", f.gaps())
			},
		},
		{
			name: "MaxRetryDelay: 8 s", status: http.StatusServiceUnavailable,
			zero:     sdk.ClientOptions{MaxAttempts: 5, MinRetryDelay: 4 * time.Second},
			explicit: sdk.ClientOptions{MaxAttempts: 5, MinRetryDelay: 4 * time.Second, MaxRetryDelay: 8 * time.Second},
			want:     "retries after 2s..4s, then 4s..8s",
			observe: func(f *fakeWebex, _ error) string {
				if g := f.gaps(); len(g) == 4 && within(g[:1], 2*time.Second, 4*time.Second) && within(g[1:], 4*time.Second, 8*time.Second) {
					return "retries after 2s..4s, then 4s..8s"
				}
				return fmt.Sprint("gaps ", f.gaps())
			},
		},
		{
			name: "MaxRetryAfter: 60 s", status: http.StatusTooManyRequests, retryAfter: "3600",
			zero: sdk.ClientOptions{MaxAttempts: 2}, explicit: sdk.ClientOptions{MaxAttempts: 2, MaxRetryAfter: time.Minute},
			want:    "retry after [1m0s]",
			observe: func(f *fakeWebex, _ error) string { return fmt.Sprint("retry after ", f.gaps()) },
		},
		{
			name: "RateLimiter: none for a vendor without pacing of its own", status: http.StatusOK, calls: 3,
			explicit: sdk.ClientOptions{RateLimiter: rate.NewLimiter(rate.Inf, 1)},
			want:     "3 requests at once",
			observe: func(f *fakeWebex, err error) string {
				if g := f.gaps(); err == nil && len(g) == 2 && within(g, 0, 0) {
					return "3 requests at once"
				}
				return fmt.Sprint("gaps ", f.gaps(), err)
			},
		},
		{
			name: "MaxBodyBytes: a cap, not zero bytes (its 128 MiB: TestNewSettingsDefaults)", status: http.StatusOK,
			explicit: sdk.ClientOptions{MaxBodyBytes: 128 << 20},
			want:     "done",
			observe: func(f *fakeWebex, err error) string {
				if err != nil {
					return err.Error()
				}
				return "done"
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for run, o := range map[string]sdk.ClientOptions{"zero": c.zero, "explicit": c.explicit} {
				synctest.Test(t, func(t *testing.T) {
					f := &fakeWebex{status: c.status, retryAfter: c.retryAfter, answer: answer(t)}
					o.HTTPClient, o.BaseURL, o.Getenv = &http.Client{Transport: f}, "https://webex.example/v1", noEnv
					cl, err := webex.New(webex.Config{Token: webexToken}, &o)
					if err != nil {
						t.Fatal(err)
					}
					for range max(c.calls, 1) {
						_, err = cl.Status(t.Context(), webexID)
					}
					if got := c.observe(f, err); got != c.want {
						t.Errorf("%s: %s, want %s", run, got, c.want)
					}
				})
			}
		})
	}
}

// statusOf is the HTTP status of err's *sdk.APIError, 0 without one.
func statusOf(err error) int {
	var ae *sdk.APIError
	if errors.As(err, &ae) {
		return ae.StatusCode
	}
	return 0
}

// TestClientOptionsZeroIsDefaultEnvironment: the fields whose default is read from the environment or
// is the standard library's: Getenv zero reads the process's environment (os.Getenv), BaseURL zero reads
// JOBWATCH_WEBEX_BASE_URL through it, and HTTPClient zero sends through net/http's default transport to a
// real server. Nil options are all of them zero.
func TestClientOptionsZeroIsDefaultEnvironment(t *testing.T) {
	srv := httptest.NewServer(answer(t))
	defer srv.Close()
	t.Setenv("JOBWATCH_WEBEX_BASE_URL", srv.URL+"/v1")
	t.Setenv(webex.EnvToken, webexToken)
	for name, o := range map[string]*sdk.ClientOptions{"nil": nil, "zero": {}} {
		c, err := webex.New(webex.Config{}, o)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if j, err := c.Status(t.Context(), vendors()[3].jobID); err != nil || !j.Done {
			t.Errorf("%s: status = %+v, %v; want the done job from the environment's base URL and token", name, j, err)
		}
	}
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
}

// TestClientOptionsBadValues: a bad value fails New with an error naming the field and matching
// sdk.ErrInvalidOption.
func TestClientOptionsBadValues(t *testing.T) {
	for _, c := range []struct {
		o     sdk.ClientOptions
		field string
	}{
		{sdk.ClientOptions{MaxBodyBytes: -1}, "sdk.ClientOptions.MaxBodyBytes"},
		{sdk.ClientOptions{MaxRetryDelay: 100 * time.Millisecond}, "sdk.ClientOptions.MaxRetryDelay: 100ms is below MinRetryDelay 250ms"},
		{sdk.ClientOptions{MinRetryDelay: 10 * time.Second}, "sdk.ClientOptions.MaxRetryDelay: 8s (its default) is below MinRetryDelay 10s"},
	} {
		c.o.Getenv, c.o.BaseURL = noEnv, "https://webex.example/v1"
		_, err := webex.New(webex.Config{Token: webexToken}, &c.o)
		if !errors.Is(err, sdk.ErrInvalidOption) || !strings.Contains(fmt.Sprint(err), c.field) {
			t.Errorf("%+v: err = %v, want one naming %s and matching sdk.ErrInvalidOption", c.o, err, c.field)
		}
	}
	// Negative means none where none means something: no retries, no delay, no cap, Retry-After ignored.
	o := sdk.ClientOptions{MaxAttempts: -1, MinRetryDelay: -1, MaxRetryDelay: -1, MaxRetryAfter: -1, Getenv: noEnv, BaseURL: "https://webex.example/v1"}
	if _, err := webex.New(webex.Config{Token: webexToken}, &o); err != nil {
		t.Errorf("negative retry fields: %v", err)
	}
}

// TestClientOptionsZeroLoggerLogsNothing: Logger zero means no logging, not slog's default logger: a
// status value the spec does not list, which a client logs at warn level, reaches no log.
func TestClientOptionsZeroLoggerLogsNothing(t *testing.T) {
	var def, mine bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&def, nil)))
	defer slog.SetDefault(prev)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":%q,"name":"n","latestExecutionStatus":"SOMETHING_NEW","counts":{"totalMoves":1,"moved":0,"failed":0}}`, vendors()[3].jobID)
	}))
	defer srv.Close()
	for _, l := range []*slog.Logger{nil, slog.New(slog.NewTextHandler(&mine, nil))} {
		c, err := webex.New(webex.Config{Token: webexToken}, &sdk.ClientOptions{BaseURL: srv.URL, HTTPClient: srv.Client(), Getenv: noEnv, Logger: l})
		if err != nil {
			t.Fatal(err)
		}
		if j, err := c.Status(t.Context(), vendors()[3].jobID); err != nil || j.State != sdk.StateUnknown {
			t.Fatalf("status = %+v, %v; want an unknown state", j, err)
		}
	}
	if def.Len() != 0 || !strings.Contains(mine.String(), "SOMETHING_NEW") {
		t.Errorf("slog's default logger got %q, the given one %q; want nothing, and the warning", def.String(), mine.String())
	}
}
