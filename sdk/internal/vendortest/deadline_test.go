package vendortest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/oracle"
)

// waitHow runs one wait for a job of p through the public API, by Wait or by a Watcher.
var waitHow = map[string]func(ctx context.Context, p sdk.Poller, id string, opts *sdk.WaitOptions) (*sdk.Job, error){
	"Wait": sdk.Wait,
	"Watcher": func(ctx context.Context, p sdk.Poller, id string, opts *sdk.WaitOptions) (*sdk.Job, error) {
		w, err := sdk.NewWatcher(&sdk.WatcherOptions{Wait: *opts})
		if err != nil {
			return nil, err
		}
		defer w.Close()
		if err := w.Add(p, id, nil); err != nil {
			return nil, err
		}
		select {
		case r := <-w.Results():
			return r.Job, r.Err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	},
}

// TestMaxWaitCutsTheRequestInFlight: the max wait ends the wait at the bound while a poll is in flight,
// as smithy's waiter does: the request is canceled there (the server sees the client hang up before
// its body is out), and the wait ends with ErrWaitTimeout. Before, a 1 s max wait read a body
// dribbled over 10 s to its end (9.5 s) before it timed out.
func TestMaxWaitCutsTheRequestInFlight(t *testing.T) {
	v := vendors()[3] // webex: one request per poll
	for how, wait := range waitHow {
		t.Run(how, func(t *testing.T) {
			t.Parallel() // each waits its max wait out on the wall clock, against a server of its own
			body := []byte(`{"id":"J1","latestExecutionStatus":"STARTED"}`)
			var cut atomic.Bool
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusOK)
				// One byte every 200 ms: a body that takes about 10 s.
				for _, b := range body {
					select {
					case <-r.Context().Done():
						cut.Store(true)
						return
					case <-time.After(200 * time.Millisecond):
					}
					_, _ = w.Write([]byte{b})
					w.(http.Flusher).Flush()
				}
			}))
			defer srv.Close()
			c, err := v.newClient(&sdk.ClientOptions{BaseURL: srv.URL + v.pathPrefix})
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			_, err = wait(t.Context(), c, v.jobID, &sdk.WaitOptions{MaxWait: time.Second})
			t.Logf("%s with a 1s max wait against a 10s body ended after %v", how, time.Since(start).Round(10*time.Millisecond))
			if !errors.Is(err, sdk.ErrWaitTimeout) {
				t.Fatalf("err = %v, want ErrWaitTimeout", err)
			}
			srv.Close() // waits for the handler, which has seen the hang-up if the request was canceled
			if !cut.Load() {
				t.Error("the poll in flight was read to its end, past the max wait: want it canceled at the bound")
			}
		})
	}
}

// TestMaxWaitCutsARetryAfterSleep: a client's retry sleeping for a huge Retry-After inside one poll
// ends at the wait's bound, so the server sees one request. Before, a 3 s max wait made 4 attempts
// 60 s apart (the client's Retry-After cap), about 3 minutes.
func TestMaxWaitCutsARetryAfterSleep(t *testing.T) {
	v := vendors()[3]
	for how, wait := range waitHow {
		t.Run(how, func(t *testing.T) {
			t.Parallel() // each waits its max wait out on the wall clock, against a server of its own
			var seen atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen.Add(1)
				_, _ = io.Copy(io.Discard, r.Body)
				w.Header().Set("Retry-After", "99999999999")
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusTooManyRequests)
				_, _ = io.WriteString(w, `{"message":"slow down","trackingId":"t"}`)
			}))
			defer srv.Close()
			// The vendors' test clients retry with no backoff; the default policy is what is measured.
			c, err := v.newClient(&sdk.ClientOptions{BaseURL: srv.URL + v.pathPrefix, MaxAttempts: 4, MinRetryDelay: 250 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			start := time.Now()
			_, err = wait(ctx, c, v.jobID, &sdk.WaitOptions{MaxWait: 3 * time.Second})
			t.Logf("%s with a 3s max wait against Retry-After: 99999999999 ended after %v", how, time.Since(start).Round(10*time.Millisecond))
			if !errors.Is(err, sdk.ErrWaitTimeout) {
				t.Fatalf("err = %v, want ErrWaitTimeout", err)
			}
			if n := seen.Load(); n != 1 {
				t.Errorf("%d requests, want 1: the retry's sleep ends at the bound", n)
			}
		})
	}
}

// token writes a resume token as jobwatch does (jw1. and the base64url of its JSON document), with
// the fields a test sets.
func token(t *testing.T, body map[string]any) string {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return "jw1." + base64.RawURLEncoding.EncodeToString(b)
}

