package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jobwatch/jobwatch/simulator"
)

// TestWatchServesMetrics scrapes /metrics and /healthz from a running `jobwatch watch --metrics-addr`
// (the built binary) against `jobwatch simulate`: the polls and jobs in flight are there by vendor and
// outcome or state, and no job id, user or credential is.
func TestWatchServesMetrics(t *testing.T) {
	dir := t.TempDir()
	printed, environ := startSimulate(t, dir, "--jobs", "1", "--job-duration", "3s")
	vars := parseEnvLines(printed)
	m := regexp.MustCompile(`jobwatch wait --vendor huawei --job (\S+)`).FindStringSubmatch(printed)
	if m == nil {
		t.Fatalf("simulate names no Huawei sample job:\n%s", printed)
	}
	id := m[1]

	watch := exec.Command(os.Getenv(binEnv), "watch", "--vendor", "huawei", "--metrics-addr", "127.0.0.1:0",
		"--min-delay", "100ms", "--max-delay", "200ms")
	watch.Dir, watch.Env, watch.Stdin = dir, environ, strings.NewReader(id+"\n")
	stderr, err := watch.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := watch.Start(); err != nil {
		t.Fatal(err)
	}
	defer watch.Wait()
	lines := bufio.NewScanner(stderr)
	var url string
	for lines.Scan() {
		// The server says where it listens; the first progress line follows the first poll, whose
		// events are counted before the line is printed.
		if m := regexp.MustCompile(`serving metrics on (http://\S+)/metrics`).FindStringSubmatch(lines.Text()); m != nil {
			url = m[1]
		} else if url != "" && strings.Contains(lines.Text(), "huawei job "+id+":") {
			break
		}
	}
	if url == "" {
		t.Fatal("watch never said where it serves metrics")
	}
	get := func(path string) string {
		resp, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %s", path, resp.Status)
		}
		return string(b)
	}
	metrics, health := get("/metrics"), get("/healthz")
	go io.Copy(io.Discard, stderr)
	if health != "ok\n" {
		t.Errorf("/healthz = %q", health)
	}
	for _, want := range []string{
		`(?m)^# TYPE jobwatch_polls_total counter$`,
		`(?m)^jobwatch_polls_total\{jobwatch_outcome="running",jobwatch_vendor="huawei"\} 1$`,
		`(?m)^# TYPE jobwatch_jobs_in_flight gauge$`,
		`(?m)^jobwatch_jobs_in_flight\{jobwatch_state="(pending|running)",jobwatch_vendor="huawei"\} 1$`,
		`(?m)^# TYPE jobwatch_limiter_wait_seconds histogram$`,
		`(?m)^jobwatch_limiter_wait_seconds_bucket\{jobwatch_vendor="huawei",le="0.01"\} 1\n(.*\n){3}` +
			`jobwatch_limiter_wait_seconds_bucket\{jobwatch_vendor="huawei",le="\+Inf"\} 1\n` +
			`jobwatch_limiter_wait_seconds_sum\{jobwatch_vendor="huawei"\} \S+\njobwatch_limiter_wait_seconds_count\{jobwatch_vendor="huawei"\} 1$`,
	} {
		if !regexp.MustCompile(want).MatchString(metrics) {
			t.Errorf("/metrics lacks %s:\n%s", want, metrics)
		}
	}
	if strings.Contains(metrics, id) {
		t.Errorf("/metrics names the job:\n%s", metrics)
	}
	for k, v := range vars {
		if len(v) >= 8 && strings.Contains(metrics, v) {
			t.Errorf("/metrics holds the value of %s:\n%s", k, metrics)
		}
	}
}

// TestMetricsAddrErrors: a --metrics-addr of watch or run that is no HOST:PORT, or that cannot be
// listened on, is a usage error naming the flag, before any request; both commands' help lists it.
func TestMetricsAddrErrors(t *testing.T) {
	t.Parallel()
	_, e := simEnv(t, simulator.Options{})
	users := writeUsers(t, 3)
	for _, cmd := range [][]string{
		{"watch", "--vendor", "huawei"},
		{"run", "--vendor", "webex", "--location", "loc-1", "--users", users, "--report", t.TempDir()},
	} {
		for _, c := range []struct{ addr, want string }{
			{"9464", `--metrics-addr "9464": want HOST:PORT`},
			{"256.0.0.1:0", "--metrics-addr: listen tcp"},
		} {
			e.stdin = strings.NewReader("job-1\n")
			code, _, stderr := runCLI(t.Context(), e, append(cmd, "--metrics-addr", c.addr)...)
			if code != exitUsage || !strings.Contains(stderr, c.want) {
				t.Errorf("%s --metrics-addr %s: exit %d, stderr %q; want 2 and %q", cmd[0], c.addr, code, stderr, c.want)
			}
		}
		if _, stdout, _ := runCLI(t.Context(), e, "help", cmd[0]); !strings.Contains(stdout, "--metrics-addr HOST:PORT") {
			t.Errorf("help %s does not list --metrics-addr:\n%s", cmd[0], stdout)
		}
	}
}

