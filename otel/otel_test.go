package otel_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/jobwatch/jobwatch/internal/simclients"
	"github.com/jobwatch/jobwatch/otel"
	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/huawei"
	"github.com/jobwatch/jobwatch/sdk/observe"
	"github.com/jobwatch/jobwatch/simulator"
)

// clients returns a client of each vendor on sim, through hc.
func clients(t *testing.T, sim *simulator.Simulator, root string, hc *http.Client) map[string]sdk.Poller {
	t.Helper()
	cs, err := simclients.New(root, sim.Credentials(), simclients.Tencent{Region: "ap-guangzhou", UserStoreID: "usrstore-sim"}, &sdk.ClientOptions{HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	return map[string]sdk.Poller{simulator.Oracle: cs.Oracle, simulator.Huawei: cs.Huawei, simulator.Webex: cs.Webex, simulator.Tencent: cs.Tencent}
}

// attrs is a span's attributes by key.
func attrs(kv []attribute.KeyValue) map[string]string {
	m := map[string]string{}
	for _, a := range kv {
		m[string(a.Key)] = a.Value.String()
	}
	return m
}

// huaweiTen is a traced Huawei job of 10 s on a new simulator, with the otel observer recording every
// span: its client, its id, the observer, the recorder and the span its submit made.
type huaweiTen struct {
	sim    *simulator.Simulator
	c      *huawei.Client
	id     string
	obs    *observe.Observer
	rec    *tracetest.SpanRecorder
	submit trace.SpanContext
}

// submitHuaweiTen submits a huaweiTen job under a span "submit"; ctx carries that span.
func submitHuaweiTen(t *testing.T) (context.Context, huaweiTen) {
	t.Helper()
	sim, err := simulator.New(simulator.Options{JobDuration: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: sim.Transport()}
	j := huaweiTen{sim: sim, c: clients(t, sim, "http://sim.test", hc)[simulator.Huawei].(*huawei.Client), rec: tracetest.NewSpanRecorder()}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(j.rec))
	if j.obs, err = otel.NewObserver(otel.Config{TracerProvider: tp, MeterProvider: sdkmetric.NewMeterProvider()}); err != nil {
		t.Fatal(err)
	}
	ctx, submit := tp.Tracer("test").Start(t.Context(), "submit")
	j.id, err = j.c.Submit(ctx, []huawei.FederationUserInput{{Action: huawei.ActionCreate, UserAccount: "agent001"}})
	submit.End()
	if err != nil {
		t.Fatal(err)
	}
	j.submit = submit.SpanContext()
	return ctx, j
}

// waitTree checks the spans of j's wait, which link says it is linked to (none when link is not
// valid): one span "jobwatch.wait" in a trace of its own whose children are a client span per HTTP
// request (with OpenTelemetry's HTTP client attributes, the URL's query values redacted) and a span per
// sleep. It returns the children, in the order they ended.
func (j huaweiTen) waitTree(t *testing.T, link trace.SpanContext) string {
	t.Helper()
	var wait sdktrace.ReadOnlySpan
	for _, s := range j.rec.Ended() {
		if s.Name() == "jobwatch.wait" {
			wait = s
		}
	}
	if wait == nil {
		t.Fatal("no jobwatch.wait span")
	}
	var links []trace.SpanContext
	for _, l := range wait.Links() {
		links = append(links, l.SpanContext)
	}
	linked := len(links) == 0
	if link.IsValid() {
		linked = len(links) == 1 && links[0].SpanID() == link.SpanID()
	}
	if wait.Parent().IsValid() || !linked {
		t.Errorf("wait span: parent %v, links %v; want a root linked to %v", wait.Parent(), links, link)
	}
	if a := attrs(wait.Attributes()); a["jobwatch.vendor"] != "huawei" || a["jobwatch.job.id"] != j.id || a["jobwatch.state"] != "succeeded" {
		t.Errorf("wait span attributes %v", a)
	}
	var tree []string
	for _, s := range j.rec.Ended() {
		if s.SpanContext().TraceID() != wait.SpanContext().TraceID() || s == wait {
			continue
		}
		if s.Parent().SpanID() != wait.SpanContext().SpanID() {
			t.Errorf("span %s is not a child of the wait", s.Name())
		}
		a := attrs(s.Attributes())
		switch s.Name() {
		case "jobwatch.sleep":
			tree = append(tree, "sleep "+a["jobwatch.sleep.reason"])
		default:
			if s.SpanKind() != trace.SpanKindClient {
				t.Errorf("span %s kind %v", s.Name(), s.SpanKind())
			}
			for _, k := range []string{"http.request.method", "server.address", "server.port", "url.full", "http.response.status_code"} {
				if a[k] == "" {
					t.Errorf("%s span lacks %s: %v", s.Name(), k, a)
				}
			}
			if strings.Contains(a["url.full"], "agent") {
				t.Errorf("url.full %q", a["url.full"])
			}
			tree = append(tree, fmt.Sprintf("%s %s", s.Name(), a["http.response.status_code"]))
		}
	}
	for _, s := range j.rec.Ended() {
		for _, kv := range s.Attributes() {
			if v := kv.Value.String(); strings.Contains(v, j.sim.Credentials().HuaweiAppSecret) {
				t.Errorf("span %s attribute %s holds the app secret", s.Name(), kv.Key)
			}
		}
	}
	return strings.Join(tree, ", ")
}

// huaweiTenTree is the children of a huaweiTen job's wait: the job runs 10 s, polled at 0, 2, 6 and
// 14 s (backoff from 2 s, no jitter).
const huaweiTenTree = "POST 200, sleep backoff, POST 200, sleep backoff, POST 200, sleep backoff, POST 200"

// TestWaitSpanTree: a Wait on the simulator is one span "jobwatch.wait" in a trace of its own, linked
// to the submit's span its context carries, whose children are a client span per HTTP request and a
// span per sleep.
func TestWaitSpanTree(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, j := submitHuaweiTen(t)
		if _, err := sdk.Wait(ctx, j.c, j.id, &sdk.WaitOptions{Observer: j.obs, Random: func() float64 { return 0 }}); err != nil {
			t.Fatal(err)
		}
		if got := j.waitTree(t, j.submit); got != huaweiTenTree {
			t.Errorf("children of the wait:\n%s\nwant:\n%s", got, huaweiTenTree)
		}
	})
}

