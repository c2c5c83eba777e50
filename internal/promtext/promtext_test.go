package promtext

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jobwatch/jobwatch/sdk/observe"
)

// TestWrite: counters, gauges and histograms are written in Prometheus text, families by name with
// their help and type, series by labels, a histogram's buckets cumulative and upper-inclusive, and
// label values escaped.
func TestWrite(t *testing.T) {
	m := New()
	o := m.Observer()
	ctx := context.Background()
	o.Poll(ctx, observe.Poll{Vendor: "webex", JobID: "j1", Outcome: observe.OutcomeRunning})
	o.Poll(ctx, observe.Poll{Vendor: "webex", JobID: "j1", Outcome: observe.OutcomeDone, Lag: 2 * time.Second, LagExact: true})
	o.LimiterWait(ctx, observe.LimiterWait{Vendor: "webex", Waited: 10 * time.Millisecond})
	o.JobState(observe.JobState{Vendor: "webex", To: "new"})
	o.JobState(observe.JobState{Vendor: "webex", From: "new", To: "running"})
	o.Retry(ctx, observe.Retry{Vendor: "web\"ex\\\n", Reason: observe.RetryServer})
	var b strings.Builder
	if err := m.Write(&b); err != nil {
		t.Fatal(err)
	}
	want := `# HELP jobwatch_jobs_in_flight Jobs a Watcher watches, by vendor and last state seen.
# TYPE jobwatch_jobs_in_flight gauge
jobwatch_jobs_in_flight{jobwatch_state="new",jobwatch_vendor="webex"} 0
jobwatch_jobs_in_flight{jobwatch_state="running",jobwatch_vendor="webex"} 1
# HELP jobwatch_limiter_wait_seconds Time a request waited for its rate limiter's slot.
# TYPE jobwatch_limiter_wait_seconds histogram
jobwatch_limiter_wait_seconds_bucket{jobwatch_vendor="webex",le="0.01"} 1
jobwatch_limiter_wait_seconds_bucket{jobwatch_vendor="webex",le="0.1"} 1
jobwatch_limiter_wait_seconds_bucket{jobwatch_vendor="webex",le="1"} 1
jobwatch_limiter_wait_seconds_bucket{jobwatch_vendor="webex",le="10"} 1
jobwatch_limiter_wait_seconds_bucket{jobwatch_vendor="webex",le="+Inf"} 1
jobwatch_limiter_wait_seconds_sum{jobwatch_vendor="webex"} 0.01
jobwatch_limiter_wait_seconds_count{jobwatch_vendor="webex"} 1
# HELP jobwatch_observation_lag_seconds Time from a job's end, as its vendor reports it, to the poll that saw it done.
# TYPE jobwatch_observation_lag_seconds histogram
jobwatch_observation_lag_seconds_bucket{jobwatch_lag_source="vendor_end",jobwatch_vendor="webex",le="1"} 0
jobwatch_observation_lag_seconds_bucket{jobwatch_lag_source="vendor_end",jobwatch_vendor="webex",le="2"} 1
jobwatch_observation_lag_seconds_bucket{jobwatch_lag_source="vendor_end",jobwatch_vendor="webex",le="5"} 1
jobwatch_observation_lag_seconds_bucket{jobwatch_lag_source="vendor_end",jobwatch_vendor="webex",le="10"} 1
jobwatch_observation_lag_seconds_bucket{jobwatch_lag_source="vendor_end",jobwatch_vendor="webex",le="30"} 1
jobwatch_observation_lag_seconds_bucket{jobwatch_lag_source="vendor_end",jobwatch_vendor="webex",le="60"} 1
jobwatch_observation_lag_seconds_bucket{jobwatch_lag_source="vendor_end",jobwatch_vendor="webex",le="300"} 1
jobwatch_observation_lag_seconds_bucket{jobwatch_lag_source="vendor_end",jobwatch_vendor="webex",le="+Inf"} 1
jobwatch_observation_lag_seconds_sum{jobwatch_lag_source="vendor_end",jobwatch_vendor="webex"} 2
jobwatch_observation_lag_seconds_count{jobwatch_lag_source="vendor_end",jobwatch_vendor="webex"} 1
# HELP jobwatch_polls_total Status polls of jobs, by vendor and outcome.
# TYPE jobwatch_polls_total counter
jobwatch_polls_total{jobwatch_outcome="done",jobwatch_vendor="webex"} 1
jobwatch_polls_total{jobwatch_outcome="running",jobwatch_vendor="webex"} 1
# HELP jobwatch_retries_total Calls and polls tried again after a transient failure, by vendor and reason.
# TYPE jobwatch_retries_total counter
jobwatch_retries_total{jobwatch_retry_reason="server_error",jobwatch_vendor="web\"ex\\\n"} 1
`
	if got := b.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
