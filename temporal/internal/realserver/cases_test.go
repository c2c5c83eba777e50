package realserver

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/simulator"
	"github.com/jobwatch/jobwatch/temporal/internal/testworker"
	"github.com/jobwatch/jobwatch/temporal/waitflow"
)

// actions are the user actions createJobs' jobs carry, as each vendor names them.
var actions = map[string]string{simulator.Oracle: "added", simulator.Huawei: "CREATE", simulator.Webex: "MOVE", simulator.Tencent: "IMPORT_USER"}

// job is one simulator job a test waits for.
type job struct{ vendor, id string }

// createJobs creates, for each vendor, a job with a failed user, one whose users all fail and a clean
// one, all running for d.
func createJobs(t *testing.T, sim *simulator.Server, prefix string, d time.Duration, vendors ...string) []job {
	t.Helper()
	var out []job
	for _, v := range vendors {
		for i, users := range [][]string{{"ann", "bob.fail", "carol"}, {"dave.fail", "erin.fail"}, {"frank"}} {
			var ju []simulator.JobUser
			for _, u := range users {
				ju = append(ju, simulator.JobUser{ID: fmt.Sprintf("%s%d-%s", prefix, i, u), Action: actions[v]})
			}
			id, err := sim.CreateJob(v, ju, d)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, job{v, id})
		}
	}
	return out
}

// newCase is how each case here begins: it needs a real server (or skips), a simulator, and a worker
// config on a task queue of its own, named for the case, with Tencent's documented limit.
func newCase(t *testing.T, name string) (*simulator.Server, testworker.Config) {
	t.Helper()
	needServer(t)
	sim := simulator.NewTest(t, simulator.Options{})
	return sim, testworker.Config{Queue: waitflow.TaskQueue("all", name), Simulator: sim.URL, TencentLimit: waitflow.TencentLimit}
}

// startAll starts a WaitJob per job on queue; the workflow ids are prefix + vendor + job id.
func startAll(t *testing.T, c client.Client, prefix, queue string, jobs []job, in waitflow.WaitJobInput) (map[string]client.WorkflowRun, []string) {
	t.Helper()
	runs := map[string]client.WorkflowRun{}
	var ids []string
	for _, j := range jobs {
		for id, run := range startWaits(t, c, prefix+j.vendor+"-", queue, j.vendor, []string{j.id}, in) {
			runs[j.vendor+"/"+id] = run
			ids = append(ids, run.GetID())
		}
	}
	return runs, ids
}

// eventually polls cond every 50 ms until it holds or a minute passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(time.Minute)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("after a minute, still not %s", what)
		}
	}
}

var quick = waitflow.WaitOptions{MinDelay: time.Second, MaxDelay: 2 * time.Second, MaxWait: 10 * time.Minute}

// TestResultsEqualSdkWaitAcrossTheFourVendors waits for the same jobs of every vendor with the
// workflow on a real server and with sdk.Wait: the final jobs (state, counts, every failed user) and
// the errors are the same.
func TestResultsEqualSdkWaitAcrossTheFourVendors(t *testing.T) {
	sim, cfg := newCase(t, "equal")
	queue := cfg.Queue
	c := dial(t)
	startWorker(t, cfg)
	jobs := createJobs(t, sim, "eq", 3*time.Second, simulator.Vendors()...)
	runs, ids := startAll(t, c, "equal-", queue, jobs, waitflow.WaitJobInput{Options: quick})

	clients, err := testworker.Clients(sim.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	byVendor := map[string]sdk.Poller{}
	for _, p := range clients {
		byVendor[p.Vendor()] = p
	}
	type direct struct {
		job *sdk.Job
		err error
	}
	var mu sync.Mutex
	want := map[string]direct{}
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Go(func() {
			got, err := sdk.Wait(context.Background(), byVendor[j.vendor], j.id, &sdk.WaitOptions{MinDelay: quick.MinDelay, MaxDelay: quick.MaxDelay, MaxWait: quick.MaxWait})
			mu.Lock()
			want[j.vendor+"/"+j.id] = direct{got, err}
			mu.Unlock()
		})
	}
	wg.Wait()
	out := collect(t, runs, 5*time.Minute)
	for key, o := range out {
		w := want[key]
		if o.err != nil {
			t.Errorf("%s: workflow error %v", key, o.err)
			continue
		}
		if o.typ != errType(w.err) {
			t.Errorf("%s: workflow ended with %q, sdk.Wait with %v", key, o.typ, w.err)
		}
		if g, w := comparable(o.res.Job), comparable(w.job); g != w {
			t.Errorf("%s:\nworkflow %s\nsdk.Wait %s", key, g, w)
		}
	}
	if len(out) != 12 {
		t.Errorf("%d outcomes, want 12", len(out))
	}
	checkHistories(t, c, append(ids, waitflow.BudgetID(queue))...)
}

