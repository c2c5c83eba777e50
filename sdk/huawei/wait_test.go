package huawei

import (
	"net/http"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/internal/sdktest"
)

// TestWaitTODOtoDONE waits through TODO and DOING to the documented DONE answer; the token is fetched
// once for the whole wait.
func TestWaitTODOtoDONE(t *testing.T) {
	sdktest.InBubble(t, func(t *testing.T, mt *httpmock.MockTransport) {
		tokens := fakeToken(mt, t)
		start := time.Now()
		mt.RegisterResponder("POST", queryURL, func(*http.Request) (*http.Response, error) {
			switch el := time.Since(start); {
			case el < 5*time.Second:
				return sdktest.JSONResponse(200, `{"resultCode":"0","taskInfo":{"status":"TODO"}}`), nil
			case el < 20*time.Second:
				return sdktest.JSONResponse(200, `{"resultCode":"0","taskInfo":{"status":"DOING"}}`), nil
			}
			return sdktest.JSONResponse(200, sdktest.Seed(t, "huawei_querytask_200.json")), nil
		})
		c := newTestClient(t, mt)
		var states []sdk.State
		job, err := sdk.Wait(t.Context(), c, "1659446191820726274", &sdk.WaitOptions{Progress: func(j *sdk.Job) { states = append(states, j.State) }})
		if err != nil || job.State != sdk.StateSucceeded {
			t.Fatalf("Wait = %v, %v", job, err)
		}
		if len(states) != 3 || states[0] != sdk.StatePending || states[1] != sdk.StateRunning {
			t.Errorf("progress %v", states)
		}
		if n := tokens.Load(); n != 1 {
			t.Errorf("%d token fetches", n)
		}
		if c.Vendor() != Vendor || c.Limiter() != nil {
			t.Error("Vendor or Limiter")
		}
	})
}
