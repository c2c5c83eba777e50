package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jobwatch/jobwatch/internal/version"
	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/simulator"
)

// TestHelpOnStdout: every way of asking for help prints to stdout and exits 0, and each command's help
// says what it does, its flags, each vendor's credentials (where it talks to a vendor) and the exit
// codes.
func TestHelpOnStdout(t *testing.T) {
	t.Parallel()
	cases := [][]string{{"--help"}, {"-h"}, {"help"}, {"version"}, {"--version"}}
	for name := range commands() {
		cases = append(cases, []string{"help", name}, []string{name, "--help"}, []string{name, "-h"})
	}
	for _, args := range cases {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, out, stderr := runCLI(t.Context(), env{}, args...)
			if code != exitOK || stderr != "" || out == "" {
				t.Fatalf("exit %d, stderr %q, stdout %q; want 0, help on stdout only", code, stderr, out)
			}
			name := args[len(args)-1]
			if args[0] != "help" && len(args) == 2 {
				name = args[0]
			}
			cmd, ok := commands()[name]
			switch {
			case strings.Contains(args[0], "version"):
				if !strings.HasPrefix(out, "jobwatch "+version.Version+" (") || !strings.Contains(out, "go1.") {
					t.Errorf("version: %q", out)
				}
				return
			case !ok:
				if !strings.Contains(out, "130  interrupted") || !strings.Contains(out, "jobwatch help [COMMAND]") {
					t.Errorf("usage: %q", out)
				}
				return
			}
			wants := []string{"jobwatch " + name + ": " + cmd.summary, "flags:", "--timeout", "exit codes:", "0    "}
			if name != "simulate" { // interrupting simulate is how it stops: it exits 0
				wants = append(wants, "130  interrupted")
			}
			for _, want := range wants {
				if !strings.Contains(out, want) {
					t.Errorf("help of %s lacks %q:\n%s", name, want, out)
				}
			}
			if !strings.Contains(out, "0 means") {
				t.Errorf("help of %s does not say what --timeout 0 means:\n%s", name, out)
			}
			if name == "simulate" || name == "demo" {
				return
			}
			for _, v := range []string{"JOBWATCH_ORACLE_USERNAME", "JOBWATCH_ORACLE_PASSWORD", "JOBWATCH_ORACLE_TOKEN", "JOBWATCH_ORACLE_BASE_URL",
				"JOBWATCH_HUAWEI_APP_KEY", "JOBWATCH_HUAWEI_APP_SECRET", "WEBEX_ACCESS_TOKEN", "TENCENTCLOUD_SECRET_ID",
				"TENCENTCLOUD_SECRET_KEY", "TENCENTCLOUD_REGION", "JOBWATCH_TENCENT_USER_STORE"} {
				if !strings.Contains(out, v) {
					t.Errorf("help of %s lacks %s", name, v)
				}
			}
			if name == "watch" && (!strings.Contains(out, "lines starting with # (comments)") || !strings.Contains(out, "byte-order mark")) {
				t.Errorf("watch help does not describe the jobs file:\n%s", out)
			}
			if (name == "wait" || name == "watch") && !strings.Contains(out, "budget of 6h") {
				t.Errorf("help of %s: --timeout 0 is the wait budget:\n%s", name, out)
			}
			if name == "status" && (strings.Contains(out, "budget") || !strings.Contains(out, "Huawei's queryTask reports no number")) {
				t.Errorf("status help: no wait budget applies, and the Huawei total is explained:\n%s", out)
			}
		})
	}
}

