// Package testworker is the worker process of the temporal module's real-server tests (its command is
// testworker/cmd): it runs the waitflow workflows and activities of one task queue with clients of the
// four vendors against a simulator. The tests build the command without the race detector, as
// production workers are built, so that a race-enabled test run measures the fleet budget rather than
// the detector's overhead; the same code runs under the detector in package waitflow's tests.
package testworker

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/jobwatch/jobwatch/internal/simclients"
	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/tencent"
	"github.com/jobwatch/jobwatch/simulator"
	"github.com/jobwatch/jobwatch/temporal/waitflow"
)

// Config is what a worker process runs, passed as JSON in its first argument.
type Config struct {
	Address   string `json:"address"`
	Namespace string `json:"namespace"`
	Queue     string `json:"queue"`
	// Simulator is the simulator's root URL; the worker holds clients of all four vendors against it.
	Simulator string `json:"simulator"`
	// TencentLimit, when positive, paces the Tencent client with the account's FleetBudget.
	TencentLimit int `json:"tencent_limit,omitempty"`
}

// Clients returns clients of the four vendors against the simulator at root, with the simulator's
// default credentials, and opts (nil: none) but for the base URL and the environment.
func Clients(root string, opts *sdk.ClientOptions) ([]sdk.Poller, error) {
	cs, err := simclients.New(root, simulator.DefaultCredentials(), simclients.Tencent{Region: "ap-guangzhou", UserStoreID: "sim-store"}, opts)
	if err != nil {
		return nil, err
	}
	return cs.Pollers(), nil
}

// Run is a worker process: it runs the workflows and activities of the Config in raw (JSON) until
// its stdin closes or it is told to stop, and prints "ready" on stdout once it polls.
func Run(raw string) error {
	var cfg Config
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		return err
	}
	clients, err := Clients(cfg.Simulator, waitflow.BudgetedClientOptions())
	if err != nil {
		return err
	}
	c, err := client.Dial(client.Options{HostPort: cfg.Address, Namespace: cfg.Namespace, Logger: tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))})
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
		b, err := waitflow.NewFleetBudget(c, cfg.Namespace, cfg.Queue, cfg.TencentLimit)
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
