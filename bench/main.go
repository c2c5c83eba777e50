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

// report is the -json output; its names are a contract with acceptance checks and users' scripts.
type report struct {
	Workloads map[string][]scheduleResult `json:"workloads"`
	Watcher   *watcherResult              `json:"watcher"`
	Overhead  overheadResult              `json:"overhead"`
	Transport transportResult             `json:"transport"`
	Bulk      *bulkResult                 `json:"bulk"`

	goals   []goal
	machine string
}

type goal struct {
	Name string
	Met  bool
	Note string
}

func main() {
	asJSON := flag.Bool("json", false, "print one JSON object on the last line")
	jobs := flag.Int("jobs", 1000, "jobs per seed for workloads U and P")
	sizedJobs := flag.Int("sized-jobs", 2000, "jobs per seed for workload S")
	seeds := flag.Int("seeds", 8, "seeds per workload (each figure is the mean over them)")
	watchJobs := flag.Int("watch-jobs", 100000, "jobs for the Watcher at scale (0 skips it)")
	hog := flag.Bool("hog", true, "keep the machine busy (a CPU hog per core) during the Watcher run")
	rounds := flag.Int("rounds", 16, "pairs of timed rounds of each per-poll comparison (the median of the per-round ratios is kept)")
	seed := flag.Uint64("seed", 1, "first random seed")
	bulkUsers := flag.Int("bulk-users", 100000, "users for the bulk run (jobwatch run's engine) into Tencent (0 skips it)")
	bulkJob := flag.Duration("bulk-job-duration", time.Second, "how long each simulated import job of the bulk run takes")
	results := flag.String("results", "", "also write the report as markdown to this file (e.g. bench/RESULTS.md)")
	flag.Parse()
	if *jobs <= 0 || *sizedJobs <= 0 || *seeds <= 0 || *watchJobs < 0 || *rounds <= 0 {
		fmt.Fprintln(os.Stderr, "bench: -jobs, -sized-jobs, -seeds and -rounds must be positive, -watch-jobs not negative")
		os.Exit(2)
	}
	began := time.Now()
	r := report{machine: fmt.Sprintf("%s/%s, %d CPUs, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())}
	fmt.Fprintln(os.Stderr, "bench: workloads on a simulated clock...")
	r.Workloads = runWorkloads(*jobs, *sizedJobs, *seeds, *seed)
	if *watchJobs > 0 {
		fmt.Fprintf(os.Stderr, "bench: Watcher with %d Tencent jobs against the simulator on loopback (hog %v)...\n", *watchJobs, *hog)
		w, err := runWatcher(*watchJobs, *seed, *hog)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		r.Watcher = &w
	}
	fmt.Fprintln(os.Stderr, "bench: per-poll overhead and the validating transport...")
	o, err := runOverhead(*rounds)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	r.Overhead = o
	if r.Transport, err = runTransport(*rounds); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	if *bulkUsers > 0 {
		fmt.Fprintf(os.Stderr, "bench: bulk run of %d Tencent users against the simulator on loopback...\n", *bulkUsers)
		b, err := runBulk(*bulkUsers, *bulkJob)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		r.Bulk = &b
	}
	r.goals = goals(r)
	printTable(os.Stdout, r)
	if *results != "" {
		if err := writeResults(*results, r, os.Args[1:], time.Since(began)); err != nil {
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

// baselines are the policies jobwatch is measured against.
var baselines = []string{"fixed-1s", "fixed-30s", "smithy-waiter", "gax"}

// goals checks every goal of the benchmark issue, as written.
func goals(r report) []goal {
	var out []goal
	if u := r.Workloads["uninformed"]; u != nil {
		jw, sm := byPolicy(u, "jobwatch"), byPolicy(u, "smithy-waiter")
		dominated := ""
		for _, b := range baselines {
			x := byPolicy(u, b)
			if x.RequestsPerJob <= jw.RequestsPerJob && x.LagMeanS <= jw.LagMeanS && x.LagP99S <= jw.LagP99S {
				dominated += " " + b
			}
		}
		out = append(out,
			goal{"U: jobwatch dominated by no baseline (requests, mean and p99 lag)", dominated == "", "dominated by:" + dominated},
			goal{"U: mean lag ≤ smithy-waiter's at ≤ its requests/job", jw.LagMeanS <= sm.LagMeanS && jw.RequestsPerJob <= sm.RequestsPerJob,
				fmt.Sprintf("mean lag %.2fs vs %.2fs; requests %.2f vs %.2f", jw.LagMeanS, sm.LagMeanS, jw.RequestsPerJob, sm.RequestsPerJob)})
	}
	if p := r.Workloads["progress"]; p != nil {
		jw, sm := byPolicy(p, "jobwatch"), byPolicy(p, "smithy-waiter")
		out = append(out, goal{"P: p99 lag ≤ 30 s at ≤ smithy-waiter's requests/job", jw.LagP99S <= 30 && jw.RequestsPerJob <= sm.RequestsPerJob,
			fmt.Sprintf("p99 %.2fs; requests %.2f vs %.2f", jw.LagP99S, jw.RequestsPerJob, sm.RequestsPerJob)})
	}
	if s := r.Workloads["sized"]; s != nil {
		jw, sm, f30 := byPolicy(s, "jobwatch"), byPolicy(s, "smithy-waiter"), byPolicy(s, "fixed-30s")
		out = append(out, goal{"S: p99 lag ≤ ¼ smithy-waiter's and ≤ fixed-30s's, mean lag ≤ ½ fixed-30s's, at ≤ smithy's requests/job",
			jw.LagP99S <= sm.LagP99S/4 && jw.LagP99S <= f30.LagP99S && jw.LagMeanS <= f30.LagMeanS/2 && jw.RequestsPerJob <= sm.RequestsPerJob,
			fmt.Sprintf("p99 %.2fs vs ¼·%.2fs and %.2fs; mean %.2fs vs ½·%.2fs; requests %.2f vs %.2f",
				jw.LagP99S, sm.LagP99S, f30.LagP99S, jw.LagMeanS, f30.LagMeanS, jw.RequestsPerJob, sm.RequestsPerJob)})
	}
	if w := r.Watcher; w != nil {
		out = append(out,
			goal{"watcher: rate_limited = 0", w.RateLimited == 0, fmt.Sprintf("%d (loaded %v)", w.RateLimited, w.Loaded)},
			goal{"watcher: p99 lag ≤ 1.1 × lag_bound_s", w.LagP99S <= 1.1*w.LagBoundS, fmt.Sprintf("%.2fs vs 1.1 × %.2fs (ratio %.2f)", w.LagP99S, w.LagBoundS, w.LagP99S/w.LagBoundS)},
			goal{"watcher: heap ≤ 0.5 KiB per job", w.HeapKiBPerJob <= 0.5, fmt.Sprintf("%.2f KiB", w.HeapKiBPerJob)})
	}
	if b := r.Bulk; b != nil {
		out = append(out,
			goal{"bulk: job-slot use ≥ 0.95 while work remains", b.SlotUse >= 0.95, fmt.Sprintf("%.3f", b.SlotUse)},
			goal{"bulk: no refusal for rate or too many jobs", b.RateLimited == 0 && b.Refused == 0, fmt.Sprintf("%d rate-limited, %d refused", b.RateLimited, b.Refused)},
			goal{"bulk: pre-flight of 100,000 lines < 2 s", b.PreflightS < 2, fmt.Sprintf("%.2fs", b.PreflightS)})
	}
	out = append(out,
		goal{"overhead: sdk/raw CPU ≤ 1.10, ≤ 150 allocs per poll", r.Overhead.Ratio <= 1.10 && r.Overhead.AllocsSDK <= 150, fmt.Sprintf("%.3f, %d allocs", r.Overhead.Ratio, r.Overhead.AllocsSDK)},
		goal{"transport: contract.Transport ≤ 1.4 × the raw call", r.Transport.Ratio <= 1.4, fmt.Sprintf("%.3f", r.Transport.Ratio)})
	return out
}

func printTable(w io.Writer, r report) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "machine: %s\n\n", r.machine)
	for _, wl := range workloads(1, 1) {
		rs := r.Workloads[wl.key]
		if rs == nil {
			continue
		}
		jw := byPolicy(rs, "jobwatch")
		fmt.Fprintf(tw, "workload %s, %d seeds (mean ± sd over seeds)\n", wl.name, jw.Seeds)
		fmt.Fprintln(tw, "policy\trequests/job\tlag mean s\tlag p99 s\trequests ÷ jobwatch\tmean lag ÷ jobwatch\tp99 lag ÷ jobwatch")
		for _, s := range rs {
			fmt.Fprintf(tw, "%s\t%.2f ± %.2f\t%.2f ± %.2f\t%.2f ± %.2f\t%.2f\t%.2f\t%.2f\n", s.Policy, s.RequestsPerJob, s.requestsSD, s.LagMeanS, s.lagMeanSD,
				s.LagP99S, s.lagP99SD, s.RequestsPerJob/jw.RequestsPerJob, s.LagMeanS/jw.LagMeanS, s.LagP99S/jw.LagP99S)
		}
		fmt.Fprintln(tw)
	}
	if x := r.Watcher; x != nil {
		fmt.Fprintln(tw, "watcher\tjobs\trequests\trate_limited\tmax req/s\tbatch cap\tlag p99 s\tlag bound s\tp99 ÷ bound\theap KiB/job\tloaded\twall s")
		fmt.Fprintf(tw, "sdk.Watcher\t%d\t%d\t%d\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%v\t%.1f\n", x.Jobs, x.requests, x.RateLimited, x.MaxReqPerS, x.BatchCap,
			x.LagP99S, x.LagBoundS, x.LagP99S/x.LagBoundS, x.HeapKiBPerJob, x.Loaded, x.wallS)
		fmt.Fprintln(tw)
	}
	if b := r.Bulk; b != nil {
		fmt.Fprintln(tw, "bulk run\tusers\tjobs\tusers/job\tjobs in flight\tjob s\tslot use\trequests\trate_limited\trefused\twall s\tlower bound s\twall ÷ bound\tpre-flight 100k s")
		fmt.Fprintf(tw, "tencent\t%d\t%d\t%d\t%d\t%.2f\t%.3f\t%d\t%d\t%d\t%.1f\t%.1f\t%.3f\t%.2f\n", b.Users, b.Jobs, b.UsersPerJob, b.JobsInFlight, b.JobDurationS,
			b.SlotUse, b.Requests, b.RateLimited, b.Refused, b.WallS, b.LowerBoundS, b.WallS/b.LowerBoundS, b.PreflightS)
		fmt.Fprintln(tw)
	}
	o := r.Overhead
	fmt.Fprintln(tw, "per poll\tCPU ns/op (1 P)\tallocs/op\twall ratio (all Ps)")
	fmt.Fprintf(tw, "sdk Status\t%.0f\t%d\t\n", o.sdkNs, o.AllocsSDK)
	fmt.Fprintf(tw, "net/http + encoding/json\t%.0f\t%d\t\n", o.rawNs, o.AllocsRaw)
	fmt.Fprintf(tw, "ratio\t%.3f\t\t%.3f\n", o.Ratio, o.wallRatio)
	t := r.Transport
	fmt.Fprintf(tw, "contract.Transport (OnResult set) ÷ raw call\t%.3f\t%d vs %d\t%.3f\n\n", t.Ratio, t.allocsTransport, t.allocsRaw, t.wallRatio)
	fmt.Fprintln(tw, "goal\tmet\tmeasured")
	for _, g := range r.goals {
		fmt.Fprintf(tw, "%s\t%v\t%s\n", g.Name, g.Met, g.Note)
	}
	tw.Flush()
}

// writeResults records the run as markdown: the machine, the command and the date, then the tables.
func writeResults(path string, r report, args []string, took time.Duration) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Benchmark results\n\n")
	fmt.Fprintf(&b, "- machine: %s\n", r.machine)
	if cpu := cpuModel(); cpu != "" {
		fmt.Fprintf(&b, "- cpu: %s\n", cpu)
	}
	fmt.Fprintf(&b, "- command: `go run ./bench %s` (`make bench`)\n", strings.Join(args, " "))
	fmt.Fprintf(&b, "- date: %s; the whole run took %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"), took.Round(time.Second))
	b.WriteString("Workloads and baselines are described in bench/README.md. Ratios are against jobwatch (schedules)\n")
	b.WriteString("or the hand-written call (overhead, transport), measured in the same run; absolute times depend on\n")
	b.WriteString("the machine. Regenerate with the command above.\n\n```\n")
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
