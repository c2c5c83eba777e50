// Command cost measures what the OpenTelemetry observer adds to a poll: the CPU time per poll of a
// wait on a Webex client polling Webex's documented job, sleeping between its polls as real waits do,
// with the observer and without, in one run. The vendor is a process of its own answering over HTTPS,
// as the four vendors answer only HTTPS: the measured process is the client alone, whose CPU time is
// what a user of jobwatch pays. The observer is measured three ways: every span recorded (the
// AlwaysSample default, spans through a batch processor to an exporter that drops them, metrics through
// a manual reader); one trace in ten sampled (ParentBased(TraceIDRatioBased(0.1)), as production
// tracing usually is); and metrics only (a no-op tracer provider). Two more figures bound it: an
// Observer whose functions do nothing, the sdk's own share (building and handing over the events), and
// one that makes the design's spans bare (no attribute, no metric), OpenTelemetry's SDK's share. It
// lives in the otel module because bench, in the root module, may not import OpenTelemetry.
//
// Each figure is the median of repeats, in one process on one P, CPU time read with getrusage: a
// repeat alternates waits with the observer and without for about a second, and divides the one
// side's CPU time by the other's (see paired). CPU time moves with the load of a shared machine; -side
// runs one side alone, for an instruction counter, which the load does not move (bench/README.md).
//
//	go run ./internal/cost [-repeats 15] [-sleep 1ms] [-json] [-cpuprofile file]     (from otel/)
//	go run ./internal/cost -side off|full|sampled|metrics|hooks|bare [-waits 10] [-vendor file]
//	go run ./internal/cost -serve > file
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
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

// pollsPerWait is how many polls one wait makes: a wait's own start and end (its span) weigh on each
// poll as on a wait of a job that runs some minutes.
const pollsPerWait = 20

// result is the -json line. Each ratio is the CPU time per poll with the observer over without: the
// median of repeats, one P.
type result struct {
	// PerPollCPURatio has every span recorded.
	PerPollCPURatio float64 `json:"per_poll_cpu_ratio"`
	// PerPollCPURatioSampled samples one trace in ten.
	PerPollCPURatioSampled float64 `json:"per_poll_cpu_ratio_sampled_1_in_10"`
	// PerPollCPURatioMetrics records metrics only.
	PerPollCPURatioMetrics float64 `json:"per_poll_cpu_ratio_metrics_only"`
	// PerPollCPURatioHooks has an Observer whose functions do nothing: the sdk's share of the cost.
	PerPollCPURatioHooks float64 `json:"per_poll_cpu_ratio_empty_hooks"`
	// PerPollCPURatioBareSpans has an Observer that makes the spans of the design (a wait's, and a
	// poll's request's and sleep's, every one recorded) with no attribute and no metric: the floor that
	// OpenTelemetry's SDK sets under PerPollCPURatio.
	PerPollCPURatioBareSpans float64 `json:"per_poll_cpu_ratio_bare_spans"`
	// PerPollCPURatioQ1 and PerPollCPURatioQ3 are the quartiles of PerPollCPURatio's repeats: how much
	// one repeat's figure moves.
	PerPollCPURatioQ1 float64 `json:"per_poll_cpu_ratio_q1"`
	PerPollCPURatioQ3 float64 `json:"per_poll_cpu_ratio_q3"`
	// PerPollNsOff and PerPollNsOn are the CPU time of a poll without the observer and with it (every
	// span recorded), in nanoseconds.
	PerPollNsOff float64 `json:"per_poll_ns_off"`
	PerPollNsOn  float64 `json:"per_poll_ns_on"`
	Repeats      int     `json:"repeats"`
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
	repeats := flag.Int("repeats", 15, "repeats of each figure, each about a second of waits")
	fixture := flag.String("fixture", "../bench/testdata/webex_job_200.json", "Webex's documented job answer")
	asJSON := flag.Bool("json", false, "print the result as one JSON line")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	// A wait sleeps between its polls, as every real wait does: a sleep has a span of its own, and
	// waking costs CPU time on both sides. A millisecond keeps the run mostly polls; -sleep 0 leaves
	// the sleeps (and their spans) out.
	sleep := flag.Duration("sleep", time.Millisecond, "the delay between two polls of a wait")
	side := flag.String("side", "", "measure nothing: run -waits waits of one side (off, full, sampled, metrics, hooks or bare)\n"+
		"and exit, for an instruction counter: valgrind --tool=callgrind, run with two -waits, counts the waits between")
	waits := flag.Int("waits", 10, "the waits -side runs")
	serveOnly := flag.Bool("serve", false, "measure nothing: be the vendor (print where it answers, as one JSON line, and answer\n"+
		"until standard input closes), for -vendor")
	vendorFile := flag.String("vendor", "", "poll the vendor that a -serve process started beforehand printed to `file`, instead of starting\n"+
		"one (valgrind does not follow the start of a process reliably)")
	flag.Parse()
	if *serveOnly {
		body, err := os.ReadFile(*fixture)
		if err == nil {
			err = serve(body)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "cost:", err)
			os.Exit(1)
		}
		return
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "cost:", err)
			os.Exit(1)
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	if err := run(config{vendor: *vendorFile, repeats: *repeats, fixture: *fixture, asJSON: *asJSON, sleep: *sleep, side: *side, waits: *waits}); err != nil {
		fmt.Fprintln(os.Stderr, "cost:", err)
		os.Exit(1)
	}
}

