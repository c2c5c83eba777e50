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
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/huawei"
	"github.com/jobwatch/jobwatch/sdk/oracle"
	"github.com/jobwatch/jobwatch/sdk/tencent"
	"github.com/jobwatch/jobwatch/sdk/webex"
	"github.com/jobwatch/jobwatch/simulator"
	"github.com/jobwatch/jobwatch/temporal/internal/devenv"
	"github.com/jobwatch/jobwatch/temporal/waitflow"
)

// workerEnv, when set in the environment, makes the test binary a worker process: its value is the
// workerConfig as JSON.
const workerEnv = "JOBWATCH_REALSERVER_WORKER"

// server is the dev server every test of the package shares (each test on task queues of its own).
var server *devenv.Server

func TestMain(m *testing.M) {
	if cfg := os.Getenv(workerEnv); cfg != "" {
		if err := workerMain(cfg); err != nil {
			fmt.Fprintln(os.Stderr, "worker:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
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
	code := m.Run()
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

// workerConfig is what a worker process runs.
type workerConfig struct {
	Address   string `json:"address"`
	Namespace string `json:"namespace"`
	Queue     string `json:"queue"`
	// Simulator is the simulator's root URL; the worker holds clients of all four vendors against it.
	Simulator string `json:"simulator"`
	// TencentLimit, when positive, paces the Tencent client with the account's FleetBudget.
	TencentLimit int `json:"tencent_limit,omitempty"`
}

// simRegion and simStore are the Tencent settings every client here uses.
const (
	simRegion = "ap-guangzhou"
	simStore  = "sim-store"
)

// vendorClients are clients of the four vendors against the simulator at root, with the simulator's
// default credentials, each built as a worker's are: one attempt per call.
func vendorClients(root string, opts ...sdk.Option) ([]sdk.Poller, error) {
	c := simulator.DefaultCredentials()
	o := func(vendor string) []sdk.Option {
		return append([]sdk.Option{sdk.WithBaseURL(simulator.BaseURL(vendor, root)), sdk.WithGetenv(func(string) string { return "" })}, opts...)
	}
	oc, err := oracle.New(oracle.Config{Username: c.OracleUsername, Password: c.OraclePassword}, o(simulator.Oracle)...)
	if err != nil {
		return nil, err
	}
	hc, err := huawei.New(huawei.Config{AppKey: c.HuaweiAppKey, AppSecret: c.HuaweiAppSecret}, o(simulator.Huawei)...)
	if err != nil {
		return nil, err
	}
	wc, err := webex.New(webex.Config{Token: c.WebexToken}, o(simulator.Webex)...)
	if err != nil {
		return nil, err
	}
	tc, err := tencent.New(tencent.Config{SecretID: c.TencentSecretID, SecretKey: c.TencentSecretKey, Region: simRegion, UserStoreID: simStore}, o(simulator.Tencent)...)
	if err != nil {
		return nil, err
	}
	return []sdk.Poller{oc, hc, wc, tc}, nil
}

// workerMain is a worker process: it runs the workflows and activities of cfg.Queue until its stdin
// closes or it is told to stop.
func workerMain(raw string) error {
	var cfg workerConfig
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		return err
	}
	clients, err := vendorClients(cfg.Simulator, waitflow.BudgetedClientOptions()...)
	if err != nil {
		return err
	}
	c, err := client.Dial(client.Options{HostPort: cfg.Address, Namespace: cfg.Namespace, Logger: quietLogger(os.Stderr)})
	if err != nil {
		return err
	}
	defer c.Close()
	wopts, err := waitflow.WorkerOptions(float64(max(cfg.TencentLimit, waitflow.TencentLimit)))
	if err != nil {
		return err
	}
	w := worker.New(c, cfg.Queue, wopts)
	waitflow.RegisterWorkflows(w)
	a, err := waitflow.NewActivities(clients...)
	if err != nil {
		return err
	}
	if cfg.TencentLimit > 0 {
		b, err := waitflow.NewFleetBudget(c, cfg.Queue, cfg.TencentLimit)
		if err != nil {
			return err
		}
		defer b.Close()
		if err := a.UseBudget(tencent.Vendor, b); err != nil {
			return err
		}
	}
	a.Register(w)
	if err := w.Start(); err != nil {
		return err
	}
	defer w.Stop()
	fmt.Println("ready")
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
	eof := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(eof)
	}()
	select {
	case <-stop:
	case <-eof:
	}
	return nil
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
func startWorker(t *testing.T, cfg workerConfig) *workerProc {
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
	p.cmd = exec.Command(os.Args[0], "-test.run=^$")
	p.cmd.Env = append(os.Environ(), workerEnv+"="+string(raw))
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
