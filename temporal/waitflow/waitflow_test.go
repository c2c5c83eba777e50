package waitflow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
	"go.uber.org/goleak"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/webex"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var t0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

// envClock lets a fake vendor read the clock of whichever test environment is running the wait now
// (a continue-as-new starts a new environment).
type envClock struct {
	mu  sync.Mutex
	env *testsuite.TestWorkflowEnvironment
	// rec, when set, records everything the runs would write to a history
	rec *recorder
}

func (c *envClock) set(env *testsuite.TestWorkflowEnvironment) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.env = env
}

func (c *envClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.env == nil {
		return t0
	}
	return c.env.Now()
}

// recorder keeps every payload the data converter encodes (workflow inputs and results, activity
// inputs and results, error details) and every activity error's text: what a history holds.
type recorder struct {
	converter.DataConverter
	mu  sync.Mutex
	buf strings.Builder
}

func newRecorder() *recorder { return &recorder{DataConverter: converter.GetDefaultDataConverter()} }

func (r *recorder) note(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.buf.WriteString(s + "\n")
}

func (r *recorder) ToPayload(v any) (*commonpb.Payload, error) {
	p, err := r.DataConverter.ToPayload(v)
	if p != nil {
		r.note(string(p.GetData()))
	}
	return p, err
}

func (r *recorder) ToPayloads(vs ...any) (*commonpb.Payloads, error) {
	ps, err := r.DataConverter.ToPayloads(vs...)
	for _, p := range ps.GetPayloads() {
		r.note(string(p.GetData()))
	}
	return ps, err
}

func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.String()
}

// run is one wait through the test environment, every continue-as-new followed in a new environment
// started at the time the previous run ended, as the server would.
type run struct {
	result  WaitJobResult
	jobs    WaitJobsResult
	err     error
	runs    int
	inputs  [][]byte // every run's input, as the history holds it
	attempt int      // activity attempts started, retries included
}

func execute(t *testing.T, clk *envClock, workflowName string, in any, clients ...sdk.Poller) (r run) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	s.SetLogger(tlog.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	start := t0
	dc := converter.GetDefaultDataConverter()
	var attempts atomic.Int64
	defer func() { r.attempt = int(attempts.Load()) }()
	for r.runs < 1000 {
		env := s.NewTestWorkflowEnvironment()
		env.SetStartTime(start)
		env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: "wait-" + workflowName})
		env.SetOnActivityStartedListener(func(*activity.Info, context.Context, converter.EncodedValues) { attempts.Add(1) })
		clk.set(env)
		if clk.rec != nil {
			env.SetDataConverter(clk.rec)
			env.SetOnActivityCompletedListener(func(_ *activity.Info, _ converter.EncodedValue, err error) {
				if err != nil {
					clk.rec.note(fmt.Sprintf("%+v", err))
				}
			})
		}
		RegisterWorkflows(env)
		if err := Register(env, clients...); err != nil {
			t.Fatal(err)
		}
		p, err := dc.ToPayload(in)
		if err != nil {
			t.Fatal(err)
		}
		r.inputs = append(r.inputs, p.GetData())
		env.ExecuteWorkflow(workflowName, in)
		r.runs++
		if !env.IsWorkflowCompleted() {
			t.Fatal("workflow did not complete")
		}
		err = env.GetWorkflowError()
		var can *workflow.ContinueAsNewError
		if errors.As(err, &can) {
			if can.WorkflowType.Name != workflowName {
				t.Fatalf("continued as %s, want %s", can.WorkflowType.Name, workflowName)
			}
			switch in.(type) {
			case WaitJobInput:
				var next WaitJobInput
				if err := dc.FromPayloads(can.Input, &next); err != nil {
					t.Fatal(err)
				}
				in = next
			case WaitJobsInput:
				var next WaitJobsInput
				if err := dc.FromPayloads(can.Input, &next); err != nil {
					t.Fatal(err)
				}
				in = next
			}
			start = env.Now()
			continue
		}
		r.err = err
		if clk.rec != nil && err != nil {
			clk.rec.note(fmt.Sprintf("%+v", err))
		}
		if err == nil {
			if workflowName == WaitJobWorkflow {
				err = env.GetWorkflowResult(&r.result)
			} else {
				err = env.GetWorkflowResult(&r.jobs)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		return r
	}
	t.Fatal("more than 1000 runs")
	return r
}

