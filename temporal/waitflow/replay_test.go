package waitflow

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/jobwatch/jobwatch/simulator"
)

// The histories in testdata are what a Temporal server keeps for a WaitJob of a Tencent job that fails
// two users. waitjob_restart_devserver.json was recorded from a Temporal dev server (temporal server
// start-dev) running example/worker and example/starter against the simulator: the first worker was
// killed with SIGKILL mid-wait, the workflow task on its sticky queue timed out, and a second worker
// process finished the wait from the history (`temporal workflow show -o json`).
// waitjob_restart_constructed.json is laid out by TestRecordHistory (go test -run
// TestRecordHistory ./waitflow -args -record) from a run on the test environment, event by event as
// the server lays them out; its first worker dies after the fourth timer (a timed-out workflow task)
// and a second worker finishes the wait from the history. Replaying them is what a worker does after
// a restart: a change to WaitJob that makes it decide otherwise on the same history fails here before
// it fails a running wait in production.
func histories(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no recorded history in testdata (%v)", err)
	}
	return files
}

// historyText is every string and every payload's data (decoded, where the JSON file holds it in
// base64) of the history in file: what a reader of the history could see.
func historyText(t *testing.T, file string) string {
	t.Helper()
	h := loadHistory(t, file)
	var b strings.Builder
	var walk func(m protoreflect.Message)
	walk = func(m protoreflect.Message) {
		if p, ok := m.Interface().(*commonpb.Payload); ok {
			b.Write(p.GetData())
			b.WriteByte('\n')
		}
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			switch {
			case fd.IsList():
				for i := range v.List().Len() {
					if fd.Message() != nil {
						walk(v.List().Get(i).Message())
					} else {
						b.WriteString(v.List().Get(i).String() + "\n")
					}
				}
			case fd.IsMap():
				v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
					b.WriteString(k.String() + "\n")
					if fd.MapValue().Message() != nil {
						walk(mv.Message())
					}
					return true
				})
			case fd.Message() != nil:
				walk(v.Message())
			case fd.Kind() == protoreflect.StringKind:
				b.WriteString(v.String() + "\n")
			}
			return true
		})
	}
	walk(h.ProtoReflect())
	return b.String()
}

func loadHistory(t *testing.T, file string) *historypb.History {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func quietLogger() tlog.Logger { return tlog.NewStructuredLogger(slog.New(slog.DiscardHandler)) }

func TestReplayRecordedHistories(t *testing.T) {
	for _, f := range histories(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if err := strictReplay(f, RegisterWorkflows); err != nil {
				t.Fatalf("replay: %v", err)
			}
			// The history holds the job and its failed users, never the worker's credentials.
			text := historyText(t, f)
			c := simulator.DefaultCredentials()
			for _, secret := range []string{c.TencentSecretID, c.TencentSecretKey} {
				if strings.Contains(text, secret) {
					t.Errorf("%s holds a credential", f)
				}
			}
			if !strings.Contains(text, "bob.fail") || !strings.Contains(text, "dave.fail") {
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
				if err == nil || !(strings.Contains(err.Error(), "TMPRL1100") || strings.Contains(err.Error(), "nondeterministic")) {
					t.Fatalf("replay error = %v, want a nondeterminism error", err)
				}
			})
		}
	}
}
