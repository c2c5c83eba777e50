package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/jobwatch/jobwatch/sdk/huawei"
	"github.com/jobwatch/jobwatch/sdk/oracle"
	"github.com/jobwatch/jobwatch/sdk/tencent"
	"github.com/jobwatch/jobwatch/sdk/webex"
	"github.com/jobwatch/jobwatch/simulator"
)

// simRegion and simUserStore are what the simulator's environment lines name for Tencent; the
// simulator accepts any.
const (
	simRegion    = "ap-guangzhou"
	simUserStore = "sim-user-store"
)

// cmdSimulate serves the simulator until interrupted (or --timeout), after printing the environment
// lines that point jobwatch and the sdk at it, and a sample job per vendor.
func cmdSimulate(ctx context.Context, args []string, e env) (int, error) {
	o := newFlags("simulate", e).timeoutFlag()
	o.fs.StringVar(&o.addr, "addr", "127.0.0.1:0", "address to listen on")
	var jobDuration time.Duration
	o.durationVar(&jobDuration, "job-duration", simulator.DefaultJobDuration, "how long each simulated job runs (a `duration`)")
	var jobs int
	var jobsDir string
	o.fs.IntVar(&jobs, "jobs", 1, "sample jobs to create per vendor; with more than one, their ids are written to a file per vendor, ready for watch --jobs-file")
	o.fs.StringVar(&jobsDir, "dir", "", "the `directory` where --jobs writes <vendor>-jobs.txt, created if need be (default: a new temporary directory, named in the output and removed on exit)")
	if err := o.parse(args); err != nil {
		return done(err)
	}
	if jobDuration <= 0 {
		return exitUsage, usagef("--job-duration %s must be positive", jobDuration)
	}
	if jobs < 1 || jobs > maxSampleJobs {
		return exitUsage, usagef("--jobs %d: want 1 to %d", jobs, maxSampleJobs)
	}
	if jobs > 1 {
		if jobsDir == "" {
			// Never the working directory: a first try from a clone would leave files in the repository.
			// The directory goes when simulate does, as the jobs its files name die with it; a --dir is
			// the user's, and stays.
			d, err := os.MkdirTemp("", "jobwatch-simulate-")
			if err != nil {
				return exitAPI, err
			}
			defer os.RemoveAll(d)
			jobsDir = d
		} else if err := os.MkdirAll(jobsDir, 0o755); err != nil {
			return exitUsage, usagef("--dir: %v", err)
		}
		// Absolute, so that the printed commands run from any directory.
		abs, err := filepath.Abs(jobsDir)
		if err != nil {
			return exitUsage, usagef("--dir: %v", err)
		}
		jobsDir = abs
	}
	sim, err := simulator.New(simulator.Options{JobDuration: jobDuration, Specs: e.specs})
	if err != nil {
		return exitAPI, err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return exitUsage, usagef("--addr %s: %v", o.addr, err)
	}
	root := "http://" + ln.Addr().String()
	srv := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	self := e.self
	if self == "" {
		self = "jobwatch"
	}
	// Printed only once every file is written: a failure prints nothing but its error.
	var out strings.Builder
	out.WriteString(envLines(sim, root))
	fmt.Fprintf(&out, "# sample jobs (each starts when first asked about and runs about %s; users with \"fail\" in their id fail):\n", jobDuration)
	if jobs > 1 {
		fmt.Fprintf(&out, "# job id files in %s\n", jobsDir)
	}
	for _, v := range simulator.Vendors() {
		ids, err := sampleJobs(sim, v, jobs, jobDuration)
		if err != nil {
			srv.Close()
			return exitAPI, err
		}
		if jobs == 1 {
			fmt.Fprintf(&out, "%s wait --vendor %s --job %s\n", self, v, shellQuote(ids[0]))
			continue
		}
		file := filepath.Join(jobsDir, v+"-jobs.txt")
		text := fmt.Sprintf("# %d %s sample jobs of the jobwatch simulator at %s\n%s\n", jobs, v, root, strings.Join(ids, "\n"))
		if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
			srv.Close()
			return exitUsage, usagef("--dir: %v", err)
		}
		fmt.Fprintf(&out, "%s watch --vendor %s --jobs-file %s\n", self, v, shellQuote(file))
	}
	fmt.Fprint(e.stdout, out.String())
	fmt.Fprintln(e.stdout, "# serving; interrupt (Ctrl-C) to stop")

	ctx, cancel := o.context(ctx)
	defer cancel()
	select {
	case <-ctx.Done():
	case err := <-served:
		return exitAPI, err
	}
	shut, cancelShut := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelShut()
	if err := srv.Shutdown(shut); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return exitAPI, err
	}
	<-served
	return exitOK, nil
}

// maxSampleJobs bounds --jobs: enough for a watch with one total bar, small enough to stay quick.
const maxSampleJobs = 10000

