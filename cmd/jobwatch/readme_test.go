package main

import (
	"bufio"
	"errors"
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

// TestReadmeQuickstart follows the README's quickstart word for word in a fresh clone of this repository:
// every command of its shell blocks runs as written, through a shell on a pseudo-terminal, in order, with
// the export lines `simulate` printed; the one placeholder, the jobs file's directory, takes the name
// simulate printed. The commands simulate printed run as printed too, both from the first `go run`, which
// builds, and from a second that starts the binary go run cached; the Go program runs under the same
// exports. It ends with the bulk run's report and the Temporal demo.
func TestReadmeQuickstart(t *testing.T) {
	skipShort(t)
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, ".git")); err != nil {
		t.Skip("not a git checkout: the quickstart starts from a clone")
	}
	clone := filepath.Join(t.TempDir(), "jobwatch")
	if out, err := exec.Command("git", "clone", "-q", root, clone).CombinedOutput(); err != nil {
		t.Fatalf("git clone: %v\n%s", err, out)
	}
	readme, err := os.ReadFile(filepath.Join(clone, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	section := string(readme)
	i := strings.Index(section, "## Quickstart")
	if i < 0 {
		t.Fatal("README has no quickstart")
	}
	section = section[i:]
	if j := strings.Index(section[1:], "\n## "); j >= 0 {
		section = section[:j+1]
	}
	var commands []string
	for _, block := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(section, -1) {
		for _, line := range strings.Split(block[1], "\n") {
			if k := strings.Index(line, " # "); k >= 0 {
				line = line[:k]
			}
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				commands = append(commands, line)
			}
		}
	}
	program := regexp.MustCompile("(?s)```go\n(.*?)```").FindStringSubmatch(section)
	if len(commands) < 7 || !strings.Contains(commands[0], " simulate ") || program == nil {
		t.Fatalf("the quickstart's commands are not simulate, then the others, with a Go program: %q", commands)
	}

	// The user's environment, without any vendor setting of the machine's own.
	var base []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "JOBWATCH_") && !strings.HasPrefix(kv, "WEBEX_") && !strings.HasPrefix(kv, "TENCENTCLOUD_") {
			base = append(base, kv)
		}
	}
	shell := func(environ []string, line string) *term {
		cmd := exec.Command("sh", "-c", line)
		cmd.Dir, cmd.Env = clone, append(append([]string{}, environ...), "TERM=xterm")
		return startCmdTerm(t, cmd)
	}

	// simulate serves until Ctrl-C, after printing export lines and a command per vendor for `go run` to run:
	// never the path of the binary go run built.
	simulate := func(line, command string) (*term, string, []string, []string) {
		tm := shell(base, line)
		tm.waitFor(`# serving`, 5*time.Minute)
		printed := strings.ReplaceAll(tm.screen.String(), "\r\n", "\n")
		environ := append([]string{}, base...)
		for k, v := range parseEnvLines(printed) {
			environ = append(environ, k+"="+v)
		}
		lines := regexp.MustCompile(`(?m)^go run \./cmd/jobwatch `+command+` .*$`).FindAllString(printed, -1)
		if len(lines) != len(simulator.Vendors()) {
			t.Errorf("%s printed %d `go run ./cmd/jobwatch %s` lines, want one per vendor:\n%s", line, len(lines), command, printed)
		}
		return tm, printed, environ, lines
	}

	// Terminal 1: simulate, left serving. Its first run compiles jobwatch in the clone, and go run starts
	// the binary from its temporary build directory.
	sim, printed, environ, simLines := simulate(commands[0], "watch")
	dir := regexp.MustCompile(`(?m)^# job id files in (\S+)$`).FindStringSubmatch(printed)
	if dir == nil {
		t.Fatalf("simulate names no directory for its job files:\n%s", printed)
	}
	defer os.RemoveAll(dir[1])

	// Terminal 2: the README's commands, in order, then simulate's own, as printed.
	want := []struct {
		prefix string
		code   int
		shows  string
	}{
		{"go run ./cmd/jobwatch status ", exitOK, "1659446191820726274"},
		{"go run ./cmd/jobwatch wait ", exitOK, `"state":"succeeded"`},
		{"go run ./cmd/jobwatch watch ", exitPartial, "1659446191820726278"}, // a Huawei job whose users all failed
		{"go run ./cmd/jobwatch run ", exitPartial, ""},
		{"go run ./cmd/jobwatch contract ", exitOK, "ok"},
		{"make temporal-demo", exitOK, "succeeded"},
	}
	placeholder := regexp.MustCompile(`/tmp/jobwatch-simulate-[0-9]+`)
	for n, line := range commands[1:] {
		line = placeholder.ReplaceAllLiteralString(line, dir[1])
		var w *struct {
			prefix string
			code   int
			shows  string
		}
		for k := range want {
			if strings.HasPrefix(line, want[k].prefix) {
				w = &want[k]
			}
		}
		if w == nil {
			t.Fatalf("quickstart command %d is not one this test knows what to expect of: %q", n+2, line)
		}
		within := 5 * time.Minute
		if strings.HasPrefix(line, "make temporal-demo") {
			within = 40 * time.Minute // builds the embedded Temporal server when it is not cached yet
		}
		tm := shell(environ, line)
		code := goRunExit(tm.exit(within), tm.screen.String(), line)
		if screen := tm.screen.String(); code != w.code || !strings.Contains(screen, w.shows) {
			t.Errorf("%s: exit %d, want %d, showing %q:\n%s", line, code, w.code, w.shows, tail(screen, 3000))
		}
	}
	report, err := os.ReadFile(filepath.Join(clone, "report", "report.jsonl"))
	if err != nil || strings.Count(string(report), "\n") != 5 || !strings.Contains(string(report), `"outcome":"invalid"`) {
		t.Errorf("the run's report: %v\n%s", err, report)
	}
	if _, err := os.Stat(filepath.Join(clone, "contract.xml")); err != nil {
		t.Errorf("the contract check's JUnit report: %v", err)
	}
	runPrinted := func(environ, lines []string) {
		for _, line := range lines {
			tm := shell(environ, line)
			if code := goRunExit(tm.exit(5*time.Minute), tm.screen.String(), line); code != exitOK && code != exitPartial && code != exitFailed {
				t.Errorf("%s, as simulate printed it: exit %d", line, code)
			}
		}
	}
	runPrinted(environ, simLines)
	// A second simulate: since Go 1.24 go run starts the binary it cached in the build cache, a path that
	// means as little to the user as the first build's.
	warm, _, warmEnviron, warmLines := simulate("go run ./cmd/jobwatch simulate", "wait")
	runPrinted(warmEnviron, warmLines)
	warm.ctrlC()
	warm.exit(time.Minute)

	// The Go program, as a module of its own that uses the clone.
	mod := t.TempDir()
	goSum, _ := os.ReadFile(filepath.Join(clone, "go.sum"))
	goMod, _ := os.ReadFile(filepath.Join(clone, "go.mod"))
	goVersion := regexp.MustCompile(`(?m)^go .*$`).FindString(string(goMod))
	os.WriteFile(filepath.Join(mod, "go.mod"), []byte("module firsthour\n\n"+goVersion+"\n\nrequire github.com/jobwatch/jobwatch v0.0.0\n\nreplace github.com/jobwatch/jobwatch => "+clone+"\n"), 0o600)
	os.WriteFile(filepath.Join(mod, "go.sum"), goSum, 0o600)
	os.WriteFile(filepath.Join(mod, "main.go"), []byte(program[1]), 0o600)
	run := exec.Command("go", "run", ".")
	run.Dir = mod
	run.Env = append(environ, "GOFLAGS=-mod=mod", "GOPROXY=off", "GOSUMDB=off", "GOWORK=off")
	done := make(chan struct{})
	var b []byte
	go func() {
		b, err = run.CombinedOutput()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(3 * time.Minute):
		run.Process.Kill()
		<-done
	}
	if err != nil || !strings.HasPrefix(string(b), "succeeded") {
		t.Errorf("README's Go program: %v\n%s", err, b)
	}
	sim.ctrlC()
	sim.exit(time.Minute) // go run itself ends on the signal, so its code says nothing of jobwatch's
	if _, err := os.Stat(dir[1]); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("simulate's job files directory after it ended: %v, want it removed", err)
	}
}

