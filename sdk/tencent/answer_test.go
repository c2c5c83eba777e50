package tencent_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/time/rate"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/tencent"
)

// listJobs serves ListJobs over a real socket: answer gets the ids asked for and returns the JobSet's
// ids. It counts the requests.
func listJobs(t *testing.T, answer func(asked []string) []string) (*tencent.Client, *atomic.Int32) {
	t.Helper()
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		var req struct{ JobIds []string }
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			t.Error(err)
		}
		var jobs []string
		for _, id := range answer(req.JobIds) {
			jobs = append(jobs, fmt.Sprintf(`{"Id":%q,"Status":"COMPLETED","Type":"IMPORT_USER"}`, id))
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"Response":{"JobSet":[%s],"RequestId":"r"}}`, strings.Join(jobs, ","))
	}))
	t.Cleanup(srv.Close)
	c, err := tencent.New(tencent.Config{SecretID: "id", SecretKey: "key", Region: "ap-guangzhou", UserStoreID: "store"},
		&sdk.ClientOptions{BaseURL: srv.URL, Getenv: func(string) string { return "" }, RateLimiter: rate.NewLimiter(rate.Inf, 1), MaxAttempts: -1})
	if err != nil {
		t.Fatal(err)
	}
	return c, &requests
}

// TestStatusManyReturnsOnlyTheJobsAskedFor: a ListJobs answer that also lists other jobs (as one that
// ignores JobIds lists every job of the store) yields the jobs asked for, and only them.
func TestStatusManyReturnsOnlyTheJobsAskedFor(t *testing.T) {
	c, _ := listJobs(t, func(asked []string) []string { return append([]string{"B", "C"}, asked...) })
	jobs, err := c.StatusMany(t.Context(), []string{"A"})
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 1 || jobs["A"] == nil || jobs["A"].ID != "A" {
		t.Errorf("StatusMany([A]) = %v, want job A alone", jobs)
	}
	if j, err := c.Status(t.Context(), "A"); err != nil || j.ID != "A" {
		t.Errorf("Status(A) = %v, %v", j, err)
	}
}

// TestStatusManyAnswerNamingAJobTwice: which of two answers about one job is the job is unknown.
func TestStatusManyAnswerNamingAJobTwice(t *testing.T) {
	c, _ := listJobs(t, func(asked []string) []string { return append(asked, asked[0]) })
	for name, call := range map[string]func() error{
		"StatusMany": func() error { _, err := c.StatusMany(t.Context(), []string{"A", "B"}); return err },
		"Status":     func() error { _, err := c.Status(t.Context(), "A"); return err },
	} {
		if err := call(); !errors.Is(err, sdk.ErrUnexpectedResponse) {
			t.Errorf("%s = %v, want an error matching sdk.ErrUnexpectedResponse", name, err)
		}
	}
}

// TestStatusManyRefusesABadIDByPosition: an empty, blank or dot-segment id anywhere in the list is
// refused before any batch is sent, and the error names its position. An id given twice is asked once.
func TestStatusManyRefusesABadIDByPosition(t *testing.T) {
	var ids []string
	for i := range 250 {
		ids = append(ids, fmt.Sprintf("j%d", i))
	}
	for _, bad := range []string{"", "  ", "..", "%2e"} {
		c, requests := listJobs(t, func(asked []string) []string { return asked })
		list := append(append([]string{}, ids...), "j7", bad) // position 251: past the first two batches
		_, err := c.StatusMany(t.Context(), list)
		if !errors.Is(err, sdk.ErrInvalidInput) || !strings.Contains(err.Error(), "position 251") {
			t.Errorf("StatusMany with %q at 251 = %v, want an error matching sdk.ErrInvalidInput naming position 251", bad, err)
		}
		if requests.Load() != 0 {
			t.Errorf("%d requests sent", requests.Load())
		}
	}
	c, requests := listJobs(t, func(asked []string) []string { return asked })
	jobs, err := c.StatusMany(t.Context(), append(append([]string{}, ids...), "j7", "j200"))
	if err != nil || len(jobs) != 250 || requests.Load() != 3 {
		t.Errorf("StatusMany with repeats = %d jobs, %v, in %d requests; want 250 jobs in 3", len(jobs), err, requests.Load())
	}
}
