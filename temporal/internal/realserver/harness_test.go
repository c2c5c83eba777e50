package realserver

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/jobwatch/jobwatch/temporal/internal/devenv"
	"github.com/jobwatch/jobwatch/temporal/internal/testworker"
)

// server is the dev server every test of the package shares (each test on task queues of its own).
var server *devenv.Server

// workerBin is the worker processes' binary (package testworker), built without the race detector.
var workerBin string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	b, err := devenv.Binary(ctx, os.Stderr)
	if err != nil {
		cancel()
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("dev server binary %s: built %v, took %v\n", b.Path, b.Built, b.Took.Round(time.Millisecond))
	began := time.Now()
	server, err = devenv.Start(ctx, b.Path, os.Stderr)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("dev server at %s, namespace %s, started in %v\n", server.Address, server.Namespace, time.Since(began).Round(time.Millisecond))
	code := 1
	dir, err := os.MkdirTemp("", "jobwatch-realserver-")
	if err == nil {
		workerBin = filepath.Join(dir, "testworker")
		began = time.Now()
		build := exec.Command("go", "build", "-o", workerBin, "github.com/jobwatch/jobwatch/temporal/internal/testworker/cmd")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err = build.Run(); err == nil {
			fmt.Printf("worker binary built in %v\n", time.Since(began).Round(time.Millisecond))
			code = m.Run()
		}
		os.RemoveAll(dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "the worker binary:", err)
	}
	server.Stop()
	os.Exit(code)
}

// needServer skips a test under -short, where no server is started.
func needServer(t *testing.T) {
	t.Helper()
	if server == nil {
		t.Skip("no Temporal dev server under -short")
	}
}

// quietLogger keeps the SDK's warnings and errors, not its info lines.
func quietLogger(w io.Writer) tlog.Logger {
	return tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn})))
}

// dial returns a client of the shared server, closed when t ends.
func dial(t *testing.T) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: server.Address, Namespace: server.Namespace, Logger: quietLogger(os.Stderr)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// workerProc is a worker process started by a test.
type workerProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	log   string
	done  chan struct{}
}

// startWorker starts a worker process for cfg (address and namespace filled in) and waits until it
// polls. It is stopped when t ends, if the test has not killed it.
func startWorker(t *testing.T, cfg testworker.Config) *workerProc {
	t.Helper()
	cfg.Address, cfg.Namespace = server.Address, server.Namespace
	raw, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := &workerProc{log: filepath.Join(t.TempDir(), "worker.log"), done: make(chan struct{})}
	logf, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(workerBin, string(raw))
	p.cmd.Stderr = logf
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		ready <- line
		_, _ = io.Copy(io.Discard, out)
		_ = p.cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			b, _ := os.ReadFile(p.log)
			t.Logf("worker %d log:\n%s", p.cmd.Process.Pid, b)
		}
	})
	select {
	case line := <-ready:
		if strings.TrimSpace(line) != "ready" {
			p.stop()
			b, _ := os.ReadFile(p.log)
			t.Fatalf("worker did not start: %q\n%s", line, b)
		}
	case <-time.After(time.Minute):
		p.kill()
		t.Fatal("worker did not start within a minute")
	}
	return p
}

// kill kills the worker at once (SIGKILL): no graceful stop, activities in flight are lost.
func (p *workerProc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// stop stops the worker gracefully, killing it if it takes more than 30 s.
func (p *workerProc) stop() {
	p.stdin.Close()
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.kill()
	}
}