// TestFlagErrorsOnce: a bad flag is reported once, on stderr, with a pointer to the help, naming the
// flag as users type it (--bogus, as help shows it, where the flag package says -bogus) for every
// command and each of the flag package's errors, and a duration without a unit says which unit to add.
func TestFlagErrorsOnce(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"status", "--vendor", "webex", "--job", "1", "--bogus"}, "jobwatch status: flag provided but not defined: --bogus (see"},
		{[]string{"watch", "-bogus"}, "jobwatch watch: flag provided but not defined: --bogus (see"},
		{[]string{"run", "--bogus=1"}, "jobwatch run: flag provided but not defined: --bogus (see"},
		{[]string{"contract", "proxy", "--bogus"}, "jobwatch contract proxy: flag provided but not defined: --bogus (see"},
		{[]string{"wait", "--vendor", "webex", "--job", "1", "--timeout", "5"}, `invalid value "5" for flag --timeout: a duration needs a unit: 5s`},
		{[]string{"status", "--vendor", "webex", "--job", "1", "--timeout", "x"}, `jobwatch status: invalid value "x" for flag --timeout: not a duration`},
		{[]string{"watch", "--vendor", "webex", "--min-delay", "2"}, `invalid value "2" for flag --min-delay: a duration needs a unit: 2s`},
		{[]string{"simulate", "--job-duration", "soon"}, `invalid value "soon" for flag --job-duration: not a duration (want e.g. 30s`},
		{[]string{"demo", "--timeout", `1" for flag -x: y`}, `invalid value "1\" for flag -x: y" for flag --timeout: not a duration`},
		{[]string{"wait", "--vendor", "webex", "--job"}, "jobwatch wait: flag needs an argument: --job (see"},
		{[]string{"contract", "--vendor", "webex", "--har"}, "jobwatch contract: flag needs an argument: --har (see"},
		{[]string{"watch", "--vendor", "webex", "--wide=maybe"}, `invalid boolean value "maybe" for --wide: parse error`},
		{[]string{"simulate", "---addr", "x"}, `jobwatch simulate: bad flag syntax: "---addr" (want --name or --name=value)`},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, stderr := runCLI(t.Context(), env{}, tc.args...)
			if code != exitUsage || out != "" || strings.Count(stderr, tc.want) != 1 || strings.Count(stderr, "\n") != 1 ||
				!strings.Contains(stderr, "--help") {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2 and %q once, in one line", code, out, stderr, tc.want)
			}
		})
	}
}

// failingBool is a boolean flag whose every value is refused, the one way to meet the flag package's
// "invalid boolean flag".
type failingBool struct{}

func (failingBool) String() string   { return "false" }
func (failingBool) Set(string) error { return errors.New("refused") }
func (failingBool) IsBoolFlag() bool { return true }

// TestDashed: each error of the flag package names its flag with two dashes, its other words kept, the
// value quoted as the package quotes it; other errors are left as they are.
func TestDashed(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-nope"}, "flag provided but not defined: --nope"},
		{[]string{"--nope=1"}, "flag provided but not defined: --nope"},
		{[]string{"--n"}, "flag needs an argument: --n"},
		{[]string{"--n", "x"}, `invalid value "x" for flag --n: parse error`},
		{[]string{"--n", `" for flag -m: `}, `invalid value "\" for flag -m: " for flag --n: parse error`},
		{[]string{"--b=x"}, `invalid boolean value "x" for --b: parse error`},
		{[]string{"--f"}, "invalid boolean flag --f: refused"},
		{[]string{"---n"}, `bad flag syntax: "---n" (want --name or --name=value)`},
		{[]string{"-=1"}, `bad flag syntax: "-=1" (want --name or --name=value)`},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			fs.Int("n", 0, "")
			fs.Bool("b", false, "")
			fs.Var(failingBool{}, "f", "")
			err := fs.Parse(tc.args)
			if err == nil {
				t.Fatal("no error")
			}
			if got := dashed(err); got != tc.want {
				t.Errorf("dashed(%q) = %q, want %q", err, got, tc.want)
			}
		})
	}
	if got := dashed(errors.New("invalid value 5")); got != "invalid value 5" {
		t.Errorf("another error changed: %q", got)
	}
}

