package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/jobwatch/jobwatch/contract"
	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/bulk"
	"github.com/jobwatch/jobwatch/sdk/huawei"
	"github.com/jobwatch/jobwatch/sdk/oracle"
	"github.com/jobwatch/jobwatch/sdk/tencent"
	"github.com/jobwatch/jobwatch/sdk/webex"
)

// runHelp is the end of run's --help: its reports, its journal and its exit codes.
const runHelp = `input: NDJSON (.ndjson, .jsonl), one user a line in the shape the vendor's submit takes (Huawei
FederationUserInput, Webex UserItem, Tencent ImportUser, Oracle UserRO with --action), or CSV (.csv)
with a header row naming the same fields. Every line is checked before anything is sent; an invalid
line is reported with its line number and never sent.

report: DIR/report.jsonl (one line per input line, in input order), DIR/failed.ndjson or
DIR/failed.csv (the input lines that did not succeed, to fix and run again), DIR/summary.json.
The run journals its progress in DIR/journal.log: the same command resumes it after a crash.
--notify POSTs the summary once, signed: X-Jobwatch-Signature: sha256=<HMAC-SHA256 of the body
with ` + bulk.EnvNotifySecret + `>.
`

// runFlags are the flags of `jobwatch run` beyond the vendor's.
type runFlags struct {
	users, report, action, location, retryCodes, notify string
	maxRounds                                           int
	dryRun                                              bool
	poll, roundBackoff                                  time.Duration
}

// cmdRun takes a list of users to done at one vendor: pre-flight, chunks under the vendor's limits,
// rounds of retries for what a retry can fix, a journal to resume from, and a report.
func cmdRun(ctx context.Context, args []string, e env) (int, error) {
	o := newFlags("run", e).vendorFlags().timeoutFlag().metricsFlag()
	var f runFlags
	o.fs.StringVar(&f.users, "users", "", "the users `file`: .ndjson or .jsonl (one user a line) or .csv (a header row naming the fields) (required)")
	o.fs.StringVar(&f.report, "report", "", "the report `dir`ectory: report.jsonl, failed.ndjson|failed.csv, summary.json and the journal (required)")
	o.fs.StringVar(&f.action, "action", "", "Oracle: add, modify or delete (default add)")
	o.fs.StringVar(&f.location, "location", "", "Webex: the `id` of the location to move the users to (required for webex)")
	o.fs.IntVar(&f.maxRounds, "max-rounds", bulk.DefaultMaxRounds, "the most rounds: the first submission and the retries of retryable failures")
	o.fs.StringVar(&f.retryCodes, "retry-codes", "", "failure `codes`, comma-separated, to retry whatever their documented class (unknown codes are permanent)")
	o.fs.StringVar(&f.notify, "notify", "", "POST the summary to this `URL` once when the run ends, signed with "+bulk.EnvNotifySecret)
	o.fs.BoolVar(&f.dryRun, "dry-run", false, "send nothing: print the plan (valid and invalid lines, jobs and sizes, limits, requests)")
	o.durationVar(&f.poll, "poll-interval", bulk.DefaultPollInterval, "time between polls of the jobs in flight (a `duration`)")
	o.durationVar(&f.roundBackoff, "round-backoff", bulk.DefaultRoundBackoff, "pause before each round of retries (a `duration`; 0 for none)")
	if err := o.parse(args); err != nil {
		return done(err)
	}
	if err := f.check(o, e); err != nil {
		return exitUsage, err
	}
	fh, err := os.Open(f.users)
	if err != nil {
		return exitUsage, usagef("--users: %v", err)
	}
	format, _ := bulk.FormatOf(f.users)
	in, err := bulk.ReadInput(fh, format)
	fh.Close()
	if err != nil {
		return exitUsage, usagef("--users %s: %v", f.users, err)
	}
	p, err := o.client(e, nil)
	if err != nil {
		return exitUsage, err
	}
	v, err := bulkVendor(p, f)
	if err != nil {
		return exitUsage, &usageError{err.Error()}
	}
	var schema bulk.Schema
	if o.vendor != "oracle" || f.action != "delete" { // a deletion carries only loginId
		check, err := contract.ItemValidator(o.vendor)
		if err != nil {
			return exitAPI, err
		}
		schema = bulk.Schema(check)
	}
	bulk.Preflight(in, v, schema)
	if f.dryRun {
		return exitOK, printJSON(e.stdout, bulk.MakePlan(in, v, f.maxRounds))
	}

	ctx, cancel := o.context(ctx)
	defer cancel()
	var codes []string
	for _, c := range strings.Split(f.retryCodes, ",") {
		if c = strings.TrimSpace(c); c != "" {
			codes = append(codes, c)
		}
	}
	obs, ms, err := serveMetrics(o.metricsAddr, e.stderr)
	if err != nil {
		return exitUsage, err
	}
	defer ms.close()
	prog := newRunProgress(e)
	sum, err := bulk.Run(ctx, v, in, bulk.Options{Dir: f.report, MaxRounds: f.maxRounds, RetryCodes: codes,
		PollInterval: f.poll, RoundBackoff: f.roundBackoff, Progress: prog.update, Observer: obs})
	prog.close()
	switch {
	case err != nil && interrupted(ctx):
		return exitInterrupted, nil
	case err != nil && errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil:
		return exitTimeout, fmt.Errorf("timed out after %s; the report so far is in %s, and the same command resumes the run", o.timeout, f.report)
	case errors.Is(err, bulk.ErrInputChanged):
		return exitUsage, &usageError{err.Error() + ": use another --report directory"}
	case err != nil:
		return exitAPI, fmt.Errorf("%w (the same command resumes the run)", err)
	}
	if err := printJSON(e.stdout, sum); err != nil {
		return exitAPI, err
	}
	code := exitPartial
	switch {
	case sum.Counts[bulk.OutcomeSucceeded] == sum.Lines:
		code = exitOK
	case sum.Counts[bulk.OutcomeSucceeded] == 0:
		code = exitFailed
	}
	if f.notify != "" {
		if err := notifyOnce(ctx, e, f, in, sum); err != nil {
			fmt.Fprintf(e.stderr, "jobwatch run: %v\n", err)
		}
	}
	return code, nil
}

