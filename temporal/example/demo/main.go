// Command demo runs the Temporal example end to end on a machine with only Go: it builds and starts
// the embedded Temporal dev server (temporal/devserver; the first build takes minutes, later runs use
// the cached binary), then the example worker and the example starter as processes of their own,
// exactly as they would run against a real cluster, and stops them all when the starter is done.
//
//	make temporal-demo      (or: cd temporal && go run ./example/demo)
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/jobwatch/jobwatch/temporal/internal/devenv"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return errors.New("cannot locate the examples' source")
	}
	examples := filepath.Dir(filepath.Dir(file))

	fmt.Println("== building the Temporal dev server (the first time takes a few minutes)")
	b, err := devenv.Binary(ctx, os.Stderr)
	if err != nil {
		return err
	}
	fmt.Printf("   %s (%s, %v)\n", b.Path, map[bool]string{true: "built", false: "cached"}[b.Built], b.Took.Round(time.Millisecond))
	bin, err := os.MkdirTemp("", "jobwatch-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(bin)
	fmt.Println("== building the example worker and starter")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin+string(filepath.Separator), "./worker", "./starter")
	build.Dir, build.Stdout, build.Stderr = examples, os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("building the examples: %w", err)
	}

	srv, err := devenv.Start(ctx, b.Path, os.Stderr)
	if err != nil {
		return err
	}
	defer srv.Stop()
	fmt.Printf("== Temporal dev server at %s, namespace %s\n", srv.Address, srv.Namespace)

	sim, err := freeLoopback()
	if err != nil {
		return err
	}
	conn := []string{"-address", srv.Address, "-namespace", srv.Namespace}
	worker := exec.Command(filepath.Join(bin, "worker"), append(conn, "-simulator", "http://"+sim)...)
	worker.Stdout, worker.Stderr = os.Stdout, os.Stderr
	if err := worker.Start(); err != nil {
		return fmt.Errorf("starting the worker: %w", err)
	}
	defer func() {
		_ = worker.Process.Signal(syscall.SIGTERM)
		_ = worker.Wait()
	}()
	fmt.Println("== worker started; starting the starter")
	starter := exec.CommandContext(ctx, filepath.Join(bin, "starter"), append(conn, "-listen", sim)...)
	starter.Stdout, starter.Stderr = os.Stdout, os.Stderr
	if err := starter.Run(); err != nil {
		return fmt.Errorf("the starter: %w", err)
	}
	fmt.Println("== done")
	return nil
}

// freeLoopback is a loopback address with a port free now, for the simulator the starter serves and
// the worker polls.
func freeLoopback() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
