package realserver

import (
	"bytes"
	"context"
	"encoding/base64"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/proto"

	"github.com/jobwatch/jobwatch/simulator"
)

// secrets are the credentials the workers hold, in the forms a request carries them.
func secrets() [][]byte {
	c := simulator.DefaultCredentials()
	out := [][]byte{}
	for _, s := range []string{c.OraclePassword, c.OracleToken, c.HuaweiAppSecret, c.WebexToken, c.TencentSecretKey, c.TencentSecretID,
		base64.StdEncoding.EncodeToString([]byte(c.OracleUsername + ":" + c.OraclePassword))} {
		if s != "" {
			out = append(out, []byte(s))
		}
	}
	return out
}

// checkHistories reads every run of each workflow (following continue-as-new back to the first run)
// and fails t if an event holds a credential or records a failed workflow task (a non-deterministic
// replay shows as one). It returns the number of events read.
func checkHistories(t *testing.T, c client.Client, workflowIDs ...string) int {
	t.Helper()
	ctx := context.Background()
	events := 0
	for _, id := range workflowIDs {
		runID := ""
		for runs := 0; ; runs++ {
			if runs > 1000 {
				t.Fatalf("workflow %s: more than 1000 runs", id)
			}
			prev := ""
			it := c.GetWorkflowHistory(ctx, id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
			for it.HasNext() {
				e, err := it.Next()
				if err != nil {
					t.Fatalf("workflow %s run %q: %v", id, runID, err)
				}
				events++
				b, err := proto.Marshal(e)
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range secrets() {
					if bytes.Contains(b, s) {
						t.Errorf("workflow %s: event %d (%v) holds a credential", id, e.GetEventId(), e.GetEventType())
					}
				}
				if e.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED {
					t.Errorf("workflow %s: workflow task failed: %v", id, e.GetWorkflowTaskFailedEventAttributes())
				}
				if a := e.GetWorkflowExecutionStartedEventAttributes(); a != nil {
					prev = a.GetContinuedExecutionRunId()
				}
			}
			if prev == "" {
				break
			}
			runID = prev
		}
	}
	return events
}
