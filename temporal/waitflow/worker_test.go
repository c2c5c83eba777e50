package waitflow

import (
	"math"
	"testing"

	"golang.org/x/time/rate"

	"github.com/jobwatch/jobwatch/sdk"
)

func TestWorkerOptionsKeepTheBacklogOnTheQueue(t *testing.T) {
	o, err := WorkerOptions(TencentLimit)
	if err != nil {
		t.Fatal(err)
	}
	// a second of the budget in flight per worker; no task queue rate: the FleetBudget is the limit
	if o.MaxConcurrentActivityExecutionSize != 20 || o.TaskQueueActivitiesPerSecond != 0 || o.WorkerActivitiesPerSecond != 0 {
		t.Errorf("options = %+v", o)
	}
	if l := ClientLimiter(19); l.Limit() != perSecondLimit(19) || l.Burst() != 1 || l.Limit() > rate.Limit(19) {
		t.Errorf("client limiter %v burst %d", l.Limit(), l.Burst())
	}
	if o := BudgetedClientOptions(); o.MaxAttempts >= 0 && o.MaxAttempts != 1 || o.RateLimiter == nil || o.RateLimiter.Limit() != rate.Inf {
		t.Errorf("budgeted client options = %+v, want one attempt and no pacing", o)
	}
	for _, bad := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		if _, err := WorkerOptions(bad); err == nil {
			t.Errorf("WorkerOptions(%v) accepted", bad)
		}
	}
	if q := TaskQueue("tencent", "prod"); q != "jobwatch.tencent.prod" {
		t.Errorf("TaskQueue = %q", q)
	}
}

func TestNewActivitiesRejectsAmbiguousClients(t *testing.T) {
	a, b := newFake("tencent", nil), newFake("tencent", nil)
	for name, clients := range map[string][]sdk.Poller{
		"nil client":        {nil},
		"two of one vendor": {a, b},
		"no vendor name":    {newFake("", nil)},
	} {
		if _, err := NewActivities(clients...); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := NewActivities(a, newFake("webex", nil)); err != nil {
		t.Error(err)
	}
}