// TestWatcherSpanTree: a Watcher's job is a wait with the same spans as a Wait's: a span
// "jobwatch.wait" in a trace of its own, whose children are its requests' spans and its sleeps'.
func TestWatcherSpanTree(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, j := submitHuaweiTen(t)
		w, err := sdk.NewWatcher(&sdk.WatcherOptions{Wait: sdk.WaitOptions{Observer: j.obs, Random: func() float64 { return 0 }}})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		if err := w.Add(j.c, j.id, nil); err != nil {
			t.Fatal(err)
		}
		if r := <-w.Results(); r.Err != nil {
			t.Fatal(r.Err)
		}
		if got := j.waitTree(t, trace.SpanContext{}); got != huaweiTenTree {
			t.Errorf("children of the wait:\n%s\nwant:\n%s", got, huaweiTenTree)
		}
	})
}

// watched is what a Watcher of 10,000 jobs of the four vendors on the simulator made, with the otel
// observer recording every span.
type watched struct {
	perVendor int
	jobs      map[string]string // job id → vendor
	metrics   metricdata.ResourceMetrics
	spans     []sdktrace.ReadOnlySpan
}

func watchTenThousand(t *testing.T) watched {
	out := watched{perVendor: 2500, jobs: map[string]string{}}
	if testing.Short() {
		out.perVendor = 500 // the same series and the same checks (make e2e runs the 2,500)
	}
	synctest.Test(t, func(t *testing.T) {
		sim, err := simulator.New(simulator.Options{})
		if err != nil {
			t.Fatal(err)
		}
		hc := &http.Client{Transport: sim.Transport()}
		reader, rec := sdkmetric.NewManualReader(), tracetest.NewSpanRecorder()
		obs, err := otel.NewObserver(otel.Config{TracerProvider: sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)),
			MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))})
		if err != nil {
			t.Fatal(err)
		}
		w, err := sdk.NewWatcher(&sdk.WatcherOptions{Wait: sdk.WaitOptions{Observer: obs}})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		for vendor, p := range clients(t, sim, "http://sim.test", hc) {
			ids := make([]string, out.perVendor)
			for i := range ids {
				if ids[i], err = sim.CreateJob(vendor, []simulator.JobUser{{ID: fmt.Sprint("user-", i)}}, time.Duration(1+i%30)*time.Second); err != nil {
					t.Fatal(err)
				}
				out.jobs[ids[i]] = vendor
			}
			for _, id := range ids {
				if err := w.Add(p, id, nil); err != nil {
					t.Fatal(err)
				}
			}
		}
		for range out.jobs { // one result per job added
			if r := <-w.Results(); r.Err != nil {
				t.Fatal(r.Err)
			}
		}
		if err := reader.Collect(context.Background(), &out.metrics); err != nil {
			t.Fatal(err)
		}
		out.spans = rec.Ended()
	})
	return out
}

