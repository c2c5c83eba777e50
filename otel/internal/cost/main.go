// Command cost measures what the OpenTelemetry observer adds to a poll: the CPU time per poll of a
// wait on a Webex client against a loopback server answering Webex's documented job, with the
// observer and without, in paired rounds of one run, as bench measures the sdk's own overhead. The
// observer is measured three ways: every span recorded (the AlwaysSample default, spans through a
// batch processor to an exporter that drops them, metrics through a manual reader); one trace in ten
// sampled (ParentBased(TraceIDRatioBased(0.1)), as production tracing usually is); and metrics only
// (a no-op tracer provider). It lives in the otel module because bench, in the root module, may not
// import OpenTelemetry.
//
//	go run ./internal/cost [-rounds 15] [-json]     (from otel/)
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"syscall"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	jwotel "github.com/jobwatch/jobwatch/otel"
	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/observe"
	"github.com/jobwatch/jobwatch/sdk/webex"
)

const jobID = "Y2lzY29zcGFyazovL3VzL0pPQl9JRC8xMzFkOTg1ZC1iZThhLTQ3MjgtYjM2MC02MzBjNTAxNTEyNzE"

// pollsPerWait is how many polls one wait makes, so that a wait's own start and end weigh little.
const pollsPerWait = 100

// result is the -json line. Each ratio is the CPU time per poll with the observer over without: the
// median of paired rounds, one P.
type result struct {
	// PerPollCPURatio has every span recorded.
	PerPollCPURatio float64 `json:"per_poll_cpu_ratio"`
	// PerPollCPURatioSampled samples one trace in ten.
	PerPollCPURatioSampled float64 `json:"per_poll_cpu_ratio_sampled_1_in_10"`
	// PerPollCPURatioMetrics records metrics only.
	PerPollCPURatioMetrics float64 `json:"per_poll_cpu_ratio_metrics_only"`
	// PerPollNsOff and PerPollNsOn are the CPU time of a poll without the observer and with it (every
	// span recorded), in nanoseconds.
	PerPollNsOff float64 `json:"per_poll_ns_off"`
	PerPollNsOn  float64 `json:"per_poll_ns_on"`
	Rounds       int     `json:"rounds"`
}

// runningFor answers the first n-1 polls of each wait as running, the n-th as the vendor did (done),
// so that a wait makes n polls.
type runningFor struct {
	*webex.Client
	n, seen int
}

func (r *runningFor) Status(ctx context.Context, id string) (*sdk.Job, error) {
	j, err := r.Client.Status(ctx, id)
	if r.seen++; err == nil && r.seen%r.n != 0 {
		j.State, j.Done = sdk.StateRunning, false
	}
	return j, err
}

func main() {
	rounds := flag.Int("rounds", 15, "paired rounds, each a wait with the observer and one without")
	fixture := flag.String("fixture", "../bench/testdata/webex_job_200.json", "Webex's documented job answer")
	asJSON := flag.Bool("json", false, "print the result as one JSON line")
	flag.Parse()
	if err := run(*rounds, *fixture, *asJSON); err != nil {
		fmt.Fprintln(os.Stderr, "cost:", err)
		os.Exit(1)
	}
}