// predictPolls drives an sdk.Planner (jitter off) against job on a simulated clock: the number of
// polls the wait needs.
func predictPolls(t *testing.T, vendor, id string, job fakeJob) int {
	t.Helper()
	// The workflow's pinned defaults without jitter.
	opts := WaitOptions{}.sdkOptions(0, plannerLastPollRoom)
	opts.Random = func() float64 { return 0 }
	p, err := sdk.NewPlanner(vendor, id, t0, &opts)
	if err != nil {
		t.Fatal(err)
	}
	now := t0
	for n := 1; ; n++ {
		next, done, _, _ := p.Observe(now, job.at(vendor, id, now), nil)
		if done {
			return n
		}
		now = next
	}
}

var failures = []sdk.Failure{
	{User: "ann.fail@example.com", Action: "CREATE", Code: "UserExists", Message: "user already exists"},
	{User: "bob.fail@example.com", Action: "CREATE", Code: "UserExists", Message: "user already exists"},
}

func TestWaitJobHoursRunInMillisecondsWithThePlannersPolls(t *testing.T) {
	for _, tc := range []struct {
		name   string
		length time.Duration
	}{{"5h", 5 * time.Hour}, {"40m", 40 * time.Minute}, {"instant", 0}} {
		t.Run(tc.name, func(t *testing.T) {
			clk := &envClock{}
			f := newFake("webex", clk.Now)
			job := fakeJob{doneAt: t0.Add(tc.length), state: sdk.StatePartiallySucceeded, failures: failures, total: 50}
			f.add("job-1", job)
			in := WaitJobInput{Vendor: "webex", JobID: "job-1", Options: WaitOptions{Jitter: ptr(0.0)}, MaxPollsPerRun: 10000}
			began := time.Now()
			r := execute(t, clk, WaitJobWorkflow, in, f)
			wall := time.Since(began)
			if r.err != nil {
				t.Fatal(r.err)
			}
			want := predictPolls(t, "webex", "job-1", job)
			if r.result.Polls != want || f.calls != want {
				t.Errorf("polls: result %d, vendor calls %d, the Planner predicts %d", r.result.Polls, f.calls, want)
			}
			j := r.result.Job
			if j == nil || j.State != sdk.StatePartiallySucceeded || len(j.Failures) != 2 || j.Failures[1].User != "bob.fail@example.com" ||
				*j.Counts.Failed != 2 || *j.Counts.Succeeded != 48 {
				t.Errorf("final job = %+v", j)
			}
			if last := f.statusSeen[len(f.statusSeen)-1]; last.Before(job.doneAt) {
				t.Errorf("last poll at %s, before the job ended at %s", last, job.doneAt)
			}
			if wall > 5*time.Second {
				t.Errorf("a %s wait took %s of wall time", tc.length, wall)
			}
			t.Logf("%s wait: %d polls, %s wall", tc.length, r.result.Polls, wall)
		})
	}
}

func TestWaitJobJitterIsDeterministic(t *testing.T) {
	// With the default jitter, two executions of one workflow id poll at the same instants, and the
	// delays differ from the unjittered schedule.
	var times [2][]time.Time
	for i := range times {
		clk := &envClock{}
		f := newFake("huawei", clk.Now)
		f.add("j", fakeJob{doneAt: t0.Add(3 * time.Hour), state: sdk.StateSucceeded})
		r := execute(t, clk, WaitJobWorkflow, WaitJobInput{Vendor: "huawei", JobID: "j"}, f)
		if r.err != nil {
			t.Fatal(r.err)
		}
		times[i] = f.statusSeen
	}
	if len(times[0]) != len(times[1]) {
		t.Fatalf("polls differ: %d vs %d", len(times[0]), len(times[1]))
	}
	// The backoff's nominal delays; a jittered one is drawn below them.
	var nominal []time.Duration
	for d := pinned.MinDelay; d < pinned.MaxDelay; d *= 2 {
		nominal = append(nominal, d)
	}
	nominal = append(nominal, pinned.MaxDelay)
	jittered := false
	for i := range times[0] {
		if !times[0][i].Equal(times[1][i]) {
			t.Fatalf("poll %d at %s vs %s", i, times[0][i], times[1][i])
		}
		if i > 0 {
			d := times[0][i].Sub(times[0][i-1])
			if !slices.Contains(nominal, d) {
				jittered = true
			}
			if d < pinned.MinDelay || d > pinned.MaxDelay {
				t.Errorf("delay %d = %s, out of [min, max]", i, d)
			}
		}
	}
	if !jittered {
		t.Error("no delay was jittered")
	}
}

