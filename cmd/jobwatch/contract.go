package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/jobwatch/jobwatch/contract"
	"github.com/jobwatch/jobwatch/sdk"
)

// listFlag is a repeatable flag: each use adds a value.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(s string) error {
	*l = append(*l, s)
	return nil
}

// contractFlags registers the flags that decide a run's verdict and reports (shared by the HAR check,
// --live and the proxy).
type contractFlags struct {
	specs, reports     listFlag
	accept             string
	verbose            bool
	allowEmpty, allowS bool
}

func (c *contractFlags) register(o *opts) {
	o.fs.Var(&c.specs, "spec", "an OpenAPI `FILE` to check against in place of the embedded specs (repeatable)")
	o.fs.Var(&c.reports, "report", "write a report: junit=FILE, json=FILE (a summary object) or github (workflow annotations); repeatable")
	o.fs.StringVar(&c.accept, "accept", "", "a `FILE` of known violations that do not fail the run, one a line: OPERATION POINTER REASON (POINTER - for none)")
	o.fs.BoolVar(&c.verbose, "verbose", false, "print a line for every exchange (by default: violations, then a summary by group)")
	o.fs.BoolVar(&c.allowEmpty, "allow-empty", false, fmt.Sprintf("exit 0, not %d, when no exchange was checked", exitNothingChecked))
	o.fs.BoolVar(&c.allowS, "allow-secrets", false, "report credentials kept in a recording ("+contract.FindingSecret+") without failing the run")
}

// settings checks the flags and loads the specs.
func (c *contractFlags) settings(o *opts, e env) (contractSettings, []*contract.Spec, int, error) {
	set := contractSettings{vendor: o.vendor, output: o.output, verbose: c.verbose, allowEmpty: c.allowEmpty, allowSecrets: c.allowS}
	for _, r := range c.reports {
		rep, err := parseReport(r)
		if err != nil {
			return set, nil, exitUsage, err
		}
		set.reports = append(set.reports, rep)
	}
	if c.accept != "" {
		ws, err := readWaivers(c.accept)
		if err != nil {
			var ue *usageError
			if errors.As(err, &ue) {
				return set, nil, exitUsage, err
			}
			return set, nil, exitAPI, err
		}
		set.waivers = ws
	}
	if len(c.specs) == 0 {
		load := contract.LoadVendor
		if e.specs != nil {
			load = e.specs
		}
		specs, err := load(o.vendor)
		if err != nil {
			return set, nil, exitAPI, err
		}
		return set, specs, exitOK, nil
	}
	var specs []*contract.Spec
	for _, path := range c.specs {
		raw, err := os.ReadFile(path)
		if err != nil {
			return set, nil, exitUsage, usagef("--spec: %v", err)
		}
		s, err := contract.ParseSpec(filepath.Base(path), raw)
		if err != nil {
			return set, nil, exitUsage, usagef("--spec %s: %v", path, err)
		}
		specs = append(specs, s)
	}
	return set, specs, exitOK, nil
}

