package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/jobwatch/jobwatch/sdk"
)

// done turns a usage error into the command's result: -h prints the flags and succeeds.
func done(err error) (int, error) {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK, nil
	}
	return exitUsage, err
}

// oneJob adds --job, parses the flags of a command about one job and builds the vendor's client.
// Its errors are usage errors (or flag.ErrHelp).
func (o *opts) oneJob(args []string, e env) (sdk.Poller, error) {
	o.fs.StringVar(&o.job, "job", "", "the job id (required)")
	if err := o.parse(args); err != nil {
		return nil, err
	}
	if strings.TrimSpace(o.job) == "" {
		return nil, usagef("--job is required")
	}
	return o.client(e)
}

// emit writes the outcomes in the chosen format.
func emit(e env, output string, outs ...outcome) error {
	if output == "json" {
		for _, o := range outs {
			if err := writeJSON(e.stdout, o); err != nil {
				return err
			}
		}
		return nil
	}
	return writeTable(e.stdout, outs)
}

// cmdStatus prints a job once.
func cmdStatus(ctx context.Context, args []string, e env) (int, error) {
	o := newFlags("status", e).vendorFlags().outputFlag().timeoutFlag()
	p, err := o.oneJob(args, e)
	if err != nil {
		return done(err)
	}
	ctx, cancel := o.context(ctx)
	defer cancel()
	job, err := p.Status(ctx, o.job)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return exitTimeout, fmt.Errorf("%s job %s: timed out after %s", o.vendor, o.job, o.timeout)
		}
		return exitAPI, err
	}
	return exitOK, emit(e, o.output, outcome{vendor: o.vendor, id: o.job, job: job})
}

func (o *opts) waitOptions(r reporter) []sdk.WaitOption {
	w := []sdk.WaitOption{sdk.WithMinDelay(o.minDelay), sdk.WithMaxDelay(o.maxDelay)}
	if o.timeout > 0 {
		w = append(w, sdk.WithMaxWait(o.timeout))
	}
	if r != nil {
		w = append(w, sdk.WithProgress(r.update))
	}
	return w
}

// cmdWait polls one job until it is done.
func cmdWait(ctx context.Context, args []string, e env) (int, error) {
	o := newFlags("wait", e).vendorFlags().outputFlag().timeoutFlag().delayFlags()
	p, err := o.oneJob(args, e)
	if err != nil {
		return done(err)
	}
	ctx, cancel := o.context(ctx)
	defer cancel()
	r := newReporter(e, 1)
	job, err := sdk.Wait(ctx, p, o.job, o.waitOptions(r)...)
	out := outcome{vendor: o.vendor, id: o.job, job: job, err: err}
	r.finish(out)
	r.close()
	return finish(e, o.output, []outcome{out}, true)
}

// finish prints the outcomes (unless they were printed as they came), reports their errors on stderr,
// and returns the worst exit code.
func finish(e env, output string, outs []outcome, print bool) (int, error) {
	code := exitOK
	var errs []error
	for _, o := range outs {
		code = worst(code, exitFor(o))
		var je *sdk.JobError
		if o.err != nil && !errors.As(o.err, &je) {
			errs = append(errs, o.err)
		}
	}
	if print {
		if err := emit(e, output, outs...); err != nil {
			errs = append(errs, err)
		}
	}
	return code, errors.Join(errs...)
}

// cmdWatch waits for many jobs of one vendor, ids from --jobs-file or stdin.
func cmdWatch(ctx context.Context, args []string, e env) (int, error) {
	o := newFlags("watch", e).vendorFlags().outputFlag().timeoutFlag().delayFlags()
	o.fs.StringVar(&o.jobsFile, "jobs-file", "", "file of job ids, one a line (default: stdin)")
	if err := o.parse(args); err != nil {
		return done(err)
	}
	ids, err := readIDs(o.jobsFile, e.stdin)
	if err != nil {
		return exitUsage, err
	}
	p, err := o.client(e)
	if err != nil {
		return exitUsage, err
	}
	ctx, cancel := o.context(ctx)
	defer cancel()
	r := newReporter(e, len(ids))
	wo := o.waitOptions(nil)
	if o.timeout > 0 {
		// End each job's wait a little before the command's deadline, so that its last state is reported.
		wo = append(wo, sdk.WithMaxWait(o.timeout-o.timeout/20))
	}
	w, err := sdk.NewWatcher(sdk.WithWaitOptions(wo...), sdk.WithWatchProgress(r.update))
	if err != nil {
		r.close()
		return exitUsage, err
	}
	defer w.Close()
	if err := w.AddAll(p, ids); err != nil {
		r.close()
		return exitUsage, err
	}
	w.Drain()
	var outs []outcome
	seen := map[string]bool{}
	add := func(out outcome) {
		seen[out.id] = true
		r.finish(out)
		outs = append(outs, out)
		if o.output == "json" {
			writeJSON(e.stdout, out)
		}
	}
collect:
	for len(outs) < len(ids) {
		select {
		case res, ok := <-w.Results():
			if !ok {
				break collect
			}
			add(outcome{vendor: res.Vendor, id: res.JobID, job: res.Job, err: res.Err})
		case <-ctx.Done():
			break collect
		}
	}
	for _, id := range ids {
		if !seen[id] {
			var err error = &sdk.WaitTimeoutError{Vendor: o.vendor, JobID: id, Waited: o.timeout}
			if errors.Is(ctx.Err(), context.Canceled) {
				err = fmt.Errorf("%s job %s: %w", o.vendor, id, ctx.Err())
			}
			add(outcome{vendor: o.vendor, id: id, err: err})
		}
	}
	r.close()
	return finish(e, o.output, outs, o.output != "json")
}

// readIDs reads job ids one a line; blank lines and lines starting with # are skipped, duplicates dropped.
func readIDs(path string, stdin io.Reader) ([]string, error) {
	in := stdin
	name := "stdin"
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return nil, usagef("--jobs-file: %v", err)
		}
		defer f.Close()
		in, name = f, path
	}
	var ids []string
	seen := map[string]bool{}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		id := strings.TrimSpace(sc.Text())
		if id == "" || strings.HasPrefix(id, "#") || seen[id] {
			continue
		}
		seen[id] = true
		ids = append(ids, id)
	}
	if err := sc.Err(); err != nil {
		return nil, usagef("reading job ids from %s: %v", name, err)
	}
	if len(ids) == 0 {
		return nil, usagef("no job ids in %s (one a line)", name)
	}
	return ids, nil
}
