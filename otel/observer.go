// Package otel turns jobwatch's observation hooks (package sdk/observe) into OpenTelemetry traces
// and metrics. It is a module of its own, so that only the programs that import it link
// OpenTelemetry: the sdk and the vendor packages stay on the standard library.
//
//	obs, err := otel.NewObserver(otel.Config{})    // the global tracer and meter providers
//	job, err := sdk.Wait(ctx, client, jobID, &sdk.WaitOptions{Observer: obs})
//
// Traces: a span "jobwatch.wait" per wait, a new trace linked to the span the wait's context carries
// (the submit's span, when the caller made one), with a child span per HTTP request of its polls
// (named after the method, kind client, with OpenTelemetry's HTTP client attributes: the URL with
// every query value redacted) and a child span "jobwatch.sleep" per sleep. A bulk run makes spans
// "jobwatch.bulk.round" and "jobwatch.bulk.chunk".
//
// Metrics (attributes in brackets; none holds a job id or a user, so that the series stay a few per
// vendor however many jobs are watched):
//
//	jobwatch.polls                  counter        polls [jobwatch.vendor, jobwatch.outcome]
//	jobwatch.observation.lag        histogram (s)  from a job's end to the poll that saw it [jobwatch.vendor,
//	                                               jobwatch.lag.source: vendor_end when the vendor reports the
//	                                               end, last_poll (an upper bound) when it does not]
//	jobwatch.limiter.wait           histogram (s)  a request's wait for its rate limiter [jobwatch.vendor]
//	jobwatch.jobs.in_flight         up-down        a Watcher's jobs [jobwatch.vendor, jobwatch.state]
//	jobwatch.retries                counter        [jobwatch.vendor, jobwatch.retry.reason]
//	jobwatch.bulk.chunks            counter        a bulk run's ended chunks [jobwatch.vendor, jobwatch.state]
package otel

import (
	"context"
	"errors"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	global "go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/jobwatch/jobwatch/sdk/observe"
)

// ScopeName is the instrumentation scope of jobwatch's tracer and meter.
const ScopeName = "github.com/jobwatch/jobwatch/otel"

// Config chooses where the telemetry goes.
type Config struct {
	// TracerProvider makes the spans; nil means OpenTelemetry's global provider.
	TracerProvider trace.TracerProvider
	// MeterProvider makes the metrics; nil means OpenTelemetry's global provider.
	MeterProvider metric.MeterProvider
}

// NewObserver returns an Observer that records jobwatch's events as spans and metrics. Pass it to
// sdk.WaitOptions.Observer (of a wait, or of a Watcher's WatcherOptions.Wait), or in a context
// (observe.NewContext).
func NewObserver(cfg Config) (*observe.Observer, error) {
	tp, mp := cfg.TracerProvider, cfg.MeterProvider
	if tp == nil {
		tp = global.GetTracerProvider()
	}
	if mp == nil {
		mp = global.GetMeterProvider()
	}
	r := &recorder{tracer: tp.Tracer(ScopeName), clientKind: trace.WithSpanKind(trace.SpanKindClient)}
	m := mp.Meter(ScopeName)
	var errs []error
	add := func(err error) { errs = append(errs, err) }
	var err error
	r.polls, err = m.Int64Counter("jobwatch.polls", metric.WithUnit("{poll}"), metric.WithDescription("Status polls of jobs, by vendor and outcome."))
	add(err)
	r.lag, err = m.Float64Histogram("jobwatch.observation.lag", metric.WithUnit("s"),
		metric.WithDescription("Time from a job's end, as its vendor reports it, to the poll that saw it done."),
		metric.WithExplicitBucketBoundaries(1, 2, 5, 10, 30, 60, 300))
	add(err)
	r.limiter, err = m.Float64Histogram("jobwatch.limiter.wait", metric.WithUnit("s"),
		metric.WithDescription("Time a request waited for its rate limiter's slot."),
		metric.WithExplicitBucketBoundaries(0.01, 0.1, 1, 10))
	add(err)
	r.inFlight, err = m.Int64UpDownCounter("jobwatch.jobs.in_flight", metric.WithUnit("{job}"), metric.WithDescription("Jobs a Watcher watches, by vendor and last state seen."))
	add(err)
	r.retries, err = m.Int64Counter("jobwatch.retries", metric.WithUnit("{retry}"), metric.WithDescription("Calls and polls tried again after a transient failure, by vendor and reason."))
	add(err)
	r.chunks, err = m.Int64Counter("jobwatch.bulk.chunks", metric.WithUnit("{chunk}"), metric.WithDescription("Chunks (jobs) of bulk runs that ended, by vendor and end state."))
	add(err)
	r.rounds, err = m.Int64Counter("jobwatch.bulk.rounds", metric.WithUnit("{round}"), metric.WithDescription("Rounds of bulk runs that ended, by vendor."))
	add(err)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &observe.Observer{
		WaitStart:   r.waitStart,
		WaitEnd:     r.waitEnd,
		Poll:        r.poll,
		Request:     r.request,
		Sleep:       r.sleep,
		Retry:       r.retry,
		LimiterWait: r.limiterWait,
		JobState:    r.jobState,
		Round:       r.round,
		Chunk:       r.chunk,
	}, nil
}

