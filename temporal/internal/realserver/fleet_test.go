package realserver

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/simulator"
	"github.com/jobwatch/jobwatch/temporal/internal/testworker"
	"github.com/jobwatch/jobwatch/temporal/waitflow"
)

// backlogSample is the activity backlog of a task queue at one instant.
type backlogSample struct {
	at time.Time
	n  int64
}

// sampleBacklog records the approximate activity backlog of queue every 250 ms until ctx ends.
func sampleBacklog(ctx context.Context, c client.Client, queue string) func() []backlogSample {
	var mu sync.Mutex
	var out []backlogSample
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			resp, err := c.WorkflowService().DescribeTaskQueue(ctx, &workflowservice.DescribeTaskQueueRequest{
				Namespace: server.Namespace, TaskQueue: &taskqueuepb.TaskQueue{Name: queue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL}, TaskQueueType: enumspb.TASK_QUEUE_TYPE_ACTIVITY, ReportStats: true})
			if err == nil {
				mu.Lock()
				out = append(out, backlogSample{time.Now(), resp.GetStats().GetApproximateBacklogCount()})
				mu.Unlock()
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return func() []backlogSample {
		<-done
		mu.Lock()
		defer mu.Unlock()
		return out
	}
}

// fleetFigures are what the vendor saw during a fleet run.
type fleetFigures struct {
	requests, refused, maxWindow int
	// mean is requests per second from the first request to the end of the backlog; overall to the
	// last request.
	mean, overall float64
	backlog       time.Duration
	perSecond     []int
}

func figures(st simulator.VendorStats, samples []backlogSample) fleetFigures {
	f := fleetFigures{requests: len(st.Times), refused: st.RateLimited, maxWindow: st.MaxPerSecond}
	if len(st.Times) < 2 {
		return f
	}
	first, last := st.Times[0], st.Times[len(st.Times)-1]
	f.overall = float64(len(st.Times)-1) / last.Sub(first).Seconds()
	// the backlog ends at the last sample that saw one
	end := first
	for _, s := range samples {
		if s.n > 0 && s.at.After(end) {
			end = s.at
		}
	}
	if end.After(first) {
		f.backlog = end.Sub(first)
		n := 0
		for _, at := range st.Times {
			if at.Before(end) {
				n++
			}
		}
		f.mean = float64(n) / f.backlog.Seconds()
	}
	for _, at := range st.Times {
		k := int(at.Sub(first) / time.Second)
		for len(f.perSecond) <= k {
			f.perSecond = append(f.perSecond, 0)
		}
		f.perSecond[k]++
	}
	return f
}

// TestFleetBudgetHoldsUnderARampOfAThousandJobs runs 1,000 Tencent waits, started at once, on three
// worker processes that share one account's FleetBudget, and counts at the simulator: no rolling second
// holds more than Tencent's 20 requests, none is refused, and while the task queue has a backlog the
// fleet sends at least 80% of the limit on average.
//
// The simulator runs in the test process, so under the race detector its own slowness would be
// measured: make test runs this test once more without it.
func TestFleetBudgetHoldsUnderARampOfAThousandJobs(t *testing.T) {
	needServer(t)
	if raceEnabled {
		t.Skip("the fake vendor's clock is the measure: run without -race (make test does)")
	}
	const (
		jobs, workers = 1000, 3
		jobLength     = 20 * time.Second
		batchJobs     = 300
		batchLength   = 10 * time.Second
	)
	sim := simulator.NewTest(t, simulator.Options{})
	queue := waitflow.TaskQueue(simulator.Tencent, "fleet")
	for range workers {
		startWorker(t, testworker.Config{Queue: queue, Simulator: sim.URL, TencentLimit: waitflow.TencentLimit})
	}
	created := time.Now()
	ids := make([]string, jobs)
	for i := range ids {
		users := []simulator.JobUser{{ID: fmt.Sprintf("user%d", i)}, {ID: fmt.Sprintf("user%d.fail", i)}}
		id, err := sim.CreateJob(simulator.Tencent, users, jobLength)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	c := dial(t)
	began := time.Now()
	ctx, stopSampling := context.WithCancel(context.Background())
	backlog := sampleBacklog(ctx, c, queue)
	runs := startWaits(t, c, "fleet-", queue, simulator.Tencent, ids, waitflow.WaitJobInput{
		Options:       waitflow.WaitOptions{MinDelay: 2 * time.Second, MaxDelay: 10 * time.Second, MaxWait: 30 * time.Minute},
		StatusTimeout: 20 * time.Second,
	})
	started := time.Since(began)
	jobsEnd := created.Add(jobLength)

	// A batched wait started into the backlog: its first poll must not queue behind it.
	var batch []string
	for i := range batchJobs {
		id, err := sim.CreateJob(simulator.Tencent, []simulator.JobUser{{ID: fmt.Sprintf("batch%d", i)}}, batchLength)
		if err != nil {
			t.Fatal(err)
		}
		batch = append(batch, id)
	}
	many, err := c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: "fleet-many", TaskQueue: queue,
		Priority: temporal.Priority{PriorityKey: waitflow.BatchPriority}}, waitflow.WaitJobsWorkflow,
		waitflow.WaitJobsInput{Vendor: simulator.Tencent, JobIDs: batch, Options: waitflow.WaitOptions{MinDelay: 2 * time.Second, MaxDelay: 10 * time.Second, MaxWait: 30 * time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	out := collect(t, runs, 10*time.Minute)
	wall := time.Since(began)
	stopSampling()
	samples := backlog()

	polls := 0
	var lags []time.Duration
	for id, o := range out {
		if o.err != nil || o.typ != "" || o.res.Job == nil || o.res.Job.State != sdk.StatePartiallySucceeded {
			t.Fatalf("job %s: %+v (error type %q, %v)", id, o.res.Job, o.typ, o.err)
		}
		polls += o.res.Polls
		d, err := c.DescribeWorkflow(context.Background(), runs[id].GetID(), "")
		if err != nil || d.WorkflowCloseTime == nil {
			t.Fatalf("workflow %s: %v, close time %v", runs[id].GetID(), err, d)
		}
		lags = append(lags, d.WorkflowCloseTime.Sub(jobsEnd))
	}
	slices.Sort(lags)
	t.Logf("observation lag of the WaitJob workflows (workflow closed minus job end): median %v, 90th %v, max %v",
		lags[len(lags)/2].Round(time.Millisecond), lags[len(lags)*9/10].Round(time.Millisecond), lags[len(lags)-1].Round(time.Millisecond))
	var res waitflow.WaitJobsResult
	if err := many.Get(context.Background(), &res); err != nil {
		t.Fatal(err)
	}
	polls += res.Polls
	first := firstBatchLag(t, c, "fleet-many")
	t.Logf("WaitJobs of %d jobs started into the backlog: first StatusMany done %v after the workflow started; %d sweeps, %d polls",
		batchJobs, first.Round(time.Millisecond), res.Sweeps, res.Polls)
	if first >= batchLength {
		t.Errorf("the first batched poll came %v after the start, after the jobs (%v long) ended", first, batchLength)
	}
	for id, o := range res.Jobs {
		if o.Job == nil || o.Job.State != sdk.StateSucceeded {
			t.Errorf("WaitJobs job %s: %+v", id, o)
		}
	}
	f := figures(sim.Stats(simulator.Tencent), samples)
	t.Logf("%d jobs, %d workers: started in %v, all done in %v; %d polls, %d requests at the vendor, %d refused", jobs, workers,
		started.Round(time.Millisecond), wall.Round(time.Millisecond), polls, f.requests, f.refused)
	t.Logf("max requests in a rolling second %d (limit %d); mean %.2f/s over the %v backlog (%.0f%% of the limit), %.2f/s overall",
		f.maxWindow, waitflow.TencentLimit, f.mean, f.backlog.Round(time.Millisecond), 100*f.mean/waitflow.TencentLimit, f.overall)
	t.Logf("requests per whole second: %v", f.perSecond)
	if f.maxWindow > waitflow.TencentLimit {
		t.Errorf("the vendor saw %d requests in one rolling second, more than its limit %d", f.maxWindow, waitflow.TencentLimit)
	}
	if f.refused != 0 {
		t.Errorf("the vendor refused %d requests", f.refused)
	}
	if f.requests != polls {
		t.Errorf("the vendor saw %d requests, the workflows count %d polls", f.requests, polls)
	}
	if f.backlog < 10*time.Second {
		t.Fatalf("the task queue had a backlog for only %v: the test no longer loads the budget (samples %v)", f.backlog, samples)
	}
	if min := 0.8 * waitflow.TencentLimit; f.mean < min {
		t.Errorf("mean %.2f requests/s during the backlog, want at least %.0f", f.mean, min)
	}
	if !slices.ContainsFunc(samples, func(s backlogSample) bool { return s.n > 0 }) {
		t.Error("no sample saw a backlog")
	}
}

// firstBatchLag is the time from the start of WaitJobs workflow id to the completion of its first
// StatusMany activity.
func firstBatchLag(t *testing.T, c client.Client, id string) time.Duration {
	t.Helper()
	var start time.Time
	many := map[int64]bool{}
	it := c.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case e.GetWorkflowExecutionStartedEventAttributes() != nil && start.IsZero():
			start = e.GetEventTime().AsTime()
		case e.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName() == waitflow.StatusManyActivity:
			many[e.GetEventId()] = true
		case many[e.GetActivityTaskCompletedEventAttributes().GetScheduledEventId()]:
			return e.GetEventTime().AsTime().Sub(start)
		}
	}
	t.Fatalf("workflow %s ran no StatusMany", id)
	return 0
}
