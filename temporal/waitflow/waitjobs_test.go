package waitflow

import (
	"fmt"
	"testing"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
)

func TestWaitJobsBatchesTencentIDsPerSweep(t *testing.T) {
	const n, batch = 1000, 100
	var ids []string
	for i := range n {
		ids = append(ids, fmt.Sprintf("job-%04d", i))
	}
	var sweeps [2]int
	var outcomes [2]map[string]JobOutcome
	for k, maxPolls := range []int{0, 60} {
		clk := &envClock{}
		f := newFake("tencent", clk.Now)
		f.batch = batch
		for i, id := range ids {
			// four cohorts ending 20, 40, 60 and 80 minutes in; every tenth job fails two users
			j := fakeJob{doneAt: t0.Add(time.Duration(i%4+1) * 20 * time.Minute), state: sdk.StateSucceeded, total: 10}
			if i%10 == 0 {
				j.state, j.failures = sdk.StatePartiallySucceeded, failures
			}
			f.add(id, j)
		}
		r := execute(t, clk, WaitJobsWorkflow, WaitJobsInput{Vendor: "tencent", JobIDs: ids, MaxPollsPerRun: maxPolls}, batchingPoller{f})
		if r.err != nil {
			t.Fatal(r.err)
		}
		if len(r.jobs.Jobs) != n {
			t.Fatalf("%d outcomes, want %d", len(r.jobs.Jobs), n)
		}
		// Group the StatusMany calls by sweep (the workflow time they ran at): each sweep polls every
		// pending job in ⌈pending ÷ batch⌉ calls.
		var perSweep [][]int
		for i, at := range f.manyAt {
			if i == 0 || !at.Equal(f.manyAt[i-1]) {
				perSweep = append(perSweep, nil)
			}
			perSweep[len(perSweep)-1] = append(perSweep[len(perSweep)-1], f.manyCalls[i])
		}
		if len(perSweep) != r.jobs.Sweeps || len(f.manyCalls) != r.jobs.Polls || f.calls != 0 {
			t.Errorf("%d sweeps seen, %d reported; %d calls, %d reported; %d single Status calls", len(perSweep), r.jobs.Sweeps, len(f.manyCalls), r.jobs.Polls, f.calls)
		}
		pending := n
		for s, calls := range perSweep {
			ids := 0
			for _, c := range calls {
				ids += c
			}
			if ids != pending || len(calls) != (pending+batch-1)/batch {
				t.Errorf("sweep %d: %d calls carrying %d ids; want ⌈%d ÷ %d⌉ = %d calls", s, len(calls), ids, pending, batch, (pending+batch-1)/batch)
			}
			// the jobs still pending at the next sweep are those not yet done at this one
			at := f.manyAt[indexOfSweep(f.manyAt, s)]
			pending = 0
			for _, j := range f.jobs {
				if j.doneAt.After(at) {
					pending++
				}
			}
		}
		for i, id := range ids {
			o := r.jobs.Jobs[id]
			want := sdk.StateSucceeded
			if i%10 == 0 {
				want = sdk.StatePartiallySucceeded
			}
			if o.ErrorType != "" || o.Job == nil || o.Job.State != want || (i%10 == 0) != (len(o.Job.Failures) == 2) {
				t.Fatalf("%s: %+v", id, o)
			}
		}
		sweeps[k], outcomes[k] = r.jobs.Sweeps, r.jobs.Jobs
		t.Logf("max polls per run %d: %d sweeps, %d StatusMany calls, %d runs", maxPolls, r.jobs.Sweeps, r.jobs.Polls, r.runs)
		if maxPolls > 0 && r.runs < 2 {
			t.Errorf("%d runs, want a continue-as-new", r.runs)
		}
	}
	if sweeps[0] != sweeps[1] {
		t.Errorf("sweeps: %d in one run, %d across runs", sweeps[0], sweeps[1])
	}
}

// indexOfSweep is the index in at of the first call of sweep s.
func indexOfSweep(at []time.Time, s int) int {
	k := -1
	for i := range at {
		if i == 0 || !at[i].Equal(at[i-1]) {
			k++
		}
		if k == s {
			return i
		}
	}
	return len(at) - 1
}

func TestWaitJobsPollsEachJobOnItsScheduleWithoutBatches(t *testing.T) {
	clk := &envClock{}
	f := newFake("oracle", clk.Now)
	f.add("a", fakeJob{doneAt: t0.Add(10 * time.Minute), state: sdk.StateSucceeded})
	f.add("b", fakeJob{doneAt: t0.Add(time.Hour), state: sdk.StateFailed, failures: failures})
	r := execute(t, clk, WaitJobsWorkflow, WaitJobsInput{Vendor: "oracle", JobIDs: []string{"a", "b", "missing"}}, f)
	if r.err != nil {
		t.Fatal(r.err)
	}
	a, b, m := r.jobs.Jobs["a"], r.jobs.Jobs["b"], r.jobs.Jobs["missing"]
	if a.ErrorType != "" || a.Job.State != sdk.StateSucceeded {
		t.Errorf("a: %+v", a)
	}
	if b.ErrorType != ErrTypeJobFailed || len(b.Job.Failures) != 2 {
		t.Errorf("b: %+v", b)
	}
	if m.ErrorType != ErrTypeNotFound {
		t.Errorf("missing: %+v", m)
	}
	if r.jobs.Polls != f.calls {
		t.Errorf("polls %d, vendor calls %d", r.jobs.Polls, f.calls)
	}
}
