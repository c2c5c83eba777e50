package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/jobwatch/jobwatch/simulator"
)

// binEnv names the environment variable through which TestMain hands the built binary to the tests.
const binEnv = "JOBWATCH_TEST_BINARY"

// syncBuffer is a bytes.Buffer safe for a writer goroutine and a reading test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// term is the built binary running with a pseudo-terminal as its controlling terminal: stdin and
// stderr on it, and stdout too unless the test gave one.
type term struct {
	t      *testing.T
	cmd    *exec.Cmd
	ptmx   *os.File
	screen syncBuffer // everything the terminal received
	read   chan struct{}
	exited chan struct{}
	err    error
}

// startTerm runs jobwatch args with vars as its whole environment (plus PATH and HOME).
func startTerm(t *testing.T, vars map[string]string, stdout io.Writer, args ...string) *term {
	t.Helper()
	return startTermIn(t, vars, nil, stdout, args...)
}

// startTermIn is startTerm with stdin from stdin, when not nil (a pipe: jobwatch watch < ids): the
// terminal is then the controlling terminal through stderr.
func startTermIn(t *testing.T, vars map[string]string, stdin *os.File, stdout io.Writer, args ...string) *term {
	t.Helper()
	skipShort(t)
	cmd := exec.Command(os.Getenv(binEnv), args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "TERM=xterm"}
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout = stdout
	if stdin != nil {
		cmd.Stdin = stdin
		cmd.SysProcAttr = &syscall.SysProcAttr{Ctty: 2}
	}
	return startCmdTerm(t, cmd)
}

// startCmdTerm starts cmd on a new pseudo-terminal, as a user's terminal would run it.
func startCmdTerm(t *testing.T, cmd *exec.Cmd) *term {
	t.Helper()
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 50, Cols: 200})
	if err != nil {
		t.Fatal(err)
	}
	tm := &term{t: t, cmd: cmd, ptmx: ptmx, read: make(chan struct{}), exited: make(chan struct{})}
	go func() {
		io.Copy(&tm.screen, ptmx) // ends with EIO once the child is gone
		close(tm.read)
	}()
	go func() {
		tm.err = cmd.Wait()
		close(tm.exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-tm.exited
		ptmx.Close()
		<-tm.read
	})
	return tm
}