// TestAKilledWorkerLosesNoWait kills one of two worker processes (SIGKILL) while waits are in
// flight: the other worker finishes every wait, with the right result.
func TestAKilledWorkerLosesNoWait(t *testing.T) {
	sim, cfg := newCase(t, "killed")
	queue := cfg.Queue
	doomed := startWorker(t, cfg)
	jobs := createJobs(t, sim, "kill", 6*time.Second, simulator.Tencent, simulator.Huawei, simulator.Webex)
	c := dial(t)
	// a start-to-close timeout short enough for the activities the killed worker held to be retried
	// soon, longer than a wait for a slot (the budget leases at most 5 s ahead)
	runs, ids := startAll(t, c, "killed-", queue, jobs, waitflow.WaitJobInput{Options: quick, StatusTimeout: 10 * time.Second})
	// the doomed worker alone runs the first polls, and so the account's Budget workflow, whose
	// workflow tasks then go to its sticky queue
	eventually(t, "polled Tencent", func() bool { return sim.Stats(simulator.Tencent).Requests >= 3 })
	startWorker(t, cfg)
	eventually(t, "polled a few times", func() bool { return sim.Stats(simulator.Tencent).Requests+sim.Stats(simulator.Huawei).Requests >= 12 })
	doomed.kill()
	out := collect(t, runs, 5*time.Minute)
	assertOutcomes(t, out)
	checkHistories(t, c, append(ids, waitflow.BudgetID(queue))...)
	if n := startedBy(t, c, ids, doomed.cmd.Process.Pid); n == 0 {
		t.Error("the killed worker ran no activity: the test did not test a kill")
	}
}

// assertOutcomes checks the outcome createJobs' jobs must have: partly failed, failed, succeeded.
func assertOutcomes(t *testing.T, out map[string]outcome) {
	t.Helper()
	for key, o := range out {
		if o.err != nil || o.res.Job == nil {
			t.Errorf("%s: %v, job %v", key, o.err, o.res.Job)
			continue
		}
		j := o.res.Job
		switch {
		case j.State == sdk.StateSucceeded && o.typ == "" && len(j.Failures) == 0:
		// Huawei reports a task whose every user failed as partly successful
		case j.State == sdk.StatePartiallySucceeded && o.typ == "" && (len(j.Failures) == 1 || len(j.Failures) == 2):
		case j.State == sdk.StateFailed && o.typ == waitflow.ErrTypeJobFailed && len(j.Failures) == 2:
		default:
			t.Errorf("%s: %s (error type %q: %s) with %d failures", key, j.State, o.typ, o.msg, len(j.Failures))
		}
	}
}

// startedBy counts the activity attempts of the workflows that the worker with process id pid
// started (a worker's default identity begins with its pid).
func startedBy(t *testing.T, c client.Client, ids []string, pid int) int {
	t.Helper()
	n := 0
	for _, id := range ids {
		it := c.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				t.Fatal(err)
			}
			if a := e.GetActivityTaskStartedEventAttributes(); a != nil && strings.HasPrefix(a.GetIdentity(), fmt.Sprintf("%d@", pid)) {
				n++
			}
		}
	}
	return n
}

// TestARestartWithNewProcessesFinishesEveryWait stops every worker while waits are in flight and
// starts new worker processes: they pick the waits up from their histories (no workflow task fails
// on replay) and finish them.
func TestARestartWithNewProcessesFinishesEveryWait(t *testing.T) {
	sim, cfg := newCase(t, "restart")
	queue := cfg.Queue
	old := []*workerProc{startWorker(t, cfg), startWorker(t, cfg)}
	jobs := createJobs(t, sim, "restart", 8*time.Second, simulator.Vendors()...)
	c := dial(t)
	runs, ids := startAll(t, c, "restart-", queue, jobs, waitflow.WaitJobInput{Options: quick, StatusTimeout: 10 * time.Second})
	eventually(t, "polled every job", func() bool {
		n := 0
		for _, v := range simulator.Vendors() {
			n += sim.Stats(v).Requests
		}
		return n >= len(jobs)
	})
	old[0].kill()
	old[1].stop()
	startWorker(t, cfg)
	startWorker(t, cfg)
	out := collect(t, runs, 5*time.Minute)
	assertOutcomes(t, out)
	checkHistories(t, c, append(ids, waitflow.BudgetID(queue))...)
}