// Attribute keys of jobwatch's own (OpenTelemetry's HTTP ones are spelled where they are used).
const (
	keyVendor      = attribute.Key("jobwatch.vendor")
	keyJobID       = attribute.Key("jobwatch.job.id") // spans only, never a metric
	keyOutcome     = attribute.Key("jobwatch.outcome")
	keyState       = attribute.Key("jobwatch.state")
	keyReason      = attribute.Key("jobwatch.retry.reason")
	keySleepReason = attribute.Key("jobwatch.sleep.reason")
	keyLagSource   = attribute.Key("jobwatch.lag.source")
)

// recorder holds the instruments, and the attribute options of each series, made once.
type recorder struct {
	tracer   trace.Tracer
	polls    metric.Int64Counter
	lag      metric.Float64Histogram
	limiter  metric.Float64Histogram
	inFlight metric.Int64UpDownCounter
	retries  metric.Int64Counter
	chunks   metric.Int64Counter
	rounds   metric.Int64Counter

	// clientKind is the request spans' start option, made once: an option in an interface costs an
	// allocation each time it is made.
	clientKind trace.SpanStartOption

	mu      sync.Mutex         // held to add a vendor or a series; reads take no lock
	vendors cow[*vendorSeries] // the vendors seen
}

// series is one attribute set's options, as the instruments' variadic parameters take them, made
// once: a measurement then allocates nothing for its attributes.
type series struct {
	add    []metric.AddOption
	record []metric.RecordOption
}

func newSeries(kv ...attribute.KeyValue) *series {
	set := metric.WithAttributeSet(attribute.NewSet(kv...))
	return &series{add: []metric.AddOption{set}, record: []metric.RecordOption{set}}
}

// vendorSeries is one vendor's series: by the vendor alone, and by the vendor and one other
// attribute, whose values (outcomes, reasons, states) are a handful of the sdk's constants.
type vendorSeries struct {
	vendor    attribute.KeyValue
	only      *series
	outcome   cow[*series] // jobwatch.outcome
	lagSource cow[*series] // jobwatch.lag.source
	reason    cow[*series] // jobwatch.retry.reason
	state     cow[*series] // jobwatch.state
}

// cow is a short list of values by name, read without a lock and copied on write (under the
// recorder's mutex): a poll's lookup is a few string comparisons, with no allocation and no lock for
// the Watcher's goroutines to contend on.
type cow[V any] struct{ p atomic.Pointer[[]named[V]] }

type named[V any] struct {
	name string
	v    V
}

func (c *cow[V]) find(name string) (v V, ok bool) {
	if l := c.p.Load(); l != nil {
		for _, e := range *l {
			if e.name == name {
				return e.v, true
			}
		}
	}
	return v, false
}

// get returns name's value, made by mk and added on first use; mu serializes the additions.
func (c *cow[V]) get(mu *sync.Mutex, name string, mk func() V) V {
	if v, ok := c.find(name); ok {
		return v
	}
	mu.Lock()
	defer mu.Unlock()
	if v, ok := c.find(name); ok {
		return v
	}
	var l []named[V]
	if p := c.p.Load(); p != nil {
		l = *p
	}
	v := mk()
	l = append(slices.Clip(l), named[V]{name, v})
	c.p.Store(&l)
	return v
}