func run(rounds int, fixture string, asJSON bool) error {
	body, err := os.ReadFile(fixture)
	if err != nil {
		return err
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	defer srv.Close()
	c, err := webex.New(webex.Config{Token: "cost-token"}, &sdk.ClientOptions{BaseURL: srv.URL, HTTPClient: srv.Client(), Getenv: func(string) string { return "" }})
	if err != nil {
		return err
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	observer := func(opts ...sdktrace.TracerProviderOption) (*observe.Observer, func(), error) {
		var tp trace.TracerProvider = noop.NewTracerProvider()
		stop := func() {}
		if opts != nil {
			sdktp := sdktrace.NewTracerProvider(opts...)
			tp, stop = sdktp, func() { sdktp.Shutdown(context.Background()) }
		}
		obs, err := jwotel.NewObserver(jwotel.Config{TracerProvider: tp, MeterProvider: mp})
		return obs, stop, err
	}
	batch := sdktrace.WithBatcher(tracetest.NewNoopExporter())
	all, stopAll, err := observer(batch)
	if err != nil {
		return err
	}
	defer stopAll()
	sampled, stopSampled, err := observer(batch, sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(0.1))))
	if err != nil {
		return err
	}
	defer stopSampled()
	metricsOnly, _, err := observer()
	if err != nil {
		return err
	}
	p := &runningFor{Client: c, n: pollsPerWait}
	wait := func(opts ...sdk.WaitOption) func() error {
		opts = append(opts, sdk.WithMinDelay(time.Nanosecond), sdk.WithMaxDelay(time.Nanosecond), sdk.WithJitter(-1))
		return func() error {
			_, err := sdk.Wait(context.Background(), p, jobID, opts...)
			return err
		}
	}
	off := wait()
	var r result
	r.Rounds = rounds
	if r.PerPollCPURatio, r.PerPollNsOff, r.PerPollNsOn, err = paired(off, wait(sdk.WithObserver(all)), rounds); err != nil {
		return err
	}
	if r.PerPollCPURatioSampled, _, _, err = paired(off, wait(sdk.WithObserver(sampled)), rounds); err != nil {
		return err
	}
	if r.PerPollCPURatioMetrics, _, _, err = paired(off, wait(sdk.WithObserver(metricsOnly)), rounds); err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(os.Stdout).Encode(r)
	}
	fmt.Printf("per poll, CPU: %.0f ns without the observer, %.0f ns with it, every span recorded: ratio %.3f\n",
		r.PerPollNsOff, r.PerPollNsOn, r.PerPollCPURatio)
	fmt.Printf("ratio with one trace in ten sampled: %.3f; metrics only: %.3f (medians of %d paired rounds each)\n",
		r.PerPollCPURatioSampled, r.PerPollCPURatioMetrics, rounds)
	return nil
}

// paired runs off and on in turn, rounds times (each going first in every other round), with one P,
// and returns the median of the per-round ratios on/off and the median CPU time per poll of each. A
// ratio per pair holds when the machine's speed drifts between rounds.
func paired(off, on func() error, rounds int) (ratio, offNs, onNs float64, err error) {
	for range 3 { // warm both up
		if err := off(); err != nil {
			return 0, 0, 0, err
		}
		if err := on(); err != nil {
			return 0, 0, 0, err
		}
	}
	// One P, as bench's per-poll ratio: each poll's own work, not the CPU idle Ps spin away.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var ratios, offs, ons []float64
	for i := range rounds {
		first, second := off, on
		if i%2 == 1 {
			first, second = on, off
		}
		x, err := cpuPerPoll(first)
		if err != nil {
			return 0, 0, 0, err
		}
		y, err := cpuPerPoll(second)
		if err != nil {
			return 0, 0, 0, err
		}
		if i%2 == 1 {
			x, y = y, x
		}
		ratios, offs, ons = append(ratios, y/x), append(offs, x), append(ons, y)
	}
	return median(ratios), median(offs), median(ons), nil
}

// cpuPerPoll runs waits of pollsPerWait polls for about a quarter of a second and returns the
// process CPU time per poll, in nanoseconds.
func cpuPerPoll(wait func() error) (float64, error) {
	began, start := cpu(), time.Now()
	polls := 0
	for time.Since(start) < 250*time.Millisecond {
		if err := wait(); err != nil {
			return 0, err
		}
		polls += pollsPerWait
	}
	return float64(cpu()-began) / float64(polls), nil
}

// cpu is the CPU time the process has used, user and system, all threads.
func cpu() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func median(xs []float64) float64 {
	slices.Sort(xs)
	if len(xs)%2 == 0 {
		return (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
	}
	return xs[len(xs)/2]
}
