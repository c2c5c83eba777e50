package contracttests

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/simulator"
)

// refuser refuses the first n connections, as a host with nothing listening does.
type refuser struct {
	base http.RoundTripper
	n    atomic.Int32
}

func (r *refuser) RoundTrip(req *http.Request) (*http.Response, error) {
	if r.n.Add(-1) >= 0 {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	}
	return r.base.RoundTrip(req)
}

// The outcomes a fault may have: the call recovers (and the job is right), or it ends in a typed error.
const (
	recovers = "recovers"
	fails    = "typed error"
)

// faultCase is one row of the fault matrix (README: "Fault matrix").
type faultCase struct {
	name    string
	vendors []string // empty: all
	// inject returns the faults for the next requests of vendor, about job id; the client is warmed up
	// first, so that Huawei's token is already held.
	inject func(vendor, id string) []simulator.Fault
	refuse int
	opts   *sdk.ClientOptions // nil: none
	// status and wait are the outcomes of Status and of Wait.
	status, wait string
	// errIs is what a typed error must match (with the vendor's name in its text).
	errIs error
	// check inspects a recovered final job, beyond its state and failed user.
	check func(t *testing.T, j *sdk.Job)
}

func status(code int, retryAfter string) func(string, string) []simulator.Fault {
	return func(v, _ string) []simulator.Fault {
		return []simulator.Fault{{Vendor: v, Kind: simulator.FaultStatus, Status: code, RetryAfter: retryAfter}}
	}
}

func kind(k simulator.FaultKind) func(string, string) []simulator.Fault {
	return func(v, _ string) []simulator.Fault { return []simulator.Fault{{Vendor: v, Kind: k}} }
}

// vendorBody is a status answer of vendor about job id, done or running, with a mutation applied.
func vendorBody(vendor, id, status string, extra map[string]any, failures int) []byte {
	var v any
	switch vendor {
	case "huawei":
		fails := make([]map[string]any, failures)
		for i := range fails {
			fails[i] = map[string]any{"federationUser": map[string]any{"action": "CREATE", "userAccount": fmt.Sprint("user-", i)}, "failCode": "60101000108", "failMessage": "The user already exists."}
		}
		m := map[string]any{"resultCode": "0", "resultMessage": "ok", "taskInfo": map[string]any{"status": status, "remark": ""}, "failDataList": fails}
		for k, x := range extra {
			m[k] = x
		}
		v = m
	case "tencent":
		fails := make([]map[string]any, failures)
		for i := range fails {
			fails[i] = map[string]any{"FailedUserIdentification": fmt.Sprint("user-", i), "FailedReason": "duplicate"}
		}
		job := map[string]any{"Id": id, "Status": status, "Type": "IMPORT_USER", "FailedUsers": fails}
		for k, x := range extra {
			job[k] = x
		}
		v = map[string]any{"Response": map[string]any{"JobSet": []any{job}, "RequestId": "fault"}}
	case "webex":
		m := map[string]any{"name": "moveusers", "id": id, "sourceUserId": "s", "sourceCustomerId": "c", "targetCustomerId": "c", "instanceId": 1,
			"latestExecutionStatus": status, "counts": map[string]any{"totalMoves": failures + 1, "moved": 1, "failed": failures}}
		for k, x := range extra {
			m[k] = x
		}
		v = m
	case "oracle":
		fails := make([]map[string]any, failures)
		for i := range fails {
			fails[i] = map[string]any{"loginId": fmt.Sprint("U", i), "emailAddress": "", "firstName": "", "lastName": "", "disabled": false,
				"organization": map[string]any{"id": "4", "name": "sfo", "displayName": "sfo"}, "statusInfo": "owns projects"}
		}
		m := map[string]any{"added": []any{}, "deleted": []string{"a"}, "deleteFailed": fails}
		for k, x := range extra {
			m[k] = x
		}
		v = m
	}
	b, _ := json.Marshal(v)
	return b
}

var (
	unknownStatus = map[string]string{"huawei": "PAUSED", "tencent": "ARCHIVED", "webex": "PAUSED"}
	doneStatus    = map[string]string{"huawei": "DONE", "tencent": "COMPLETED", "webex": "COMPLETED", "oracle": ""}
)

