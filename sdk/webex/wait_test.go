package webex

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	gen "github.com/jobwatch/jobwatch/generated/webex"
	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/internal/sdktest"
)

// TestWaitAimsAtEstimatedCompletion serves a 200-user move that takes 10 minutes, with counts and
// timeElapsed as Webex reports them: the wait ends within the near-end bound of the job (the schedule
// allows for counts a tenth off, so exact counts end it early in its short polls), in about as many
// polls as the backoff alone, whose lag can reach the max delay.
func TestWaitAimsAtEstimatedCompletion(t *testing.T) {
	sdktest.InBubble(t, func(t *testing.T, mt *httpmock.MockTransport) {
		const total, duration = 200, 10 * time.Minute
		start := time.Now()
		polls := 0
		mt.RegisterResponder("GET", jobURL, func(*http.Request) (*http.Response, error) {
			polls++
			el := time.Since(start)
			moved := min(total, int(float64(total)*float64(el)/float64(duration)))
			j := job(gen.ExecutionStatusSTARTED, "UNKNOWN", total, moved, 0)
			if el >= duration {
				j = job(gen.ExecutionStatusCOMPLETED, "COMPLETED", total, total, 0)
			}
			te := fmt.Sprintf("PT%.3fS", el.Seconds())
			j.JobExecutionStatus = &[]gen.JobExecutionStatus{{TimeElapsed: &te}}
			j.Name, j.SourceUserId, j.SourceCustomerId, j.TargetCustomerId = "moveusers", "s", "c", "c"
			b, _ := json.Marshal(j)
			return sdktest.JSONResponse(200, string(b)), nil
		})
		c := newTestClient(t, mt)
		got, err := sdk.Wait(t.Context(), c, "J1", nil)
		if err != nil || got.State != sdk.StateSucceeded {
			t.Fatalf("Wait = %v, %v", got, err)
		}
		if lag := time.Since(start) - duration; lag > 15*time.Second || polls > 15 {
			t.Errorf("done %v after the job, in %d polls", lag, polls)
		}
	})
}
