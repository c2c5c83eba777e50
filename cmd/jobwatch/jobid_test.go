package main

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jobwatch/jobwatch/simulator"
)

// TestJobIDThatIsAPathIsAUsageError: an id the sdk refuses (a dot segment, plain or percent-encoded, or
// an Oracle id with a slash) ends status, wait and watch with exit 2; watch names the line it was read
// from and still reports the other jobs.
func TestJobIDThatIsAPathIsAUsageError(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ vendor, id string }{{"webex", ".."}, {"webex", "%2E%2e"}, {"oracle", "a%2fb"}, {"huawei", "."}, {"tencent", ".."}} {
		for _, cmd := range []string{"status", "wait"} {
			t.Run(cmd+"/"+c.vendor+"/"+c.id, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					_, e := simEnv(t, simulator.Options{})
					code, out, stderr := runCLI(t.Context(), e, cmd, "--vendor", c.vendor, "--job", c.id)
					if code != exitUsage || !strings.Contains(stderr, "invalid input") {
						t.Errorf("exit %d\nstdout %s\nstderr %s\nwant exit 2 and the refusal", code, out, stderr)
					}
				})
			})
		}
	}
	synctest.Test(t, func(t *testing.T) {
		sim, e := simEnv(t, simulator.Options{})
		good, _ := sim.CreateJob("webex", []simulator.JobUser{{ID: "u"}}, time.Minute)
		e.stdin = strings.NewReader("# jobs\n" + good + "\n..\n")
		code, out, stderr := runCLI(t.Context(), e, "watch", "--vendor", "webex")
		if code != exitUsage || !strings.Contains(stderr, `stdin line 3: webex: job id ".." is a dot segment`) || !strings.Contains(out, good) {
			t.Errorf("exit %d\nstdout %s\nstderr %s\nwant exit 2 naming line 3, and the good job reported", code, out, stderr)
		}
	})
}