func faultMatrix() []faultCase {
	// failures is how many per-user failures the big-body case carries: the README's 100,000, in make e2e;
	// -short (make test) keeps the case, with the same checks, at 1,000, the race detector's minutes less.
	failures := 100000
	if testing.Short() {
		failures = 1000
	}
	httpDate := time.Date(2000, 1, 1, 0, 1, 0, 0, time.UTC).Format(http.TimeFormat) // the bubble starts at 2000-01-01
	return []faultCase{
		{name: "connection refused", refuse: 2, status: recovers, wait: recovers},
		{name: "reset before the answer", inject: kind(simulator.FaultReset), status: recovers, wait: recovers},
		{name: "reset mid-body", inject: kind(simulator.FaultResetMidBody), status: recovers, wait: recovers},
		{name: "read timeout", inject: func(v, _ string) []simulator.Fault {
			return []simulator.Fault{{Vendor: v, Kind: simulator.FaultLatency, Delay: time.Minute}}
		}, status: recovers, wait: recovers},
		{name: "500", inject: status(500, ""), status: recovers, wait: recovers},
		{name: "502", inject: status(502, ""), status: recovers, wait: recovers},
		{name: "503", inject: status(503, ""), status: recovers, wait: recovers},
		{name: "504", inject: status(504, ""), status: recovers, wait: recovers},
		{name: "429 Retry-After seconds", inject: status(429, "3"), status: recovers, wait: recovers},
		{name: "429 Retry-After HTTP date", inject: status(429, httpDate), status: recovers, wait: recovers},
		{name: "423 Retry-After seconds", inject: status(423, "2"), status: recovers, wait: recovers},
		{name: "423 Retry-After HTTP date", inject: status(423, httpDate), status: recovers, wait: recovers},
		{name: "absurd Retry-After", inject: status(429, "999999999"), status: recovers, wait: recovers},
		{name: "truncated JSON", inject: kind(simulator.FaultTruncated), status: fails, wait: recovers, errIs: sdk.ErrUnexpectedResponse},
		{name: "HTML page as JSON", inject: kind(simulator.FaultHTML), status: fails, wait: recovers, errIs: sdk.ErrUnexpectedResponse},
		{name: "wrong content type", inject: kind(simulator.FaultWrongContentType), status: fails, wait: recovers, errIs: sdk.ErrUnexpectedResponse},
		{name: "empty body", inject: kind(simulator.FaultEmptyBody), status: fails, wait: recovers, errIs: sdk.ErrUnexpectedResponse},
		{name: "200 with a rate-limit code", vendors: []string{"tencent"}, inject: func(v, _ string) []simulator.Fault {
			return []simulator.Fault{{Vendor: v, Kind: simulator.FaultVendorError, Code: "RequestLimitExceeded"}}
		}, status: recovers, wait: recovers},
		// A server error reported in a 200 body (Tencent InternalError, Huawei 60101900002) is retried by its kind.
		{name: "200 with a server-error code", vendors: []string{"tencent", "huawei"}, inject: kind(simulator.FaultVendorError), status: recovers, wait: recovers},
		{name: "200 with a final error code", vendors: []string{"tencent", "huawei"}, inject: func(v, _ string) []simulator.Fault {
			return []simulator.Fault{{Vendor: v, Kind: simulator.FaultVendorError, Code: map[string]string{"tencent": "InvalidParameter", "huawei": "60101040050"}[v]}}
		}, status: fails, wait: fails, errIs: sdk.ErrInvalidInput},
		{name: "body over the size cap", inject: func(v, id string) []simulator.Fault {
			return []simulator.Fault{{Vendor: v, Kind: simulator.FaultBody, Body: vendorBody(v, id, doneStatus[v], map[string]any{"pad": strings.Repeat("x", 64<<10)}, 0)}}
		}, opts: &sdk.ClientOptions{MaxBodyBytes: 32 << 10}, status: fails, wait: fails, errIs: sdk.ErrBodyTooLarge},
		{name: "unknown status value", vendors: []string{"huawei", "tencent", "webex"}, inject: func(v, id string) []simulator.Fault {
			return []simulator.Fault{{Vendor: v, Kind: simulator.FaultBody, Body: vendorBody(v, id, unknownStatus[v], nil, 0)}}
		}, status: recovers, wait: recovers, check: nil},
		{name: "unknown extra fields", inject: func(v, id string) []simulator.Fault {
			return []simulator.Fault{{Vendor: v, Kind: simulator.FaultBody, Body: vendorBody(v, id, doneStatus[v], map[string]any{"newField": map[string]any{"nested": []int{1, 2}}}, 1)}}
		}, status: recovers, wait: recovers},
		{name: fmt.Sprint(failures, " per-user failures"), inject: func(v, id string) []simulator.Fault {
			fs := []simulator.Fault{{Vendor: v, Kind: simulator.FaultBody, Body: vendorBody(v, id, doneStatus[v], nil, failures)}}
			if v == "webex" { // the failed users come from the errors list, one more call
				items := make([]map[string]any, failures)
				for i := range items {
					items[i] = map[string]any{"item": fmt.Sprint("user-", i), "error": map[string]any{"key": "400", "message": []map[string]string{{"code": "1026", "description": "cannot move"}}}}
				}
				b, _ := json.Marshal(map[string]any{"items": items})
				fs = append(fs, simulator.Fault{Vendor: v, Kind: simulator.FaultBody, Body: b})
			}
			return fs
		}, status: recovers, wait: recovers, check: func(t *testing.T, j *sdk.Job) {
			if len(j.Failures) != failures || !j.Done {
				t.Errorf("%d failures, done %v; want %d of a done job", len(j.Failures), j.Done, failures)
			}
		}},
	}
}