func TestReadIDs(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("9", maxIDLine+1)
	cases := []struct {
		name, in string
		want     []string
		err      string
	}{
		{"bom", "\uFEFF123\n456\n", []string{"123", "456"}, ""},
		{"bom crlf comments", "\uFEFF# mine\r\n123\r\n\r\n  # indented comment\r\n123\r\n456", []string{"123", "456"}, ""},
		{"longest line", strings.Repeat("7", maxIDLine) + "\n1\n", []string{strings.Repeat("7", maxIDLine), "1"}, ""},
		{"longest line crlf", strings.Repeat("7", maxIDLine) + "\r\n1\r\n", []string{strings.Repeat("7", maxIDLine), "1"}, ""},
		{"long line crlf", "1\r\n" + long + "\r\n", nil, "stdin line 2: longer than 4096 bytes"},
		{"far too long", "1\n" + long + long + "\n", nil, "stdin line 2: longer than 4096 bytes"},
		{"long line", "1\n2\n" + long + "\n4\n", nil, "stdin line 3: longer than 4096 bytes"},
		{"only comments", "# nothing\n\n", nil, "no job ids in stdin"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ids, _, err := readIDs(t.Context(), "", strings.NewReader(tc.in), io.Discard)
			if tc.err != "" {
				var ue *usageError
				if err == nil || !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want usage error %q", err, tc.err)
				}
				return
			}
			if err != nil || strings.Join(ids, ",") != strings.Join(tc.want, ",") {
				t.Errorf("ids %q, %v; want %q", ids, err, tc.want)
			}
		})
	}
	file := filepath.Join(t.TempDir(), "ids")
	os.WriteFile(file, []byte("a\n"+long), 0o600)
	if _, _, err := readIDs(t.Context(), file, nil, io.Discard); err == nil || !strings.Contains(err.Error(), file+" line 2: longer than") {
		t.Errorf("file: %v", err)
	}
}

// TestJSONNullWhereNoValue: a value the vendor does not report is null, never "" (Tencent has no
// failure codes).
func TestJSONNullWhereNoValue(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		sim, e := simEnv(t, simulator.Options{})
		id, _ := sim.CreateJob("tencent", []simulator.JobUser{{ID: "dave-fail"}}, time.Minute)
		code, out, stderr := runCLI(t.Context(), e, "wait", "--vendor", "tencent", "--job", id, "--output", "json")
		if code != exitFailed {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		m := jobLineKeys(t, strings.TrimSpace(out))
		f := m["failures"].([]any)[0].(map[string]any)
		if f["user"] != "dave-fail" || f["code"] != nil || strings.Contains(out, `""`) {
			t.Errorf("want user set, code null, no empty strings: %s", out)
		}
	})
}

// timedOut is shaped as the sdk's error of a timed-out wait: it matches sdk.ErrWaitTimeout and wraps
// the last poll's error.
type timedOut struct{ cause error }

func (e *timedOut) Error() string        { return "wait timed out after 1m: last error: " + e.cause.Error() }
func (e *timedOut) Is(target error) bool { return target == sdk.ErrWaitTimeout }
func (e *timedOut) Unwrap() error        { return e.cause }

// TestErrorSummaryGrouped: 100,000 jobs that fail alike make one line of at most a few KB, with a count
// and example ids; a single failing job is named.
func TestErrorSummaryGrouped(t *testing.T) {
	t.Parallel()
	var outs []outcome
	for i := range 100000 {
		id := fmt.Sprintf("Y2lzY29zcGFyazovL3VzL0pPQl9JRC8%08d", i)
		// The text of a client's *sdk.APIError for a refused connection.
		err := fmt.Errorf("webex status: transport: Get \"http://127.0.0.1:9/v1/jobs/%s\": dial tcp 127.0.0.1:9: %w", id, syscall.ECONNREFUSED)
		outs = append(outs, outcome{vendor: "webex", id: id, err: &timedOut{cause: err}})
	}
	for i := range 50 { // many small groups beyond the shown ones
		outs = append(outs, outcome{vendor: "webex", id: fmt.Sprint("x", i), err: fmt.Errorf("odd error %d", i)})
	}
	outs = append(outs, outcome{vendor: "webex", id: "interrupted-job", err: errInterrupted},
		outcome{vendor: "webex", id: "failed-job", job: &sdk.Job{State: sdk.StateFailed}, err: fmt.Errorf("webex job failed-job: %w", sdk.ErrJobFailed)})
	err := summarize(outs)
	msg := err.Error()
	if len(msg) > 4096 || !strings.HasPrefix(msg, "100000 webex jobs: wait timed out; last error: connection refused (e.g. Y2lz") ||
		!strings.Contains(msg, "and 46 more jobs with 46 other errors") || strings.Contains(msg, "interrupted-job") || strings.Contains(msg, "failed-job") {
		t.Errorf("summary of %d bytes:\n%s", len(msg), msg)
	}
	one := summarize([]outcome{{vendor: "webex", id: "abc123", err: errors.New("webex status: HTTP 404: not found")}})
	if one == nil || one.Error() != "webex job abc123: webex status: HTTP 404: not found" {
		t.Errorf("one job: %v", one)
	}
	if summarize(outs[len(outs)-2:]) != nil {
		t.Error("an interrupt or a failed job is not an error to summarize")
	}
}

