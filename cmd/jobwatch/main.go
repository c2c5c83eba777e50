// Command jobwatch finds out when bulk user jobs are done and which users failed, on Oracle Primavera
// Cloud, Huawei Cloud customer engagement, Cisco Webex and Tencent Cloud CIAM.
//
//	jobwatch status   --vendor V --job ID                 print a job once
//	jobwatch wait     --vendor V --job ID [--timeout D]   poll until the job is done
//	jobwatch watch    --vendor V [--jobs-file F]          wait for many jobs (ids one a line, or stdin)
//	jobwatch simulate [--addr 127.0.0.1:0]               serve the vendor simulator
//	jobwatch demo                                         run jobs on all four vendors against the simulator
//	jobwatch contract --vendor V --har FILE | --live --job ID   check traffic against the specs
//
// Exit codes: 0 the command worked (wait and watch: every job succeeded); 1 an API, auth or transport
// error; 2 a usage error; 3 a job ended partially_succeeded; 4 a job failed or was canceled; 5 timeout;
// 6 a contract violation.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
)

// Exit codes, a contract with users' scripts.
const (
	exitOK        = 0
	exitAPI       = 1
	exitUsage     = 2
	exitPartial   = 3
	exitFailed    = 4
	exitTimeout   = 5
	exitViolation = 6
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, terminal: isTerminal(os.Stdout)})
	stop()
	os.Exit(code)
}

// env is what a command reads and writes besides its flags, so that tests can run it in-process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// terminal says stdout is a terminal: progress is drawn as live bars, else as timestamped lines.
	terminal bool
	// transport, when set, carries every vendor request (tests: the simulator in memory).
	transport http.RoundTripper
	// inMemory makes demo serve its simulator without a socket (tests in synctest bubbles).
	inMemory bool
}

// usageError is a mistake in the command line; it exits 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

const usage = `jobwatch: wait for bulk user jobs and list the users that failed

usage:
  jobwatch status   --vendor V --job ID [flags]
  jobwatch wait     --vendor V --job ID [--timeout D] [--min-delay D] [--max-delay D] [flags]
  jobwatch watch    --vendor V [--jobs-file F] [flags]        (ids one a line, or on stdin)
  jobwatch simulate [--addr 127.0.0.1:0]
  jobwatch demo     [--output table|json]
  jobwatch contract --vendor V --har FILE [--output table|json]
  jobwatch contract --vendor V --live --job ID [flags]

vendors: oracle, huawei, webex, tencent
run "jobwatch <command> -h" for a command's flags.
exit codes: 0 ok, 1 API/auth/transport error, 2 usage, 3 partially succeeded, 4 failed or canceled,
5 timeout, 6 contract violation
`

func run(ctx context.Context, args []string, e env) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usage)
		return exitUsage
	}
	cmds := map[string]func(context.Context, []string, env) (int, error){
		"status": cmdStatus, "wait": cmdWait, "watch": cmdWatch, "simulate": cmdSimulate, "demo": cmdDemo, "contract": cmdContract,
	}
	name := args[0]
	if name == "-h" || name == "--help" || name == "help" {
		fmt.Fprint(e.stdout, usage)
		return exitOK
	}
	cmd, ok := cmds[name]
	if !ok {
		fmt.Fprintf(e.stderr, "jobwatch: unknown command %q\n\n%s", name, usage)
		return exitUsage
	}
	code, err := cmd(ctx, args[1:], e)
	if err != nil {
		var ue *usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(e.stderr, "jobwatch %s: %v\n", name, ue.msg)
			return exitUsage
		}
		fmt.Fprintf(e.stderr, "jobwatch %s: %s\n", name, strings.TrimSpace(err.Error()))
	}
	return code
}

// isTerminal reports whether f is a character device (a terminal), without a dependency.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
