package webex

import (
	"encoding/json"
	"testing"

	gen "github.com/jobwatch/jobwatch/generated/webex"
	"github.com/jobwatch/jobwatch/sdk/internal/sdktest"
)

// FuzzMapJob decodes job answers (and errors lists) into the generated types and maps them.
func FuzzMapJob(f *testing.F) {
	f.Add([]byte(sdktest.Seed(f, "webex_job_200.json")))
	f.Add([]byte(`{"id":"x","latestExecutionStatus":"STARTED","counts":{"totalMoves":0,"moved":5,"failed":-3},"jobExecutionStatus":[{"timeElapsed":"PT99999999H"}]}`))
	f.Add([]byte(`{"items":[{"item":"u","error":{"message":[{"code":"1","description":"d"}]}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var j gen.MoveUsersJob
		if json.Unmarshal(body, &j) == nil {
			m := mapJob(&j)
			if m.Done != m.State.Done() || m.Failures == nil { // Done agrees with State; Failures never nil
				t.Fatalf("inconsistent job %+v", m)
			}
			if m.Progress != nil && (*m.Progress != *m.Progress) {
				t.Fatalf("progress is NaN")
			}
		}
		var errs gen.MoveUsersJobErrors
		if json.Unmarshal(body, &errs) == nil {
			if fs := mapFailures(errs.Items, string(body)); len(fs) > len(errs.Items)*64+1 {
				t.Fatalf("%d failures from %d items", len(fs), len(errs.Items))
			}
		}
	})
}

// FuzzParseError reads arbitrary bodies as Webex error answers.
func FuzzParseError(f *testing.F) {
	f.Add([]byte(`{"message":"m","errors":[{"description":"d","code":7}],"trackingId":"t"}`))
	f.Add([]byte(`{"error":[{"code":"25008","message":"m"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) { parseError(body) })
}