// TestWatchNamesTheFailingJob: watch's final error says which job it is about.
func TestWatchNamesTheFailingJob(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		sim, e := simEnv(t, simulator.Options{})
		good, _ := sim.CreateJob("webex", []simulator.JobUser{{ID: "u"}}, time.Minute)
		e.stdin = strings.NewReader(good + "\nno-such-job\n")
		code, out, stderr := runCLI(t.Context(), e, "watch", "--vendor", "webex")
		if code != exitAPI || !strings.Contains(stderr, "jobwatch watch: webex job no-such-job: ") || !strings.Contains(out, good) {
			t.Errorf("exit %d\nstdout %s\nstderr %s", code, out, stderr)
		}
	})
}

func TestIDLabelsTellJobsApart(t *testing.T) {
	t.Parallel()
	sim, _ := simulator.New(simulator.Options{})
	cases := map[string][]string{}
	for _, v := range []string{"huawei", "webex", "oracle"} {
		for range 5 {
			id, _ := sim.CreateJob(v, []simulator.JobUser{{ID: "u"}}, 0)
			cases[v] = append(cases[v], id)
		}
	}
	cases["shared ends"] = []string{"prefix-AAAAAAAAAAAAAAAAAAAAAAAAA-1-end", "prefix-AAAAAAAAAAAAAAAAAAAAAAAAA-2-end"}
	for name, ids := range cases {
		labels := idLabels(ids, labelWidth)
		seen := map[string]bool{}
		for _, id := range ids {
			l := labels[id]
			if seen[l] || !strings.HasSuffix(id, strings.TrimPrefix(l, "…")) {
				t.Errorf("%s: label %q of %q: not distinct, or not the id's end", name, l, id)
			}
			if name != "shared ends" && len([]rune(l)) > labelWidth {
				t.Errorf("%s: label %q longer than %d", name, l, labelWidth)
			}
			seen[l] = true
		}
	}
}

func TestTablesHaveNoTrailingSpaces(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		sim, e := simEnv(t, simulator.Options{})
		id, _ := sim.CreateJob("tencent", []simulator.JobUser{{ID: "a"}, {ID: "b-fail"}}, time.Minute)
		code, out, _ := runCLI(t.Context(), e, "wait", "--vendor", "tencent", "--job", id)
		if code != exitPartial || !strings.Contains(out, "FAILED USERS") {
			t.Fatalf("exit %d\n%s", code, out)
		}
		for i, l := range strings.Split(out, "\n") {
			if strings.TrimRight(l, " \t") != l {
				t.Errorf("line %d ends in white space: %q", i+1, l)
			}
		}
	})
}