// waitFor waits until the terminal shows text matching re.
func (tm *term) waitFor(re string, within time.Duration) {
	tm.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(within)
	for !rx.MatchString(tm.screen.String()) {
		if time.Now().After(deadline) {
			tm.t.Fatalf("the terminal never showed %q in %v:\n%s", re, within, tm.screen.String())
		}
		select {
		case <-tm.exited:
			if !rx.MatchString(tm.screen.String()) {
				tm.t.Fatalf("jobwatch exited (%v) before the terminal showed %q:\n%s", tm.err, re, tm.screen.String())
			}
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// exit waits for the process to end and returns its exit code.
func (tm *term) exit(within time.Duration) int {
	tm.t.Helper()
	select {
	case <-tm.exited:
	case <-time.After(within):
		tm.t.Fatalf("jobwatch still runs after %v:\n%s", within, tm.screen.String())
	}
	// The terminal's last bytes may still be in flight: wait for the reader to see EOF.
	select {
	case <-tm.read:
	case <-time.After(2 * time.Second):
	}
	var ee *exec.ExitError
	if errors.As(tm.err, &ee) {
		return ee.ExitCode()
	}
	if tm.err != nil {
		tm.t.Fatal(tm.err)
	}
	return 0
}

// ctrlC types Ctrl-C: the terminal sends SIGINT to the foreground process group.
func (tm *term) ctrlC() {
	tm.t.Helper()
	if _, err := tm.ptmx.Write([]byte{3}); err != nil {
		tm.t.Fatal(err)
	}
}

// loopbackSim serves the simulator on loopback with a clock that the test can move forward, and returns
// the environment `jobwatch simulate` prints for it.
func loopbackSim(t *testing.T) (*simulator.Server, *atomic.Int64, map[string]string) {
	t.Helper()
	var ahead atomic.Int64
	srv := simulator.NewTest(t, simulator.Options{Now: func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }})
	return srv, &ahead, parseEnvLines(envLines(srv.Simulator, srv.URL))
}

func skipShort(t *testing.T) {
	if testing.Short() {
		t.Skip("drives the built binary in real time")
	}
}

// runningJobs creates n one-hour webex jobs of four users and moves the clock a third into them.
func runningJobs(t *testing.T, srv *simulator.Server, ahead *atomic.Int64, n int) []string {
	t.Helper()
	var ids []string
	for range n {
		id, err := srv.CreateJob("webex", []simulator.JobUser{{ID: "a"}, {ID: "b"}, {ID: "c"}, {ID: "d"}}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	ahead.Store(int64(20 * time.Minute))
	return ids
}

// checkLastStates checks stdout: one JSON line per job, each with the last state seen.
func checkLastStates(t *testing.T, stdout string, ids []string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != len(ids) {
		t.Fatalf("%d lines for %d jobs:\n%s", len(lines), len(ids), stdout)
	}
	for _, l := range lines {
		var m struct {
			ID, State, Error string
			Counts           struct{ Total *int }
		}
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not a JSON line: %q", l)
		}
		if m.State != "running" || m.Counts.Total == nil || *m.Counts.Total != 4 || m.Error != "interrupted" {
			t.Errorf("want the last state seen (running, 4 users) and the interrupt: %s", l)
		}
	}
}

// TestTerminalCtrlCDuringWait: Ctrl-C while wait draws its bar exits 130 at once, with "interrupted"
// on the terminal and the job's last state on stdout.
func TestTerminalCtrlCDuringWait(t *testing.T) {
	skipShort(t)
	srv, ahead, vars := loopbackSim(t)
	ids := runningJobs(t, srv, ahead, 1)
	var stdout syncBuffer
	tm := startTerm(t, vars, &stdout, "wait", "--vendor", "webex", "--job", ids[0], "--output", "json", "--min-delay", "100ms")
	tm.waitFor(`running, 1 of 4 users processed`, 15*time.Second)
	start := time.Now()
	tm.ctrlC()
	if code := tm.exit(5 * time.Second); code != exitInterrupted {
		t.Fatalf("exit %d, want 130:\n%s", code, tm.screen.String())
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v to stop", d)
	}
	if !strings.Contains(tm.screen.String(), "interrupted\r\n") {
		t.Errorf("no \"interrupted\" on the terminal:\n%s", tm.screen.String())
	}
	checkLastStates(t, stdout.String(), ids)
}

// TestTerminalCtrlCDuringWatch: the same for watch, whose stdout is redirected (jobwatch watch >
// out.json): the bars still go to the terminal, one per job, each id told apart by its end and each
// percentage shown once; Ctrl-C exits 130 with every job's last state on stdout.
func TestTerminalCtrlCDuringWatch(t *testing.T) {
	skipShort(t)
	srv, ahead, vars := loopbackSim(t)
	ids := runningJobs(t, srv, ahead, 3)
	file := filepath.Join(t.TempDir(), "ids")
	os.WriteFile(file, []byte(strings.Join(ids, "\n")), 0o600)
	var stdout syncBuffer
	tm := startTerm(t, vars, &stdout, "watch", "--vendor", "webex", "--jobs-file", file, "--output", "json", "--min-delay", "100ms")
	labels := idLabels(ids, labelWidth)
	for _, id := range ids {
		tm.waitFor(regexp.QuoteMeta(labels[id])+`.*running, 1 of 4 users processed`, 15*time.Second)
	}
	if stdout.String() != "" {
		t.Errorf("bars or lines on stdout: %q", stdout.String())
	}
	for _, l := range strings.Split(tm.screen.String(), "\n") {
		if strings.Count(l, "%") > 1 {
			t.Errorf("a percentage shown twice: %q", l)
		}
	}
	tm.ctrlC()
	if code := tm.exit(5 * time.Second); code != exitInterrupted {
		t.Fatalf("exit %d, want 130:\n%s", code, tm.screen.String())
	}
	checkLastStates(t, stdout.String(), ids)
}

// TestTerminalSecondCtrlC: a second Ctrl-C during cleanup ends the command at once.
func TestTerminalSecondCtrlC(t *testing.T) {
	skipShort(t)
	srv, ahead, vars := loopbackSim(t)
	ids := runningJobs(t, srv, ahead, 1)
	tm := startTerm(t, vars, io.Discard, "wait", "--vendor", "webex", "--job", ids[0], "--min-delay", "100ms")
	tm.waitFor(`running`, 15*time.Second)
	tm.ctrlC()
	tm.ctrlC()
	if code := tm.exit(3 * time.Second); code != exitInterrupted {
		t.Fatalf("exit %d, want 130", code)
	}
}

// TestTerminalWatchStdinExits2: watch with no --jobs-file on a terminal stdin says so and exits 2.
func TestTerminalWatchStdinExits2(t *testing.T) {
	skipShort(t)
	_, _, vars := loopbackSim(t)
	tm := startTerm(t, vars, nil, "watch", "--vendor", "webex")
	if code := tm.exit(5 * time.Second); code != exitUsage {
		t.Fatalf("exit %d, want 2:\n%s", code, tm.screen.String())
	}
	if !strings.Contains(tm.screen.String(), "stdin is a terminal") {
		t.Errorf("does not say why:\n%s", tm.screen.String())
	}
}

// TestTerminalHelpOnStdout: help goes to stdout, also with a terminal on stderr.
func TestTerminalHelpOnStdout(t *testing.T) {
	skipShort(t)
	for _, args := range [][]string{{"--help"}, {"help", "watch"}, {"watch", "--help"}, {"--version"}} {
		var stdout syncBuffer
		tm := startTerm(t, nil, &stdout, args...)
		if code := tm.exit(5 * time.Second); code != exitOK {
			t.Fatalf("%v: exit %d", args, code)
		}
		if stdout.String() == "" || strings.TrimSpace(tm.screen.String()) != "" {
			t.Errorf("%v: stdout %q, terminal %q", args, stdout.String(), tm.screen.String())
		}
	}
}

// TestTerminalJSONNotMixedWithBars: with stdout and stderr on one terminal, the JSON lines come out
// whole, after the bars, never overwritten by a redraw.
func TestTerminalJSONNotMixedWithBars(t *testing.T) {
	skipShort(t)
	srv, _, vars := loopbackSim(t)
	var ids []string
	for i := range 3 {
		id, _ := srv.CreateJob("webex", []simulator.JobUser{{ID: "a"}, {ID: "b-fail"}}, time.Duration(i+1)*700*time.Millisecond)
		ids = append(ids, id)
	}
	file := filepath.Join(t.TempDir(), "ids")
	os.WriteFile(file, []byte(strings.Join(ids, "\n")), 0o600)
	tm := startTerm(t, vars, nil, "watch", "--vendor", "webex", "--jobs-file", file, "--output", "json", "--min-delay", "100ms", "--max-delay", "200ms")
	if code := tm.exit(20 * time.Second); code != exitPartial {
		t.Fatalf("exit %d:\n%s", code, tm.screen.String())
	}
	n := 0
	for _, l := range strings.Split(tm.screen.String(), "\r\n") {
		if i := strings.Index(l, `{"vendor"`); i >= 0 {
			n++
			if i > 0 || !json.Valid([]byte(l)) {
				t.Errorf("a JSON line mixed with bars: %q", l)
			}
		}
	}
	if n != 3 {
		t.Errorf("%d JSON lines, want 3:\n%s", n, tm.screen.String())
	}
}

// TestWatchManyJobsOnADeadPort: 100,000 ids against a closed loopback port end within --timeout with a
// grouped error of a few KB on the terminal, and a retrying hint within 10 s.
func TestWatchManyJobsOnADeadPort(t *testing.T) {
	skipShort(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	var ids strings.Builder
	for i := range 100000 {
		fmt.Fprintf(&ids, "%s\n", simulatorLikeWebexID(i))
	}
	file := filepath.Join(t.TempDir(), "ids")
	os.WriteFile(file, []byte(ids.String()), 0o600)
	out, err := os.Create(filepath.Join(t.TempDir(), "out.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	const timeout = 20 * time.Second
	start := time.Now()
	tm := startTerm(t, map[string]string{"JOBWATCH_WEBEX_BASE_URL": dead + "/v1", "WEBEX_ACCESS_TOKEN": "t"}, out,
		"watch", "--vendor", "webex", "--jobs-file", file, "--output", "json", "--timeout", timeout.String())
	tm.waitFor(`retrying: connection refused \(\d+/\d+\)`, 10*time.Second)
	code := tm.exit(timeout + 15*time.Second)
	// The slack is for a loaded machine (2 cores shared by many); unloaded, it ends within the timeout.
	if d := time.Since(start); code != exitTimeout || d > timeout+8*time.Second {
		t.Fatalf("exit %d after %v, want 5 within %v:\n%s", code, d, timeout, tail(tm.screen.String(), 4096))
	}
	screen := tm.screen.String()
	i := strings.LastIndex(screen, "jobwatch watch: ")
	if i < 0 {
		t.Fatalf("no final error:\n%s", tail(screen, 4096))
	}
	final := screen[i:]
	// Jobs polled before their deadline report the refused connection; jobs the pacing had not reached
	// when their max wait ran out (their request is canceled at the bound) time out without a poll's
	// error, in a group of their own.
	groups := regexp.MustCompile(`(?m)(\d+) webex jobs: wait timed out(; last error: connection refused)? \(e\.g\. Y2lz`).FindAllStringSubmatch(final, -1)
	total, refused := 0, 0
	for _, g := range groups {
		n, _ := strconv.Atoi(g[1])
		total += n
		if g[2] != "" {
			refused += n
		}
	}
	// How many jobs the pacing reaches before the bound depends on the machine, so the groups' order
	// (largest first) is not asserted: only that polled jobs carry the refused connection.
	if len(final) > 4096 || len(groups) == 0 || refused == 0 || total != 100000 {
		t.Errorf("final error of %d bytes:\n%s", len(final), tail(final, 4096))
	}
	info, _ := out.Stat()
	if info.Size() < 100000*100 {
		t.Errorf("stdout holds %d bytes, want a full JSON line per job", info.Size())
	}
}

func simulatorLikeWebexID(i int) string {
	return fmt.Sprintf("Y2lzY29zcGFyazovL3VzL0pPQl9JRC8%012d", i)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
