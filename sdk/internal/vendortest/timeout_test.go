package vendortest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
)

// hangFirst answers like the vendor, except that its first n requests hang until the client gives up.
func hangFirst(t *testing.T, n int32) (*httptest.Server, *atomic.Int32) {
	ans := answer(t)
	var seen atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if seen.Add(1) <= n {
			// Read the body first: only then does the server notice the client hanging up.
			_, _ = io.Copy(io.Discard, r.Body)
			<-r.Context().Done()
			return
		}
		ans(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &seen
}

// TestPerAttemptTimeoutIsRetried: an http.Client Timeout ends one attempt, not the call: the next
// attempt is made and succeeds, for every vendor (Huawei's token fetch included, since it is the first
// request there).
func TestPerAttemptTimeoutIsRetried(t *testing.T) {
	for _, v := range vendors() {
		t.Run(v.name, func(t *testing.T) {
			srv, seen := hangFirst(t, 1)
			c, err := v.newClient(&sdk.ClientOptions{HTTPClient: &http.Client{Timeout: 100 * time.Millisecond}, BaseURL: srv.URL + v.pathPrefix})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := status(t.Context(), c, v.jobID); err != nil {
				t.Fatalf("status after one timed-out attempt: %v", err)
			}
			if n := seen.Load(); n < 2 {
				t.Errorf("%d requests, want the timed-out one and more", n)
			}
		})
	}
}

// TestWaitRidesOutClientTimeouts: with retries inside a call turned off, a Wait still outlives two slow
// answers in a row; only the caller's own context ending is final, at once and without a retry.
func TestWaitRidesOutClientTimeouts(t *testing.T) {
	v := vendors()[3] // webex: one request per poll
	srv, seen := hangFirst(t, 2)
	c, err := v.newClient(&sdk.ClientOptions{HTTPClient: &http.Client{Timeout: 100 * time.Millisecond}, BaseURL: srv.URL + v.pathPrefix, MaxAttempts: -1})
	if err != nil {
		t.Fatal(err)
	}
	job, err := sdk.Wait(t.Context(), c, v.jobID, &sdk.WaitOptions{MinDelay: time.Millisecond, MaxDelay: time.Millisecond})
	if err != nil || job == nil || !job.Done {
		t.Fatalf("wait = %v, %v; want the done job after two timed-out polls", job, err)
	}
	if n := seen.Load(); n != 3 {
		t.Errorf("%d polls, want 3", n)
	}

	// The caller's own deadline is final: no retry after it.
	srv2, seen2 := hangFirst(t, 100)
	c2, err := v.newClient(&sdk.ClientOptions{HTTPClient: &http.Client{}, BaseURL: srv2.URL + v.pathPrefix})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err = c2.Status(ctx, v.jobID)
	if !errors.Is(err, context.DeadlineExceeded) || sdk.IsTemporary(err) {
		t.Errorf("err = %v, want the caller's context.DeadlineExceeded, final", err)
	}
	if n := seen2.Load(); n != 1 {
		t.Errorf("%d requests after the caller's deadline, want 1", n)
	}
}

// TestRefusalPageEndsAWait: a 401, 403 or 404 answered as an HTML page (a gateway's or a WAF's) is a
// refusal, not an answer that is merely not JSON: a Wait ends at its first poll with the refusal's
// kind instead of riding it out as a transient error.
func TestRefusalPageEndsAWait(t *testing.T) {
	for _, c := range []struct {
		status int
		kind   error
	}{{http.StatusUnauthorized, sdk.ErrUnauthorized}, {http.StatusForbidden, sdk.ErrUnauthorized}, {http.StatusNotFound, sdk.ErrNotFound}} {
		for _, v := range vendors() {
			t.Run(fmt.Sprint(c.status, "/", v.name), func(t *testing.T) {
				var seen atomic.Int32
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					seen.Add(1)
					w.Header().Set("Content-Type", "text/html")
					w.WriteHeader(c.status)
					io.WriteString(w, "<html><body><h1>Access denied</h1></body></html>")
				}))
				t.Cleanup(srv.Close)
				p, err := v.newClient(&sdk.ClientOptions{BaseURL: srv.URL + v.pathPrefix})
				if err != nil {
					t.Fatal(err)
				}
				_, err = sdk.Wait(t.Context(), p, v.jobID, &sdk.WaitOptions{MinDelay: time.Millisecond, MaxDelay: time.Millisecond})
				if !errors.Is(err, c.kind) || errors.Is(err, sdk.ErrWaitTimeout) {
					t.Fatalf("Wait: %v, want %v at once", err, c.kind)
				}
				if n := seen.Load(); n > 2 { // Huawei: its token fetch may be the refused request
					t.Errorf("%d requests, want the one poll", n)
				}
			})
		}
	}
}