// config is what the flags ask for.
type config struct {
	vendor  string
	repeats int
	fixture string
	asJSON  bool
	sleep   time.Duration
	side    string
	waits   int
}

func run(cfg config) error {
	repeats := cfg.repeats
	var v vendor
	var err error
	if cfg.vendor != "" {
		v, err = readVendor(cfg.vendor)
	} else {
		var stop func()
		v, stop, err = startVendor(cfg.fixture)
		if err == nil {
			defer stop()
		}
	}
	if err != nil {
		return err
	}
	hc, err := v.client()
	if err != nil {
		return err
	}
	c, err := webex.New(webex.Config{Token: "cost-token"}, &sdk.ClientOptions{BaseURL: v.URL, HTTPClient: hc, Getenv: func(string) string { return "" }})
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
	empty := &observe.Observer{
		WaitStart:   func(ctx context.Context, _ observe.WaitStart) context.Context { return ctx },
		WaitEnd:     func(context.Context, observe.WaitEnd) {},
		Poll:        func(context.Context, observe.Poll) {},
		Request:     func(context.Context, observe.Request) {},
		Sleep:       func(context.Context, observe.Sleep) {},
		Retry:       func(context.Context, observe.Retry) {},
		LimiterWait: func(context.Context, observe.LimiterWait) {},
	}
	// bare makes the spans the issue asks for (a wait's, and a poll's request's and sleep's), with
	// nothing on them and no metric, through the same pipeline: what any observer of that design pays
	// OpenTelemetry's SDK, whatever it does itself.
	bareTP := sdktrace.NewTracerProvider(batch)
	defer bareTP.Shutdown(context.Background())
	bt := bareTP.Tracer("bare")
	type spanKey struct{}
	bare := &observe.Observer{
		WaitStart: func(ctx context.Context, _ observe.WaitStart) context.Context {
			ctx, s := bt.Start(ctx, "wait", trace.WithNewRoot())
			return context.WithValue(ctx, spanKey{}, s)
		},
		WaitEnd: func(ctx context.Context, _ observe.WaitEnd) { ctx.Value(spanKey{}).(trace.Span).End() },
		Request: func(ctx context.Context, e observe.Request) {
			_, s := bt.Start(ctx, "GET", trace.WithTimestamp(e.Start))
			s.End()
		},
		Sleep: func(ctx context.Context, e observe.Sleep) {
			_, s := bt.Start(ctx, "sleep", trace.WithTimestamp(e.Start))
			s.End()
		},
	}
	p := &runningFor{Client: c, n: pollsPerWait}
	wait := func(obs *observe.Observer) func() error {
		// A delay of a nanosecond has passed by the next turn of the wait's loop: no sleep at all (a
		// zero delay would be the default).
		delay := max(cfg.sleep, time.Nanosecond)
		opts := &sdk.WaitOptions{MinDelay: delay, MaxDelay: delay, Observer: obs, Random: func() float64 { return 0 }}
		return func() error {
			_, err := sdk.Wait(context.Background(), p, jobID, opts)
			return err
		}
	}
	off := wait(nil)
	if cfg.side != "" {
		sides := map[string]func() error{"off": off, "full": wait(all), "sampled": wait(sampled),
			"metrics": wait(metricsOnly), "hooks": wait(empty), "bare": wait(bare)}
		f := sides[cfg.side]
		if f == nil {
			return fmt.Errorf("-side %q: want off, full, sampled, metrics, hooks or bare", cfg.side)
		}
		runtime.GOMAXPROCS(1)
		for range cfg.waits {
			if err := f(); err != nil {
				return err
			}
		}
		return nil
	}
	var r result
	r.Repeats = repeats
	full, err := paired(off, wait(all), repeats)
	if err != nil {
		return err
	}
	r.PerPollCPURatio, r.PerPollCPURatioQ1, r.PerPollCPURatioQ3 = full.ratio, full.q1, full.q3
	r.PerPollNsOff, r.PerPollNsOn = full.offNs, full.onNs
	for _, c := range []struct {
		to  *float64
		obs *observe.Observer
	}{{&r.PerPollCPURatioBareSpans, bare}, {&r.PerPollCPURatioSampled, sampled}, {&r.PerPollCPURatioMetrics, metricsOnly}, {&r.PerPollCPURatioHooks, empty}} {
		p, err := paired(off, wait(c.obs), repeats)
		if err != nil {
			return err
		}
		*c.to = p.ratio
	}
	if cfg.asJSON {
		return json.NewEncoder(os.Stdout).Encode(r)
	}
	fmt.Printf("per poll, CPU: %.0f ns without the observer, %.0f ns with it, every span recorded: ratio %.3f (quartiles %.3f, %.3f)\n",
		r.PerPollNsOff, r.PerPollNsOn, r.PerPollCPURatio, r.PerPollCPURatioQ1, r.PerPollCPURatioQ3)
	fmt.Printf("ratio with one trace in ten sampled: %.3f; metrics only: %.3f; hooks that do nothing: %.3f; the spans bare: %.3f (medians of %d repeats each)\n",
		r.PerPollCPURatioSampled, r.PerPollCPURatioMetrics, r.PerPollCPURatioHooks, r.PerPollCPURatioBareSpans, repeats)
	return nil
}

