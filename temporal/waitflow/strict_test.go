package waitflow

import (
	"bytes"
	"fmt"
	"os"
	"sync"
	"time"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// The SDK's replay matches each command with its event by kind and id only: a timer of another
// duration, or an activity with another input, replays without complaint. strictReplay also compares
// those, so that a change in the schedule (delays, jitter, options) is caught as well.

// decisions are the timers and activities a replayed workflow asked for, in order.
type decisions struct {
	mu     sync.Mutex
	timers []time.Duration
	inputs [][]byte
	err    error
}

func (d *decisions) timer(t time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.timers = append(d.timers, t)
}

func (d *decisions) activity(args []any) {
	d.mu.Lock()
	defer d.mu.Unlock()
	p, err := converter.GetDefaultDataConverter().ToPayloads(args...)
	if err != nil {
		d.err = err
		return
	}
	var b bytes.Buffer
	for _, x := range p.GetPayloads() {
		b.Write(x.GetData())
	}
	d.inputs = append(d.inputs, b.Bytes())
}

type strictOutbound struct {
	interceptor.WorkflowOutboundInterceptorBase
	d *decisions
}

func (o *strictOutbound) NewTimer(ctx workflow.Context, d time.Duration) workflow.Future {
	o.d.timer(d)
	return o.Next.NewTimer(ctx, d)
}

func (o *strictOutbound) NewTimerWithOptions(ctx workflow.Context, d time.Duration, opts workflow.TimerOptions) workflow.Future {
	o.d.timer(d)
	return o.Next.NewTimerWithOptions(ctx, d, opts)
}

func (o *strictOutbound) ExecuteActivity(ctx workflow.Context, activityType string, args ...any) workflow.Future {
	o.d.activity(args)
	return o.Next.ExecuteActivity(ctx, activityType, args...)
}

// (workflow.Sleep reaches NewTimerWithOptions through the chain, so Sleep needs no override.)

// strictReplay replays the history in file with register's workflows, then holds every timer's
// duration and every activity's input to what the history recorded.
func strictReplay(file string, register func(worker.WorkflowRegistry)) error {
	d := &decisions{}
	r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{Interceptors: []interceptor.WorkerInterceptor{&outboundWorker{
		start: func() {
			// The replayer may execute the workflow from its start more than once; keep the last
			// execution's decisions, which cover the whole history.
			d.mu.Lock()
			d.timers, d.inputs = nil, nil
			d.mu.Unlock()
		},
		wrap: func(out interceptor.WorkflowOutboundInterceptor) interceptor.WorkflowOutboundInterceptor {
			return &strictOutbound{WorkflowOutboundInterceptorBase: interceptor.WorkflowOutboundInterceptorBase{Next: out}, d: d}
		},
	}}})
	if err != nil {
		return err
	}
	register(r)
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	if err != nil {
		return err
	}
	// Replay under the recorded workflow id, as a worker would: the jitter's seed derives from it.
	started := h.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes()
	if started.GetWorkflowId() == "" {
		return fmt.Errorf("%s: the history does not name its workflow id", file)
	}
	exec := workflow.Execution{ID: started.GetWorkflowId(), RunID: started.GetOriginalExecutionRunId()}
	if err := r.ReplayWorkflowHistoryWithOptions(quietLogger(), h, worker.ReplayWorkflowHistoryOptions{OriginalExecution: exec}); err != nil {
		return err
	}
	if d.err != nil {
		return d.err
	}
	return compareDecisions(h, d)
}

func compareDecisions(h *historypb.History, d *decisions) error {
	var timers []time.Duration
	var inputs [][]byte
	for _, e := range h.GetEvents() {
		if a := e.GetTimerStartedEventAttributes(); a != nil {
			timers = append(timers, a.GetStartToFireTimeout().AsDuration())
		}
		if a := e.GetActivityTaskScheduledEventAttributes(); a != nil {
			var b bytes.Buffer
			for _, x := range a.GetInput().GetPayloads() {
				b.Write(x.GetData())
			}
			inputs = append(inputs, b.Bytes())
		}
	}
	// A replay may ask for more than the history holds when the history ends mid-wait; what the
	// history holds must match.
	if len(d.timers) < len(timers) || len(d.inputs) < len(inputs) {
		return fmt.Errorf("nondeterministic: the history has %d timers and %d activities, the replay asked for %d and %d", len(timers), len(inputs), len(d.timers), len(d.inputs))
	}
	for i, t := range timers {
		if d.timers[i] != t {
			return fmt.Errorf("nondeterministic: timer %d is %s in the history, %s in the replay", i, t, d.timers[i])
		}
	}
	for i, in := range inputs {
		if !bytes.Equal(d.inputs[i], in) {
			return fmt.Errorf("nondeterministic: activity %d input is %s in the history, %s in the replay", i, in, d.inputs[i])
		}
	}
	return nil
}
