package contracttests

import (
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	wgen "github.com/jobwatch/jobwatch/generated/webex"
	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/simulator"
)

// TestWebexBothSubmitShapesAndPagedErrors: the simulator answers one Submit in the published shape (201,
// response.id) and the next in the older live one (200, response.jobDetails.id); the sdk finds each job,
// and reads all of its failed users across the errors list's Link rel="next" pages, with both ends of
// every exchange validated against the spec.
func TestWebexBothSubmitShapesAndPagedErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := strictSim(t, simulator.Options{JobDuration: 10 * time.Second})
		c := newE2E(t, sim, sim.Transport(), "http://sim.test", nil)
		var users []wgen.UserItem
		var wantFailed []string
		for i := range 25 {
			id := fmt.Sprintf("u%02d", i)
			if i%5 != 0 {
				id += "-fail"
				wantFailed = append(wantFailed, id)
			}
			users = append(users, wgen.UserItem{UserId: id})
		}
		for round := range 2 { // published shape, then the older one
			id, err := c.webex.Submit(t.Context(), "loc-1", users)
			if err != nil || id == "" {
				t.Fatalf("round %d submit: %q, %v", round, id, err)
			}
			job, err := sdk.Wait(t.Context(), c.webex, id, nil)
			if err != nil || job.State != sdk.StatePartiallySucceeded || job.ID != id {
				t.Fatalf("round %d wait: %v, %v", round, job, err)
			}
			if got := failureUsers(job); fmt.Sprint(got) != fmt.Sprint(wantFailed) {
				t.Errorf("round %d: failed users %v, want %v", round, got, wantFailed)
			}
			if job.Counts.Failed == nil || *job.Counts.Failed != len(wantFailed) {
				t.Errorf("round %d: failed count %v", round, job.Counts.Failed)
			}
		}
		if st := sim.Stats(simulator.Webex); st.Violations != 0 {
			t.Errorf("stats %+v", st)
		}
	})
}
