package vendortest

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
)

// TestRedirectToAnotherOriginCarriesNoCredential: every vendor's requests, Huawei's token request
// (whose body holds app_secret) included, are redirected with a 307 to another origin: another port on
// the same host, or plain http from https. The redirect is refused before anything is sent: the other
// server sees no request at all, so no Authorization, X-TC-* signature or token, X-APP-Key or
// app_secret. The refusal is final (not retried), and the caller's http.Client is left unchanged.
// A same-origin redirect is still followed.
func TestRedirectToAnotherOriginCarriesNoCredential(t *testing.T) {
	modes := []struct {
		name       string
		tls        bool
		sameOrigin bool
		// tokenHere answers Huawei's token on the first server, so that the query is what is redirected.
		tokenHere bool
	}{
		{name: "another port"},
		{name: "https to http", tls: true},
		{name: "another port after the token", tokenHere: true},
		{name: "same origin is followed", sameOrigin: true},
	}
	for _, v := range vendors() {
		for _, m := range modes {
			t.Run(v.name+"/"+m.name, func(t *testing.T) {
				var other atomic.Int32
				b := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					other.Add(1)
					w.WriteHeader(http.StatusTeapot)
				}))
				defer b.Close()
				ans := answer(t)
				var first atomic.Int32
				h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if m.sameOrigin && strings.HasPrefix(r.URL.Path, "/moved") {
						r.URL.Path = strings.TrimPrefix(r.URL.Path, "/moved")
						ans(w, r)
						return
					}
					first.Add(1)
					if m.tokenHere && r.URL.Path == huaweiTokenPath {
						ans(w, r)
						return
					}
					target := b.URL + r.URL.RequestURI()
					if m.sameOrigin {
						target = "/moved" + r.URL.RequestURI()
					}
					http.Redirect(w, r, target, http.StatusTemporaryRedirect)
				})
				var a *httptest.Server
				if m.tls {
					a = httptest.NewTLSServer(h)
				} else {
					a = httptest.NewServer(h)
				}
				defer a.Close()
				hc := a.Client()
				c, err := v.newClient(&sdk.ClientOptions{HTTPClient: hc, BaseURL: a.URL + v.pathPrefix})
				if err != nil {
					t.Fatal(err)
				}
				_, err = status(t.Context(), c, v.jobID)
				if hc.CheckRedirect != nil {
					t.Error("the caller's http.Client was changed")
				}
				if m.sameOrigin {
					if err != nil {
						t.Fatalf("same-origin redirect: %v", err)
					}
					return
				}
				if n := other.Load(); n != 0 {
					t.Errorf("the other origin received %d requests, want none", n)
				}
				if !errors.Is(err, sdk.ErrUnexpectedResponse) || !strings.Contains(err.Error(), "redirect to another origin refused") || sdk.IsTemporary(err) {
					t.Errorf("err = %v, want a final error matching ErrUnexpectedResponse that says the redirect was refused", err)
				}
				if l := leaks(err.Error()); l != nil {
					t.Errorf("the error holds secrets %v", l)
				}
				want := int32(1)
				if m.tokenHere && strings.HasPrefix(v.name, "huawei") {
					want = 2
				}
				if n := first.Load(); n != want {
					t.Errorf("%d requests to the first origin, want %d (no retry)", n, want)
				}
			})
		}
	}
}

// TestWaitEndsAtARefusedRedirect: a redirect to another origin ends a wait at once, as it ends a call:
// it would be refused again.
func TestWaitEndsAtARefusedRedirect(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the other origin got %s", r.URL)
	}))
	defer other.Close()
	var polls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		polls.Add(1)
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusFound)
	}))
	defer srv.Close()
	v := vendors()[3] // webex: one request per poll
	c, err := v.newClient(&sdk.ClientOptions{BaseURL: srv.URL + v.pathPrefix})
	if err != nil {
		t.Fatal(err)
	}
	_, err = sdk.Wait(t.Context(), c, v.jobID, &sdk.WaitOptions{MinDelay: time.Millisecond, MaxDelay: time.Millisecond})
	if !errors.Is(err, sdk.ErrUnexpectedResponse) || polls.Load() != 1 {
		t.Errorf("wait = %v after %d polls; want the refused redirect after one", err, polls.Load())
	}
}