// TestFaultMatrix runs every vendor × fault through the simulator: Status and Wait either recover with
// the right job, or end within the deadline in a typed error naming the vendor and the cause.
func TestFaultMatrix(t *testing.T) {
	for _, fc := range faultMatrix() {
		for _, v := range simulator.Vendors() {
			if len(fc.vendors) > 0 && !containsStr(fc.vendors, v) {
				continue
			}
			for _, call := range []string{"status", "wait"} {
				t.Run(fc.name+"/"+v+"/"+call, func(t *testing.T) {
					t.Parallel()
					synctest.Test(t, func(t *testing.T) { runFault(t, fc, v, call) })
				})
			}
		}
	}
}

func containsStr(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func runFault(t *testing.T, fc faultCase, v, call string) {
	sim, err := simulator.New(simulator.Options{JobDuration: 30 * time.Second, Specs: sharedSpecs})
	if err != nil {
		t.Fatal(err)
	}
	ref := &refuser{base: sim.Transport()}
	opts := sdk.ClientOptions{}
	if fc.opts != nil {
		opts = *fc.opts
	}
	opts.HTTPClient = &http.Client{Transport: ref, Timeout: 10 * time.Second}
	c := newClients(t, sim, ref, "http://sim.test", false, &opts)
	clients := map[string]sdk.Poller{"oracle": c.oracle, "huawei": c.huawei, "webex": c.webex, "tencent": c.tencent}
	p := clients[v]
	action := map[string]string{"oracle": "deleted", "huawei": "CREATE", "webex": "MOVE", "tencent": "IMPORT_USER"}[v]
	id, err := sim.CreateJob(v, []simulator.JobUser{{ID: "a", Action: action}, {ID: "b-fail", Action: action}}, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	if _, err := p.Status(ctx, id); err != nil { // warm up: Huawei's token, nothing injected yet
		t.Fatalf("warm-up: %v", err)
	}
	if call == "status" {
		time.Sleep(31 * time.Second) // the job is done: a recovered Status must say so
	}
	if fc.inject != nil {
		sim.Inject(fc.inject(v, id)...)
	}
	ref.n.Store(int32(fc.refuse))
	start := time.Now()
	var job *sdk.Job
	want := fc.status
	if call == "status" {
		job, err = p.Status(ctx, id)
	} else {
		want = fc.wait
		job, err = sdk.Wait(ctx, p, id, &sdk.WaitOptions{MaxWait: 5 * time.Minute})
	}
	if time.Since(start) > 5*time.Minute {
		t.Errorf("took %v, past the deadline", time.Since(start))
	}
	switch want {
	case recovers:
		if fc.check != nil {
			if err != nil {
				t.Fatalf("err %v", err)
			}
			fc.check(t, job)
			return
		}
		if call == "status" && fc.name == "unknown status value" {
			if err != nil || job.State != sdk.StateUnknown || job.Done || len(job.VendorStatus) == 0 || job.VendorStatus[0] != unknownStatus[v] {
				t.Fatalf("unknown status: %v %v", job, err)
			}
			return
		}
		if err != nil || job == nil || job.State != sdk.StatePartiallySucceeded {
			t.Fatalf("want the right final job, got %v, %v", job, err)
		}
		if users := failureUsers(job); fc.name != "unknown extra fields" && (len(users) != 1 || users[0] != "b-fail") {
			t.Errorf("failed users %v, want [b-fail]", users)
		}
	case fails:
		var ae *sdk.APIError
		if err == nil || !errors.As(err, &ae) || ae.Vendor != v || !strings.Contains(err.Error(), v) {
			t.Fatalf("want a typed *sdk.APIError naming %s, got %T %v", v, err, err)
		}
		if fc.errIs != nil && !errors.Is(err, fc.errIs) {
			t.Errorf("error %v does not match %v", err, fc.errIs)
		}
		if job != nil && job.Done {
			t.Errorf("a failed call reported a done job: %v", job)
		}
	}
}
