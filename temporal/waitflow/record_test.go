package waitflow

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/jobwatch/jobwatch/sdk"
)

var record = flag.Bool("record", false, "rewrite testdata/waitjob_restart_constructed.json from a run on the test environment")

// command is one thing the workflow asked for while running on the test environment.
type command struct {
	at       time.Time
	activity string
	input    *commonpb.Payloads
	result   *commonpb.Payloads
	timer    time.Duration
}

type commandLog struct {
	mu   sync.Mutex
	cmds []*command
	now  func() time.Time
}

func (l *commandLog) add(c *command) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c.at = l.now()
	l.cmds = append(l.cmds, c)
}

type logOutbound struct {
	interceptor.WorkflowOutboundInterceptorBase
	l *commandLog
}

// NewTimerWithOptions sees every timer, workflow.Sleep's included.
func (o *logOutbound) NewTimerWithOptions(ctx workflow.Context, d time.Duration, opts workflow.TimerOptions) workflow.Future {
	o.l.add(&command{timer: d})
	return o.Next.NewTimerWithOptions(ctx, d, opts)
}

func (o *logOutbound) ExecuteActivity(ctx workflow.Context, name string, args ...any) workflow.Future {
	p, err := converter.GetDefaultDataConverter().ToPayloads(args...)
	if err != nil {
		panic(err)
	}
	o.l.add(&command{activity: name, input: p})
	return o.Next.ExecuteActivity(ctx, name, args...)
}

