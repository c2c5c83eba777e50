package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/jobwatch/jobwatch/simulator"
)

// TestMain builds the jobwatch binary once, for the tests that drive it through a pseudo-terminal, then
// runs the tests and checks for leaked goroutines. With -short those tests skip (skipShort), so the
// binary is not built.
func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "jobwatch-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if !testing.Short() {
		bin := filepath.Join(dir, "jobwatch")
		if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building jobwatch: %v\n%s", err, out)
			os.RemoveAll(dir)
			os.Exit(1)
		}
		os.Setenv(binEnv, bin)
	}
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

const simRoot = "http://sim.test"

// sharedSpecs loads each vendor's specs once for the package's simulators and contract checks, given
// to them through env.specs and simulator.Options.Specs; no test changes a spec it gets from here.
var sharedSpecs = simulator.SharedSpecs()

// simEnv is a simulator reached in memory and the environment `jobwatch simulate` would print for it.
func simEnv(t *testing.T, opts simulator.Options) (*simulator.Simulator, env) {
	t.Helper()
	opts.OnViolation = func(v string, err error) { t.Errorf("simulator: %s violation: %v", v, err) }
	opts.Specs = sharedSpecs
	sim, err := simulator.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	vars := parseEnvLines(envLines(sim, simRoot))
	return sim, env{stdin: strings.NewReader(""), getenv: func(k string) string { return vars[k] }, transport: sim.Transport()}
}

func parseEnvLines(s string) map[string]string { return envMap(s) }

func runCLI(ctx context.Context, e env, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	e.stdout, e.stderr = &out, &errb
	if e.getenv == nil {
		e.getenv = func(string) string { return "" }
	}
	if e.stdin == nil {
		e.stdin = strings.NewReader("")
	}
	if e.specs == nil {
		e.specs = sharedSpecs
	}
	code := run(ctx, args, e)
	return code, out.String(), errb.String()
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args []string
		want string
	}{
		{nil, "usage:"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"status", "--job", "1"}, "--vendor is required"},
		{[]string{"status", "--vendor", "aws", "--job", "1"}, `--vendor "aws": want one of oracle, huawei, webex, tencent`},
		{[]string{"status", "--vendor", "webex"}, "--job is required"},
		{[]string{"status", "--vendor", "webex", "--job", "1", "--output", "xml"}, `--output "xml": want table or json`},
		{[]string{"status", "--vendor", "tencent", "--job", "1", "--org", "o"}, "--org applies to webex only"},
		{[]string{"status", "--vendor", "webex", "--job", "1", "--api", "v3"}, "--api applies to oracle only"},
		{[]string{"status", "--vendor", "oracle", "--job", "1", "--api", "v2"}, `--api "v2": want v1 or v3`},
		{[]string{"status", "--vendor", "oracle", "--job", "1"}, "oracle: v1 needs Username and Password (or set JOBWATCH_ORACLE_USERNAME and JOBWATCH_ORACLE_PASSWORD)"},
		{[]string{"status", "--vendor", "tencent", "--job", "1"}, "tencent: SecretID and SecretKey are required (or set TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY)"},
		{[]string{"status", "--vendor", "webex", "--job", "1"}, "webex: Token is required (or set WEBEX_ACCESS_TOKEN)"},
		{[]string{"status", "--vendor", "webex", "--job", "1", "extra"}, `unexpected argument "extra"`},
		{[]string{"status", "--vendor", "webex", "--job", "1", "--bogus"}, "flag provided but not defined: --bogus"},
		{[]string{"wait", "--vendor", "webex", "--job", "1", "--min-delay", "0s"}, "want 0 < min ≤ max"},
		{[]string{"wait", "--vendor", "webex", "--job", "1", "--timeout", "-1s"}, "--timeout -1s is negative"},
		{[]string{"watch", "--vendor", "webex"}, "no job ids in stdin"},
		{[]string{"watch", "--vendor", "webex", "--jobs-file", "/nonexistent/ids"}, "--jobs-file: open /nonexistent/ids"},
		{[]string{"contract", "--vendor", "webex"}, "give --har FILE or --live --job ID"},
		{[]string{"contract", "--vendor", "webex", "--har", "x", "--live"}, "--har and --live exclude each other"},
		{[]string{"contract", "--vendor", "webex", "--live"}, "--live needs --job"},
		{[]string{"simulate", "--addr", "256.0.0.1:99999"}, "--addr 256.0.0.1:99999"},
		{[]string{"demo", "--job-duration", "0s"}, "--job-duration 0s must be positive"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, stderr := runCLI(t.Context(), env{}, tc.args...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, stderr, tc.want)
			}
			if n := strings.Count(stderr, "--help"); n > 1 {
				t.Errorf("stderr %q points to --help %d times", stderr, n)
			}
		})
	}
	if code, out, _ := runCLI(t.Context(), env{}, "help"); code != 0 || !strings.Contains(out, "exit codes") {
		t.Errorf("help: %d %q", code, out)
	}
	if code, out, _ := runCLI(t.Context(), env{}, "wait", "-h"); code != 0 || !strings.Contains(out, "-min-delay") {
		t.Errorf("wait -h: %d %q", code, out)
	}
}

