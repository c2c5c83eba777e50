package main

import (
	"bufio"
	"context"
	"crypto/hmac"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jobwatch/jobwatch/sdk/bulk"
	"github.com/jobwatch/jobwatch/simulator"
)

// writeUsers writes n Webex users (person-000001, ...) and the extra lines to an NDJSON file.
func writeUsers(t *testing.T, n int, extra ...string) string {
	t.Helper()
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "{\"userId\":\"person-%06d\"}\n", i)
	}
	for _, l := range extra {
		b.WriteString(l + "\n")
	}
	path := filepath.Join(t.TempDir(), "users.ndjson")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// reportLines reads DIR/report.jsonl without the job ids (which differ between runs).
func reportLines(t *testing.T, dir string) []bulk.ReportLine {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, bulk.ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []bulk.ReportLine
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var rl bulk.ReportLine
		if err := json.Unmarshal(sc.Bytes(), &rl); err != nil {
			t.Fatal(err)
		}
		if len(rl.Jobs) != rl.Attempts {
			t.Fatalf("line %d: %d attempts but jobs %v", rl.Line, rl.Attempts, rl.Jobs)
		}
		rl.Jobs = nil
		out = append(out, rl)
	}
	return out
}

func fastRun(args ...string) []string {
	return append([]string{"run", "--poll-interval", "10ms", "--round-backoff", "0s"}, args...)
}