// sampleJobs creates n sample jobs of vendor that start when first asked about: job i has 2 to 5 users,
// every third one a user who fails, every fifth only users who fail, and they end at different times.
func sampleJobs(sim *simulator.Simulator, vendor string, n int, d time.Duration) ([]string, error) {
	ids := make([]string, n)
	for i := range n {
		users := []simulator.JobUser{{ID: "ann", Action: sampleAction(vendor)}, {ID: "bob-fail", Action: sampleAction(vendor)}}
		if n > 1 {
			users = users[:0]
			for k := range 2 + i%4 {
				id := fmt.Sprintf("user-%d-%d", i+1, k+1)
				if i%5 == 4 || (i%3 == 1 && k == 0) {
					id += "-fail"
				}
				users = append(users, simulator.JobUser{ID: id, Action: sampleAction(vendor)})
			}
		}
		id, err := sim.CreateSampleJob(vendor, users, d+time.Duration(i)*d/time.Duration(2*n))
		if err != nil {
			return nil, err
		}
		ids[i] = id
	}
	return ids, nil
}

func sampleAction(vendor string) string {
	switch vendor {
	case simulator.Oracle:
		return "deleted"
	case simulator.Huawei:
		return "CREATE"
	case simulator.Webex:
		return "MOVE"
	}
	return "IMPORT_USER"
}

// envLines are shell lines that point the CLI and the sdk at a simulator served at root.
func envLines(sim *simulator.Simulator, root string) string {
	c := sim.Credentials()
	var b strings.Builder
	fmt.Fprintf(&b, "# jobwatch simulator at %s: paste these lines into your shell\n", root)
	line := func(name, value string) { fmt.Fprintf(&b, "export %s=%s\n", name, value) }
	base := func(v string) string { return fmt.Sprintf(envBaseURLFmt, strings.ToUpper(v)) }
	line(base(simulator.Oracle), simulator.BaseURL(simulator.Oracle, root))
	line(oracle.EnvUsername, c.OracleUsername)
	line(oracle.EnvPassword, c.OraclePassword)
	line(oracle.EnvToken, c.OracleToken)
	line(base(simulator.Huawei), simulator.BaseURL(simulator.Huawei, root))
	line(huawei.EnvAppKey, c.HuaweiAppKey)
	line(huawei.EnvAppSecret, c.HuaweiAppSecret)
	line(base(simulator.Webex), simulator.BaseURL(simulator.Webex, root))
	line(webex.EnvToken, c.WebexToken)
	line(base(simulator.Tencent), simulator.BaseURL(simulator.Tencent, root))
	line(tencent.EnvSecretID, c.TencentSecretID)
	line(tencent.EnvSecretKey, c.TencentSecretKey)
	line(tencent.EnvRegion, simRegion)
	line(tencent.EnvUserStore, simUserStore)
	return b.String()
}

// shellQuote quotes s for a POSIX shell when it holds anything but letters, digits and -_./:=@%+,
// so that a printed command runs as pasted.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@%+,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// selfCommand is how to run this jobwatch again from the shell that started it, for the commands
// simulate prints (see selfCommandFor).
func selfCommand() string {
	exe, err := os.Executable()
	if err != nil {
		return "jobwatch"
	}
	if p, err := filepath.EvalSymlinks(exe); err == nil {
		exe = p
	}
	onPath, err := exec.LookPath("jobwatch")
	if err == nil {
		onPath, err = filepath.EvalSymlinks(onPath)
	}
	if err != nil {
		onPath = ""
	}
	_, err = os.Stat(filepath.Join("cmd", "jobwatch", "main.go"))
	return selfCommandFor(exe, onPath, err == nil)
}

// selfCommandFor is selfCommand's choice for the binary at exe, given the jobwatch found on PATH (""
// for none; both with symlinks resolved) and whether the working directory is the module's root:
// "jobwatch" when that name on PATH is this very binary; for a binary that `go run` built (its path
// means nothing to the user), "go run ./cmd/jobwatch" in the module's root, as the README runs it, and
// the module's path at @latest elsewhere; else the binary's path.
func selfCommandFor(exe, onPath string, inModuleRoot bool) string {
	switch {
	case onPath != "" && onPath == exe:
		return "jobwatch"
	case goRunBuild(exe) && inModuleRoot:
		return "go run ./cmd/jobwatch"
	case goRunBuild(exe):
		return "go run github.com/jobwatch/jobwatch/cmd/jobwatch@latest"
	}
	return shellQuote(exe)
}

// goRunBuild says exe was built by `go run`: either in its work directory
// ($GOTMPDIR/go-buildNNN/b001/exe/NAME), where a build that was not cached runs from, or, since Go 1.24,
// in the build cache ($GOCACHE/XX/<sha256 hex starting XX>-d/NAME), where a later `go run` finds it.
// The cache is known by that shape rather than by its location: GOCACHE may be set by `go env -w` in a
// file, and asking `go env` at every start would cost more than most commands.
func goRunBuild(exe string) bool {
	dir := filepath.Dir(exe)
	if filepath.Base(dir) == "exe" && strings.HasPrefix(filepath.Base(filepath.Dir(filepath.Dir(dir))), "go-build") {
		return true
	}
	hash, ok := strings.CutSuffix(filepath.Base(dir), "-d")
	return ok && len(hash) == 64 && strings.Trim(hash, "0123456789abcdef") == "" &&
		filepath.Base(filepath.Dir(dir)) == hash[:2]
}