// TestInterruptKeepsLastStates: an interrupt during wait and watch exits 130 at once, says so on
// stderr, and stdout still holds one JSON line per job with the last state seen (running, with counts).
func TestInterruptKeepsLastStates(t *testing.T) {
	t.Parallel()
	for _, output := range []string{"json", "table"} {
		t.Run(output, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sim, e := simEnv(t, simulator.Options{})
				var ids []string
				for range 3 {
					id, _ := sim.CreateJob("webex", []simulator.JobUser{{ID: "a"}, {ID: "b"}, {ID: "c"}, {ID: "d"}}, time.Hour)
					ids = append(ids, id)
				}
				for _, args := range [][]string{{"wait", "--job", ids[0]}, {"watch"}} {
					ctx, cancel := context.WithCancelCause(t.Context())
					e.stdin = strings.NewReader(strings.Join(ids, "\n"))
					var (
						code            int
						out, stderr     string
						start, returned time.Time
						wg              sync.WaitGroup
					)
					wg.Go(func() {
						code, out, stderr = runCLI(ctx, e, append(args, "--vendor", "webex", "--output", output, "--min-delay", "10s", "--max-delay", "10s")...)
						returned = time.Now()
					})
					time.Sleep(20 * time.Minute) // a third of the way: running
					start = time.Now()
					cancel(errInterrupted)
					wg.Wait()
					if code != exitInterrupted || stderr == "" || !strings.HasSuffix(stderr, "\ninterrupted\n") || returned.Sub(start) > time.Second {
						t.Fatalf("%s: exit %d after %v; stderr %q", args[0], code, returned.Sub(start), stderr)
					}
					if output == "table" {
						if !strings.Contains(out, "running") || strings.Contains(out, "unknown") {
							t.Errorf("%s table:\n%s", args[0], out)
						}
						continue
					}
					sc := bufio.NewScanner(strings.NewReader(out))
					n := 0
					for sc.Scan() {
						n++
						m := jobLineKeys(t, sc.Text())
						if m["state"] != "running" || m["error"] != "interrupted" || m["counts"].(map[string]any)["total"] != 4.0 {
							t.Errorf("%s: want the last state seen: %s", args[0], sc.Text())
						}
					}
					if want := map[string]int{"wait": 1, "watch": 3}[args[0]]; n != want {
						t.Errorf("%s: %d lines, want %d:\n%s", args[0], n, want, out)
					}
					cancel(nil)
				}
			})
		})
	}
}

func TestWatchRefusesATerminalStdin(t *testing.T) {
	t.Parallel()
	code, _, stderr := runCLI(t.Context(), env{stdinTerminal: true}, "watch", "--vendor", "webex")
	if code != exitUsage || !strings.Contains(stderr, "stdin is a terminal") {
		t.Errorf("exit %d: %s", code, stderr)
	}
}

// TestBarsRenderNeverWaitsForTheReporterLock: while anything holds the reporter's lock, mpb keeps
// rendering (its decorators take no lock); and updates, retries and finishes from many goroutines,
// creating bars as they come, never freeze the bars.
func TestBarsRenderNeverWaitsForTheReporterLock(t *testing.T) {
	t.Parallel()
	w := &notifyWriter{wrote: make(chan struct{}, 1)}
	ids := []string{"job-a", "job-b"}
	b := newBars(w, ids, time.Millisecond)
	p := 0.5
	b.update(&sdk.Job{Vendor: "webex", ID: "job-a", State: sdk.StateRunning, Progress: &p})
	b.mu.Lock()
	for range 3 { // the first write may have been rendered before the lock
		select {
		case <-w.wrote:
		case <-time.After(10 * time.Second):
			b.mu.Unlock()
			b.close()
			t.Fatal("rendering waits for the reporter's lock: lock-order inversion with mpb")
		}
	}
	b.mu.Unlock()

	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 40 {
				id := fmt.Sprintf("job-%d", (g*40+i)%15)
				q := float64(i) / 40
				b.update(&sdk.Job{Vendor: "webex", ID: id, State: sdk.StateRunning, Progress: &q})
				b.retry("webex", id, syscall.ECONNREFUSED, i%6+1, 6)
				if i%10 == 9 {
					b.finish(outcome{vendor: "webex", id: id, job: &sdk.Job{Vendor: "webex", ID: id, State: sdk.StateSucceeded, Done: true}})
				}
			}
		})
	}
	wg.Wait()
	b.close()
	if !strings.Contains(w.String(), "retrying: connection refused (") {
		t.Errorf("no retry note drawn:\n%s", w.String())
	}
}

type notifyWriter struct {
	mu    sync.Mutex
	b     strings.Builder
	wrote chan struct{}
}

