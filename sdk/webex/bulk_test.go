package webex

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
)

func TestBulkRulesAndClasses(t *testing.T) {
	b := NewBulk(nil, "loc")
	for _, c := range []struct{ user, err string }{
		{`{"userId":"p1"}`, ""},
		{`{"userId":"p2","phoneNumber":"+14155550100","extension":"0100"}`, ""},
		{`{"userId":"p3","phoneNumber":""}`, ""},
		{`{"userId":"p4","phoneNumber":"4155550100"}`, "not E.164"},
		{`{"userId":"p5","extension":"12a"}`, "not digits"},
		{`{"userId":" "}`, "userId is required"},
	} {
		keys, err := b.CheckUser([]byte(c.user))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: %v, want %q", c.user, err, c.err)
			}
			continue
		}
		if err != nil || len(keys) != 1 || !strings.Contains(c.user, keys[0]) {
			t.Errorf("%s: %v %v", c.user, keys, err)
		}
	}
	for code, want := range map[string]bool{"503": true, "429": true, "500": true, "400": false, "1026": false, "": false} {
		if _, retry := b.Classify(sdk.Failure{Code: code}); retry != want {
			t.Errorf("%s: retryable %v, want %v", code, retry, want)
		}
	}
}

// TestBulkJobsSincePages: the list is read page by page (start, max) until a short page, and a server
// that ignores start ends the reading instead of looping.
func TestBulkJobsSincePages(t *testing.T) {
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	item := func(id string) string {
		return fmt.Sprintf(`{"id":%q,"counts":{"totalMoves":100,"moved":0,"failed":0},"latestExecutionStatus":"STARTED","jobExecutionStatus":[{"id":1,"createdTime":%q}]}`,
			id, created.Format(time.RFC3339))
	}
	for _, ignoresStart := range []bool{false, true} {
		var calls atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			start, _ := strconv.Atoi(r.URL.Query().Get("start"))
			if ignoresStart {
				start = 0
			}
			n := 1000
			if start >= 1000 {
				n = 3
			}
			items := make([]string, n)
			for i := range items {
				items[i] = item(fmt.Sprint("job-", start+i))
			}
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"items":[%s]}`, strings.Join(items, ","))
		}))
		c, err := New(Config{Token: "t"}, &sdk.ClientOptions{BaseURL: srv.URL, Getenv: func(string) string { return "" }})
		if err != nil {
			t.Fatal(err)
		}
		jobs, err := NewBulk(c, "loc").JobsSince(context.Background(), created.Add(-time.Second))
		srv.Close()
		want := 1003
		if ignoresStart {
			want = 1000
		}
		if err != nil || len(jobs) != want || *jobs[0].Counts.Total != 100 || !jobs[0].Created.Equal(created) {
			t.Fatalf("ignores start %v: %d jobs, %v", ignoresStart, len(jobs), err)
		}
		if calls.Load() != 2 {
			t.Errorf("ignores start %v: %d calls, want 2", ignoresStart, calls.Load())
		}
	}
}
