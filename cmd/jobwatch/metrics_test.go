package main

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

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

// TestMetricsAddrErrors: a --metrics-addr that is no HOST:PORT, or that cannot be listened on, is a
// usage error naming the flag, before any poll.
func TestMetricsAddrErrors(t *testing.T) {
	_, e := simEnv(t, simulator.Options{})
	for _, c := range []struct{ addr, want string }{
		{"9464", `--metrics-addr "9464": want HOST:PORT`},
		{"256.0.0.1:0", "--metrics-addr: listen tcp"},
	} {
		e.stdin = strings.NewReader("job-1\n")
		code, _, stderr := runCLI(t.Context(), e, "watch", "--vendor", "huawei", "--metrics-addr", c.addr)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("--metrics-addr %s: exit %d, stderr %q; want 2 and %q", c.addr, code, stderr, c.want)
		}
	}
}
