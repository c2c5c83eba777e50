// Command jobwatch finds out when bulk user jobs are done and which users failed, on Oracle Primavera
// Cloud, Huawei Cloud customer engagement, Cisco Webex and Tencent Cloud CIAM.
//
//	jobwatch status   --vendor V --job ID                 print a job once
//	jobwatch wait     --vendor V --job ID [--timeout D]   poll until the job is done
//	jobwatch watch    --vendor V --jobs-file F            wait for many jobs (ids one a line, or piped on stdin)
//	jobwatch run      --vendor V --users FILE --report DIR  submit users in jobs, retry, report
//	jobwatch simulate [--addr 127.0.0.1:0] [--jobs N]     serve the vendor simulator
//	jobwatch demo                                         run jobs on all four vendors against the simulator
//	jobwatch contract --vendor V --har FILE | --live --job ID   check traffic against the specs
//	jobwatch help [COMMAND], jobwatch version
//
// Exit codes: 0 the command worked (wait and watch: every job succeeded); 1 an API, auth or transport
// error; 2 a usage error; 3 a job ended partially_succeeded; 4 a job failed or was canceled; 5 timeout;
// 6 a contract violation (or a recording holding credentials); 7 a contract run that checked nothing;
// 130 interrupted (Ctrl-C or SIGTERM).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/jobwatch/jobwatch/contract"
	"github.com/jobwatch/jobwatch/internal/version"
	"github.com/jobwatch/jobwatch/simulator"
	xterm "golang.org/x/term"
)

// Exit codes, a contract with users' scripts.
const (
	exitOK          = 0
	exitAPI         = 1
	exitUsage       = 2
	exitPartial     = 3
	exitFailed      = 4
	exitTimeout     = 5
	exitViolation   = 6
	exitInterrupted = 130 // 128 + SIGINT, as shells report a command ended by Ctrl-C
)

// errInterrupted is the cause of the command's context when the user interrupts it (SIGINT, SIGTERM).
var errInterrupted = errors.New("interrupted")

func main() {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		cancel(errInterrupted)
		// A second interrupt during cleanup means "now": nothing the cleanup could still print is worth
		// the wait.
		<-sigs
		fmt.Fprintln(os.Stderr, "interrupted")
		os.Exit(exitInterrupted)
	}()
	code := run(ctx, os.Args[1:], env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv,
		terminal: isTerminal(os.Stderr), stdoutTerminal: isTerminal(os.Stdout), stdinTerminal: isTerminal(os.Stdin),
		width: termWidth(os.Stdout),
		self:  selfCommand(), specs: simulator.SharedSpecs()})
	os.Exit(code)
}

// env is what a command reads and writes besides its flags, so that tests can run it in-process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// terminal says stderr is a terminal: progress is drawn there as live bars, else as timestamped lines.
	terminal bool
	// stdoutTerminal says stdout is a terminal: JSON lines wait until the bars are gone, so that the
	// bars' redrawing cannot overwrite them.
	stdoutTerminal bool
	// width is the columns of the terminal stdout is on, 0 when it is none: tables fit it.
	width int
	// stdinTerminal says stdin is a terminal: watch will not wait for ids typed by hand.
	stdinTerminal bool
	// transport, when set, carries every vendor request (tests: the simulator in memory).
	transport http.RoundTripper
	// inMemory makes demo serve its simulator without a socket (tests in synctest bubbles).
	inMemory bool
	// self is how the user runs this jobwatch from their shell (selfCommand), for the commands that
	// simulate prints; empty means "jobwatch".
	self string
	// specs, when set, loads a vendor's specs for the simulators and contract checks, once for all of
	// them (the demo runs two simulators; tests share one for all their runs); nil means
	// contract.LoadVendor at each use.
	specs func(vendor string) ([]*contract.Spec, error)
}

// usageError is a mistake in the command line; it exits 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