func TestWaitJobContinuesAsNewWithTheSameResult(t *testing.T) {
	job := fakeJob{doneAt: t0.Add(6 * time.Hour), state: sdk.StateFailed, failures: failures, total: 2}
	var results [2]run
	var seen [2][]time.Time
	for i, maxPolls := range []int{10000, 7} {
		clk := &envClock{}
		f := newFake("oracle", clk.Now)
		f.add("42", job)
		results[i] = execute(t, clk, WaitJobWorkflow, WaitJobInput{Vendor: "oracle", JobID: "42", MaxPollsPerRun: maxPolls,
			Options: WaitOptions{MaxWait: 8 * time.Hour}}, f)
		seen[i] = f.statusSeen
	}
	one, many := results[0], results[1]
	if one.runs != 1 || many.runs < 3 {
		t.Fatalf("runs: %d and %d, want 1 and several", one.runs, many.runs)
	}
	if len(seen[0]) != len(seen[1]) {
		t.Fatalf("polls: %d in one run, %d across %d runs", len(seen[0]), len(seen[1]), many.runs)
	}
	for i := range seen[0] {
		if !seen[0][i].Equal(seen[1][i]) {
			t.Fatalf("poll %d at %s in one run, %s across runs", i, seen[0][i], seen[1][i])
		}
	}
	var a, b WaitJobResult
	for i, r := range []run{one, many} {
		var ae *temporal.ApplicationError
		if !errors.As(r.err, &ae) || ae.Type() != ErrTypeJobFailed || !ae.NonRetryable() {
			t.Fatalf("error = %v, want a non-retryable %s", r.err, ErrTypeJobFailed)
		}
		res := []*WaitJobResult{&a, &b}[i]
		if err := ae.Details(res); err != nil {
			t.Fatal(err)
		}
	}
	if a.Polls != b.Polls || b.Runs != many.runs || a.Runs != 1 || len(a.Job.Failures) != 2 || len(b.Job.Failures) != 2 ||
		a.Job.Failures[0] != b.Job.Failures[0] || !a.Job.Finished.Equal(*b.Job.Finished) {
		t.Errorf("results differ: %+v (%+v) vs %+v (%+v)", a, a.Job, b, b.Job)
	}
	t.Logf("6h wait: %d polls, %d runs at 7 polls per run", b.Polls, b.Runs)
	// The state a run hands the next holds no failed user of the running job and stays small.
	for _, in := range many.inputs {
		if n := len(in); n > 2048 {
			t.Errorf("a run's input is %d bytes", n)
		}
	}
}

func TestWaitJobEndsWithTypedErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		job     fakeJob
		maxWait time.Duration
		typ     string
		isErr   error
		state   sdk.State
	}{
		{"failed", fakeJob{doneAt: t0.Add(time.Hour), state: sdk.StateFailed, failures: failures}, 0, ErrTypeJobFailed, sdk.ErrJobFailed, sdk.StateFailed},
		{"canceled", fakeJob{doneAt: t0.Add(time.Minute), state: sdk.StateCanceled}, 0, ErrTypeJobCanceled, sdk.ErrJobCanceled, sdk.StateCanceled},
		{"timeout", fakeJob{doneAt: t0.Add(5 * time.Hour), state: sdk.StateSucceeded}, 30 * time.Minute, ErrTypeWaitTimeout, sdk.ErrWaitTimeout, sdk.StateRunning},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := &envClock{}
			f := newFake("tencent", clk.Now)
			f.add("j1", tc.job)
			r := execute(t, clk, WaitJobWorkflow, WaitJobInput{Vendor: "tencent", JobID: "j1", Options: WaitOptions{MaxWait: tc.maxWait}}, f)
			var ae *temporal.ApplicationError
			if !errors.As(r.err, &ae) || ae.Type() != tc.typ || !ae.NonRetryable() {
				t.Fatalf("error = %v, want a non-retryable %s", r.err, tc.typ)
			}
			var res WaitJobResult
			if err := ae.Details(&res); err != nil {
				t.Fatal(err)
			}
			if res.Job == nil || res.Job.State != tc.state || res.Polls != f.calls {
				t.Errorf("details = %+v (job %+v), want state %s after %d polls", res, res.Job, tc.state, f.calls)
			}
			if tc.typ == ErrTypeJobFailed && len(res.Job.Failures) != 2 {
				t.Errorf("failures = %+v", res.Job.Failures)
			}
			// The last poll comes a min delay (2 s) before the deadline, as the sdk's Planner leaves it.
			if tc.typ == ErrTypeWaitTimeout && !f.statusSeen[len(f.statusSeen)-1].Equal(t0.Add(tc.maxWait-pinned.MinDelay)) {
				t.Errorf("last poll at %s, want a min delay before the deadline", f.statusSeen[len(f.statusSeen)-1])
			}
		})
	}
}

func TestWaitJobVendorErrors(t *testing.T) {
	unavailable := &sdk.APIError{Vendor: "huawei", Operation: "status", StatusCode: 503, Message: "busy"}
	limited := &sdk.APIError{Vendor: "huawei", Operation: "status", StatusCode: 429, Code: "APIGW.0308", Message: "throttled",
		RetryAfter: 7 * time.Second}
	denied := &sdk.APIError{Vendor: "huawei", Operation: "status", StatusCode: 401, Code: "APIGW.0301", Message: "incorrect IAM authentication information",
		RequestID: "req-9"}
	for _, tc := range []struct {
		name     string
		errs     []error
		typ      string // "" for success
		attempts int    // activity attempts beyond the polls
		code     string
	}{
		{"transient retried by the activity", []error{unavailable, limited}, "", 2, ""},
		// 4 attempts fail, the Planner counts one failed poll and backs off, the next poll's retry succeeds
		{"transient beyond the retries counts in the Planner", []error{unavailable, unavailable, unavailable, unavailable, unavailable}, "", 4, ""},
		{"unauthorized is not retried", []error{denied}, ErrTypeUnauthorized, 1, "APIGW.0301"},
		{"unknown job is not retried", nil, ErrTypeNotFound, 1, "JobNotFound"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := &envClock{}
			f := newFake("huawei", clk.Now)
			if tc.typ != ErrTypeNotFound {
				f.add("t-1", fakeJob{doneAt: t0.Add(10 * time.Minute), state: sdk.StateSucceeded})
			}
			f.errs = tc.errs
			r := execute(t, clk, WaitJobWorkflow, WaitJobInput{Vendor: "huawei", JobID: "t-1",
				Retry: RetryOptions{MaxAttempts: 4, MinDelay: time.Second, MaxDelay: 4 * time.Second}}, f)
			if tc.typ == "" {
				if r.err != nil || r.result.Job.State != sdk.StateSucceeded {
					t.Fatalf("result %+v, error %v", r.result, r.err)
				}
				if f.calls != r.result.Polls+tc.attempts || r.attempt != f.calls {
					t.Errorf("vendor calls %d, activity attempts %d, polls %d: want %d retries", f.calls, r.attempt, r.result.Polls, tc.attempts)
				}
				return
			}
			var ae *temporal.ApplicationError
			if !errors.As(r.err, &ae) || ae.Type() != tc.typ || !ae.NonRetryable() {
				t.Fatalf("error = %v, want a non-retryable %s", r.err, tc.typ)
			}
			var ve VendorError
			if err := ae.Details(&ve); err != nil || ve.Code != tc.code || ve.Vendor != "huawei" {
				t.Errorf("details = %+v (%v), want code %s", ve, err, tc.code)
			}
			if f.calls != tc.attempts {
				t.Errorf("vendor calls = %d, want %d (no retry)", f.calls, tc.attempts)
			}
		})
	}
}