// TestContinueAsNewOnARealServer makes WaitJob continue as new every 2 polls and WaitJobs (Tencent,
// batched) every activity: each wait takes several runs and ends as in one.
func TestContinueAsNewOnARealServer(t *testing.T) {
	sim, cfg := newCase(t, "continue")
	queue := cfg.Queue
	startWorker(t, cfg)
	jobs := createJobs(t, sim, "can", 6*time.Second, simulator.Vendors()...)
	c := dial(t)
	runs, ids := startAll(t, c, "continue-", queue, jobs, waitflow.WaitJobInput{Options: quick, MaxPollsPerRun: 2})

	var batch []string
	for i := range 150 {
		id, err := sim.CreateJob(simulator.Tencent, []simulator.JobUser{{ID: fmt.Sprintf("batch%d", i)}}, 6*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		batch = append(batch, id)
	}
	many, err := c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: "continue-many", TaskQueue: queue}, waitflow.WaitJobsWorkflow,
		waitflow.WaitJobsInput{Vendor: simulator.Tencent, JobIDs: batch, Options: quick, MaxPollsPerRun: 1})
	if err != nil {
		t.Fatal(err)
	}
	out := collect(t, runs, 5*time.Minute)
	assertOutcomes(t, out)
	for key, o := range out {
		if o.res.Runs < 2 {
			t.Errorf("%s: %d run(s) for %d polls, want a continue-as-new every 2", key, o.res.Runs, o.res.Polls)
		}
	}
	var res waitflow.WaitJobsResult
	if err := many.Get(context.Background(), &res); err != nil {
		t.Fatal(err)
	}
	// A sweep of all 150 ids takes 2 polls of 100; once the jobs done in one sweep leave 100 or fewer,
	// a sweep takes 1 (when that happens depends on how fast the 150 jobs were created).
	if res.Runs < 2 || len(res.Jobs) != len(batch) || res.Polls <= res.Sweeps || res.Polls > res.Sweeps*2 {
		t.Errorf("WaitJobs: %d runs, %d jobs, %d polls in %d sweeps; want several runs, %d jobs, 1 or 2 polls a sweep and 2 in at least one", res.Runs, len(res.Jobs), res.Polls, res.Sweeps, len(batch))
	}
	for id, o := range res.Jobs {
		if o.Job == nil || o.Job.State != sdk.StateSucceeded {
			t.Errorf("WaitJobs job %s: %+v", id, o)
		}
	}
	checkHistories(t, c, append(ids, "continue-many", waitflow.BudgetID(queue))...)
}

// TestNoSecretInAnyHistory reads every workflow history of the namespace, those of the other tests
// included, and of a wait that ends on a vendor error: no event holds a credential.
func TestNoSecretInAnyHistory(t *testing.T) {
	sim, cfg := newCase(t, "secrets")
	queue := cfg.Queue
	startWorker(t, cfg)
	jobs := createJobs(t, sim, "secret", time.Second, simulator.Vendors()...)
	for _, v := range simulator.Vendors() {
		jobs = append(jobs, job{v, "no-such-job"})
	}
	c := dial(t)
	runs, _ := startAll(t, c, "secrets-", queue, jobs, waitflow.WaitJobInput{Options: quick})
	out := collect(t, runs, 5*time.Minute)
	notFound := 0
	for _, o := range out {
		if o.typ == waitflow.ErrTypeNotFound || o.typ == waitflow.ErrTypePermanent {
			notFound++
		}
	}
	if notFound != 4 {
		t.Errorf("%d waits for unknown jobs ended not found, want 4", notFound)
	}
	var ids []string
	req := &workflowservice.ListWorkflowExecutionsRequest{Namespace: server.Namespace}
	seen := map[string]bool{}
	for {
		resp, err := c.ListWorkflow(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range resp.GetExecutions() {
			if id := e.GetExecution().GetWorkflowId(); !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		if len(resp.GetNextPageToken()) == 0 {
			break
		}
		req.NextPageToken = resp.GetNextPageToken()
	}
	events := checkHistories(t, c, ids...)
	t.Logf("%d workflows, %d history events: no credential", len(ids), events)
}