const usage = `jobwatch: wait for bulk user jobs and list the users that failed

usage:
  jobwatch status   --vendor V --job ID [flags]                 print a job once
  jobwatch wait     --vendor V --job ID [--timeout D] [flags]   poll one job until it is done
  jobwatch watch    --vendor V --jobs-file F [flags]            wait for many jobs (or ids piped on stdin)
  jobwatch run      --vendor V --users FILE --report DIR [flags]  submit users in jobs, retry, report
  jobwatch simulate [--addr 127.0.0.1:0] [--jobs N]             serve the vendor simulator
  jobwatch demo     [--output table|json]                       run sample jobs on all four vendors
  jobwatch contract --vendor V --har FILE | --live --job ID     check traffic against the specs
  jobwatch contract proxy --vendor V --upstream URL             a validating reverse proxy for any client
  jobwatch help [COMMAND]                                       this text, or a command's flags
  jobwatch version                                              the version (also --version)

vendors: oracle, huawei, webex, tencent
run "jobwatch help <command>" (or "jobwatch <command> --help") for a command's flags and credentials.
` + exitCodesHelp

const exitCodesHelp = `exit codes:
  0    the command worked (wait, watch: every job succeeded)
  1    an API, auth or transport error
  2    usage error (bad flag or job id, missing credential or setting)
  3    a job ended partially_succeeded
  4    a job ended failed or canceled
  5    timeout
  6    contract violation, or a recording that holds credentials (contract)
  7    contract checked no exchange (--allow-empty makes it 0)
  130  interrupted (Ctrl-C or SIGTERM)
`

// commandExitCodes lists, for each command's help, the exit codes that command can end with and what
// each means there: a script reading `jobwatch simulate --help` should not look for a job's outcome.
var commandExitCodes = map[string][]string{
	"status": {"0    the job is pending, running or succeeded", "1    an API, auth or transport error",
		"2    usage error (bad flag or job id, missing credential or setting)", "3    the job ended partially_succeeded",
		"4    the job ended failed or canceled", "5    timeout (--timeout)", "130  interrupted (Ctrl-C or SIGTERM)"},
	"wait": {"0    the job succeeded", "1    an API, auth or transport error",
		"2    usage error (bad flag or job id, missing credential or setting)", "3    the job ended partially_succeeded",
		"4    the job ended failed or canceled", "5    timeout (--timeout or the wait's own budget)",
		"130  interrupted (Ctrl-C or SIGTERM)"},
	"watch": {"0    every job succeeded", "1    an API, auth or transport error stopped a job's wait",
		"2    usage error (bad flag, job id or jobs file, missing credential or setting)",
		"3    the worst job ended partially_succeeded", "4    a job ended failed or canceled",
		"5    timeout (--timeout or a job's own wait budget)", "130  interrupted (Ctrl-C or SIGTERM)"},
	"simulate": {"0    served until interrupted (Ctrl-C, SIGTERM) or --timeout", "1    the server failed",
		"2    usage error (bad flag, an address that cannot be listened on, --dir not writable)"},
	"demo": {"0    every job ended as the demo intends (some users fail on purpose)", "1    an API or transport error",
		"2    usage error", "5    timeout (--timeout, default 2m)", "130  interrupted (Ctrl-C or SIGTERM)"},
	"run": {"0    every line succeeded", "3    some lines failed, were invalid, or are unknown", "4    no line succeeded",
		"5    timeout (--timeout)", "1    an API or transport error stopped the run", "2    usage error",
		"130  interrupted (Ctrl-C or SIGTERM): the journal is intact and the report so far written"},
	"contract": {"0    every exchange checked conforms to the spec (or is accepted by --accept)",
		"1    an API, auth or transport error, or a HAR file that cannot be read", "2    usage error",
		"6    contract violation, or a recording that holds credentials (secret_in_recording; --allow-secrets)",
		"7    no exchange was checked (--allow-empty makes it 0)", "130  interrupted (Ctrl-C or SIGTERM)"},
	"contract proxy": {"0    every exchange checked conforms to the spec (on SIGTERM, Ctrl-C or --max-exchanges)",
		"1    the proxy failed (--listen, --har-out)", "2    usage error", "6    contract violation",
		"7    no exchange was checked (--allow-empty makes it 0)"},
}

// exitCodesFor is the exit-code section of a command's help.
func exitCodesFor(name string) string {
	codes, ok := commandExitCodes[name]
	if !ok {
		return exitCodesHelp
	}
	return "exit codes:\n  " + strings.Join(codes, "\n  ") + "\n"
}