// TestRunServesMetrics scrapes /metrics from a running `jobwatch run --metrics-addr` (the built
// binary) between its rounds: the first round's chunks are counted by vendor and end state, its end
// as a round, and no user, job id or credential appears.
func TestRunServesMetrics(t *testing.T) {
	skipShort(t)
	srv := simulator.NewTest(t, simulator.Options{JobDuration: 20 * time.Millisecond, Bulk: simulator.BulkOptions{TransientRate: 0.2}})
	const n = 250
	var in strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&in, "{\"action\":\"CREATE\",\"userAccount\":\"user%06d\",\"userName\":\"User %d\",\"email\":\"user%06d@example.com\"}\n", i, i, i)
	}
	users := filepath.Join(t.TempDir(), "users.ndjson")
	if err := os.WriteFile(users, []byte(in.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	// The round of retries waits an hour: the scrape falls in that pause, and an interrupt ends it.
	cmd := exec.Command(os.Getenv(binEnv), "run", "--vendor", "huawei", "--users", users,
		"--report", t.TempDir(), "--poll-interval", "10ms", "--round-backoff", "1h", "--metrics-addr", "127.0.0.1:0")
	vars := parseEnvLines(envLines(srv.Simulator, srv.URL))
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGINT)
		cmd.Wait()
	}()
	lines := bufio.NewScanner(stderr)
	var url string
	endOfRound := regexp.MustCompile(fmt.Sprintf(`round 1/\d+: %d/%d users done, 0/`, n, n))
	for lines.Scan() {
		// The round's end is counted before its last progress line is printed.
		if m := regexp.MustCompile(`serving metrics on (http://\S+)/metrics`).FindStringSubmatch(lines.Text()); m != nil {
			url = m[1]
		} else if url != "" && endOfRound.MatchString(lines.Text()) {
			break
		}
	}
	if url == "" {
		t.Fatal("run never said where it serves metrics")
	}
	go io.Copy(io.Discard, stderr)
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	metrics := string(body)
	// 250 users at 100 a job are 3 chunks, whatever end state each job has (some of their users fail
	// once).
	chunks := 0
	for _, m := range regexp.MustCompile(`(?m)^jobwatch_bulk_chunks_total\{jobwatch_state="([a-z_]+)",jobwatch_vendor="huawei"\} (\d+)$`).FindAllStringSubmatch(metrics, -1) {
		c, _ := strconv.Atoi(m[2])
		chunks += c
	}
	if chunks != 3 {
		t.Errorf("%d chunks counted, want 3:\n%s", chunks, metrics)
	}
	for _, want := range []string{
		`(?m)^# TYPE jobwatch_bulk_chunks_total counter$`,
		`(?m)^# TYPE jobwatch_bulk_rounds_total counter$`,
		`(?m)^jobwatch_bulk_rounds_total\{jobwatch_vendor="huawei"\} 1$`,
		// each chunk's job polled until a poll saw it done, with that poll's observation lag
		`(?m)^jobwatch_polls_total\{jobwatch_outcome="done",jobwatch_vendor="huawei"\} 3$`,
		`(?m)^jobwatch_observation_lag_seconds_count\{jobwatch_lag_source="[a-z_]+",jobwatch_vendor="huawei"\} 3$`,
	} {
		if !regexp.MustCompile(want).MatchString(metrics) {
			t.Errorf("/metrics lacks %s:\n%s", want, metrics)
		}
	}
	if strings.Contains(metrics, "user0") {
		t.Errorf("/metrics names a user:\n%s", metrics)
	}
	for k, v := range vars {
		if len(v) >= 8 && strings.Contains(metrics, v) {
			t.Errorf("/metrics holds the value of %s:\n%s", k, metrics)
		}
	}
}
