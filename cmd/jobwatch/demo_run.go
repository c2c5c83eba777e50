package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/jobwatch/jobwatch/contract"
	"github.com/jobwatch/jobwatch/sdk/bulk"
	"github.com/jobwatch/jobwatch/simulator"
)

// demoRunUsers is how many users the demo's bulk run sends to each vendor.
const demoRunUsers = 1000

// demoRun is the demo's second part, `jobwatch run` on every vendor: 1,000 users each against a fresh
// simulator that enforces the vendors' limits and fails 5% of the users once (retried in round 2) and
// 1% for good. The reports go to a temporary directory, removed at the end.
func demoRun(ctx context.Context, e env, jobDuration time.Duration, output string) error {
	sim, err := simulator.New(simulator.Options{JobDuration: jobDuration, Specs: e.specs,
		Bulk: simulator.BulkOptions{TransientRate: 0.05, PermanentRate: 0.01,
			JobsInFlight: map[string]int{simulator.Tencent: 2, simulator.Oracle: 1}}})
	if err != nil {
		return err
	}
	root, transport := "http://simulator.invalid", sim.Transport()
	if !e.inMemory {
		srv := httptest.NewServer(sim.Handler())
		defer srv.Close()
		root, transport = srv.URL, http.DefaultTransport
	}
	dir, err := os.MkdirTemp("", "jobwatch-demo-run-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	vars := envMap(envLines(sim, root))
	re := e
	re.getenv, re.transport = func(k string) string { return vars[k] }, transport
	fmt.Fprintf(e.stderr, "jobwatch demo: jobwatch run with %d users per vendor (5%% fail once and are retried, 1%% fail for good)\n", demoRunUsers)

	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		sums = map[string]*bulk.Summary{}
		errs []error
	)
	for _, vendor := range vendors {
		wg.Go(func() {
			sum, err := demoRunVendor(ctx, re, vendor, filepath.Join(dir, vendor), jobDuration, &mu)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", vendor, err))
				return
			}
			sums[vendor] = sum
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return errs[0]
	}
	if output == "json" {
		for _, v := range vendors {
			if err := printJSONLine(e.stdout, map[string]any{"run": sums[v]}); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nRUN\tUSERS\tSUCCEEDED\tFAILED\tRETRIED\tJOBS\tROUNDS\tREQUESTS\tWALL")
	for _, v := range vendors {
		s := sums[v]
		retried := 0
		for _, rl := range s.Report {
			if rl.Attempts > 1 {
				retried++
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.1fs\n", v, s.Lines, s.Counts[bulk.OutcomeSucceeded], s.Counts[bulk.OutcomeFailed], retried,
			s.Jobs, s.Rounds, s.Requests, s.WallTimeSeconds)
	}
	fmt.Fprintln(tw, "\nFAILED FOR GOOD (first per vendor)\tLINE\tUSER\tCODE\tMESSAGE")
	for _, v := range vendors {
		for _, rl := range sums[v].Report {
			if rl.Outcome != bulk.OutcomeFailed {
				continue
			}
			code := "-"
			if rl.Code != nil {
				code = *rl.Code
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", v, rl.Line, rl.User, code, deref(rl.Message))
			break
		}
	}
	return tw.Flush()
}

// demoRunVendor runs one vendor's 1,000 users through the same path as `jobwatch run`.
func demoRunVendor(ctx context.Context, e env, vendor, dir string, jobDuration time.Duration, mu *sync.Mutex) (*bulk.Summary, error) {
	o := newFlags("run", e).vendorFlags()
	o.vendor = vendor
	p, err := o.client(e, nil)
	if err != nil {
		return nil, err
	}
	v, err := bulkVendor(p, runFlags{location: "loc-demo", action: "add"})
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	for i := 1; i <= demoRunUsers; i++ {
		b.WriteString(demoUser(vendor, i) + "\n")
	}
	in, err := bulk.ReadInput(strings.NewReader(b.String()), bulk.FormatNDJSON)
	if err != nil {
		return nil, err
	}
	check, err := contract.ItemValidator(vendor)
	if err != nil {
		return nil, err
	}
	bulk.Preflight(in, v, bulk.Schema(check))
	var last time.Time
	return bulk.Run(ctx, v, in, bulk.Options{Dir: dir, PollInterval: jobDuration / 8, RoundBackoff: jobDuration / 4,
		Progress: func(p bulk.Progress) {
			if p.Done != p.Total && time.Since(last) < time.Second {
				return
			}
			last = time.Now()
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintf(e.stderr, "  %-7s round %d/%d: %4d/%d users done, %d/%d jobs in flight, %d retries\n",
				vendor, p.Round, p.MaxRounds, p.Done, p.Total, p.InFlight, p.Limit, p.Retries)
		}})
}

// demoUser is the i-th user of the demo's bulk run, in the shape the vendor's submit takes.
func demoUser(vendor string, i int) string {
	switch vendor {
	case "huawei":
		return fmt.Sprintf(`{"action":"CREATE","userAccount":"agent%04d","userName":"Agent %d","email":"agent%04d@example.com","roleIds":["agent"]}`, i, i, i)
	case "webex":
		return fmt.Sprintf(`{"userId":"Y2lzY29zcGFyazovL3VzL1BFT1BMRS9kZW1v%04d"}`, i)
	case "tencent":
		return fmt.Sprintf(`{"UserName":"customer%04d","Email":"customer%04d@example.com"}`, i, i)
	}
	return fmt.Sprintf(`{"loginId":"EMP%04d","emailAddress":"emp%04d@example.com","firstName":"Emp","lastName":"No%d","organization":{"id":"4","name":"sfo","displayName":"sfo"}}`, i, i, i)
}

// envMap reads the export lines of envLines into a map.
func envMap(s string) map[string]string {
	vars := map[string]string{}
	for _, l := range strings.Split(s, "\n") {
		if k, v, ok := strings.Cut(strings.TrimPrefix(l, "export "), "="); ok && !strings.HasPrefix(l, "#") {
			vars[k] = v
		}
	}
	return vars
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