// pairedResult is what paired measures.
type pairedResult struct {
	ratio, q1, q3 float64 // the median of the repeats' ratios on/off, and its quartiles
	offNs, onNs   float64 // the median CPU time per poll of each side
}

// paired measures on against off in repeats, with one P. A repeat runs waits in pairs, one wait of
// each side (which goes first alternates), for about a second, and sums each side's CPU time: a pair
// lasts some tens of milliseconds, so that both of its waits meet the same load from other programs
// on the machine, and the sum pays each side for the garbage collections its own allocations trigger
// (a pair is shorter than a collection cycle, so a median of pairs would leave them out). paired
// returns the median of the repeats' ratios on/off with their quartiles, and the median CPU time per
// poll of each side.
func paired(off, on func() error, repeats int) (pairedResult, error) {
	for range 3 { // warm both up
		if err := off(); err != nil {
			return pairedResult{}, err
		}
		if err := on(); err != nil {
			return pairedResult{}, err
		}
	}
	// One P, as bench's per-poll ratio: each poll's own work, not the CPU idle Ps spin away.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var ratios, offs, ons []float64
	for range repeats {
		var offCPU, onCPU time.Duration
		waits := 0
		for start := time.Now(); time.Since(start) < time.Second; waits++ {
			first, second, a, b := off, on, &offCPU, &onCPU
			if waits%2 == 1 {
				first, second, a, b = on, off, &onCPU, &offCPU
			}
			t0 := cpu()
			if err := first(); err != nil {
				return pairedResult{}, err
			}
			t1 := cpu()
			if err := second(); err != nil {
				return pairedResult{}, err
			}
			*a, *b = *a+t1-t0, *b+cpu()-t1
		}
		polls := float64(waits * pollsPerWait)
		ratios = append(ratios, float64(onCPU)/float64(offCPU))
		offs, ons = append(offs, float64(offCPU)/polls), append(ons, float64(onCPU)/polls)
	}
	slices.Sort(ratios)
	return pairedResult{ratio: quantile(ratios, 0.5), q1: quantile(ratios, 0.25), q3: quantile(ratios, 0.75),
		offNs: median(offs), onNs: median(ons)}, nil
}

// cpu is the CPU time the process has used, user and system, all threads.
func cpu() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func median(xs []float64) float64 {
	slices.Sort(xs)
	return quantile(xs, 0.5)
}

// quantile is the q-quantile of the sorted xs, interpolated between its two nearest values.
func quantile(xs []float64, q float64) float64 {
	pos := q * float64(len(xs)-1)
	i := int(pos)
	if i+1 >= len(xs) {
		return xs[len(xs)-1]
	}
	return xs[i] + (pos-float64(i))*(xs[i+1]-xs[i])
}
