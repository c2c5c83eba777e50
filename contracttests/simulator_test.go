package contracttests

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/time/rate"

	"github.com/jobwatch/jobwatch/contract"
	hgen "github.com/jobwatch/jobwatch/generated/huawei"
	ogen "github.com/jobwatch/jobwatch/generated/oracle"
	"github.com/jobwatch/jobwatch/generated/tencent/importjob"
	wgen "github.com/jobwatch/jobwatch/generated/webex"
	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/huawei"
	"github.com/jobwatch/jobwatch/sdk/oracle"
	"github.com/jobwatch/jobwatch/sdk/tencent"
	"github.com/jobwatch/jobwatch/sdk/webex"
	"github.com/jobwatch/jobwatch/simulator"
)

// e2eClients builds one sdk client per vendor against sim, each under the validating transport, so that
// both ends of every exchange are checked against the specs: the simulator checks what it receives and
// sends, the transport what the client sends and receives.
type e2eClients struct {
	oracle  *oracle.Client
	huawei  *huawei.Client
	webex   *webex.Client
	tencent *tencent.Client
}

func newE2E(t *testing.T, sim *simulator.Simulator, base http.RoundTripper, root string, extra *sdk.ClientOptions) e2eClients {
	t.Helper()
	return newClients(t, sim, base, root, true, extra)
}

// newClients builds the clients; validate puts the validating transport under each. What extra (nil:
// nothing) leaves zero of the HTTP client, base URL and environment is set for the simulator at root.
func newClients(t *testing.T, sim *simulator.Simulator, base http.RoundTripper, root string, validate bool, extra *sdk.ClientOptions) e2eClients {
	t.Helper()
	var mu sync.Mutex
	hc := func(vendor string) *http.Client {
		if !validate {
			return &http.Client{Transport: base}
		}
		ss, err := sharedSpecs(vendor)
		if err != nil {
			t.Fatal(err)
		}
		return &http.Client{Transport: &contract.Transport{Base: base, Specs: ss, OnViolation: func(v contract.Violation) {
			mu.Lock()
			defer mu.Unlock()
			t.Errorf("client-side %s violation: %v", vendor, v.Err)
		}}}
	}
	opts := func(vendor string) *sdk.ClientOptions {
		o := sdk.ClientOptions{}
		if extra != nil {
			o = *extra
		}
		if o.HTTPClient == nil {
			o.HTTPClient = hc(vendor)
		}
		o.BaseURL = cmp.Or(o.BaseURL, simulator.BaseURL(vendor, root))
		if o.Getenv == nil {
			o.Getenv = func(string) string { return "" }
		}
		return &o
	}
	c := sim.Credentials()
	var out e2eClients
	var err error
	if out.oracle, err = oracle.New(oracle.Config{Username: c.OracleUsername, Password: sdk.Secret(c.OraclePassword)}, opts(simulator.Oracle)); err != nil {
		t.Fatal(err)
	}
	if out.huawei, err = huawei.New(huawei.Config{AppKey: c.HuaweiAppKey, AppSecret: sdk.Secret(c.HuaweiAppSecret)}, opts(simulator.Huawei)); err != nil {
		t.Fatal(err)
	}
	if out.webex, err = webex.New(webex.Config{Token: sdk.Secret(c.WebexToken)}, opts(simulator.Webex)); err != nil {
		t.Fatal(err)
	}
	if out.tencent, err = tencent.New(tencent.Config{SecretID: c.TencentSecretID, SecretKey: sdk.Secret(c.TencentSecretKey), Region: "ap-guangzhou", UserStoreID: "store-1"},
		opts(simulator.Tencent)); err != nil {
		t.Fatal(err)
	}
	return out
}

func strictSim(t *testing.T, opts simulator.Options) *simulator.Simulator {
	t.Helper()
	opts.OnViolation = func(v string, err error) { t.Errorf("simulator-side %s violation: %v", v, err) }
	opts.Specs = sharedSpecs
	sim, err := simulator.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return sim
}

func failureUsers(j *sdk.Job) []string {
	var out []string
	for _, f := range j.Failures {
		if f.User != "" {
			out = append(out, f.User)
		}
	}
	sort.Strings(out)
	return out
}