// jobLineKeys checks one JSON output line against the documented keys.
func jobLineKeys(t *testing.T, line string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatalf("not JSON: %q", line)
	}
	for _, k := range []string{"vendor", "id", "state", "done", "counts", "failures", "progress"} {
		if _, ok := m[k]; !ok {
			t.Errorf("key %q missing in %s", k, line)
		}
	}
	counts, _ := m["counts"].(map[string]any)
	for _, k := range []string{"total", "succeeded", "failed", "pending"} {
		if _, ok := counts[k]; !ok {
			t.Errorf("counts.%s missing in %s", k, line)
		}
	}
	fails, _ := m["failures"].([]any) // null when who failed is not known
	for _, f := range fails {
		for _, k := range []string{"user", "action", "code", "message"} {
			if _, ok := f.(map[string]any)[k]; !ok {
				t.Errorf("failures[].%s missing in %s", k, line)
			}
		}
	}
	return m
}

func TestStatusAndWaitEveryVendor(t *testing.T) {
	t.Parallel()
	type tc struct {
		vendor string
		users  []simulator.JobUser
		flags  []string
		state  string
		code   int
		failed string
	}
	cases := []tc{
		{"oracle", []simulator.JobUser{{ID: "A", Action: "added"}, {ID: "B-FAIL", Action: "deleted"}}, nil, "partially_succeeded", exitPartial, "B-FAIL"},
		{"oracle", []simulator.JobUser{{ID: "A", Action: "added"}}, []string{"--api", "v3"}, "succeeded", exitOK, ""},
		{"huawei", []simulator.JobUser{{ID: "ann", Action: "CREATE"}}, nil, "succeeded", exitOK, ""},
		{"huawei", []simulator.JobUser{{ID: "x-fail", Action: "CREATE"}, {ID: "ok", Action: "MODIFY"}}, nil, "partially_succeeded", exitPartial, "x-fail"},
		{"webex", []simulator.JobUser{{ID: "u1-fail"}, {ID: "u2-fail"}}, []string{"--org", "org-1"}, "failed", exitFailed, "u1-fail"},
		{"tencent", []simulator.JobUser{{ID: "carol"}}, []string{"--region", "ap-singapore"}, "succeeded", exitOK, ""},
		{"tencent", []simulator.JobUser{{ID: "dave-fail"}}, nil, "failed", exitFailed, "dave-fail"},
	}
	for _, c := range cases {
		t.Run(c.vendor+"-"+c.state, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sim, e := simEnv(t, simulator.Options{})
				id, err := sim.CreateJob(c.vendor, c.users, 30*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				base := append([]string{"--vendor", c.vendor, "--job", id}, c.flags...)
				code, out, stderr := runCLI(t.Context(), e, append([]string{"status", "--output", "json"}, base...)...)
				if code != exitOK {
					t.Fatalf("status: exit %d: %s", code, stderr)
				}
				m := jobLineKeys(t, strings.TrimSpace(out))
				if m["done"] != false || m["id"] != id {
					t.Errorf("status of a running job: %s", out)
				}
				code, out, stderr = runCLI(t.Context(), e, append([]string{"wait", "--output", "json", "--min-delay", "1s"}, base...)...)
				if code != c.code {
					t.Fatalf("wait: exit %d, want %d; stderr %s", code, c.code, stderr)
				}
				m = jobLineKeys(t, strings.TrimSpace(out))
				if m["state"] != c.state || m["done"] != true {
					t.Errorf("wait: %s", out)
				}
				if c.failed != "" && !strings.Contains(out, `"user":"`+c.failed+`"`) {
					t.Errorf("failed user %s missing: %s", c.failed, out)
				}
				if !strings.Contains(stderr, "done: "+c.state) {
					t.Errorf("progress lines: %q", stderr)
				}
				code, out, _ = runCLI(t.Context(), e, append([]string{"status"}, base...)...)
				if code != exitOK || !strings.Contains(out, "STATE") || !strings.Contains(out, c.state) ||
					(c.failed != "" && (!strings.Contains(out, "FAILED USERS") || !strings.Contains(out, c.failed))) {
					t.Errorf("status table: exit %d\n%s", code, out)
				}
			})
		})
	}
}