// TestRunExitCodes: 0 when every line succeeded, 3 when some failed or were invalid, 4 when none
// succeeded, 2 for a usage error; --dry-run sends nothing and prints the plan.
func TestRunExitCodes(t *testing.T) {
	t.Parallel()
	sim, e := simEnv(t, simulator.Options{JobDuration: 20 * time.Millisecond, WebexRate: 100000})
	clean := writeUsers(t, 150)
	code, out, stderr := runCLI(t.Context(), e, fastRun("--vendor", "webex", "--location", "loc-1", "--users", clean, "--report", t.TempDir())...)
	if code != exitOK || !strings.Contains(out, `"succeeded": 150`) {
		t.Fatalf("clean run: exit %d\n%s\n%s", code, out, stderr)
	}
	mixed := writeUsers(t, 10, `{"userId":"person-fail-1"}`, `{"userId":""}`)
	code, out, _ = runCLI(t.Context(), e, fastRun("--vendor", "webex", "--location", "loc-1", "--users", mixed, "--report", t.TempDir())...)
	if code != exitPartial || !strings.Contains(out, `"failed": 1`) || !strings.Contains(out, `"invalid": 1`) {
		t.Fatalf("mixed run: exit %d\n%s", code, out)
	}
	none := writeUsers(t, 0, `{"userId":"person-fail-1"}`, `{"userId":"person-fail-2"}`)
	if code, out, _ = runCLI(t.Context(), e, fastRun("--vendor", "webex", "--location", "loc-1", "--users", none, "--report", t.TempDir())...); code != exitFailed {
		t.Fatalf("failing run: exit %d\n%s", code, out)
	}
	before := sim.Stats(simulator.Webex).Requests
	code, out, _ = runCLI(t.Context(), e, "run", "--vendor", "webex", "--location", "loc-1", "--users", writeUsers(t, 250, `{"userId":7}`), "--report", t.TempDir(), "--dry-run")
	var plan bulk.Plan
	if err := json.Unmarshal([]byte(out), &plan); err != nil || code != exitOK {
		t.Fatalf("dry run: exit %d, %v\n%s", code, err, out)
	}
	if plan.Valid != 250 || plan.Invalid != 1 || plan.InvalidLines[0].Line != 251 || plan.Jobs != 3 || plan.UsersPerJob != 100 || plan.JobsInFlight != 4 {
		t.Errorf("plan %+v", plan)
	}
	if after := sim.Stats(simulator.Webex).Requests; after != before {
		t.Errorf("the dry run sent %d requests", after-before)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--vendor", "webex", "--users", clean, "--report", "r"}, "webex needs --location"},
		{[]string{"--vendor", "huawei", "--location", "x", "--users", clean, "--report", "r"}, "--location applies to webex only"},
		{[]string{"--vendor", "webex", "--action", "add", "--location", "x", "--users", clean, "--report", "r"}, "--action applies to oracle only"},
		{[]string{"--vendor", "webex", "--location", "x", "--report", "r"}, "--users is required"},
		{[]string{"--vendor", "webex", "--location", "x", "--users", "u.txt", "--report", "r"}, "want a .ndjson, .jsonl or .csv file"},
		{[]string{"--vendor", "webex", "--location", "x", "--users", clean, "--report", "r", "--notify", "https://example.com/hook"}, "--notify needs JOBWATCH_NOTIFY_SECRET"},
		{[]string{"--vendor", "webex", "--location", "x", "--users", clean, "--report", "r", "--max-rounds", "0"}, "--max-rounds 0"},
	} {
		code, _, stderr := runCLI(t.Context(), e, append([]string{"run"}, tc.args...)...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}

// TestRunCSV: a CSV input reports by line and writes the lines that did not succeed as CSV, header first.
func TestRunCSV(t *testing.T) {
	t.Parallel()
	_, e := simEnv(t, simulator.Options{JobDuration: 20 * time.Millisecond, TencentRate: 100000})
	path := filepath.Join(t.TempDir(), "users.csv")
	csv := "UserName,Email\nalice,alice@example.com\nbob-fail,bob@example.com\n\"carol\",not-an-email\n"
	if err := os.WriteFile(path, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	code, out, stderr := runCLI(t.Context(), e, fastRun("--vendor", "tencent", "--users", path, "--report", dir)...)
	if code != exitPartial {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	got, err := os.ReadFile(filepath.Join(dir, bulk.FailedCSVFile))
	if err != nil {
		t.Fatal(err)
	}
	if want := "UserName,Email\nbob-fail,bob@example.com\ncarol,not-an-email\n"; string(got) != want {
		t.Errorf("failed.csv = %q, want %q", got, want)
	}
	rep := reportLines(t, dir)
	if len(rep) != 3 || rep[0].Line != 2 || rep[0].Outcome != "succeeded" || rep[1].Outcome != "failed" || rep[2].Outcome != "invalid" || rep[2].Line != 4 {
		t.Errorf("report %+v", rep)
	}
}

// TestRunNotifyOnce: --notify POSTs the summary signed with JOBWATCH_NOTIFY_SECRET, with at most 20
// failures and no credential, once: running the same command again does not POST again.
func TestRunNotifyOnce(t *testing.T) {
	t.Parallel()
	const secret = "notify-test-secret"
	var (
		mu     sync.Mutex
		bodies [][]byte
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if !hmac.Equal([]byte(r.Header.Get(bulk.SignatureHeader)), []byte(bulk.Sign(secret, b))) {
			t.Errorf("bad signature %q", r.Header.Get(bulk.SignatureHeader))
		}
		mu.Lock()
		bodies = append(bodies, b)
		mu.Unlock()
	}))
	defer hook.Close()
	_, e := simEnv(t, simulator.Options{JobDuration: 20 * time.Millisecond, WebexRate: 100000})
	vars := e.getenv
	e.getenv = func(k string) string {
		if k == bulk.EnvNotifySecret {
			return secret
		}
		return vars(k)
	}
	// The hook is on a real socket, the simulator in memory.
	e.transport = &splitTransport{sim: e.transport, hookHost: strings.TrimPrefix(hook.URL, "http://")}
	var extra []string
	for i := range 30 {
		extra = append(extra, fmt.Sprintf(`{"userId":"person-fail-%d"}`, i))
	}
	users := writeUsers(t, 50, extra...)
	dir := t.TempDir()
	args := fastRun("--vendor", "webex", "--location", "loc-1", "--users", users, "--report", dir, "--notify", hook.URL)
	for range 2 {
		if code, out, stderr := runCLI(t.Context(), e, args...); code != exitPartial {
			t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
		}
	}
	if len(bodies) != 1 {
		t.Fatalf("%d POSTs, want 1", len(bodies))
	}
	var n bulk.Notification
	if err := json.Unmarshal(bodies[0], &n); err != nil {
		t.Fatal(err)
	}
	if len(n.Failures) != bulk.MaxNotifyFailures || n.Summary.Counts["failed"] != 30 || n.Failures[0].Line != 51 {
		t.Errorf("notification: %d failures, counts %v", len(n.Failures), n.Summary.Counts)
	}
	if strings.Contains(string(bodies[0]), "sim-webex-token") || strings.Contains(string(bodies[0]), secret) {
		t.Error("the notification holds a credential")
	}
}

// splitTransport sends the hook's requests over the network and the rest to the in-memory simulator.
type splitTransport struct {
	sim      http.RoundTripper
	hookHost string
}

func (s *splitTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host == s.hookHost {
		return http.DefaultTransport.RoundTrip(r)
	}
	return s.sim.RoundTrip(r)
}

// TestRunKill9Resume: the built binary is killed with SIGKILL at 20 random points of a run with
// transient and permanent failures, on the vendors with a list call (Webex, Tencent: a lost answer is
// found, never resent); each rerun of the same command resumes, no user is submitted twice in one
// round, and the final report equals an uninterrupted run's.
func TestRunKill9Resume(t *testing.T) {
	skipShort(t)
	for _, tc := range []struct {
		vendor string
		n      int
		line   func(i int) string
		key    func(i int) string
		flags  []string
	}{
		{simulator.Webex, 3000, func(i int) string { return fmt.Sprintf(`{"userId":"person-%06d"}`, i) },
			func(i int) string { return fmt.Sprintf("person-%06d", i) }, []string{"--location", "loc-1"}},
		{simulator.Tencent, 8000, func(i int) string { return fmt.Sprintf(`{"UserName":"user%06d","Email":"user%06d@example.com"}`, i, i) },
			func(i int) string { return fmt.Sprintf("user%06d", i) }, nil},
	} {
		t.Run(tc.vendor, func(t *testing.T) {
			var b strings.Builder
			for i := 1; i <= tc.n; i++ {
				b.WriteString(tc.line(i) + "\n")
			}
			users := filepath.Join(t.TempDir(), "users.ndjson")
			if err := os.WriteFile(users, []byte(b.String()), 0o600); err != nil {
				t.Fatal(err)
			}
			kill9(t, tc.vendor, tc.n, users, tc.key, tc.flags)
		})
	}
}

func kill9(t *testing.T, vendor string, n int, users string, key func(int) string, flags []string) {
	bin := os.Getenv(binEnv)
	opts := simulator.Options{JobDuration: 80 * time.Millisecond, WebexRate: 100000, TencentRate: 100000,
		Bulk: simulator.BulkOptions{TransientRate: 0.05, PermanentRate: 0.01, JobsInFlight: map[string]int{simulator.Tencent: 2}}}
	runBin := func(srv *simulator.Server, dir string) *exec.Cmd {
		cmd := exec.Command(bin, fastRun(append([]string{"--vendor", vendor, "--users", users, "--report", dir}, flags...)...)...)
		cmd.Env = os.Environ()
		for k, v := range parseEnvLines(envLines(srv.Simulator, srv.URL)) {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		return cmd
	}
	// The uninterrupted run, and how long it takes.
	ref := simulator.NewTest(t, opts)
	refDir := t.TempDir()
	start := time.Now()
	if out, err := runBin(ref, refDir).CombinedOutput(); err != nil && !isExit(err, exitPartial) {
		t.Fatalf("reference run: %v\n%s", err, out)
	}
	span := time.Since(start)
	want := reportLines(t, refDir)

	srv := simulator.NewTest(t, opts)
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(27, 9))
	kills := 0
	for kills < 20 {
		cmd := runBin(srv, dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Each rerun resumes and gets further: a kill within a 24th of the uninterrupted run leaves room for
		// the 20 (a 12th let the run finish after 8 kills now and then, on a quiet machine too).
		timer := time.AfterFunc(time.Duration(rng.Int64N(int64(span/24)))+10*time.Millisecond, func() { cmd.Process.Signal(syscall.SIGKILL) })
		err := cmd.Wait()
		if timer.Stop() {
			t.Logf("the run finished before its kill (%d kills so far)", kills)
			break
		}
		if err != nil && !strings.Contains(err.Error(), "killed") && !isExit(err, exitPartial) {
			t.Fatalf("run: %v", err)
		}
		kills++
	}
	if out, err := runBin(srv, dir).CombinedOutput(); err != nil && !isExit(err, exitPartial) {
		t.Fatalf("final run: %v\n%s", err, out)
	}
	t.Logf("%d kills", kills)
	if kills < 10 {
		t.Errorf("only %d kills landed during the run", kills)
	}
	got := reportLines(t, dir)
	if len(got) != len(want) {
		t.Fatalf("%d report lines, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Line != w.Line || g.User != w.User || g.Outcome != w.Outcome || g.Retryable != w.Retryable || g.Attempts != w.Attempts ||
			(g.Code == nil) != (w.Code == nil) || g.Code != nil && *g.Code != *w.Code {
			t.Fatalf("line %d: %+v (%s), uninterrupted %+v", i+1, g, deref(g.Message), w)
		}
	}
	subs := srv.Submissions(vendor)
	for i := 1; i <= n; i++ {
		k := key(i)
		wantSubs := map[string]int{"": 1, "permanent": 1, "transient": 2}[srv.BulkClass(vendor, k)]
		if subs[k] != wantSubs {
			t.Fatalf("%s submitted %d times, want %d (once per round)", k, subs[k], wantSubs)
		}
	}
}

func isExit(err error, code int) bool {
	ee, ok := err.(*exec.ExitError)
	return ok && ee.ExitCode() == code
}

// TestRunInterruptTimeoutAndAPIError: Ctrl-C exits 130 with the journal intact and the report so far
// written, and the same command then resumes to the end; --timeout exits 5; a refused credential
// stops the run with 1.
func TestRunInterruptTimeoutAndAPIError(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		_, e := simEnv(t, simulator.Options{JobDuration: 10 * time.Minute, WebexRate: 100000})
		users := writeUsers(t, 150)
		dir := t.TempDir()
		args := []string{"run", "--vendor", "webex", "--location", "loc-1", "--users", users, "--report", dir}
		ctx, cancel := context.WithCancelCause(t.Context())
		time.AfterFunc(time.Minute, func() { cancel(errInterrupted) })
		if code, out, stderr := runCLI(ctx, e, args...); code != exitInterrupted {
			t.Fatalf("interrupted: exit %d\n%s\n%s", code, out, stderr)
		}
		rep := reportLines(t, dir)
		if len(rep) != 150 || rep[0].Outcome != bulk.OutcomeUnknown || rep[0].Attempts != 1 {
			t.Fatalf("report after the interrupt: %d lines, first %+v", len(rep), rep[0])
		}
		if code, out, stderr := runCLI(t.Context(), e, args...); code != exitOK || !strings.Contains(out, `"succeeded": 150`) {
			t.Fatalf("resumed: exit %d\n%s\n%s", code, out, stderr)
		}
		if rep := reportLines(t, dir); rep[0].Attempts != 1 || rep[149].Outcome != bulk.OutcomeSucceeded {
			t.Errorf("after the resume: %+v", rep[0])
		}

		timed := append([]string{"--timeout", "2m"}, args[1:]...)
		timed[len(timed)-1] = t.TempDir()
		if code, _, stderr := runCLI(t.Context(), e, append([]string{"run"}, timed...)...); code != exitTimeout || !strings.Contains(stderr, "timed out after 2m0s") {
			t.Errorf("timeout: exit %d: %s", code, stderr)
		}

		vars := e.getenv
		e.getenv = func(k string) string {
			if k == "WEBEX_ACCESS_TOKEN" {
				return "not-the-token"
			}
			return vars(k)
		}
		args[len(args)-1] = t.TempDir()
		if code, _, stderr := runCLI(t.Context(), e, args...); code != exitAPI || !strings.Contains(stderr, "HTTP 401") {
			t.Errorf("refused credential: exit %d: %s", code, stderr)
		}
	})
}

// TestRunBarsAndCtrlC: on a terminal the run draws a bar per round (users done of total, jobs in flight
// against the limit, retries); Ctrl-C exits 130 with the report so far written.
func TestRunBarsAndCtrlC(t *testing.T) {
	skipShort(t)
	srv := simulator.NewTest(t, simulator.Options{JobDuration: time.Minute})
	vars := parseEnvLines(envLines(srv.Simulator, srv.URL))
	users := writeUsers(t, 250)
	dir := t.TempDir()
	tm := startTerm(t, vars, io.Discard, "run", "--vendor", "webex", "--location", "loc-1", "--users", users, "--report", dir, "--poll-interval", "50ms")
	tm.waitFor(`round 1/3\s+0/250 users.*jobs 3/4\s+retries 0`, 20*time.Second)
	tm.ctrlC()
	if code := tm.exit(10 * time.Second); code != exitInterrupted {
		t.Fatalf("exit %d, want 130:\n%s", code, tm.screen.String())
	}
	if rep := reportLines(t, dir); len(rep) != 250 || rep[0].Outcome != bulk.OutcomeUnknown {
		t.Fatalf("report after Ctrl-C: %d lines", len(rep))
	}
}