func (w *notifyWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.b.Write(p)
	w.mu.Unlock()
	select {
	case w.wrote <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (w *notifyWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// TestSimulateWritesJobsFiles: simulate --jobs N writes N ids per vendor, ready for watch --jobs-file,
// and those jobs run when watched.
func TestSimulateWritesJobsFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"simulate", "--jobs", "5", "--dir", dir, "--job-duration", "300ms"}, env{stdout: pw, stderr: pw, getenv: func(string) string { return "" }})
		pw.Close()
	}()
	var text strings.Builder
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		text.WriteString(sc.Text() + "\n")
		if strings.HasPrefix(sc.Text(), "# serving") {
			break
		}
	}
	go func() {
		for sc.Scan() {
		}
	}()
	vars := parseEnvLines(text.String())
	e := env{getenv: func(k string) string { return vars[k] }}
	for _, v := range simulator.Vendors() {
		file := filepath.Join(dir, v+"-jobs.txt")
		if !strings.Contains(text.String(), "jobwatch watch --vendor "+v+" --jobs-file "+file) {
			t.Errorf("%s: no watch line:\n%s", v, text.String())
		}
		code, out, stderr := runCLI(t.Context(), e, "watch", "--vendor", v, "--jobs-file", file, "--output", "json", "--min-delay", "50ms", "--max-delay", "100ms")
		want := exitFailed // job 5 fails every user
		if v == "huawei" {
			want = exitPartial // no total: see the help's "outcomes"
		}
		if code != want || strings.Count(out, "\n") != 5 || !strings.Contains(out, "-fail") {
			t.Errorf("%s: exit %d\n%s\n%s", v, code, out, stderr)
		}
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Errorf("simulate exit %d", code)
	}
	// A --dir is the user's: simulate leaves it and its files.
	if _, err := os.Stat(filepath.Join(dir, "webex-jobs.txt")); err != nil {
		t.Errorf("the --dir's files after simulate ended: %v", err)
	}
}

// TestRetryFeedback: while a job's polls fail and are retried, its progress line says so, with the
// error and the try count.
func TestRetryFeedback(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		sim, e := simEnv(t, simulator.Options{})
		id, _ := sim.CreateJob("webex", []simulator.JobUser{{ID: "u"}}, time.Minute)
		sim.Inject(simulator.Fault{Vendor: "webex", Kind: simulator.FaultReset, Count: 12})
		code, _, stderr := runCLI(t.Context(), e, "wait", "--vendor", "webex", "--job", id)
		if code != exitOK || !regexp.MustCompile(`webex job \S+: retrying: connection reset by peer \(\d/\d\)`).MatchString(stderr) {
			t.Errorf("exit %d; want a retrying line:\n%s", code, stderr)
		}
	})
}

// TestInterruptDuringStatus: an interrupt while status waits for a slow answer exits 130 at once, with
// the job's line on stdout.
func TestInterruptDuringStatus(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		sim, e := simEnv(t, simulator.Options{})
		id, _ := sim.CreateJob("webex", []simulator.JobUser{{ID: "u"}}, time.Minute)
		sim.Inject(simulator.Fault{Vendor: "webex", Kind: simulator.FaultLatency, Delay: time.Hour, Count: 1})
		ctx, cancel := context.WithCancelCause(t.Context())
		defer cancel(nil)
		var (
			code        int
			out, stderr string
			wg          sync.WaitGroup
		)
		wg.Go(func() {
			code, out, stderr = runCLI(ctx, e, "status", "--vendor", "webex", "--job", id, "--output", "json")
		})
		time.Sleep(time.Second)
		cancel(errInterrupted)
		start := time.Now()
		wg.Wait()
		if code != exitInterrupted || stderr != "interrupted\n" || time.Since(start) > time.Second {
			t.Fatalf("exit %d after %v, stderr %q", code, time.Since(start), stderr)
		}
		// The in-memory transport may still deliver the answer the interrupt raced with; either way
		// stdout holds the job's one line.
		if m := jobLineKeys(t, strings.TrimSpace(out)); m["id"] != id || (m["error"] != "interrupted" && m["state"] != "pending") {
			t.Errorf("stdout: %s", out)
		}
	})
}