// goRunExit is the exit code of the jobwatch that a shell line ran: `go run` exits 1 whenever the
// program it ran did not exit 0, after printing "exit status N", so N is read from the screen.
func goRunExit(code int, screen, line string) int {
	if !strings.HasPrefix(line, "go run ") || code != 1 {
		return code
	}
	if m := regexp.MustCompile(`exit status (\d+)`).FindStringSubmatch(screen); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return code
}

// startSimulate runs the built `jobwatch simulate` with args in dir until the test ends, and returns
// what it printed before serving (its export lines and sample jobs) and an environment of those
// exports, PATH and HOME.
func startSimulate(t *testing.T, dir string, args ...string) (string, []string) {
	t.Helper()
	skipShort(t)
	sim := exec.Command(os.Getenv(binEnv), append([]string{"simulate"}, args...)...)
	sim.Dir = dir
	out, err := sim.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sim.Process.Signal(syscall.SIGINT)
		sim.Wait()
	})
	var printed strings.Builder
	sc := bufio.NewScanner(out)
	for sc.Scan() && !strings.HasPrefix(sc.Text(), "# serving") {
		printed.WriteString(sc.Text() + "\n")
	}
	environ := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range parseEnvLines(printed.String()) {
		environ = append(environ, k+"="+v)
	}
	return printed.String(), environ
}