// vendor returns the series of the vendor named name.
func (r *recorder) vendor(name string) *vendorSeries {
	return r.vendors.get(&r.mu, name, func() *vendorSeries {
		kv := keyVendor.String(name)
		return &vendorSeries{vendor: kv, only: newSeries(kv)}
	})
}

// by returns the series of the vendor v with k=value, c being v's list of k's series.
func (r *recorder) by(v *vendorSeries, c *cow[*series], k attribute.Key, value string) *series {
	return c.get(&r.mu, value, func() *series { return newSeries(v.vendor, k.String(value)) })
}

// waitKey carries the wait's own span in its context, so that WaitEnd ends that span and never one
// of the caller's.
type waitKey struct{}

func (r *recorder) waitStart(ctx context.Context, e observe.WaitStart) context.Context {
	opts := []trace.SpanStartOption{trace.WithNewRoot(), trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(keyVendor.String(e.Vendor), keyJobID.String(e.JobID))}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		// A wait can outlast the request that submitted the job by hours: it is a trace of its own,
		// linked to the submit's.
		opts = append(opts, trace.WithLinks(trace.Link{SpanContext: sc}))
	}
	ctx, span := r.tracer.Start(ctx, "jobwatch.wait", opts...)
	return context.WithValue(ctx, waitKey{}, span)
}

func (r *recorder) waitEnd(ctx context.Context, e observe.WaitEnd) {
	span, ok := ctx.Value(waitKey{}).(trace.Span)
	if !ok {
		return
	}
	span.SetAttributes(keyState.String(e.State), attribute.Int("jobwatch.polls", e.Polls))
	if e.Err != nil {
		span.SetStatus(codes.Error, e.Err.Error())
	}
	span.End()
}

func (r *recorder) poll(ctx context.Context, e observe.Poll) {
	v := r.vendor(e.Vendor)
	r.polls.Add(ctx, 1, r.by(v, &v.outcome, keyOutcome, e.Outcome).add...)
	if e.Outcome == observe.OutcomeDone {
		src := "last_poll"
		if e.LagExact {
			src = "vendor_end"
		}
		r.lag.Record(ctx, e.Lag.Seconds(), r.by(v, &v.lagSource, keyLagSource, src).record...)
	}
	// No span event: the poll's requests have spans, and an event per poll on a wait of hours would
	// fill the wait's span (and cost a tenth of a poll).
}

// request makes the span of one HTTP request, after the fact, with the attributes OpenTelemetry's HTTP
// client conventions (v1.26+) name. It makes no metric: its statuses and hosts are the vendors' to
// multiply, and the polls, retries and limiter waits already count what jobwatch decides.
func (r *recorder) request(ctx context.Context, e observe.Request) {
	span := r.startAfter(ctx, e.Method, e.Start, r.clientKind)
	if span == nil {
		return
	}
	errType := errorType(e.StatusCode, e.Err)
	// Sized for the most a request has: the span copies them (the SDK's does; the API's contract does
	// not let us hand it a buffer we would reuse).
	kv := make([]attribute.KeyValue, 4, 7)
	kv[0] = attribute.String("http.request.method", e.Method)
	kv[1] = attribute.String("server.address", e.ServerAddress)
	kv[2] = attribute.Int("server.port", e.ServerPort)
	kv[3] = attribute.String("url.full", e.URL)
	if e.StatusCode > 0 {
		kv = append(kv, attribute.Int("http.response.status_code", e.StatusCode))
	}
	if errType != "" {
		kv = append(kv, attribute.String("error.type", errType))
	}
	if e.Attempt > 1 {
		kv = append(kv, attribute.Int("http.request.resend_count", e.Attempt-1))
	}
	span.SetAttributes(kv...)
	if errType != "" {
		span.SetStatus(codes.Error, errType)
	}
	endAt(span, e.Start.Add(e.Duration))
}

// errorType is OpenTelemetry's error.type of a request: the status code of a 4xx or 5xx answer, a
// short name of the transport failure, "" for a success.
func errorType(status int, err error) string {
	var ne net.Error
	switch {
	case err == nil && status >= 400:
		return strconv.Itoa(status)
	case err == nil:
		return ""
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.As(err, new(*net.DNSError)):
		return "dns"
	case errors.As(err, new(*net.OpError)):
		return "connection"
	}
	return "_OTHER"
}