// TestLinesForManyJobsStayShort: without a terminal, many jobs make a count of the jobs done now and
// then, not a line per job and event (the JSON lines on stdout have each job).
func TestLinesForManyJobsStayShort(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var b strings.Builder
		ids := make([]string, 1000)
		for i := range ids {
			ids[i] = fmt.Sprint("job-", i)
		}
		r := newReporter(env{stderr: &b}, ids)
		for i, id := range ids {
			r.update(&sdk.Job{Vendor: "webex", ID: id, State: sdk.StateRunning})
			r.retry("webex", id, syscall.ECONNREFUSED, 1, 6)
			var err error
			if i%2 == 0 {
				err = errors.New("boom")
			}
			r.finish(outcome{vendor: "webex", id: id, job: &sdk.Job{Vendor: "webex", ID: id, State: sdk.StateSucceeded, Done: true}, err: err})
			if i == 499 {
				time.Sleep(countEvery)
			}
		}
		r.close()
		out := b.String()
		if n := strings.Count(out, "\n"); n > 5 || !strings.HasSuffix(out, " 1000 of 1000 jobs done, 500 ended in an error\n") ||
			!strings.Contains(out, "retrying: connection refused (1/6)") {
			t.Errorf("%d lines:\n%s", n, out)
		}
	})
}

// TestPausedJobShows: a Webex job paused with pauseMoveUsersJob shows as paused in the table and the JSON
// line (not done), in the progress lines of a wait, and in the wait's timeout: a wait keeps waiting
// through the pause until its --timeout.
func TestPausedJobShows(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		sim, e := simEnv(t, simulator.Options{})
		id, _ := sim.CreateJob("webex", []simulator.JobUser{{ID: "a"}, {ID: "b"}, {ID: "c"}, {ID: "d"}}, 10*time.Minute)
		time.Sleep(5 * time.Minute)
		req, _ := http.NewRequest(http.MethodPost, simulator.BaseURL("webex", simRoot)+"/telephony/config/jobs/person/moveLocation/"+id+"/actions/pause/invoke", nil)
		req.Header.Set("Authorization", "Bearer "+sim.Credentials().WebexToken)
		resp, err := (&http.Client{Transport: sim.Transport()}).Do(req)
		if err != nil || resp.StatusCode != http.StatusAccepted {
			t.Fatalf("pause: %v %v", resp, err)
		}
		resp.Body.Close()

		code, out, stderr := runCLI(t.Context(), e, "status", "--vendor", "webex", "--job", id)
		if code != exitOK || !strings.Contains(out, "paused") || stderr != "" {
			t.Errorf("status table: exit %d\n%s%s", code, out, stderr)
		}
		code, out, _ = runCLI(t.Context(), e, "status", "--vendor", "webex", "--job", id, "--output", "json")
		if m := jobLineKeys(t, strings.TrimSpace(out)); code != exitOK || m["state"] != "paused" || m["done"] != false {
			t.Errorf("status JSON: exit %d %s", code, out)
		}
		code, out, stderr = runCLI(t.Context(), e, "wait", "--vendor", "webex", "--job", id, "--output", "json", "--timeout", "1h", "--min-delay", "1m", "--max-delay", "1m")
		if m := jobLineKeys(t, strings.TrimSpace(out)); code != exitTimeout || m["state"] != "paused" || m["done"] != false {
			t.Errorf("wait: exit %d %s", code, out)
		}
		if !strings.Contains(stderr, "webex job "+id+": paused, 2 of 4 users processed (50%)") || !strings.Contains(stderr, "last state paused") {
			t.Errorf("wait's progress and timeout do not say paused:\n%s", stderr)
		}
	})
}