func TestWaitTimeoutAndErrors(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		sim, e := simEnv(t, simulator.Options{})
		id, _ := sim.CreateJob("webex", []simulator.JobUser{{ID: "u"}}, time.Hour)
		start := time.Now()
		code, out, stderr := runCLI(t.Context(), e, "wait", "--vendor", "webex", "--job", id, "--timeout", "90s", "--output", "json")
		if code != exitTimeout || time.Since(start) > 90*time.Second || !strings.Contains(stderr, "wait timed out") {
			t.Fatalf("exit %d after %v: %s", code, time.Since(start), stderr)
		}
		if m := jobLineKeys(t, strings.TrimSpace(out)); m["state"] != "pending" || !strings.Contains(m["error"].(string), "timed out") {
			t.Errorf("timeout line: %s", out)
		}
		if code, _, stderr := runCLI(t.Context(), e, "status", "--vendor", "webex", "--job", "no-such-job"); code != exitAPI || !strings.Contains(stderr, "webex status: HTTP 404") {
			t.Errorf("unknown job: exit %d: %s", code, stderr)
		}
	})
}

// TestSecretsStayOutOfOutput runs every vendor with wrong but sentinel credentials: exit 1, the vendor,
// status and code on stderr, and no secret anywhere.
func TestSecretsStayOutOfOutput(t *testing.T) {
	t.Parallel()
	sentinel := "SENTINEL-s3cr3t-value-9f8e7d"
	for _, v := range []string{"oracle", "huawei", "webex", "tencent"} {
		t.Run(v, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sim, e := simEnv(t, simulator.Options{})
				vars := parseEnvLines(envLines(sim, simRoot))
				for k := range vars {
					if strings.Contains(k, "PASSWORD") || strings.Contains(k, "SECRET") || strings.Contains(k, "TOKEN") {
						vars[k] = sentinel
					}
				}
				e.getenv = func(k string) string { return vars[k] }
				id, _ := sim.CreateJob(v, []simulator.JobUser{{ID: "u", Action: "CREATE"}}, time.Minute)
				for _, output := range []string{"table", "json"} {
					code, out, stderr := runCLI(t.Context(), e, "wait", "--vendor", v, "--job", id, "--output", output)
					if code != exitAPI || !strings.Contains(stderr, v) || !strings.Contains(stderr, "HTTP") {
						t.Errorf("%s: exit %d: %s", output, code, stderr)
					}
					if strings.Contains(out+stderr, sentinel) || strings.Contains(out+stderr, "s3cr3t") {
						t.Errorf("%s: a secret leaked:\n%s\n%s", output, out, stderr)
					}
				}
			})
		})
	}
}