// TestWatcherTenThousand: 10,000 jobs of the four vendors in one Watcher, every span recorded, make the
// metrics the package documents, with a handful of series (none grows with the jobs), and each job is a
// wait with a span "jobwatch.wait" of its own, as a Wait is. The run is made once for both.
func TestWatcherTenThousand(t *testing.T) {
	run := watchTenThousand(t)
	t.Run("metrics", func(t *testing.T) { checkMetrics(t, run) })
	t.Run("wait spans", func(t *testing.T) {
		for _, p := range checkWaitSpans(run.spans, run.jobs) {
			t.Error(p)
		}
	})
}

// checkMetrics checks the metrics of run: the documented ones, at most 200 series as Prometheus counts
// them, none naming a job or a user.
func checkMetrics(t *testing.T, run watched) {
	perVendor := int64(run.perVendor)
	series, promSeries, points := countSeries(run.metrics)
	total := 0
	for name, n := range series {
		t.Logf("%s: %d series", name, n)
		total += n
	}
	t.Logf("%d series in all, %d in Prometheus", total, promSeries)
	if promSeries > 200 {
		t.Errorf("%d series in Prometheus, want at most 200", promSeries)
	}
	for _, v := range []string{"oracle", "huawei", "webex", "tencent"} {
		if got := points["jobwatch.polls{jobwatch.outcome=done,jobwatch.vendor="+v+"}"]; got != perVendor {
			t.Errorf("%s: %d polls done, want %d", v, got, perVendor)
		}
		src := "last_poll"
		if v == "webex" {
			src = "vendor_end" // the one vendor that reports a job's end time
		}
		if got := points["jobwatch.observation.lag{jobwatch.lag.source="+src+",jobwatch.vendor="+v+"}"]; got != perVendor {
			t.Errorf("%s: %d lags, want %d", v, got, perVendor)
		}
		for _, st := range []string{"new", "pending", "running"} {
			if got := points["jobwatch.jobs.in_flight{jobwatch.state="+st+",jobwatch.vendor="+v+"}"]; got != 0 {
				t.Errorf("%s: %d jobs %s in flight after the run", v, got, st)
			}
		}
	}
	for k := range points {
		if strings.Contains(k, "job.id") || strings.Contains(k, "user-") {
			t.Errorf("series %s names a job or a user", k)
		}
	}
	if points["jobwatch.limiter.wait{jobwatch.vendor=tencent}"] == 0 {
		t.Errorf("no limiter wait of Tencent's client recorded: %v", points)
	}
}

// countSeries counts rm's series by metric, and as Prometheus shows them (a histogram's as one per
// bucket, +Inf, _sum and _count), and gives each series' value (a histogram's count) by metric and
// attributes.
func countSeries(rm metricdata.ResourceMetrics) (series map[string]int, promSeries int, points map[string]int64) {
	series, points = map[string]int{}, map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					series[m.Name]++
					promSeries++
					points[m.Name+attrKey(p.Attributes)] = p.Value
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					series[m.Name]++
					promSeries += len(p.Bounds) + 3
					points[m.Name+attrKey(p.Attributes)] = int64(p.Count)
				}
			}
		}
	}
	return series, promSeries, points
}

