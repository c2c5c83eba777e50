package tencent

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/internal/sdktest"
)

// TestWatcherBatchesListJobs watches 250 jobs through a real client: every ListJobs call carries at
// most the batch size, and each job's result arrives.
func TestWatcherBatchesListJobs(t *testing.T) {
	sdktest.InBubble(t, func(t *testing.T, mt *httpmock.MockTransport) {
		var (
			mu    sync.Mutex
			sizes []int
		)
		start := time.Now()
		mt.RegisterResponder("POST", "https://ciam.example/", func(req *http.Request) (*http.Response, error) {
			var body struct{ JobIds []string }
			b, _ := io.ReadAll(req.Body)
			if err := json.Unmarshal(b, &body); err != nil {
				return nil, err
			}
			mu.Lock()
			sizes = append(sizes, len(body.JobIds))
			mu.Unlock()
			status := "PROCESSING"
			if time.Since(start) > 10*time.Second {
				status = "COMPLETED"
			}
			var set []map[string]any
			for _, id := range body.JobIds {
				set = append(set, map[string]any{"Id": id, "Status": status, "Type": "IMPORT_USER", "UserStoreId": "store-1"})
			}
			out, _ := json.Marshal(map[string]any{"Response": map[string]any{"JobSet": set, "RequestId": "r"}})
			return sdktest.JSONResponse(200, string(out)), nil
		})
		c := newTestClient(t, mt, nil)
		c.cfg.BatchSize = 40
		w, err := sdk.NewWatcher(nil)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		var ids []string
		for i := range 250 {
			ids = append(ids, fmt.Sprint("job-", i))
		}
		for _, id := range ids {
			if err := w.Add(c, id, nil); err != nil {
				t.Fatal(err)
			}
		}
		n := 0
		for range ids {
			r := <-w.Results()
			job, err := r.Job, r.Err
			if err != nil || job.State != sdk.StateSucceeded {
				t.Fatalf("%v %v", job, err)
			}
			n++
		}
		calls := 0
		for _, s := range sizes {
			if s > 40 {
				t.Errorf("a call carried %d ids", s)
			}
			calls++
		}
		if n != 250 || calls > 7*6 {
			t.Errorf("%d results in %d calls", n, calls)
		}
	})
}
