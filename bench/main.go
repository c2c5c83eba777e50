// Command bench measures jobwatch's polling against the schedules users would otherwise use: observation
// lag, requests and memory on a simulated clock, the Watcher at scale against the vendor simulator on
// loopback, and the per-poll overhead of the sdk. Results are ratios against baselines measured in the
// same run; bench/RESULTS.md records a run.
//
//	go run ./bench          a table
//	go run ./bench -json    the table, then one JSON object on the last line
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

var contextBackground = context.Background()

// report is the -json output; its keys are a contract with users' scripts.
type report struct {
	Schedule []scheduleResult `json:"schedule"`
	Watcher  *watcherResult   `json:"watcher"`
	Waits    *waitsResult     `json:"independent_waits"`
	Overhead overheadResult   `json:"overhead"`
	Goals    []goal           `json:"goals"`
	Machine  string           `json:"machine"`
}

type goal struct {
	Name string `json:"name"`
	Met  bool   `json:"met"`
	Note string `json:"note"`
}

func main() {
	asJSON := flag.Bool("json", false, "print one JSON object on the last line")
	jobs := flag.Int("jobs", 1000, "jobs for the schedule comparison")
	watchJobs := flag.Int("watch-jobs", 10000, "jobs for the Watcher at scale (0 skips it)")
	rounds := flag.Int("rounds", 5, "rounds of the overhead measurement (the median is kept)")
	seed := flag.Uint64("seed", 1, "random seed")
	results := flag.String("results", "", "also write the report as markdown to this file (e.g. bench/RESULTS.md)")
	flag.Parse()
	if *jobs <= 0 || *watchJobs < 0 || *rounds <= 0 {
		fmt.Fprintln(os.Stderr, "bench: -jobs and -rounds must be positive, -watch-jobs not negative")
		os.Exit(2)
	}
	r := report{Machine: fmt.Sprintf("%s/%s, %d CPUs, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())}
	fmt.Fprintln(os.Stderr, "bench: schedules on a simulated clock...")
	r.Schedule = runSchedules(*jobs, *seed)
	if *watchJobs > 0 {
		fmt.Fprintf(os.Stderr, "bench: Watcher with %d Tencent jobs against the simulator on loopback (takes a couple of minutes)...\n", *watchJobs)
		w, ind, err := runWatcher(*watchJobs, *seed)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		r.Watcher, r.Waits = &w, &ind
	}
	fmt.Fprintln(os.Stderr, "bench: per-poll overhead...")
	o, err := runOverhead(*rounds)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	r.Overhead = o
	r.Goals = goals(r)
	printTable(os.Stdout, r)
	if *results != "" {
		if err := writeResults(*results, r, os.Args[1:]); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
	}
	if *asJSON {
		b, _ := json.Marshal(r)
		fmt.Println(string(b))
	}
}

func byPolicy(rs []scheduleResult, name string) scheduleResult {
	for _, x := range rs {
		if x.Policy == name {
			return x
		}
	}
	return scheduleResult{}
}

// goals checks every goal of the benchmark issue, as written.
func goals(r report) []goal {
	jw, prog, aws := byPolicy(r.Schedule, "jobwatch"), byPolicy(r.Schedule, "jobwatch-progress"), byPolicy(r.Schedule, "aws-waiter")
	var out []goal
	beaten := ""
	for _, b := range []string{"fixed-1s", "fixed-30s", "aws-waiter"} {
		x := byPolicy(r.Schedule, b)
		if x.RequestsPerJob <= jw.RequestsPerJob && x.LagMeanS <= jw.LagMeanS && x.LagP99S <= jw.LagP99S {
			beaten += " " + b
		}
	}
	out = append(out, goal{"no baseline beats jobwatch on requests, mean and p99 lag at once", beaten == "", "beaten by:" + beaten})
	out = append(out, goal{"jobwatch-progress p99 lag ≤ ½ aws-waiter's, with no more requests per job",
		prog.LagP99S <= aws.LagP99S/2 && prog.RequestsPerJob <= aws.RequestsPerJob,
		fmt.Sprintf("p99 %.2fs vs %.2fs (ratio %.3f); requests %.2f vs %.2f", prog.LagP99S, aws.LagP99S, prog.LagP99S/aws.LagP99S, prog.RequestsPerJob, aws.RequestsPerJob)})
	if w := r.Watcher; w != nil {
		out = append(out,
			goal{"watcher: rate_limited = 0", w.RateLimited == 0, fmt.Sprint(w.RateLimited)},
			goal{"watcher: max_req_per_s ≤ 20", w.MaxReqPerS <= tencentRate, fmt.Sprint(w.MaxReqPerS)},
			goal{"watcher: p99 lag ≤ 2 × lag_bound_s", w.LagP99S <= 2*w.LagBoundS, fmt.Sprintf("%.2fs vs 2 × %.2fs (ratio %.2f)", w.LagP99S, w.LagBoundS, w.LagP99S/w.LagBoundS)},
			goal{"watcher: heap_peak_mib ≤ 64", w.HeapPeakMiB <= 64, fmt.Sprintf("%.1f MiB", w.HeapPeakMiB)})
	}
	out = append(out, goal{"overhead: sdk/raw time ratio ≤ 1.3", r.Overhead.Ratio <= 1.3, fmt.Sprintf("%.3f", r.Overhead.Ratio)})
	return out
}

func printTable(w io.Writer, r report) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	jw := byPolicy(r.Schedule, "jobwatch")
	fmt.Fprintf(tw, "machine: %s\n\n", r.Machine)
	fmt.Fprintln(tw, "policy\trequests/job\tlag mean s\tlag p99 s\trequests ÷ jobwatch\tmean lag ÷ jobwatch\tp99 lag ÷ jobwatch")
	for _, s := range r.Schedule {
		fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\n", s.Policy, s.RequestsPerJob, s.LagMeanS, s.LagP99S,
			s.RequestsPerJob/jw.RequestsPerJob, s.LagMeanS/jw.LagMeanS, s.LagP99S/jw.LagP99S)
	}
	fmt.Fprintln(tw)
	if x := r.Watcher; x != nil {
		fmt.Fprintln(tw, "watcher\tjobs\trequests\trate_limited\tmax req/s\tbatch cap\tlag p99 s\tlag bound s\tp99 ÷ bound\theap peak MiB\twall s")
		fmt.Fprintf(tw, "sdk.Watcher\t%d\t%d\t%d\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.1f\t%.1f\n", x.Jobs, x.Requests, x.RateLimited, x.MaxReqPerS, x.BatchCap,
			x.LagP99S, x.LagBoundS, x.LagP99S/x.LagBoundS, x.HeapPeakMiB, x.WallS)
		if y := r.Waits; y != nil {
			fmt.Fprintf(tw, "independent Waits (%d finished in the watcher's %.0f s)\t%d\t%d\t%d\t%d\t-\t%.2f\t-\t-\t-\t%.1f\n", y.Finished, y.WindowS,
				y.Jobs, y.Requests, y.RateLimited, y.MaxReqPerS, y.LagP99S, y.WindowS)
		}
		fmt.Fprintln(tw)
	}
	o := r.Overhead
	fmt.Fprintln(tw, "per poll\tns/op\tallocs/op")
	fmt.Fprintf(tw, "sdk Status\t%.0f\t%d\n", o.SDKNsPerOp, o.SDKAllocsPerOp)
	fmt.Fprintf(tw, "net/http + encoding/json\t%.0f\t%d\n", o.RawNsPerOp, o.RawAllocsPerOp)
	fmt.Fprintf(tw, "ratio\t%.3f\t\n\n", o.Ratio)
	fmt.Fprintln(tw, "goal\tmet\tmeasured")
	for _, g := range r.Goals {
		fmt.Fprintf(tw, "%s\t%v\t%s\n", g.Name, g.Met, g.Note)
	}
	tw.Flush()
}

// writeResults records the run as markdown: the machine, the command and the date, then the tables.
func writeResults(path string, r report, args []string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Benchmark results\n\n")
	fmt.Fprintf(&b, "- machine: %s\n", r.Machine)
	if cpu := cpuModel(); cpu != "" {
		fmt.Fprintf(&b, "- cpu: %s\n", cpu)
	}
	fmt.Fprintf(&b, "- command: `go run ./bench %s`\n", strings.Join(args, " "))
	fmt.Fprintf(&b, "- date: %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	b.WriteString("Ratios are against jobwatch (schedules) or the hand-written loop (overhead), measured in the same run;\n")
	b.WriteString("absolute times depend on the machine. Regenerate with the command above.\n\n```\n")
	printTable(&b, r)
	b.WriteString("```\n")
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// cpuModel reads the CPU's name on Linux, "" elsewhere.
func cpuModel() string {
	raw, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(raw), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