func TestPollErrorKeepsTheSdksJudgement(t *testing.T) {
	transport := temporal.NewApplicationErrorWithOptions("reset", ErrTypeTransient, temporal.ApplicationErrorOptions{Details: []any{VendorError{Vendor: "x", Transport: true}}})
	limited := temporal.NewApplicationErrorWithOptions("slow down", ErrTypeTransient, temporal.ApplicationErrorOptions{Details: []any{VendorError{Vendor: "x", StatusCode: 200, Kind: sdk.ErrRateLimited.Error(), Code: "RequestLimitExceeded"}}})
	html := temporal.NewApplicationErrorWithOptions("html", ErrTypeTransient, temporal.ApplicationErrorOptions{Details: []any{VendorError{Vendor: "x", StatusCode: 200, Unexpected: true}}})
	gone := temporal.NewNonRetryableApplicationError("gone", ErrTypeNotFound, nil)
	// Every attempt of the activity timed out (a worker killed mid-deploy, a call that hung): transient,
	// as a per-attempt timeout is in sdk.Wait, not the end of the wait.
	timedOut := fmt.Errorf("activity error: %w", temporal.NewTimeoutError(enumspb.TIMEOUT_TYPE_START_TO_CLOSE, nil))
	for _, tc := range []struct {
		err       error
		temporary bool
	}{{transport, true}, {limited, true}, {html, true}, {gone, false}, {timedOut, true}} {
		got := pollError(tc.err, pinned.MaxRetryAfter)
		if endedOnTransient(got) != tc.temporary {
			t.Errorf("pollError(%v) = %v: transient %v, want %v", tc.err, got, endedOnTransient(got), tc.temporary)
		}
	}
	// A wait the Planner ended on too many activity timeouts in a row failed for a transient reason,
	// not a permanent one.
	p, err := sdk.NewPlanner("webex", "j", t0, &sdk.WaitOptions{MaxTransientErrors: 1, Random: func() float64 { return 0 }})
	if err != nil {
		t.Fatal(err)
	}
	var ferr error
	for now, done := t0, false; !done; now = now.Add(time.Minute) {
		_, done, _, ferr = p.Observe(now, nil, pollError(timedOut, pinned.MaxRetryAfter))
	}
	if typ, _, _ := classify("webex", "j", ferr); typ != ErrTypeTransient {
		t.Errorf("ended on %v: classified %s, want %s", ferr, typ, ErrTypeTransient)
	}
}

func TestUnitDrawsInTheUnitInterval(t *testing.T) {
	for n := uint64(0); n < 2000; n++ {
		if u := unit(42, n); u < 0 || u >= 1 || math.IsNaN(u) {
			t.Fatalf("unit(42, %d) = %v", n, u)
		}
	}
}

func TestWaitJobRejectsBadInput(t *testing.T) {
	for _, in := range []WaitJobInput{
		{JobID: "x"},
		{Vendor: "webex"},
		{Vendor: "webex", JobID: "x", Options: WaitOptions{Jitter: ptr(1.5)}},
		{Vendor: "webex", JobID: "x", Options: WaitOptions{MinDelay: -time.Second}},
		{Vendor: "webex", JobID: "x", Size: -1},
		{Vendor: "webex", JobID: "x", Resume: &ResumeState{Token: "not a token", Began: t0}},
	} {
		clk := &envClock{}
		r := execute(t, clk, WaitJobWorkflow, in, newFake("webex", clk.Now))
		var ae *temporal.ApplicationError
		if !errors.As(r.err, &ae) || ae.Type() != ErrTypeInvalidInput {
			t.Errorf("%+v: error = %v, want %s", in, r.err, ErrTypeInvalidInput)
		}
	}
	clk := &envClock{}
	r := execute(t, clk, WaitJobWorkflow, WaitJobInput{Vendor: "oracle", JobID: "x"}, newFake("webex", clk.Now))
	var ae *temporal.ApplicationError
	if !errors.As(r.err, &ae) || ae.Type() != ErrTypeNoClient {
		t.Errorf("no oracle client: error = %v, want %s", r.err, ErrTypeNoClient)
	}
}

