// Command worker runs jobwatch's Temporal workflows and the activities of one Tencent account: the
// only process that holds the account's credentials. Run one or many; they share the account's
// request budget through the task queue's rate limit.
//
//	go run ./example/worker -simulator http://127.0.0.1:8089
//
// Credentials come from TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY, or, with -simulator and
// neither set, the simulator's built-in ones.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/tencent"
	"github.com/jobwatch/jobwatch/simulator"
	"github.com/jobwatch/jobwatch/temporal/waitflow"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}

func run() error {
	address := flag.String("address", client.DefaultHostPort, "Temporal frontend host:port")
	namespace := flag.String("namespace", client.DefaultNamespace, "Temporal namespace")
	account := flag.String("account", "sim", "name of the Tencent account: the task queue is jobwatch.tencent.<account>")
	perSecond := flag.Float64("rate", waitflow.DefaultTencentPerSecond, "the account's request budget per second, across every worker")
	sim := flag.String("simulator", "", "root URL of a jobwatch simulator to use instead of Tencent")
	region := flag.String("region", "ap-guangzhou", "Tencent region")
	store := flag.String("user-store", "sim-store", "Tencent CIAM user store id")
	flag.Parse()

	cfg := tencent.Config{Region: *region, UserStoreID: *store}
	opts := []sdk.Option{
		// one request per activity attempt: retries are activity retries, paced by the task queue
		sdk.WithRetry(waitflow.ClientRetry()),
		sdk.WithRateLimiter(waitflow.ClientLimiter(*perSecond)),
	}
	if *sim != "" {
		opts = append(opts, sdk.WithBaseURL(simulator.BaseURL(simulator.Tencent, *sim)))
		if os.Getenv(tencent.EnvSecretID) == "" && os.Getenv(tencent.EnvSecretKey) == "" {
			c := simulator.DefaultCredentials()
			cfg.SecretID, cfg.SecretKey = c.TencentSecretID, c.TencentSecretKey
		}
	}
	tc, err := tencent.New(cfg, opts...)
	if err != nil {
		return err
	}

	c, err := client.Dial(client.Options{HostPort: *address, Namespace: *namespace})
	if err != nil {
		return err
	}
	defer c.Close()
	wopts, err := waitflow.WorkerOptions(*perSecond)
	if err != nil {
		return err
	}
	queue := waitflow.TaskQueue(tencent.Vendor, *account)
	w := worker.New(c, queue, wopts)
	waitflow.RegisterWorkflows(w)
	if err := waitflow.Register(w, tc); err != nil {
		return err
	}
	log.Printf("worker on task queue %s at %v requests/s", queue, *perSecond)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	stopped := make(chan any)
	go func() {
		<-ctx.Done()
		close(stopped)
	}()
	return w.Run(stopped)
}
