package waitflow

import (
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/workflow"
)

// outboundWorker is a worker interceptor that hands each workflow's outbound calls (timers,
// activities) to the interceptor wrap makes, after calling start, when set, as each execution begins.
// The tests that record or check a workflow's decisions use it.
type outboundWorker struct {
	interceptor.WorkerInterceptorBase
	start func()
	wrap  func(next interceptor.WorkflowOutboundInterceptor) interceptor.WorkflowOutboundInterceptor
}

func (w *outboundWorker) InterceptWorkflow(_ workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	if w.start != nil {
		w.start()
	}
	return &outboundInbound{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}, wrap: w.wrap}
}

type outboundInbound struct {
	interceptor.WorkflowInboundInterceptorBase
	wrap func(next interceptor.WorkflowOutboundInterceptor) interceptor.WorkflowOutboundInterceptor
}

func (i *outboundInbound) Init(out interceptor.WorkflowOutboundInterceptor) error {
	return i.Next.Init(i.wrap(out))
}
