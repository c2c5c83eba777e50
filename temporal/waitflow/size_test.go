package waitflow

import (
	"testing"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
)

// eventsPerRun is the length of one WaitJob run's history as the server lays it out (see
// TestRecordHistory): the start and its first workflow task (4 events), per poll an activity
// (scheduled, started, completed) and the workflow task it wakes (3 + 3), per timer its two events and
// the workflow task it wakes (2 + 3), and the closing event (completed, failed or continued as new).
func eventsPerRun(polls, timers int) int { return 4 + 6*polls + 5*timers + 1 }

func TestSixHourWaitKeepsEachRunsHistoryShort(t *testing.T) {
	clk := &envClock{}
	f := newFake("tencent", clk.Now)
	f.add("long", fakeJob{doneAt: t0.Add(7 * time.Hour), state: sdk.StateSucceeded}) // outlives the 6 h budget
	var runs []int
	r := execute(t, clk, WaitJobWorkflow, WaitJobInput{Vendor: "tencent", JobID: "long"}, f)
	var res WaitJobResult
	if ae := asAppError(r.err); ae == nil || ae.Type() != ErrTypeWaitTimeout || ae.Details(&res) != nil {
		t.Fatalf("error = %v, want %s", r.err, ErrTypeWaitTimeout)
	}
	total := 0
	for run := range r.runs {
		polls := min(DefaultMaxPollsPerRun, res.Polls-run*DefaultMaxPollsPerRun)
		timers := polls // a resumed run begins with a timer
		if run == 0 {
			timers = polls - 1
		}
		n := eventsPerRun(polls, timers)
		runs = append(runs, n)
		total += n
		if n > 2000 {
			t.Errorf("run %d: %d events", run, n)
		}
	}
	if res.Polls != f.calls || r.runs != (res.Polls+DefaultMaxPollsPerRun-1)/DefaultMaxPollsPerRun {
		t.Errorf("%d polls (%d vendor calls) in %d runs", res.Polls, f.calls, r.runs)
	}
	t.Logf("6 h wait with the default schedule: %d Status activities, %d runs of %v events, %d events in all", res.Polls, r.runs, runs, total)
}

func TestEventsPerRunMatchesTheLaidOutHistory(t *testing.T) {
	// waitjob_restart_constructed.json: 13 polls, 12 timers, and 3 events of the dead worker's task
	h := loadHistory(t, "testdata/waitjob_restart_constructed.json")
	if got, want := len(h.GetEvents()), eventsPerRun(13, 12)+3; got != want {
		t.Errorf("%d events, the formula says %d", got, want)
	}
	// waitjob_restart_devserver.json, from a dev server: 7 polls, 6 timers, and 2 events of the task
	// that timed out on the dead worker's sticky queue
	h = loadHistory(t, "testdata/waitjob_restart_devserver.json")
	if got, want := len(h.GetEvents()), eventsPerRun(7, 6)+2; got != want {
		t.Errorf("dev server: %d events, the formula says %d", got, want)
	}
}