func asAppError(err error) *temporal.ApplicationError {
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		return ae
	}
	return nil
}

// TestActivityErrorForUnreadFailures: a done job whose failures could not be read is judged by its
// cause for retries and details, but never takes the cause's kind: a 404 on Webex's errors list is
// not an unknown job.
func TestActivityErrorForUnreadFailures(t *testing.T) {
	a := &Activities{}
	for _, tc := range []struct {
		status       int    // of the errors list
		contentType  string // of its answer
		typ          string
		nonRetryable bool
	}{
		{http.StatusNotFound, "application/json", ErrTypePermanent, true},
		{http.StatusBadGateway, "text/html", ErrTypeTransient, false},
	} {
		// A real client's *sdk.FailuresError: Webex's job is done with a failed user, its errors list
		// answers tc.status.
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/errors") {
				w.Header().Set("Content-Type", tc.contentType)
				w.WriteHeader(tc.status)
				fmt.Fprint(w, `{"message":"gone","trackingId":"t"}`)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"id":"J1","name":"n","latestExecutionStatus":"COMPLETED","latestExecutionExitCode":"COMPLETED_WITH_ERRORS","counts":{"totalMoves":2,"moved":1,"failed":1}}`)
		}))
		c, err := webex.New(webex.Config{Token: "t"}, &sdk.ClientOptions{BaseURL: srv.URL, HTTPClient: srv.Client(), Getenv: func(string) string { return "" }, MaxAttempts: -1})
		if err != nil {
			t.Fatal(err)
		}
		_, perr := c.Status(t.Context(), "J1")
		srv.Close()
		if fe := (*sdk.FailuresError)(nil); !errors.As(perr, &fe) {
			t.Fatalf("status = %v, want an *sdk.FailuresError", perr)
		}
		err = a.activityError(context.Background(), "webex", perr)
		var ae *temporal.ApplicationError
		var ve VendorError
		if !errors.As(err, &ae) || ae.Type() != tc.typ || ae.NonRetryable() != tc.nonRetryable || ae.Details(&ve) != nil {
			t.Fatalf("errors list %d: %v; want type %s", tc.status, err, tc.typ)
		}
		if ve.Operation != "errors" || ve.StatusCode != tc.status || !strings.Contains(ae.Error(), "partially_succeeded") {
			t.Errorf("errors list %d: details %+v, message %q", tc.status, ve, ae.Error())
		}
	}
}

// TestHistoriesBeforeThePlannerChangeKeepTheirLastPoll: a run replaying a history recorded before
// plannerLastPollRoom (GetVersion's default version) keeps its last poll at the max wait itself, as it
// was recorded; a new run polls last a min delay before it.
func TestHistoriesBeforeThePlannerChangeKeepTheirLastPoll(t *testing.T) {
	for _, tc := range []struct {
		version workflow.Version
		last    time.Duration
	}{{workflow.DefaultVersion, 30 * time.Minute}, {plannerLastPollRoom, 30*time.Minute - pinned.MinDelay}} {
		opts := WaitOptions{MaxWait: 30 * time.Minute}.sdkOptions(0, tc.version)
		opts.Random = func() float64 { return 0 }
		p, err := sdk.NewPlanner("webex", "j", t0, &opts)
		if err != nil {
			t.Fatal(err)
		}
		running := &sdk.Job{Vendor: "webex", ID: "j", State: sdk.StateRunning}
		now, last := t0, t0
		for {
			next, done, _, err := p.Observe(now, running, nil)
			if done {
				if !errors.Is(err, sdk.ErrWaitTimeout) {
					t.Fatalf("version %d: %v", tc.version, err)
				}
				break
			}
			last, now = next, next
		}
		if got := last.Sub(t0); got != tc.last {
			t.Errorf("version %d: last poll at +%s, want +%s", tc.version, got, tc.last)
		}
	}
}