// cmdContract checks vendor traffic against the specs: HAR recordings (--har), live read-only status
// calls made through the validating transport (--live --job), or, as `contract proxy`, the traffic of
// any client through a validating reverse proxy.
func cmdContract(ctx context.Context, args []string, e env) (int, error) {
	if len(args) > 0 && args[0] == "proxy" {
		return cmdContractProxy(ctx, args[1:], e)
	}
	o := newFlags("contract", e).vendorFlags().outputFlag().timeoutFlag()
	var hars listFlag
	var cf contractFlags
	o.fs.Var(&hars, "har", "a HAR `FILE` (1.1 or 1.2; gzip or .zhar compressed too) to check; repeatable, a glob, or - for stdin")
	o.fs.BoolVar(&o.live, "live", false, "call the vendor's read-only status operations and check the traffic")
	o.fs.StringVar(&o.job, "job", "", "with --live: the job whose status to read")
	checkSecurity := o.fs.Bool("check-security", false, "with --har: a request without its Authorization header or cookies violates the spec\n"+
		"(by default such a request is reported as not checked for security, since browsers remove credentials from HAR exports)")
	cf.register(o)
	o.fs.Lookup("output").Usage = "output: table (violations, then a summary by group) or json (one object per exchange per line, then {\"summary\": ...})"
	if err := o.parse(args); err != nil {
		return done(err)
	}
	switch {
	case len(hars) == 0 && !o.live:
		return exitUsage, usagef("give --har FILE or --live --job ID")
	case len(hars) > 0 && o.live:
		return exitUsage, usagef("--har and --live exclude each other")
	case o.live && strings.TrimSpace(o.job) == "":
		return exitUsage, usagef("--live needs --job")
	case len(hars) > 0 && o.job != "":
		return exitUsage, usagef("--job applies to --live only")
	case o.live && *checkSecurity:
		return exitUsage, usagef("--check-security applies to --har only (--live always checks security)")
	}
	set, specs, code, err := cf.settings(o, e)
	if err != nil {
		return code, err
	}
	ctx, cancel := o.context(ctx)
	defer cancel()
	run := newContractRun(set, e.stdout)
	if o.live {
		return contractLive(ctx, o, e, specs, run)
	}
	inputs, err := harInputs(hars)
	if err != nil {
		return exitUsage, err
	}
	if slices.Contains(inputs, "-") && e.stdinTerminal {
		return exitUsage, usagef("--har -: stdin is a terminal; pipe a HAR file in (< FILE)")
	}
	run.inputs = inputs
	if e.getenv("GOGC") == "" && e.getenv("GOMEMLIMIT") == "" {
		// The check streams: a few MB stay live, so at the default GOGC the collector would run after
		// every few MB read. Let the heap grow to a fixed budget instead.
		defer debug.SetGCPercent(debug.SetGCPercent(-1))
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(harHeapBudget))
	}
	opts := contract.CheckOptions{SanitizedCredentials: !*checkSecurity, FindSecrets: true}
	for _, in := range inputs {
		if err := checkHAR(ctx, e, in, len(inputs) > 1, specs, opts, run); err != nil {
			return exitAPI, err
		}
	}
	return run.finish(e.stderr)
}

// harHeapBudget is the heap a HAR check grows to before the collector runs (unless GOGC or
// GOMEMLIMIT say otherwise): peak RSS stays near it, whatever the file's size.
const harHeapBudget = 100 << 20

// harInputs expands the --har values: globs to the files they match (sorted), "-" to stdin (once).
func harInputs(hars []string) ([]string, error) {
	var out []string
	stdin := false
	for _, h := range hars {
		switch {
		case h == "-":
			if stdin {
				return nil, usagef("--har -: stdin can be read once")
			}
			stdin = true
			out = append(out, h)
		case strings.ContainsAny(h, "*?["):
			m, err := filepath.Glob(h)
			if err != nil {
				return nil, usagef("--har %q: %v", h, err)
			}
			if len(m) == 0 {
				return nil, usagef("--har %q matches no file", h)
			}
			out = append(out, m...)
		default:
			out = append(out, h)
		}
	}
	return out, nil
}

// checkHAR checks one recording, entry by entry, so that its size is bounded only by the disk.
func checkHAR(ctx context.Context, e env, in string, name bool, specs []*contract.Spec, opts contract.CheckOptions, run *contractRun) error {
	var r io.Reader = e.stdin
	if in != "-" {
		f, err := os.Open(in)
		if err != nil {
			return fmt.Errorf("--har: %w", err)
		}
		defer f.Close()
		r = f
	} else if r == nil {
		return errors.New("--har -: no stdin")
	}
	label := ""
	if name {
		label = in
	}
	err := contract.ScanHAR(r, func(i int, ex contract.Exchange) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		res := contract.CheckWith(ctx, specs, ex, opts)
		res.Index = i
		run.add(label, res)
		return nil
	})
	if err != nil {
		if in == "-" {
			in = "stdin"
		}
		return fmt.Errorf("%s: %w", in, err)
	}
	return nil
}

// contractLive reads the job's status through the validating transport: the call and everything it
// needs (a Huawei token, a Webex errors list) is checked.
func contractLive(ctx context.Context, o *opts, e env, specs []*contract.Spec, run *contractRun) (int, error) {
	base := e.transport
	if base == nil {
		base = http.DefaultTransport
	}
	tr := &contract.Transport{Base: base, Specs: specs, OnResult: func(r contract.Result) { run.add("", r) }}
	p, err := o.client(e, &sdk.ClientOptions{HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		return exitUsage, err
	}
	_, callErr := p.Status(ctx, o.job)
	code, err := run.finish(e.stderr)
	if code != exitViolation && callErr != nil {
		return exitAPI, callErr
	}
	if callErr != nil {
		fmt.Fprintf(e.stderr, "jobwatch contract: %s\n", callErr)
	}
	return code, err
}
