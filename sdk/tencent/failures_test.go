package tencent_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/tencent"
)

// jobWithFailures is a ListJobs answer about job A, COMPLETED, whose FailedUsers has n entries: entry i
// names user(i) with reason(i).
func jobWithFailures(n int, user, reason func(int) string) []byte {
	var b bytes.Buffer
	b.WriteString(`{"Response":{"JobSet":[{"Id":"A","Status":"COMPLETED","Type":"IMPORT_USER","FailedUsers":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"FailedUserIdentification":%q,"FailedReason":%q}`, user(i), reason(i))
	}
	b.WriteString(`]}],"RequestId":"r"}}`)
	return b.Bytes()
}

// serveBody answers every ListJobs call with body, over a real socket.
func serveBody(t testing.TB, body []byte) *tencent.Client {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	c, err := tencent.New(tencent.Config{SecretID: "id", SecretKey: "key", Region: "ap-guangzhou", UserStoreID: "store"},
		&sdk.ClientOptions{BaseURL: srv.URL, Getenv: func(string) string { return "" }, RateLimiter: rate.NewLimiter(rate.Inf, 1), MaxBodyBytes: int64(len(body)) + 1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// memory is what one call allocated in all (TotalAlloc), the most heap it held at once beyond what was
// live before it, garbage included (sampled every 200 µs, so a lower bound), and the most of it found
// live at a collection.
type memory struct{ total, peak, live uint64 }

func measure(call func()) memory {
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
	var (
		peak, live uint64
		wg         sync.WaitGroup
		stop       = make(chan struct{})
	)
	wg.Go(func() {
		t := time.NewTicker(200 * time.Microsecond) // sampling only; nothing is asserted on time
		defer t.Stop()
		for {
			metrics.Read(sample)
			peak, live = max(peak, sample[0].Value.Uint64()), max(live, sample[1].Value.Uint64())
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	})
	call()
	close(stop)
	wg.Wait()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	base := before.HeapAlloc
	return memory{total: after.TotalAlloc - before.TotalAlloc, peak: peak - min(peak, base), live: live - min(live, base)}
}

const mib = 1 << 20

// TestOneUserNamedManyTimes: one user named in 30,000 entries, each with its own reason, is one failure
// with every reason, and costs allocations linear in the answer: joining each new reason onto all the
// earlier ones (as before) allocated gigabytes.
func TestOneUserNamedManyTimes(t *testing.T) {
	const n = 30000
	body := jobWithFailures(n, func(int) string { return "user-1" }, func(i int) string { return fmt.Sprintf("reason %d", i) })
	c := serveBody(t, body)
	var job *sdk.Job
	var err error
	m := measure(func() { job, err = c.Status(t.Context(), "A") })
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d entries, body %.1f MiB: allocated %.1f MiB in all, peak heap %.1f MiB", n, float64(len(body))/mib, float64(m.total)/mib, float64(m.peak)/mib)
	if len(job.Failures) != 1 || job.Failures[0].User != "user-1" || !bytes.HasSuffix([]byte(job.Failures[0].Message), []byte("; reason 29999")) {
		t.Fatalf("failures %d, first %.80q", len(job.Failures), job.Failures)
	}
	if limit := uint64(32 * len(body)); m.total > limit {
		t.Errorf("Status allocated %d MiB for a %d KiB answer, want at most %d MiB", m.total/mib, len(body)>>10, limit/mib)
	}
}

// TestMillionFailedUsersMemory: 1,000,000 distinct failed users in one answer are read holding at most
// twice the body plus the Job at once, issue 23's bound (the old reading held 249 MiB for a 78 MiB body
// and a 150 MiB Job: io.ReadAll's chunks and the failures' growing list and index beside the answer;
// now 182–200 MiB for the same body and a 99 MiB Job, the decoded answer being dropped as the Job is
// built rather than kept in it). What is held is the heap found live at collections run at every 10% of
// growth, so that it measures the client rather than how late the collector ran.
func TestMillionFailedUsersMemory(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("a 78 MiB answer: a memory measure, run without -short and -race")
	}
	const n = 1000000
	body := jobWithFailures(n, func(i int) string { return fmt.Sprintf("user-%07d", i) }, func(int) string { return "Email already exists" })
	c := serveBody(t, body)
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var job *sdk.Job
	var err error
	m := measure(func() { job, err = c.Status(t.Context(), "A") })
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	jobBytes := after.HeapAlloc - min(after.HeapAlloc, base.HeapAlloc)
	limit := 2*uint64(len(body)) + jobBytes
	t.Logf("%d users, body %.1f MiB: allocated %.1f MiB in all, peak heap %.1f MiB, peak live %.1f MiB (limit 2 × body + Job = %.1f MiB), the Job %.1f MiB",
		n, float64(len(body))/mib, float64(m.total)/mib, float64(m.peak)/mib, float64(m.live)/mib, float64(limit)/mib, float64(jobBytes)/mib)
	if len(job.Failures) != n {
		t.Fatalf("%d failures, want %d", len(job.Failures), n)
	}
	if m.live > limit {
		t.Errorf("peak live heap %.1f MiB, want at most %.1f MiB", float64(m.live)/mib, float64(limit)/mib)
	}
	runtime.KeepAlive(job)
}