// command is one of jobwatch's commands: its implementation and its one-line summary.
type command struct {
	run     func(context.Context, []string, env) (int, error)
	summary string
}

// commands maps each command's name to it. It is a function, not a variable, so that the commands
// (whose help quotes their summary) may refer to it.
func commands() map[string]command {
	return map[string]command{
		"status":   {cmdStatus, "Print a job's state, counts and failed users once."},
		"wait":     {cmdWait, "Poll one job until it is done, then print it with its failed users."},
		"watch":    {cmdWatch, "Wait for many jobs of one vendor, ids one a line from --jobs-file or piped on stdin."},
		"simulate": {cmdSimulate, "Serve the fake vendors on loopback, print the export lines that point jobwatch at them, and create sample jobs."},
		"run":      {cmdRun, "Take a list of users to done at one vendor: pre-flight, jobs under its limits, retries of what a retry can fix, a report."},
		"demo":     {cmdDemo, "Run bulk user jobs on all four vendors against a built-in simulator, with live progress."},
		"contract": {cmdContract, "Check vendor traffic against the specs: HAR recordings, live read-only status calls, or (contract proxy) any client through a validating proxy."},
	}
}

func run(ctx context.Context, args []string, e env) int {
	// Every byte written to stdout and stderr passes through the escaping of termsafe.go.
	stdout, stderr := newSafeWriter(e.stdout), newSafeWriter(e.stderr)
	defer stdout.flush()
	defer stderr.flush()
	e.stdout, e.stderr = stdout, stderr
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usage)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		fmt.Fprint(e.stdout, usage)
		return exitOK
	case "help":
		if len(args) == 1 {
			fmt.Fprint(e.stdout, usage)
			return exitOK
		}
		if _, ok := commands()[args[1]]; !ok {
			fmt.Fprintf(e.stderr, "jobwatch help: unknown command %q\n\n%s", args[1], usage)
			return exitUsage
		}
		return run(ctx, []string{args[1], "--help"}, e)
	case "version", "-version", "--version":
		fmt.Fprintln(e.stdout, versionLine())
		return exitOK
	}
	cmd, ok := commands()[name]
	if !ok {
		fmt.Fprintf(e.stderr, "jobwatch: unknown command %q\n\n%s", name, usage)
		return exitUsage
	}
	code, err := cmd.run(ctx, args[1:], e)
	if name == "contract" && len(args) > 1 && args[1] == "proxy" {
		name = "contract proxy" // a command of its own: its errors point to its own help
	}
	stoppedBySignal := name == "simulate" || name == "contract proxy"
	if !stoppedBySignal && errors.Is(context.Cause(ctx), errInterrupted) {
		// Interrupting simulate, or the contract proxy (which then exits with its verdict), is how it
		// is stopped; elsewhere the results are partial.
		fmt.Fprintln(e.stderr, "interrupted")
		return exitInterrupted
	}
	if err != nil {
		var ue *usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(e.stderr, "jobwatch %s: %v (see jobwatch %s --help)\n", name, ue.msg, name)
			return exitUsage
		}
		fmt.Fprintf(e.stderr, "jobwatch %s: %s\n", name, strings.TrimSpace(err.Error()))
	}
	return code
}

// versionLine is jobwatch's version, and the module's version and Go version from the build info when
// the binary carries it (go install ...@v1.2.3 records v1.2.3; a local build records "(devel)").
func versionLine() string {
	s := "jobwatch " + version.Version
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			s += fmt.Sprintf(" (module %s %s, %s)", bi.Main.Path, bi.Main.Version, bi.GoVersion)
		} else {
			s += fmt.Sprintf(" (%s)", bi.GoVersion)
		}
	}
	return s
}

// termWidth is the columns of the terminal f is on, 0 when it is not one.
func termWidth(f *os.File) int {
	w, _, err := xterm.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return w
}

// isTerminal reports whether f is a terminal: a character device alone is not one (/dev/null is too).
func isTerminal(f *os.File) bool { return xterm.IsTerminal(int(f.Fd())) }
