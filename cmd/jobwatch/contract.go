package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/jobwatch/jobwatch/contract"
	"github.com/jobwatch/jobwatch/sdk"
)

// cmdContract checks vendor traffic against the specs: a HAR recording (--har), or live read-only
// status calls made through the validating transport (--live --job).
func cmdContract(ctx context.Context, args []string, e env) (int, error) {
	o := newFlags("contract", e).vendorFlags().outputFlag().timeoutFlag()
	o.fs.StringVar(&o.har, "har", "", "a HAR 1.2 file of the vendor's traffic to check")
	o.fs.BoolVar(&o.live, "live", false, "call the vendor's read-only status operations and check the traffic")
	o.fs.StringVar(&o.job, "job", "", "with --live: the job whose status to read")
	checkSecurity := o.fs.Bool("check-security", false, "with --har: a request without its Authorization header or cookies violates the spec\n"+
		"(by default such a request is reported as not checked for security, since browsers remove credentials from HAR exports)")
	if err := o.parse(args); err != nil {
		return done(err)
	}
	switch {
	case o.har == "" && !o.live:
		return exitUsage, usagef("give --har FILE or --live --job ID")
	case o.har != "" && o.live:
		return exitUsage, usagef("--har and --live exclude each other")
	case o.live && strings.TrimSpace(o.job) == "":
		return exitUsage, usagef("--live needs --job")
	case o.har != "" && o.job != "":
		return exitUsage, usagef("--job applies to --live only")
	case o.live && *checkSecurity:
		return exitUsage, usagef("--check-security applies to --har only (--live always checks security)")
	}
	ctx, cancel := o.context(ctx)
	defer cancel()
	if o.live {
		return contractLive(ctx, o, e)
	}
	specs, err := contract.LoadVendor(o.vendor)
	if err != nil {
		return exitAPI, err
	}
	f, err := os.Open(o.har)
	if err != nil {
		return exitAPI, fmt.Errorf("--har: %w", err)
	}
	defer f.Close()
	exs, err := contract.ReadHAR(f)
	if err != nil {
		return exitAPI, fmt.Errorf("%s: %w", o.har, err)
	}
	results := contract.CheckAllWith(ctx, specs, exs, contract.CheckOptions{SanitizedCredentials: !*checkSecurity})
	return verdict(e, o.output, results)
}

// contractLive reads the job's status through the validating transport: the call and everything it
// needs (a Huawei token, a Webex errors list) is checked.
func contractLive(ctx context.Context, o *opts, e env) (int, error) {
	var (
		mu      sync.Mutex
		results []contract.Result
	)
	tr, err := contract.NewTransport(o.vendor, e.transport, nil)
	if err != nil {
		return exitAPI, err
	}
	tr.OnResult = func(r contract.Result) {
		mu.Lock()
		results = append(results, r)
		mu.Unlock()
	}
	p, err := o.client(e, sdk.WithHTTPClient(&http.Client{Transport: tr}))
	if err != nil {
		return exitUsage, err
	}
	_, callErr := p.Status(ctx, o.job)
	mu.Lock()
	defer mu.Unlock()
	code, err := verdict(e, o.output, results)
	if code == exitOK && callErr != nil {
		return exitAPI, callErr
	}
	if callErr != nil {
		fmt.Fprintf(e.stderr, "jobwatch contract: %s\n", callErr)
	}
	return code, err
}

// verdict prints the results and exits 6 when any exchange violates the spec.
func verdict(e env, output string, results []contract.Result) (int, error) {
	code := exitOK
	counts := map[string]int{}
	for _, r := range results {
		counts[r.Result]++
		if r.Result == contract.ResultViolation {
			code = exitViolation
		}
	}
	if output == "json" {
		for _, r := range results {
			b, err := json.Marshal(r)
			if err != nil {
				return exitAPI, err
			}
			fmt.Fprintf(e.stdout, "%s\n", b)
		}
		return code, nil
	}
	return code, writeVerdicts(e.stdout, results, counts)
}

func writeVerdicts(w io.Writer, results []contract.Result, counts map[string]int) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tMETHOD\tPATH\tSTATUS\tRESULT")
	for _, r := range results {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\n", r.Index, r.Method, r.Path, r.Status, r.Result)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	notChecked := 0
	for _, r := range results {
		if r.Security == contract.SecurityNotChecked {
			notChecked++
			fmt.Fprintf(w, "#%d %s %s security: not checked (the recording has no credentials; --check-security checks them)\n", r.Index, r.Method, r.Path)
		}
		for _, is := range r.Errors {
			ptr := is.Pointer
			if ptr == "" {
				ptr = "-"
			}
			fmt.Fprintf(w, "#%d %s %s %s %s: %s\n", r.Index, r.Method, r.Path, is.Part, ptr, oneLine(is.Message))
		}
	}
	_, err := fmt.Fprintf(w, "%d exchanges: %d ok, %d violating, %d skipped (no operation in the spec)\n",
		len(results), counts[contract.ResultOK], counts[contract.ResultViolation], counts[contract.ResultSkipped])
	if err == nil && notChecked > 0 {
		_, err = fmt.Fprintf(w, "%d exchanges not checked for security\n", notChecked)
	}
	return err
}
