package waitflow

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/jobwatch/jobwatch/simulator"
)

// The histories in testdata were recorded from a Temporal dev server running example/worker and
// example/starter against the simulator (README, "Running on Temporal"): waitjob_restart.json is a
// WaitJob whose worker was killed mid-wait and replaced by a new one, which finished the wait from
// the history. Replaying them is what a worker does after a restart: a change to WaitJob that makes it
// decide otherwise on the same history fails here before it fails a running wait in production.
func histories(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no recorded history in testdata (%v)", err)
	}
	return files
}

func quietLogger() tlog.Logger { return tlog.NewStructuredLogger(slog.New(slog.DiscardHandler)) }

func TestReplayRecordedHistories(t *testing.T) {
	for _, f := range histories(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if err := strictReplay(f, RegisterWorkflows); err != nil {
				t.Fatalf("replay: %v", err)
			}
			// The history holds the job and its failed users, never the worker's credentials.
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			c := simulator.DefaultCredentials()
			for _, secret := range []string{c.TencentSecretID, c.TencentSecretKey} {
				if strings.Contains(string(b), secret) {
					t.Errorf("%s holds a credential", f)
				}
			}
			if !strings.Contains(string(b), "fail") {
				t.Errorf("%s does not hold the failed users", f)
			}
		})
	}
}

func TestReplayFailsWhenTheWorkflowBecomesNonDeterministic(t *testing.T) {
	// Each variant is a plausible edit of WaitJob that would break running waits: it issues other
	// commands than the ones the history recorded.
	variants := map[string]func(workflow.Context, WaitJobInput) (WaitJobResult, error){
		"a timer before the first poll": func(ctx workflow.Context, in WaitJobInput) (WaitJobResult, error) {
			if err := workflow.Sleep(ctx, time.Second); err != nil {
				return WaitJobResult{}, err
			}
			return WaitJob(ctx, in)
		},
		"another schedule": func(ctx workflow.Context, in WaitJobInput) (WaitJobResult, error) {
			in.Options.MinDelay, in.Options.MaxDelay = 3*time.Second, 3*time.Second
			return WaitJob(ctx, in)
		},
		"jitter from another seed": func(ctx workflow.Context, in WaitJobInput) (WaitJobResult, error) {
			in.Seed = 12345
			return WaitJob(ctx, in)
		},
	}
	for _, f := range histories(t) {
		for name, wf := range variants {
			t.Run(filepath.Base(f)+"/"+name, func(t *testing.T) {
				err := strictReplay(f, func(r worker.WorkflowRegistry) {
					r.RegisterWorkflowWithOptions(wf, workflow.RegisterOptions{Name: WaitJobWorkflow})
				})
				if err == nil || !strings.Contains(strings.ToLower(err.Error()), "nondetermin") {
					t.Fatalf("replay error = %v, want a nondeterminism error", err)
				}
			})
		}
	}
}