func TestWatchFileAndStdin(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		sim, e := simEnv(t, simulator.Options{})
		var ids []string
		for i, users := range [][]simulator.JobUser{{{ID: "a"}}, {{ID: "b"}, {ID: "c-fail"}}, {{ID: "d"}}} {
			id, _ := sim.CreateJob("tencent", users, time.Duration(i+1)*20*time.Second)
			ids = append(ids, id)
		}
		file := filepath.Join(t.TempDir(), "ids")
		os.WriteFile(file, []byte("# jobs\n"+strings.Join(ids, "\n")+"\n\n"+ids[0]+"\n"), 0o600)
		code, out, stderr := runCLI(t.Context(), e, "watch", "--vendor", "tencent", "--jobs-file", file, "--output", "json")
		if code != exitPartial {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		n := 0
		sc := bufio.NewScanner(strings.NewReader(out))
		for sc.Scan() {
			jobLineKeys(t, sc.Text())
			n++
		}
		if n != 3 {
			t.Errorf("%d lines, want 3:\n%s", n, out)
		}
		e.stdin = strings.NewReader(strings.Join(ids[:1], "\n"))
		code, out, _ = runCLI(t.Context(), e, "watch", "--vendor", "tencent")
		if code != exitOK || !strings.Contains(out, ids[0]) || !strings.Contains(out, "succeeded") {
			t.Errorf("stdin: exit %d\n%s", code, out)
		}
		slow, _ := sim.CreateJob("tencent", []simulator.JobUser{{ID: "z"}}, time.Hour)
		e.stdin = strings.NewReader(slow + "\n" + ids[0])
		code, out, _ = runCLI(t.Context(), e, "watch", "--vendor", "tencent", "--timeout", "2m")
		if code != exitTimeout || !strings.Contains(out, "wait timed out") {
			t.Errorf("timeout: exit %d\n%s", code, out)
		}
	})
}

func TestDemoInMemory(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		for _, output := range []string{"table", "json"} {
			code, out, stderr := runCLI(t.Context(), env{inMemory: true}, "demo", "--output", output)
			if code != exitOK {
				t.Fatalf("%s: exit %d: %s", output, code, stderr)
			}
			for _, v := range []string{"oracle", "huawei", "webex", "tencent", "fail"} {
				if !strings.Contains(out, v) {
					t.Errorf("%s: %q missing:\n%s", output, v, out)
				}
			}
			if !strings.Contains(out, "User created, but Application Access failed") {
				t.Errorf("%s: Oracle's statusInfo failure missing:\n%s", output, out)
			}
			if output == "table" && !strings.Contains(out, "FAILED USERS") {
				t.Errorf("no failed users:\n%s", out)
			}
			// Part two, jobwatch run: 1,000 users per vendor, some retried, some failing for good.
			if output == "table" && (!strings.Contains(out, "FAILED FOR GOOD") || !strings.Contains(out, "60101000108")) ||
				output == "json" && !strings.Contains(out, `{"run":{"vendor":"tencent","lines":1000,`) {
				t.Errorf("%s: no bulk run:\n%s", output, out)
			}
		}
	})
}

