package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"time"

	"github.com/jobwatch/jobwatch/internal/simclients"
	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/huawei"
	"github.com/jobwatch/jobwatch/sdk/oracle"
	"github.com/jobwatch/jobwatch/sdk/tencent"
	"github.com/jobwatch/jobwatch/sdk/webex"
	"github.com/jobwatch/jobwatch/simulator"
)

// cmdDemo runs the main job end to end with no vendor account: it starts the simulator on loopback,
// submits bulk user jobs to all four vendors through the sdk (some users fail), waits for every job
// with live progress, and prints the outcomes and the failed users.
func cmdDemo(ctx context.Context, args []string, e env) (int, error) {
	o := newFlags("demo", e).outputFlag().tableFlags().timeoutFlag()
	var jobDuration time.Duration
	o.durationVar(&jobDuration, "job-duration", simulator.DefaultJobDuration, "how long each simulated job runs (a `duration`)")
	if err := o.parse(args); err != nil {
		return done(err)
	}
	if jobDuration <= 0 {
		return exitUsage, usagef("--job-duration %s must be positive", jobDuration)
	}
	if o.timeout == 0 {
		o.timeout = 2 * time.Minute
	}
	ctx, cancel := o.context(ctx)
	defer cancel()

	sim, err := simulator.New(simulator.Options{JobDuration: jobDuration, Specs: e.specs})
	if err != nil {
		return exitAPI, err
	}
	root, hc := "http://simulator.invalid", &http.Client{Transport: sim.Transport()}
	if !e.inMemory {
		srv := httptest.NewServer(sim.Handler())
		defer srv.Close()
		root, hc = srv.URL, srv.Client()
	}
	fmt.Fprintf(e.stderr, "jobwatch demo: vendor simulator on %s; submitting jobs to oracle, huawei, webex and tencent\n", root)

	jobs, err := submitDemoJobs(ctx, sim, root, hc)
	switch {
	case err != nil && interrupted(ctx):
		return exitInterrupted, nil
	case err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		return exitTimeout, fmt.Errorf("demo: timed out after %s while submitting the jobs", o.timeout)
	case err != nil:
		return exitAPI, err
	}
	ids := make([]string, len(jobs))
	for i, j := range jobs {
		ids[i] = j.id
	}
	r := o.reporter(e, ids)
	w, err := sdk.NewWatcher(&sdk.WatcherOptions{Wait: sdk.WaitOptions{MinDelay: 500 * time.Millisecond, MaxDelay: 2 * time.Second,
		MaxWait: o.timeout - o.timeout/20, Observer: observed(nil, r), Progress: r.update}})
	if err != nil {
		r.close()
		return exitAPI, err
	}
	defer w.Close()
	for _, j := range jobs {
		if err := w.Add(j.p, j.id, nil); err != nil {
			r.close()
			return exitAPI, err
		}
	}
	var outs []outcome
	for len(outs) < len(jobs) {
		select {
		case res := <-w.Results():
			out := resultOutcome(res)
			r.finish(out)
			outs = append(outs, out)
		case <-ctx.Done():
			w.Close() // before the bars close: no callback of the Watcher starts after that
			r.close()
			if interrupted(ctx) {
				return exitInterrupted, nil
			}
			return exitTimeout, fmt.Errorf("demo: timed out after %s", o.timeout)
		}
	}
	r.close()
	rank := map[string]int{"oracle": 0, "huawei": 1, "webex": 2, "tencent": 3}
	sort.SliceStable(outs, func(i, j int) bool { return rank[outs[i].vendor] < rank[outs[j].vendor] })
	code, err := finish(e, o, outs, true)
	if code == exitPartial || code == exitFailed {
		code = exitOK // the demo's jobs fail some users on purpose
	}
	if err == nil {
		// Part two: jobwatch run, the users of a list to done on each vendor (demo_run.go).
		switch rerr := demoRun(ctx, e, jobDuration/8, o.output); {
		case rerr != nil && interrupted(ctx):
			return exitInterrupted, nil
		case rerr != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
			return exitTimeout, fmt.Errorf("demo: timed out after %s during the bulk run", o.timeout)
		case rerr != nil:
			return exitAPI, rerr
		}
	}
	return code, err
}