// check validates the run flags; its errors are usage errors.
func (f *runFlags) check(o *opts, e env) error {
	switch {
	case f.users == "":
		return usagef("--users is required")
	case f.report == "":
		return usagef("--report is required")
	case f.maxRounds < 1:
		return usagef("--max-rounds %d: want at least 1", f.maxRounds)
	case f.action != "" && o.vendor != "oracle":
		return usagef("--action applies to oracle only")
	case f.location != "" && o.vendor != "webex":
		return usagef("--location applies to webex only")
	case o.vendor == "webex" && strings.TrimSpace(f.location) == "":
		return usagef("webex needs --location: the location to move the users to")
	case f.poll <= 0:
		return usagef("--poll-interval %s: want a positive duration", f.poll)
	}
	if _, err := bulk.FormatOf(f.users); err != nil {
		return usagef("--users: %v", err)
	}
	if f.roundBackoff <= 0 {
		f.roundBackoff = -1 // none
	}
	if f.notify != "" {
		u, err := url.Parse(f.notify)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usagef("--notify: want an http or https URL")
		}
		if u.User != nil {
			return usagef("--notify: the URL must not hold a credential")
		}
		if e.getenv(bulk.EnvNotifySecret) == "" {
			return usagef("--notify needs %s: the key that signs the POST", bulk.EnvNotifySecret)
		}
	}
	return nil
}