// checkWaitSpans returns what is wrong with the "jobwatch.wait" spans among spans, given the Watcher's
// jobs (job id → vendor): exactly one per job, ended, naming its vendor and job and the job's end
// state.
func checkWaitSpans(spans []sdktrace.ReadOnlySpan, jobs map[string]string) []string {
	seen := map[string]int{}
	var problems []string
	for _, s := range spans {
		if s.Name() != "jobwatch.wait" {
			continue
		}
		a := attrs(s.Attributes())
		id := a["jobwatch.job.id"]
		seen[id]++
		switch {
		case jobs[id] == "":
			problems = append(problems, fmt.Sprintf("a wait span names job %q, not one of the Watcher's", id))
		case a["jobwatch.vendor"] != jobs[id] || a["jobwatch.state"] != "succeeded" || s.EndTime().IsZero():
			problems = append(problems, fmt.Sprintf("wait span of %s job %s: %v, ended %v", jobs[id], id, a, s.EndTime()))
		}
	}
	if len(seen) == 0 {
		return []string{"none"}
	}
	for id, v := range jobs {
		if seen[id] != 1 {
			problems = append(problems, fmt.Sprintf("%s job %s has %d wait spans, want 1", v, id, seen[id]))
		}
	}
	if len(problems) > 10 {
		problems = append(problems[:10], fmt.Sprintf("and %d more", len(problems)-10))
	}
	return problems
}

// attrKey spells an attribute set as {k=v,...}, keys sorted.
func attrKey(s attribute.Set) string {
	var parts []string
	for _, kv := range s.ToSlice() {
		parts = append(parts, string(kv.Key)+"="+kv.Value.String())
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// TestBulkEvents: a bulk run's rounds and chunks make spans, ended chunks a count by vendor and state
// and ended rounds one by vendor, with no job id among their attributes.
func TestBulkEvents(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	reader := sdkmetric.NewManualReader()
	obs, err := otel.NewObserver(otel.Config{TracerProvider: sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)),
		MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ctx := t.Context()
	obs.Chunk(ctx, observe.Chunk{Vendor: "huawei", Round: 1, Chunk: 1, JobID: "j1", Users: 100, State: "succeeded", Start: start, Duration: time.Minute})
	obs.Chunk(ctx, observe.Chunk{Vendor: "huawei", Round: 1, Chunk: 2, Users: 7, Start: start, Duration: time.Second, Err: errors.New("submit refused")})
	obs.Round(ctx, observe.Round{Vendor: "huawei", Round: 1, Chunks: 2, Users: 107, Succeeded: 100, Retryable: 7, Start: start, Duration: time.Minute})
	var got []string
	for _, s := range rec.Ended() {
		a := attrs(s.Attributes())
		got = append(got, fmt.Sprintf("%s round=%s chunk=%s users=%s job=%s state=%s %s %s", s.Name(), a["jobwatch.bulk.round"], a["jobwatch.bulk.chunk"],
			a["jobwatch.bulk.users"], a["jobwatch.job.id"], a["jobwatch.state"], s.EndTime().Sub(s.StartTime()), s.Status().Code))
	}
	want := strings.Join([]string{
		"jobwatch.bulk.chunk round=1 chunk=1 users=100 job=j1 state=succeeded 1m0s Unset",
		"jobwatch.bulk.chunk round=1 chunk=2 users=7 job= state=none 1s Error",
		"jobwatch.bulk.round round=1 chunk= users=107 job= state= 1m0s Unset",
	}, "\n")
	if g := strings.Join(got, "\n"); g != want {
		t.Errorf("spans:\n%s\nwant:\n%s", g, want)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	var counts []string
	for _, m := range rm.ScopeMetrics[0].Metrics {
		for _, p := range m.Data.(metricdata.Sum[int64]).DataPoints {
			counts = append(counts, fmt.Sprintf("%s%s %d", m.Name, attrKey(p.Attributes), p.Value))
		}
	}
	slices.Sort(counts)
	if g, w := strings.Join(counts, "\n"), "jobwatch.bulk.chunks{jobwatch.state=none,jobwatch.vendor=huawei} 1\njobwatch.bulk.chunks{jobwatch.state=succeeded,jobwatch.vendor=huawei} 1\n"+
		"jobwatch.bulk.rounds{jobwatch.vendor=huawei} 1"; g != w {
		t.Errorf("metrics:\n%s\nwant:\n%s", g, w)
	}
}