// TestResumeTokenFromTheFuture: a token whose wait began in the future is refused with ErrInvalidInput
// by every way to resume; before, its wait never ended (its deadline and next poll lay as far ahead).
func TestResumeTokenFromTheFuture(t *testing.T) {
	v := vendors()[3]
	srv := httptest.NewServer(answer(t))
	defer srv.Close()
	c, err := v.newClient(&sdk.ClientOptions{BaseURL: srv.URL + v.pathPrefix})
	if err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(24 * time.Hour).UnixNano()
	tok := token(t, map[string]any{"vendor": "webex", "job": v.jobID, "began": future, "max_wait": int64(time.Hour), "attempt": 0, "next": future})
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := sdk.Wait(ctx, c, "", &sdk.WaitOptions{ResumeToken: tok}); !errors.Is(err, sdk.ErrInvalidInput) {
		t.Errorf("Wait with the token: %v, want ErrInvalidInput", err)
	}
	w, err := sdk.NewWatcher(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Add(c, "", &sdk.WaitOptions{ResumeToken: tok}); !errors.Is(err, sdk.ErrInvalidInput) {
		t.Errorf("Watcher.Add with the token: %v, want ErrInvalidInput", err)
	}
	// A Planner reads no clock (a workflow engine replays it on workers whose clocks differ): it plans
	// from the token, due no later than a min delay before the token's own deadline.
	pl, err := sdk.NewPlanner("", "", time.Time{}, &sdk.WaitOptions{ResumeToken: tok})
	if err != nil {
		t.Fatalf("NewPlanner with the token: %v", err)
	}
	if pl.Next().Before(time.Now()) {
		t.Errorf("the plan's next poll %v is not at the token's future start", pl.Next())
	}
}

// TestResumeTokenWithAForgedOracleLocation: a token whose Location is on another host is refused with
// ErrInvalidInput, and nothing is sent there or to the client's own host; before, the error was
// untyped.
func TestResumeTokenWithAForgedOracleLocation(t *testing.T) {
	var evil, own atomic.Int32
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { evil.Add(1) }))
	defer attacker.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { own.Add(1); answer(t)(w, r) }))
	defer srv.Close()
	c := oracleV1(t, srv.URL)
	now := time.Now().UnixNano()
	tok := token(t, map[string]any{"vendor": "oracle", "job": oracleJobID, "began": now, "max_wait": int64(time.Hour), "attempt": 1, "next": now,
		"location": attacker.URL + "/cloudapi/restapi/user/status/" + oracleJobID})
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	_, err := sdk.Wait(ctx, c, "", &sdk.WaitOptions{ResumeToken: tok})
	if !errors.Is(err, sdk.ErrInvalidInput) {
		t.Errorf("Wait with the token: %v, want ErrInvalidInput", err)
	}
	if n := evil.Load() + own.Load(); n != 0 {
		t.Errorf("%d requests sent, want none", n)
	}
}

// TestResumeTokenWithALocationOfAnotherJob: a token whose Location is on the vendor's own host but names
// another job (another path) is refused before anything is sent; it made resuming send the
// credentials there and report that job's end as this one's.
func TestResumeTokenWithALocationOfAnotherJob(t *testing.T) {
	var own atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { own.Add(1); answer(t)(w, r) }))
	defer srv.Close()
	c := oracleV1(t, srv.URL)
	now := time.Now().UnixNano()
	for _, loc := range []string{srv.URL + "/cloudapi/restapi/user/status/other-job", srv.URL + "/some/other/path/B", "%zz"} {
		tok := token(t, map[string]any{"vendor": "oracle", "job": oracleJobID, "began": now, "max_wait": int64(time.Hour), "attempt": 1, "next": now,
			"location": loc})
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		job, err := sdk.Wait(ctx, c, "", &sdk.WaitOptions{ResumeToken: tok})
		cancel()
		if !errors.Is(err, sdk.ErrInvalidInput) || job != nil {
			t.Errorf("%s: Wait with the token: %v, %v; want ErrInvalidInput", loc, job, err)
		}
	}
	if n := own.Load(); n != 0 {
		t.Errorf("%d requests sent, want none", n)
	}
}

// TestMaxBodyBytesAtItsLargest: the largest cap there is reads an answer of unknown length (chunked)
// like any other; the cap's arithmetic overflowed into a panic.
func TestMaxBodyBytesAtItsLargest(t *testing.T) {
	ans := answer(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Transfer-Encoding", "chunked") // no Content-Length
		ans(w, r)
	}))
	defer srv.Close()
	for _, v := range vendors() {
		t.Run(v.name, func(t *testing.T) {
			c, err := v.newClient(&sdk.ClientOptions{BaseURL: srv.URL + v.pathPrefix, MaxBodyBytes: math.MaxInt64})
			if err != nil {
				t.Fatal(err)
			}
			if job, err := status(t.Context(), c, v.jobID); err != nil || job.ID == "" {
				t.Errorf("Status: %v, %v", job, err)
			}
		})
	}
}

// oracleV1 is an Oracle client of the v1 API with Basic credentials, against a server at baseURL.
func oracleV1(t *testing.T, baseURL string) *oracle.Client {
	t.Helper()
	c, err := oracle.New(oracle.Config{API: oracle.V1, Username: "admin", Password: oraclePassword}, &sdk.ClientOptions{Getenv: noEnv, BaseURL: baseURL})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestWaitRefusesACorruptResumeToken: a token that decodes but names no vendor or job is refused by
// every vendor's client with ErrInvalidInput, and nothing is sent.
func TestWaitRefusesACorruptResumeToken(t *testing.T) {
	for _, v := range vendors() {
		rec := &recorder{}
		p, err := v.newClient(&sdk.ClientOptions{BaseURL: "https://vendor.example" + v.pathPrefix, HTTPClient: &http.Client{Transport: rec}})
		if err != nil {
			t.Fatalf("%s: %v", v.name, err)
		}
		if _, err := sdk.Wait(t.Context(), p, "", &sdk.WaitOptions{ResumeToken: "jw1.e30"}); !errors.Is(err, sdk.ErrInvalidInput) {
			t.Errorf("%s: Wait with a corrupt token: %v, want ErrInvalidInput", v.name, err)
		}
		if len(rec.hosts) != 0 {
			t.Errorf("%s: requests sent to %v", v.name, rec.hosts)
		}
	}
}