// bulkVendor wraps the vendor's client in its bulk adapter.
func bulkVendor(p sdk.Poller, f runFlags) (bulk.Vendor, error) {
	switch c := p.(type) {
	case *huawei.Client:
		return huawei.NewBulk(c), nil
	case *webex.Client:
		return webex.NewBulk(c, f.location), nil
	case *tencent.Client:
		return tencent.NewBulk(c), nil
	case *oracle.Client:
		return oracle.NewBulk(c, f.action)
	}
	return nil, fmt.Errorf("no bulk runs for %T", p)
}

// notifyOnce POSTs the summary unless the journal says it was delivered, then journals the delivery.
func notifyOnce(ctx context.Context, e env, f runFlags, in *bulk.Input, sum *bulk.Summary) error {
	sent, err := bulk.Notified(f.report)
	if err != nil || sent {
		return err
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	if e.transport != nil {
		hc.Transport = e.transport
	}
	n := bulk.Notifier{URL: f.notify, Secret: e.getenv(bulk.EnvNotifySecret), Client: hc}
	if err := n.Send(ctx, bulk.NewNotification(in, sum)); err != nil {
		return err
	}
	return bulk.MarkNotified(f.report)
}

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printJSONLine writes v as one line of JSON.
func printJSONLine(w io.Writer, v any) error {
	return json.NewEncoder(w).Encode(v)
}

// runProgress shows a run's progress on stderr: a bar per round on a terminal (drawn on the bare
// stderr, as the other bars are: its text is jobwatch's own numbers), lines otherwise.
type runProgress struct {
	w     io.Writer
	p     *mpb.Progress
	bar   *mpb.Bar
	round int
	last  bulk.Progress
	cur   atomic.Pointer[bulk.Progress] // read by the bar's decorator on mpb's goroutine
	at    time.Time
}

func newRunProgress(e env) *runProgress {
	rp := &runProgress{w: e.stderr}
	if e.terminal {
		// Auto refresh is what mpb does on a terminal anyway; asked for, it also draws to a test's writer.
		rp.p = mpb.New(mpb.WithOutput(bare(e.stderr)), mpb.WithWidth(100), mpb.WithRefreshRate(150*time.Millisecond), mpb.WithAutoRefresh())
	}
	return rp
}

// update is called on the run's goroutine whenever the numbers change.
func (rp *runProgress) update(p bulk.Progress) {
	rp.cur.Store(&p)
	if rp.p == nil {
		// Lines: one when the round changes or ends, else at most one a second.
		if p == rp.last || (p.Round == rp.last.Round && p.Done != p.Total && time.Since(rp.at) < time.Second) {
			return
		}
		rp.last, rp.at = p, time.Now()
		fmt.Fprintf(rp.w, "%s round %d/%d: %d/%d users done, %d/%d jobs in flight, %d retries\n",
			time.Now().Format("15:04:05"), p.Round, p.MaxRounds, p.Done, p.Total, p.InFlight, p.Limit, p.Retries)
		return
	}
	if p.Round != rp.round {
		if rp.bar != nil {
			rp.bar.SetCurrent(rp.bar.Current())
			rp.bar.SetTotal(-1, true)
		}
		rp.round = p.Round
		name := fmt.Sprintf("round %d/%d", p.Round, p.MaxRounds)
		rp.bar = rp.p.AddBar(int64(max(p.Total, 1)), mpb.BarWidth(32), mpb.PrependDecorators(decor.Name(name, decor.WCSyncSpaceR), decor.CountersNoUnit("%d/%d users")),
			mpb.AppendDecorators(decor.Any(func(decor.Statistics) string {
				c := rp.cur.Load()
				return fmt.Sprintf("  jobs %d/%d  retries %d", c.InFlight, c.Limit, c.Retries)
			})))
	}
	rp.bar.SetCurrent(int64(p.Done))
}

func (rp *runProgress) close() {
	if rp.p == nil {
		return
	}
	if rp.bar != nil {
		rp.bar.SetTotal(-1, true)
	}
	rp.p.Wait()
}
