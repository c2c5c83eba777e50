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

// badIDs are ids no vendor's status call may send: each is empty, blank or a dot segment, plainly or
// percent-encoded, which a URL resolver or a server folds into the parent path (Webex ".." reached
// /telephony/config/jobs/person/, Oracle ".." /cloudapi/restapi/user/).
var badIDs = []string{"", " ", "\t\n", ".", "..", "%2e", "%2E", "%2e%2e", "%2E%2e", ".%2e", "%252e%252e", "%20", "%2525252525252e"}

// oracleBadIDs are refused by Oracle alone: its status path would read the slash as a separator.
var oracleBadIDs = []string{"a/b", "/", "a%2fb", "a%2Fb", "a%252Fb", `a\b`, "a%5cb"}

// TestJobIDIsOneSegment: a bad job id is refused, matching sdk.ErrInvalidInput, before anything is
// sent (no status request, no Huawei token request), by every vendor's Status, by sdk.Wait and by a
// Watcher. Ids that merely contain dots or percent signs still go out.
func TestJobIDIsOneSegment(t *testing.T) {
	for _, v := range vendors() {
		var requests atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			requests.Add(1)
			answer(t)(w, r)
		}))
		t.Cleanup(srv.Close)
		p, err := v.newClient(&sdk.ClientOptions{BaseURL: srv.URL + v.pathPrefix})
		if err != nil {
			t.Fatal(err)
		}
		bad := badIDs
		if strings.HasPrefix(v.name, "oracle") {
			bad = append(append([]string{}, badIDs...), oracleBadIDs...)
		}
		for _, id := range bad {
			t.Run(v.name+"/"+id, func(t *testing.T) {
				requests.Store(0)
				if _, err := p.Status(t.Context(), id); !errors.Is(err, sdk.ErrInvalidInput) {
					t.Errorf("Status(%q) = %v, want an error matching sdk.ErrInvalidInput", id, err)
				}
				if _, err := sdk.Wait(t.Context(), p, id, nil); !errors.Is(err, sdk.ErrInvalidInput) {
					t.Errorf("sdk.Wait(%q) = %v, want an error matching sdk.ErrInvalidInput", id, err)
				}
				w, err := sdk.NewWatcher(&sdk.WatcherOptions{Wait: sdk.WaitOptions{MaxWait: time.Minute}})
				if err != nil {
					t.Fatal(err)
				}
				defer w.Close()
				if err := w.Add(p, id, nil); err != nil {
					if !errors.Is(err, sdk.ErrInvalidInput) {
						t.Errorf("Watcher.Add(%q) = %v, want an error matching sdk.ErrInvalidInput", id, err)
					}
				} else {
					if r := <-w.Results(); !errors.Is(r.Err, sdk.ErrInvalidInput) {
						t.Errorf("the Watcher's result for %q = %v, want an error matching sdk.ErrInvalidInput", id, r.Err)
					}
				}
				if n := requests.Load(); n != 0 {
					t.Errorf("%d requests sent for job id %q", n, id)
				}
			})
		}
	}
}

// TestJobIDsThatAreOneSegmentGoOut: ids with dots, percent signs or (but for Oracle) slashes are one
// path segment once escaped, and are sent.
func TestJobIDsThatAreOneSegmentGoOut(t *testing.T) {
	for _, v := range vendors() {
		ids := []string{"...", "a..b", ".a", "100%", "%zz", "%2e%2e%2e", " a "}
		if !strings.HasPrefix(v.name, "oracle") {
			ids = append(ids, "a/b", "Y2lz+Y29/", "..%2f")
		}
		for _, id := range ids {
			t.Run(v.name+"/"+id, func(t *testing.T) {
				var requests atomic.Int32
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					requests.Add(1)
					http.Error(w, `{}`, http.StatusNotFound)
				}))
				defer srv.Close()
				p, err := v.newClient(&sdk.ClientOptions{BaseURL: srv.URL + v.pathPrefix, MaxAttempts: -1})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := p.Status(t.Context(), id); errors.Is(err, sdk.ErrInvalidInput) || requests.Load() == 0 {
					t.Errorf("Status(%q) = %v after %d requests, want it sent", id, err, requests.Load())
				}
			})
		}
	}
}
