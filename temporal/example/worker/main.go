// Command worker runs jobwatch's Temporal workflows and the activities of one Tencent account: the
// only process that holds the account's credentials. Run one or many; they share the account's
// request budget through its Budget workflow (waitflow.FleetBudget), so that Tencent never sees more
// than its limit in any second, however many workers there are.
//
//	go run ./example/worker -simulator http://127.0.0.1:8089
//
// It connects to a local server (temporal server start-dev, or make temporal-demo's) by default; see
// package connect for Temporal Cloud (mTLS or an API key).
//
// Credentials come from TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY, or, with -simulator and
// neither set, the simulator's built-in ones.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"go.temporal.io/sdk/worker"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/tencent"
	"github.com/jobwatch/jobwatch/simulator"
	"github.com/jobwatch/jobwatch/temporal/example/internal/connect"
	"github.com/jobwatch/jobwatch/temporal/waitflow"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}

func run() error {
	dial := connect.Flags(flag.CommandLine)
	account := flag.String("account", "sim", "name of the Tencent account: the task queue is jobwatch.tencent.<account>")
	limit := flag.Int("limit", waitflow.TencentLimit, "the account's documented requests per rolling second, shared by every worker")
	sim := flag.String("simulator", "", "root URL of a jobwatch simulator to use instead of Tencent")
	region := flag.String("region", "ap-guangzhou", "Tencent region")
	store := flag.String("user-store", "sim-store", "Tencent CIAM user store id")
	flag.Parse()

	cfg := tencent.Config{Region: *region, UserStoreID: *store}
	// One request per activity attempt: retries are activity retries, each paced by the fleet budget,
	// which is the client's only pacing.
	opts := waitflow.BudgetedClientOptions()
	if *sim != "" {
		opts.BaseURL = simulator.BaseURL(simulator.Tencent, *sim)
		if os.Getenv(tencent.EnvSecretID) == "" && os.Getenv(tencent.EnvSecretKey) == "" {
			c := simulator.DefaultCredentials()
			cfg.SecretID, cfg.SecretKey = c.TencentSecretID, sdk.Secret(c.TencentSecretKey)
		}
	}
	tc, err := tencent.New(cfg, opts)
	if err != nil {
		return err
	}

	c, copts, err := dial()
	if err != nil {
		return err
	}
	defer c.Close()
	wopts, err := waitflow.WorkerOptions(float64(*limit))
	if err != nil {
		return err
	}
	queue := waitflow.TaskQueue(tencent.Vendor, *account)
	w := worker.New(c, queue, wopts)
	waitflow.RegisterWorkflows(w)
	a, err := waitflow.NewActivities(tc)
	if err != nil {
		return err
	}
	budget, err := waitflow.NewFleetBudget(c, copts.Namespace, queue, *limit)
	if err != nil {
		return err
	}
	defer budget.Close()
	if err := a.UseBudget(tencent.Vendor, budget); err != nil {
		return err
	}
	a.Register(w)
	slog.New(slog.NewTextHandler(os.Stderr, nil)).Info("worker started", "task_queue", queue, "limit_per_second", *limit)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	stopped := make(chan any)
	go func() {
		<-ctx.Done()
		close(stopped)
	}()
	return w.Run(stopped)
}