// startAfter starts, at start, the span of something that already happened; nil when it would not be
// recorded (its parent is not, or the sampler says no), so that no attribute is built for nothing.
// kind, when not nil, is the span's kind.
func (r *recorder) startAfter(ctx context.Context, name string, start time.Time, kind trace.SpanStartOption) trace.Span {
	if p := trace.SpanFromContext(ctx); p.SpanContext().IsValid() && !p.IsRecording() {
		return nil
	}
	var span trace.Span
	if kind != nil {
		_, span = r.tracer.Start(ctx, name, kind, trace.WithTimestamp(start))
	} else {
		_, span = r.tracer.Start(ctx, name, trace.WithTimestamp(start))
	}
	if !span.IsRecording() {
		span.End()
		return nil
	}
	return span
}

// endAt ends span at end. The sdk reports a request or a sleep as it ends, so end is nearly always
// now: the span then reads the clock itself, which spares an option made per span (two allocations).
// An event reported later (a replay, a test) ends at its own time.
func endAt(span trace.Span, end time.Time) {
	if late := time.Since(end); late >= 0 && late < time.Millisecond {
		span.End()
		return
	}
	span.End(trace.WithTimestamp(end))
}

func (r *recorder) sleep(ctx context.Context, e observe.Sleep) {
	span := r.startAfter(ctx, "jobwatch.sleep", e.Start, nil)
	if span == nil {
		return
	}
	span.SetAttributes(keySleepReason.String(e.Reason), attribute.Float64("jobwatch.sleep.planned", e.Planned.Seconds()))
	endAt(span, e.Start.Add(e.Slept))
}

func (r *recorder) retry(ctx context.Context, e observe.Retry) {
	v := r.vendor(e.Vendor)
	r.retries.Add(ctx, 1, r.by(v, &v.reason, keyReason, e.Reason).add...)
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.AddEvent("jobwatch.retry", trace.WithAttributes(keyReason.String(e.Reason),
			attribute.Int("jobwatch.retry.attempt", e.Attempt), attribute.Float64("jobwatch.retry.delay", e.Delay.Seconds())))
	}
}

func (r *recorder) limiterWait(ctx context.Context, e observe.LimiterWait) {
	r.limiter.Record(ctx, e.Waited.Seconds(), r.vendor(e.Vendor).only.record...)
}

func (r *recorder) jobState(e observe.JobState) {
	ctx, v := context.Background(), r.vendor(e.Vendor)
	if e.From != "" {
		r.inFlight.Add(ctx, -1, r.by(v, &v.state, keyState, e.From).add...)
	}
	if e.To != "" {
		r.inFlight.Add(ctx, 1, r.by(v, &v.state, keyState, e.To).add...)
	}
}

func (r *recorder) round(ctx context.Context, e observe.Round) {
	_, span := r.tracer.Start(ctx, "jobwatch.bulk.round", trace.WithTimestamp(e.Start), trace.WithAttributes(
		keyVendor.String(e.Vendor), attribute.Int("jobwatch.bulk.round", e.Round), attribute.Int("jobwatch.bulk.chunks", e.Chunks),
		attribute.Int("jobwatch.bulk.users", e.Users), attribute.Int("jobwatch.bulk.succeeded", e.Succeeded),
		attribute.Int("jobwatch.bulk.failed", e.Failed), attribute.Int("jobwatch.bulk.retryable", e.Retryable)))
	span.End(trace.WithTimestamp(e.Start.Add(e.Duration)))
	r.rounds.Add(ctx, 1, r.vendor(e.Vendor).only.add...)
}

func (r *recorder) chunk(ctx context.Context, e observe.Chunk) {
	state := e.State
	if state == "" {
		state = "none"
	}
	v := r.vendor(e.Vendor)
	r.chunks.Add(ctx, 1, r.by(v, &v.state, keyState, state).add...)
	_, span := r.tracer.Start(ctx, "jobwatch.bulk.chunk", trace.WithTimestamp(e.Start), trace.WithAttributes(
		keyVendor.String(e.Vendor), keyJobID.String(e.JobID), attribute.Int("jobwatch.bulk.round", e.Round),
		attribute.Int("jobwatch.bulk.chunk", e.Chunk), attribute.Int("jobwatch.bulk.users", e.Users), keyState.String(state)))
	if e.Err != nil {
		span.SetStatus(codes.Error, e.Err.Error())
	}
	span.End(trace.WithTimestamp(e.Start.Add(e.Duration)))
}