type demoJob struct {
	p  sdk.Poller
	id string
}

// submitDemoJobs submits a realistic batch to every vendor: mostly clean users, a few that fail.
func submitDemoJobs(ctx context.Context, sim *simulator.Simulator, root string, hc *http.Client) ([]demoJob, error) {
	cs, err := simclients.New(root, sim.Credentials(), simclients.Tencent{Region: simRegion, UserStoreID: simUserStore}, &sdk.ClientOptions{HTTPClient: hc})
	if err != nil {
		return nil, err
	}
	oc, hwc, wc, tc := cs.Oracle, cs.Huawei, cs.Webex, cs.Tencent
	str := func(s string) *string { return &s }
	var jobs []demoJob
	add := func(p sdk.Poller, id string, err error) error {
		if err != nil {
			return err
		}
		jobs = append(jobs, demoJob{p, id})
		return nil
	}

	// Oracle: onboard four users and remove two leavers; one leaver still owns projects, and one new
	// user is created but its application access fails (Oracle's statusInfo, the user stays in added).
	user := func(login, first, last string) oracle.UserRO {
		return oracle.UserRO{LoginId: login, FirstName: first, LastName: last, EmailAddress: login + "@example.com",
			Organization: oracle.CompanyRO{Name: "sfo"}}
	}
	id, err := oc.Submit(ctx, oracle.UserDataStore{Added: &[]oracle.UserRO{user("JSMITH", "Jim", "Smith"), user("AKUMAR", "Asha", "Kumar"), user("LCHEN", "Li", "Chen"), user("NFAIL-NO-ACCESS", "Noor", "Fail")},
		Deleted: &[]string{"OLDCONTRACTOR", "PFAIL-OWNS-PROJECTS"}})
	if err := add(oc, id, err); err != nil {
		return nil, err
	}

	// Huawei: two federated-user tasks, one clean, one with an account that already exists.
	fed := func(account string) huawei.FederationUserInput {
		return huawei.FederationUserInput{Action: huawei.ActionCreate, UserAccount: account, UserName: str(account), Email: str(account + "@example.com"), RoleIds: &[]string{"agent"}}
	}
	for _, batch := range [][]string{{"agent001", "agent002", "agent003"}, {"agent004", "agent005-fail-exists", "agent006"}} {
		var users []huawei.FederationUserInput
		for _, a := range batch {
			users = append(users, fed(a))
		}
		id, err := hwc.Submit(ctx, users)
		if err := add(hwc, id, err); err != nil {
			return nil, err
		}
	}

	// Webex: move four users to a new location (one cannot move), then a job whose every move fails.
	for _, batch := range [][]string{{"user-ann", "user-ben", "user-fail-cara", "user-dev"}, {"fail-user-eve", "fail-user-finn"}} {
		var users []webex.UserItem
		for _, u := range batch {
			users = append(users, webex.UserItem{UserId: u})
		}
		id, err := wc.Submit(ctx, "loc-berlin", users)
		if err := add(wc, id, err); err != nil {
			return nil, err
		}
	}

	// Tencent: import customers in two batches, one with a duplicate.
	for _, batch := range [][]string{{"grace", "heidi", "ivan", "judy"}, {"mallory-fail-duplicate", "niaj", "olivia"}} {
		var users []tencent.ImportUser
		for _, u := range batch {
			users = append(users, tencent.ImportUser{UserName: str(u), Email: str(u + "@example.com")})
		}
		id, err := tc.Submit(ctx, users)
		if err := add(tc, id, err); err != nil {
			return nil, err
		}
	}
	return jobs, nil
}