// TestRecordHistory writes the history a Temporal server would keep for a WaitJob of a Tencent job
// that runs 12 minutes and fails two users, with the worker killed after the fourth poll's timer and
// a new worker finishing the wait: the workflow runs on the test environment, its commands are
// logged, and the events are laid out as the server lays them (workflow task scheduled, started,
// completed around each command; a timed-out task where the first worker died). Run with -record.
func TestRecordHistory(t *testing.T) {
	if !*record {
		t.Skip("writes testdata only with -record")
	}
	var s testsuite.WorkflowTestSuite
	s.SetLogger(quietLogger())
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(t0)
	const wfID, runID, queue = "jobwatch-tencent-7954d180ef125aed", "0196b8f2-3c4d-7e5f-8a9b-0c1d2e3f4a5b", "jobwatch.tencent.sim"
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: wfID, TaskQueue: queue})
	l := &commandLog{now: env.Now}
	env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{&outboundWorker{wrap: func(out interceptor.WorkflowOutboundInterceptor) interceptor.WorkflowOutboundInterceptor {
		return &logOutbound{WorkflowOutboundInterceptorBase: interceptor.WorkflowOutboundInterceptorBase{Next: out}, l: l}
	}}}})
	f := newFake("tencent", env.Now)
	f.add("7954d180ef125aed", fakeJob{doneAt: t0.Add(12 * time.Minute), state: sdk.StatePartiallySucceeded, total: 5, failures: []sdk.Failure{
		{User: "bob.fail", Action: "CREATE", Code: "UserAlreadyExists", Message: "user already exists"},
		{User: "dave.fail", Action: "CREATE", Code: "UserAlreadyExists", Message: "user already exists"}}})
	dc := converter.GetDefaultDataConverter()
	var results []*commonpb.Payloads
	env.SetOnActivityCompletedListener(func(_ *activity.Info, v converter.EncodedValue, err error) {
		if err != nil {
			t.Errorf("activity failed: %v", err)
			return
		}
		var p Poll
		if err := v.Get(&p); err != nil {
			t.Error(err)
		}
		ps, _ := dc.ToPayloads(p)
		results = append(results, ps)
	})
	RegisterWorkflows(env)
	if err := Register(env, f); err != nil {
		t.Fatal(err)
	}
	in := WaitJobInput{Vendor: "tencent", JobID: "7954d180ef125aed", Size: 5}
	env.ExecuteWorkflow(WaitJobWorkflow, in)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res WaitJobResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	k := 0
	for _, c := range l.cmds {
		if c.activity != "" {
			c.result, k = results[k], k+1
		}
	}

	h := &historypb.History{}
	var clock time.Time
	add := func(typ enumspb.EventType, set func(e *historypb.HistoryEvent)) int64 {
		e := &historypb.HistoryEvent{EventId: int64(len(h.Events) + 1), EventTime: timestamppb.New(clock), EventType: typ, TaskId: int64(1048576 + len(h.Events))}
		set(e)
		h.Events = append(h.Events, e)
		return e.EventId
	}
	tq := &taskqueuepb.TaskQueue{Name: queue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL}
	identity := "1111@worker-a@"
	workflowTask := func(dies bool) int64 {
		sched := add(enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, func(e *historypb.HistoryEvent) {
			e.Attributes = &historypb.HistoryEvent_WorkflowTaskScheduledEventAttributes{WorkflowTaskScheduledEventAttributes: &historypb.WorkflowTaskScheduledEventAttributes{
				TaskQueue: tq, StartToCloseTimeout: durationpb.New(10 * time.Second), Attempt: 1}}
		})
		started := add(enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED, func(e *historypb.HistoryEvent) {
			e.Attributes = &historypb.HistoryEvent_WorkflowTaskStartedEventAttributes{WorkflowTaskStartedEventAttributes: &historypb.WorkflowTaskStartedEventAttributes{
				ScheduledEventId: sched, Identity: identity, RequestId: "req-" + strconv.Itoa(int(sched))}}
		})
		if dies {
			clock = clock.Add(10 * time.Second)
			add(enumspb.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, func(e *historypb.HistoryEvent) {
				e.Attributes = &historypb.HistoryEvent_WorkflowTaskTimedOutEventAttributes{WorkflowTaskTimedOutEventAttributes: &historypb.WorkflowTaskTimedOutEventAttributes{
					ScheduledEventId: sched, StartedEventId: started, TimeoutType: enumspb.TIMEOUT_TYPE_START_TO_CLOSE}}
			})
			return 0
		}
		return add(enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, func(e *historypb.HistoryEvent) {
			e.Attributes = &historypb.HistoryEvent_WorkflowTaskCompletedEventAttributes{WorkflowTaskCompletedEventAttributes: &historypb.WorkflowTaskCompletedEventAttributes{
				ScheduledEventId: sched, StartedEventId: started, Identity: identity}}
		})
	}
	input, _ := dc.ToPayloads(in)
	clock = t0
	add(enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, func(e *historypb.HistoryEvent) {
		e.Attributes = &historypb.HistoryEvent_WorkflowExecutionStartedEventAttributes{WorkflowExecutionStartedEventAttributes: &historypb.WorkflowExecutionStartedEventAttributes{
			WorkflowType: &commonpb.WorkflowType{Name: WaitJobWorkflow}, TaskQueue: tq, Input: input,
			WorkflowExecutionTimeout: durationpb.New(0), WorkflowRunTimeout: durationpb.New(0), WorkflowTaskTimeout: durationpb.New(10 * time.Second),
			OriginalExecutionRunId: runID, FirstExecutionRunId: runID, Identity: "2222@starter@", Attempt: 1, WorkflowId: wfID}}
	})
	completed := workflowTask(false)
	timers := 0
	for _, c := range l.cmds {
		// the SDK names an activity or a timer by the id of the event that will record its command
		seq := strconv.Itoa(len(h.Events) + 1)
		if c.activity != "" {
			sched := add(enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, func(e *historypb.HistoryEvent) {
				e.Attributes = &historypb.HistoryEvent_ActivityTaskScheduledEventAttributes{ActivityTaskScheduledEventAttributes: &historypb.ActivityTaskScheduledEventAttributes{
					ActivityId: seq, ActivityType: &commonpb.ActivityType{Name: c.activity}, TaskQueue: tq, Input: c.input,
					StartToCloseTimeout: durationpb.New(DefaultStatusTimeout), WorkflowTaskCompletedEventId: completed}}
			})
			started := add(enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED, func(e *historypb.HistoryEvent) {
				e.Attributes = &historypb.HistoryEvent_ActivityTaskStartedEventAttributes{ActivityTaskStartedEventAttributes: &historypb.ActivityTaskStartedEventAttributes{
					ScheduledEventId: sched, Identity: identity, Attempt: 1}}
			})
			add(enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, func(e *historypb.HistoryEvent) {
				e.Attributes = &historypb.HistoryEvent_ActivityTaskCompletedEventAttributes{ActivityTaskCompletedEventAttributes: &historypb.ActivityTaskCompletedEventAttributes{
					Result: c.result, ScheduledEventId: sched, StartedEventId: started, Identity: identity}}
			})
			completed = workflowTask(false)
			continue
		}
		started := add(enumspb.EVENT_TYPE_TIMER_STARTED, func(e *historypb.HistoryEvent) {
			e.Attributes = &historypb.HistoryEvent_TimerStartedEventAttributes{TimerStartedEventAttributes: &historypb.TimerStartedEventAttributes{
				TimerId: seq, StartToFireTimeout: durationpb.New(c.timer), WorkflowTaskCompletedEventId: completed}}
		})
		clock = clock.Add(c.timer)
		add(enumspb.EVENT_TYPE_TIMER_FIRED, func(e *historypb.HistoryEvent) {
			e.Attributes = &historypb.HistoryEvent_TimerFiredEventAttributes{TimerFiredEventAttributes: &historypb.TimerFiredEventAttributes{TimerId: seq, StartedEventId: started}}
		})
		if timers++; timers == 4 {
			// the first worker takes the task and dies; the server times the task out and a new worker
			// takes it from the history
			workflowTask(true)
			identity = "3333@worker-b@"
		}
		completed = workflowTask(false)
	}
	result, _ := dc.ToPayloads(res)
	add(enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, func(e *historypb.HistoryEvent) {
		e.Attributes = &historypb.HistoryEvent_WorkflowExecutionCompletedEventAttributes{WorkflowExecutionCompletedEventAttributes: &historypb.WorkflowExecutionCompletedEventAttributes{
			Result: result, WorkflowTaskCompletedEventId: completed}}
	})
	b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join("testdata", "waitjob_restart_constructed.json")
	if err := os.WriteFile(out, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d events, %d polls", out, len(h.Events), res.Polls)
}