// TestSDKAgainstSimulator submits a job to every vendor through the sdk, waits for it, and checks the
// outcome and the failed users, with both ends of every exchange validated against the specs.
func TestSDKAgainstSimulator(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := strictSim(t, simulator.Options{JobDuration: 20 * time.Second})
		c := newE2E(t, sim, sim.Transport(), "http://sim.test", nil)
		ctx := t.Context()
		user := func(login string) ogen.UserRO {
			return ogen.UserRO{LoginId: login, EmailAddress: login + "@example.com", FirstName: "F", LastName: "L", Organization: ogen.CompanyRO{Name: "sfo"}}
		}
		email := func(s string) *string { return &s }
		type run struct {
			vendor string
			submit func() (string, error)
			wait   func(string) (*sdk.Job, error)
			state  sdk.State
			failed []string
		}
		runs := []run{
			{"oracle", func() (string, error) {
				// NEW-FAIL stays in added with Oracle's statusInfo "User created, but Application Access failed".
				return c.oracle.Submit(ctx, ogen.UserDataStore{Added: &[]ogen.UserRO{user("JSMITH"), user("NEW-FAIL")}, Deleted: &[]string{"OLD-FAIL"}})
			}, func(id string) (*sdk.Job, error) { return sdk.Wait(ctx, c.oracle, id, nil) }, sdk.StatePartiallySucceeded, []string{"NEW-FAIL", "OLD-FAIL"}},
			{"huawei", func() (string, error) {
				return c.huawei.Submit(ctx, []hgen.FederationUserInput{{Action: hgen.ActionCREATE, UserAccount: "ann", UserName: email("Ann"), Email: email("ann@example.com")},
					{Action: hgen.ActionCREATE, UserAccount: "bob-fail", UserName: email("Bob"), Email: email("bob@example.com")}})
			}, func(id string) (*sdk.Job, error) { return sdk.Wait(ctx, c.huawei, id, nil) }, sdk.StatePartiallySucceeded, []string{"bob-fail"}},
			{"webex", func() (string, error) {
				return c.webex.Submit(ctx, "loc-1", []wgen.UserItem{{UserId: "u1"}, {UserId: "u2"}, {UserId: "u3-fail"}})
			}, func(id string) (*sdk.Job, error) { return sdk.Wait(ctx, c.webex, id, nil) }, sdk.StatePartiallySucceeded, []string{"u3-fail"}},
			{"tencent", func() (string, error) {
				return c.tencent.Submit(ctx, []importjob.ImportUser{{UserName: email("carol")}, {Email: email("dave@example.com")}})
			}, func(id string) (*sdk.Job, error) { return sdk.Wait(ctx, c.tencent, id, nil) }, sdk.StateSucceeded, nil},
		}
		for _, r := range runs {
			id, err := r.submit()
			if err != nil {
				t.Fatalf("%s submit: %v", r.vendor, err)
			}
			start := time.Now()
			job, err := r.wait(id)
			if err != nil || job.State != r.state || job.ID != id {
				t.Fatalf("%s wait: %v, %v", r.vendor, job, err)
			}
			if got := failureUsers(job); fmt.Sprint(got) != fmt.Sprint(r.failed) && (len(got) > 0 || len(r.failed) > 0) {
				t.Errorf("%s failures %v, want %v", r.vendor, got, r.failed)
			}
			if lag := time.Since(start) - 20*time.Second; lag > 20*time.Second {
				t.Errorf("%s: done %v after the job", r.vendor, lag)
			}
		}
		for _, v := range simulator.Vendors() {
			if st := sim.Stats(v); st.Violations != 0 || st.Requests == 0 {
				t.Errorf("%s: %+v", v, st)
			}
		}
	})
}

// TestWatcherAgainstSimulator watches jobs of all four vendors at once, Tencent's many enough to batch.
func TestWatcherAgainstSimulator(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := strictSim(t, simulator.Options{})
		c := newE2E(t, sim, sim.Transport(), "http://sim.test", nil)
		w, err := sdk.NewWatcher(nil)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		want := 0
		add := func(p sdk.Poller, vendor string, n int, users ...simulator.JobUser) {
			for i := range n {
				id, err := sim.CreateJob(vendor, users, time.Duration(i%10+1)*7*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				if err := w.Add(p, id, nil); err != nil {
					t.Fatal(err)
				}
				want++
			}
		}
		add(c.oracle, "oracle", 3, simulator.JobUser{ID: "A", Action: "added"})
		add(c.huawei, "huawei", 3, simulator.JobUser{ID: "a", Action: "CREATE"}, simulator.JobUser{ID: "b-fail", Action: "CREATE"})
		add(c.webex, "webex", 3, simulator.JobUser{ID: "u1"})
		add(c.tencent, "tencent", 250, simulator.JobUser{ID: "x"})
		got := map[string]int{}
		for range want {
			r := <-w.Results()
			if r.Err != nil && !errors.Is(r.Err, sdk.ErrJobFailed) {
				t.Fatalf("%s %s: %v", r.Job.Vendor, r.Job.ID, r.Err)
			}
			got[r.Job.Vendor]++
		}
		if got["oracle"] != 3 || got["huawei"] != 3 || got["webex"] != 3 || got["tencent"] != 250 {
			t.Errorf("results %v", got)
		}
		st := sim.Stats(simulator.Tencent)
		if st.RateLimited != 0 || st.MaxPerSecond > 20 || st.Requests > 100 {
			t.Errorf("tencent: %d requests, %d rate limited, %d in one second", st.Requests, st.RateLimited, st.MaxPerSecond)
		}
	})
}

// TestTencentClientRidesOutRateLimit runs the client faster than the simulator allows: the
// RequestLimitExceeded answers are retried and the job still comes out right.
func TestTencentClientRidesOutRateLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := strictSim(t, simulator.Options{})
		c := newE2E(t, sim, sim.Transport(), "http://sim.test", &sdk.ClientOptions{RateLimiter: rate.NewLimiter(rate.Inf, 1), MaxAttempts: 8, MinRetryDelay: 250 * time.Millisecond, MaxRetryDelay: 2 * time.Second})
		id, err := sim.CreateJob("tencent", []simulator.JobUser{{ID: "x"}}, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for range 40 {
			wg.Go(func() {
				if _, err := c.tencent.Status(context.Background(), id); err != nil {
					t.Errorf("status: %v", err)
				}
			})
		}
		wg.Wait()
		if st := sim.Stats("tencent"); st.RateLimited == 0 {
			t.Errorf("the simulator never refused: %+v", st.Requests)
		}
	})
}