// TestCommandHelp: every command's help shows its flags as they are typed (--flag) and only the exit
// codes that command can end with.
func TestCommandHelp(t *testing.T) {
	t.Parallel()
	cases := []struct {
		cmd        string
		flags      []string
		codes, not []string
	}{
		{"status", []string{"--vendor string", "--job string", "--timeout duration"}, []string{"0 ", "3 ", "4 "}, []string{"6 "}},
		{"wait", []string{"--vendor string", "--min-delay duration"}, []string{"0 ", "3 ", "5 ", "130 "}, []string{"6 "}},
		{"watch", []string{"--jobs-file string"}, []string{"3 ", "4 ", "5 "}, []string{"6 "}},
		{"simulate", []string{"--dir directory", "--jobs int", "--job-duration duration"}, []string{"0 ", "1 ", "2 "}, []string{"3 ", "4 ", "5 ", "6 ", "130 "}},
		{"demo", []string{"--output string"}, []string{"0 ", "5 ", "130 "}, []string{"3 ", "4 ", "6 "}},
		{"contract", []string{"--har"}, []string{"0 ", "6 "}, []string{"3 ", "4 "}},
	}
	for _, c := range cases {
		t.Run(c.cmd, func(t *testing.T) {
			code, out, _ := runCLI(t.Context(), env{}, c.cmd, "--help")
			if code != exitOK {
				t.Fatalf("exit %d", code)
			}
			for _, line := range strings.Split(out, "\n") {
				if strings.HasPrefix(line, "  -") && !strings.HasPrefix(line, "  --") {
					t.Errorf("flag shown with one dash: %q", line)
				}
			}
			for _, f := range c.flags {
				if !strings.Contains(out, "\n  "+f) {
					t.Errorf("help lacks %q:\n%s", f, out)
				}
			}
			codes := out[strings.Index(out, "exit codes:"):]
			for _, want := range c.codes {
				if !strings.Contains(codes, "\n  "+want) {
					t.Errorf("exit codes lack %q:\n%s", want, codes)
				}
			}
			for _, bad := range c.not {
				if strings.Contains(codes, "\n  "+bad) {
					t.Errorf("exit codes list %q, which %s never ends with:\n%s", bad, c.cmd, codes)
				}
			}
		})
	}
}

// TestSimulateJobsDirDefault: without --dir, simulate --jobs writes its files into a new temporary
// directory that it names, never into the working directory, prints commands that start with how this
// jobwatch is run, and removes the directory when it ends.
func TestSimulateJobsDirDefault(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"simulate", "--jobs", "2"}, env{stdout: pw, stderr: pw, self: "go run ./cmd/jobwatch", getenv: func(string) string { return "" }})
		pw.Close()
	}()
	var text strings.Builder
	sc := bufio.NewScanner(pr)
	for sc.Scan() && !strings.HasPrefix(sc.Text(), "# serving") {
		text.WriteString(sc.Text() + "\n")
	}
	go func() {
		for sc.Scan() {
		}
	}()
	m := regexp.MustCompile(`(?m)^# job id files in (\S+)$`).FindStringSubmatch(text.String())
	if m == nil {
		cancel()
		<-done
		t.Fatalf("simulate names no directory:\n%s", text.String())
	}
	defer os.RemoveAll(m[1])
	if filepath.Dir(m[1]) != filepath.Clean(os.TempDir()) {
		t.Errorf("job files in %s, want a new directory in %s", m[1], os.TempDir())
	}
	for _, v := range simulator.Vendors() {
		file := filepath.Join(m[1], v+"-jobs.txt")
		if _, err := os.Stat(file); err != nil {
			t.Errorf("%s: %v", v, err)
		}
		if want := "\ngo run ./cmd/jobwatch watch --vendor " + v + " --jobs-file " + file + "\n"; !strings.Contains(text.String(), want) {
			t.Errorf("no line %q in:\n%s", want, text.String())
		}
	}
	cancel()
	<-done
	// The jobs its files name die with the simulator, so the directory goes too.
	if _, err := os.Stat(m[1]); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s after simulate ended: %v, want it removed", m[1], err)
	}
}

func TestShellQuote(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/tmp/jobwatch-simulate-1/huawei-jobs.txt": "/tmp/jobwatch-simulate-1/huawei-jobs.txt",
		"/tmp/my dir/a.txt":                        "'/tmp/my dir/a.txt'",
		"it's":                                     `'it'\''s'`,
		"":                                         "''",
		"$(rm -rf x)":                              "'$(rm -rf x)'",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