func TestDemoOnLoopback(t *testing.T) {
	if testing.Short() {
		t.Skip("runs in real time")
	}
	code, out, stderr := runCLI(t.Context(), env{}, "demo", "--job-duration", "300ms")
	if code != exitOK || !strings.Contains(out, "FAILED USERS") || !strings.Contains(stderr, "vendor simulator on http://127.0.0.1:") {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
}

func TestSimulateServesAndPrintsEnvironment(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	done := make(chan int)
	go func() {
		code := run(ctx, []string{"simulate", "--job-duration", "200ms"}, env{stdout: pw, stderr: io.Discard, getenv: func(string) string { return "" }})
		pw.Close()
		done <- code
	}()
	var text strings.Builder
	sc := bufio.NewScanner(pr)
	var sample string
	for sc.Scan() {
		text.WriteString(sc.Text() + "\n")
		if l := sc.Text(); strings.Contains(l, "jobwatch wait --vendor huawei --job ") {
			sample = l[strings.LastIndex(l, " ")+1:]
		}
		if strings.HasPrefix(sc.Text(), "# serving") {
			break
		}
	}
	vars := parseEnvLines(text.String())
	e := env{getenv: func(k string) string { return vars[k] }}
	code, out, stderr := runCLI(t.Context(), e, "wait", "--vendor", "huawei", "--job", sample, "--min-delay", "50ms", "--output", "json")
	cancel()
	go io.Copy(io.Discard, pr)
	if simCode := <-done; simCode != exitOK {
		t.Errorf("simulate exit %d", simCode)
	}
	if code != exitPartial || !strings.Contains(out, `"user":"bob-fail"`) {
		t.Errorf("wait against simulate: exit %d\n%s\n%s", code, out, stderr)
	}
	for _, k := range []string{"JOBWATCH_ORACLE_BASE_URL", "WEBEX_ACCESS_TOKEN", "TENCENTCLOUD_SECRET_KEY", "JOBWATCH_TENCENT_USER_STORE", "JOBWATCH_HUAWEI_APP_SECRET"} {
		if vars[k] == "" {
			t.Errorf("%s not printed", k)
		}
	}
}

// TestLiveBarsOnATerminal draws the progress as bars when stdout is a terminal, and stops drawing before
// the command returns.
func TestLiveBarsOnATerminal(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		code, out, stderr := runCLI(t.Context(), env{inMemory: true, terminal: true}, "demo")
		if code != exitOK || !strings.Contains(out, "FAILED USERS") {
			t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
		}
		if !strings.Contains(stderr, "%") || !strings.Contains(stderr, "tencent") || strings.Contains(stderr, "T00:") {
			t.Errorf("want bars, not timestamped lines:\n%s", stderr)
		}
		sim, e := simEnv(t, simulator.Options{})
		id, _ := sim.CreateJob("tencent", []simulator.JobUser{{ID: "x"}}, time.Minute)
		e.terminal = true
		for i := range 30 {
			id2, _ := sim.CreateJob("tencent", []simulator.JobUser{{ID: fmt.Sprint("y", i)}}, time.Minute)
			id += "\n" + id2
		}
		e.stdin = strings.NewReader(id)
		if code, _, stderr := runCLI(t.Context(), e, "watch", "--vendor", "tencent"); code != exitOK || !strings.Contains(stderr, "jobs done") {
			t.Errorf("watch with one bar for 31 jobs: exit %d\n%s", code, stderr)
		}
	})
}

// TestDoneJobKeptWhenItsErrorsListFails: a Webex job that is done with a failed move, whose errors list
// answers 403, is still reported as done with its counts, beside the error that says who failed is
// unknown; the exit code is the API error's.
func TestDoneJobKeptWhenItsErrorsListFails(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		sim, e := simEnv(t, simulator.Options{})
		id, err := sim.CreateJob("webex", []simulator.JobUser{{ID: "u1-fail"}, {ID: "u2"}}, 30*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		inner := e.transport
		e.transport = rtFunc(func(req *http.Request) (*http.Response, error) {
			if strings.HasSuffix(req.URL.Path, "/errors") {
				return &http.Response{StatusCode: 403, Header: http.Header{"Content-Type": {"application/json"}},
					Body: io.NopCloser(strings.NewReader(`{"message":"Forbidden","trackingId":"T1"}`)), Request: req}, nil
			}
			return inner.RoundTrip(req)
		})
		time.Sleep(time.Minute) // the job is done
		for _, cmd := range []string{"status", "wait", "watch"} {
			args := []string{cmd, "--vendor", "webex", "--output", "json"}
			if cmd == "watch" {
				e.stdin = strings.NewReader(id + "\n")
			} else {
				args = append(args, "--job", id)
			}
			code, out, stderr := runCLI(t.Context(), e, args...)
			if code != exitAPI || !strings.Contains(stderr, "who failed could not be read") {
				t.Fatalf("%s: exit %d, stderr %q", cmd, code, stderr)
			}
			m := jobLineKeys(t, strings.TrimSpace(out))
			counts, _ := m["counts"].(map[string]any)
			if m["state"] != "partially_succeeded" || m["done"] != true || counts["failed"] != 1.0 || m["failures"] != nil ||
				!strings.Contains(m["error"].(string), "HTTP 403") {
				t.Errorf("%s: line %s", cmd, out)
			}
		}
	})
}

type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }
