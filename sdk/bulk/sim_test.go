package bulk_test

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jobwatch/jobwatch/internal/simclients"
	"github.com/jobwatch/jobwatch/sdk/bulk"
	"github.com/jobwatch/jobwatch/sdk/huawei"
	"github.com/jobwatch/jobwatch/sdk/oracle"
	"github.com/jobwatch/jobwatch/sdk/tencent"
	"github.com/jobwatch/jobwatch/sdk/webex"
	"github.com/jobwatch/jobwatch/simulator"
)

// adapter builds vendor's bulk adapter against the simulator srv.
func adapter(t *testing.T, srv *simulator.Server, vendor string) bulk.Vendor {
	t.Helper()
	cs, err := simclients.New(srv.URL, srv.Credentials(), simclients.Tencent{Region: "ap-guangzhou", UserStoreID: "store-1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var v bulk.Vendor
	switch vendor {
	case simulator.Huawei:
		v = huawei.NewBulk(cs.Huawei)
	case simulator.Webex:
		v = webex.NewBulk(cs.Webex, "location-1")
	case simulator.Tencent:
		v = tencent.NewBulk(cs.Tencent)
	default:
		if v, err = oracle.NewBulk(cs.Oracle, "add"); err != nil {
			t.Fatal(err)
		}
	}
	return v
}

// userKey is the key of the n-th generated user.
func userKey(vendor string, n int) string {
	if vendor == simulator.Webex {
		return fmt.Sprintf("person-%06d", n)
	}
	return fmt.Sprintf("user%06d", n)
}

// userLine is the n-th generated user of vendor, as an NDJSON line.
func userLine(vendor string, n int) string {
	k := userKey(vendor, n)
	switch vendor {
	case simulator.Huawei:
		return fmt.Sprintf(`{"action":"CREATE","userAccount":%q,"userName":"User %d","email":"%s@example.com"}`, k, n, k)
	case simulator.Webex:
		return fmt.Sprintf(`{"userId":%q}`, k)
	case simulator.Tencent:
		return fmt.Sprintf(`{"UserName":%q,"Email":"%s@example.com"}`, k, k)
	}
	return fmt.Sprintf(`{"loginId":%q,"emailAddress":"%s@example.com","firstName":"F%d","lastName":"L%d","organization":{"id":"4","name":"sfo","displayName":"sfo"}}`, k, k, n, n)
}

// users is an NDJSON input of n generated users.
func users(t *testing.T, vendor string, n int, v bulk.Checker) *bulk.Input {
	t.Helper()
	var b strings.Builder
	for i := 1; i <= n; i++ {
		b.WriteString(userLine(vendor, i) + "\n")
	}
	in, err := bulk.ReadInput(strings.NewReader(b.String()), bulk.FormatNDJSON)
	if err != nil {
		t.Fatal(err)
	}
	if valid := bulk.Preflight(in, v, nil); valid != n {
		t.Fatalf("%d of %d lines valid: %+v", valid, n, in.Lines[0])
	}
	return in
}

// TestSimulatorCapHoldsUnderConcurrentCreates: creates racing each other never start more jobs than
// the simulator's cap on jobs in flight; the cap was checked and the job inserted under two locks.
func TestSimulatorCapHoldsUnderConcurrentCreates(t *testing.T) {
	caps := map[string]int{simulator.Tencent: 2, simulator.Oracle: 1}
	for vendor, limit := range caps {
		t.Run(vendor, func(t *testing.T) {
			srv := simulator.NewTest(t, simulator.Options{JobDuration: time.Hour, TencentRate: 100000,
				Bulk: simulator.BulkOptions{JobsInFlight: caps},
				// Called between the cap's check and the job's insert: yielding there lets racing
				// creates in, when the two are not under one lock.
				FailUser: func(string, string) (simulator.Failure, bool) {
					for range 2000 {
						runtime.Gosched()
					}
					return simulator.Failure{}, false
				}})
			v := adapter(t, srv, vendor)
			var wg sync.WaitGroup
			var started atomic.Int32
			for i := range 24 {
				wg.Go(func() {
					if _, err := v.Submit(t.Context(), [][]byte{[]byte(userLine(vendor, i+1))}); err == nil {
						started.Add(1)
					}
				})
			}
			wg.Wait()
			if n := started.Load(); n != int32(limit) || len(srv.Jobs(vendor)) != limit {
				t.Errorf("%d creates answered with a job, %d jobs held; want %d (the cap)", n, len(srv.Jobs(vendor)), limit)
			}
		})
	}
}
