package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/observe"
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
	return o.client(e, nil)
}

// emit writes the outcomes in the chosen format.
func emit(e env, o *opts, outs ...outcome) error {
	if o.output == "json" {
		for _, o := range outs {
			if err := writeJSON(e.stdout, o); err != nil {
				return err
			}
		}
		return nil
	}
	return writeTable(e.stdout, outs, o.tableStyle(e))
}

// cmdStatus prints a job once.
func cmdStatus(ctx context.Context, args []string, e env) (int, error) {
	o := newFlags("status", e).vendorFlags().outputFlag().tableFlags().timeoutFlag()
	p, err := o.oneJob(args, e)
	if err != nil {
		return done(err)
	}
	ctx, cancel := o.context(ctx)
	defer cancel()
	job, err := p.Status(ctx, o.job)
	if err != nil {
		if interrupted(ctx) {
			// Stdout still gets its line: scripts read one per job.
			return exitInterrupted, emit(e, o, outcome{vendor: o.vendor, id: o.job, err: errInterrupted})
		}
		if fe := (*sdk.FailuresError)(nil); errors.As(err, &fe) && fe.Job != nil {
			// The job is done and its line says so, with the error: only who failed is unknown.
			return finish(e, o, []outcome{{vendor: o.vendor, id: o.job, job: fe.Job, err: err}}, true)
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return exitTimeout, fmt.Errorf("%s job %s: timed out after %s", o.vendor, o.job, o.timeout)
		}
		return exitFor(outcome{err: err}), err // exitUsage for an id the sdk refused, exitAPI otherwise
	}
	return exitOK, emit(e, o, outcome{vendor: o.vendor, id: o.job, job: job})
}

// interrupted reports whether the user interrupted the command (Ctrl-C, SIGTERM).
func interrupted(ctx context.Context) bool { return errors.Is(context.Cause(ctx), errInterrupted) }

// waitOptions are the flags' wait options; obs (nil for none) observes the wait, and r shows its
// progress, next polls and retries.
func (o *opts) waitOptions(obs *observe.Observer, r reporter) sdk.WaitOptions {
	return sdk.WaitOptions{MinDelay: o.minDelay, MaxDelay: o.maxDelay, MaxWait: o.timeout, Progress: r.update, Observer: withRetries(observed(obs, r), r)}
}

// cmdWait polls one job until it is done.
func cmdWait(ctx context.Context, args []string, e env) (int, error) {
	o := newFlags("wait", e).vendorFlags().outputFlag().tableFlags().timeoutFlag().delayFlags()
	p, err := o.oneJob(args, e)
	if err != nil {
		return done(err)
	}
	ctx, cancel := o.context(ctx)
	defer cancel()
	r := o.reporter(e, []string{o.job})
	wo := o.waitOptions(nil, r)
	job, err := sdk.Wait(ctx, p, o.job, &wo)
	if err != nil && interrupted(ctx) {
		err = errInterrupted // job is the last state seen
	}
	out := outcome{vendor: o.vendor, id: o.job, job: job, err: err}
	r.finish(out)
	r.close()
	return finish(e, o, []outcome{out}, true)
}

// finish prints the outcomes (unless they were printed as they came), reports their errors on stderr,
// and returns the worst exit code.
func finish(e env, o *opts, outs []outcome, print bool) (int, error) {
	code := exitOK
	for _, out := range outs {
		code = worst(code, exitFor(out))
	}
	errs := []error{summarize(outs)}
	if print {
		if err := emit(e, o, outs...); err != nil {
			errs = append(errs, err)
		}
	}
	return code, errors.Join(errs...)
}

// cmdWatch waits for many jobs of one vendor, ids from --jobs-file or stdin.
func cmdWatch(ctx context.Context, args []string, e env) (int, error) {
	o := newFlags("watch", e).vendorFlags().outputFlag().tableFlags().timeoutFlag().delayFlags().metricsFlag()
	o.fs.StringVar(&o.jobsFile, "jobs-file", "", "file of job ids, one a line, # for comments (default: stdin, when it is a pipe or a file)")
	if err := o.parse(args); err != nil {
		return done(err)
	}
	if o.jobsFile == "" && e.stdinTerminal {
		return exitUsage, usagef("no --jobs-file, and stdin is a terminal: give --jobs-file FILE, or pipe the ids in (< FILE)")
	}
	// --timeout and Ctrl-C bound reading the ids too: a FIFO nobody opens, or a pipe nobody closes,
	// never ends.
	ctx, cancel := o.context(ctx)
	defer cancel()
	ids, lines, err := readIDs(ctx, o.jobsFile, e.stdin, e.stderr)
	if cut := (*inputCutError)(nil); errors.As(err, &cut) {
		return cutShort(e, o, ids, cut)
	}
	if err != nil {
		return exitUsage, err
	}
	p, err := o.client(e, nil)
	if err != nil {
		return exitUsage, err
	}
	obs, ms, err := serveMetrics(o.metricsAddr, e.stderr)
	if err != nil {
		return exitUsage, err
	}
	defer ms.close()
	r := o.reporter(e, ids)
	wo := o.waitOptions(obs, r)
	collectCtx, cancelCollect := ctx, context.CancelFunc(func() {})
	if o.timeout > 0 {
		// End each job's wait before the command's deadline, so that its last state is reported, and
		// stop collecting a little before it too: 100,000 JSON lines and the summary take a moment.
		// Reading the ids took some of the time.
		left := o.timeout
		if dl, ok := ctx.Deadline(); ok {
			left = max(time.Until(dl), time.Millisecond)
		}
		wo.MaxWait = left - left/10
		collectCtx, cancelCollect = context.WithTimeout(ctx, left-left/20)
	}
	defer cancelCollect()
	// The last state seen of each job, for the jobs whose wait the deadline or an interrupt cuts short.
	var (
		lastMu sync.Mutex
		last   = map[string]*sdk.Job{}
	)
	progress := func(j *sdk.Job) {
		lastMu.Lock()
		last[j.ID] = j
		lastMu.Unlock()
		r.update(j)
	}
	wo.Progress = progress
	w, err := sdk.NewWatcher(&sdk.WatcherOptions{Wait: wo})
	if err != nil {
		r.close()
		return exitUsage, err
	}
	defer w.Close()
	var refused []outcome // ids the sdk refused before sending anything, each reported with its line
	for _, id := range ids {
		if err := w.Add(p, id, nil); err != nil {
			if !errors.Is(err, sdk.ErrInvalidInput) {
				r.close()
				return exitUsage, err
			}
			refused = append(refused, outcome{vendor: o.vendor, id: id, err: err})
		}
	}
	var outs []outcome
	seen := map[string]bool{}
	var othersErr error // the last error a job's requests met: the likely reason why others had no answer
	// JSON lines go out as jobs end, unless bars are being redrawn on the terminal stdout is also on.
	stream := o.output == "json" && !(e.terminal && e.stdoutTerminal)
	stdout := bufio.NewWriter(e.stdout) // flushed per result, and once after the jobs a deadline cut short
	add := func(out outcome) {
		if invalidInput(out.err) {
			// The sdk refused the id itself, before sending it: say where it was read.
			out.err = fmt.Errorf("%s line %d: %w", inputName(o.jobsFile), lines[out.id], out.err)
		}
		seen[out.id] = true
		r.finish(out)
		outs = append(outs, out)
		if stream {
			writeJSON(stdout, out)
		}
	}
	for _, out := range refused {
		add(out)
	}
collect:
	for len(outs) < len(ids) {
		select {
		case res, ok := <-w.Results():
			if !ok {
				break collect
			}
			out := resultOutcome(res)
			add(out)
			stdout.Flush()
			switch {
			case errors.Is(res.Err, sdk.ErrWaitTimeout):
				if c := timeoutCause(res.Err); c != nil {
					othersErr = c
				}
			case out.endedInError():
				othersErr = res.Err
			}
		case <-collectCtx.Done():
			break collect
		}
	}
	// Stop the watcher before reporting the jobs it did not finish: its 100,000 expiring waits would
	// compete for the CPU, and a progress callback could still change last.
	w.Close()
	lastMu.Lock()
	for _, id := range ids {
		if !seen[id] {
			job := last[id]
			var err error = &cutShortError{vendor: o.vendor, id: id, waited: o.timeout, job: job}
			if job == nil {
				err = &unansweredError{cutShortError: err.(*cutShortError), others: othersErr}
			}
			switch {
			case interrupted(ctx):
				err = errInterrupted
			case errors.Is(ctx.Err(), context.Canceled):
				err = fmt.Errorf("%s job %s: %w", o.vendor, id, ctx.Err())
			}
			add(outcome{vendor: o.vendor, id: id, job: job, err: err})
		}
	}
	lastMu.Unlock()
	r.close()
	if err := stdout.Flush(); err != nil {
		return exitAPI, err
	}
	inputOrder(outs, ids)
	return finish(e, o, outs, !stream)
}

// inputOrder sorts outs (one per id, as watch collects them in finishing order) into the order of
// ids, the jobs file's: a table read next to the file lines up with it.
func inputOrder(outs []outcome, ids []string) {
	at := make(map[string]int, len(ids))
	for i, id := range ids {
		at[id] = i
	}
	slices.SortStableFunc(outs, func(a, b outcome) int { return at[a.id] - at[b.id] })
}

// maxIDLine is the longest line a jobs file may hold: far longer than any vendor's job id, short enough
// that a binary file given by mistake is refused at its first long line.
const maxIDLine = 4096

// readIDs reads job ids one a line (see scanIDs) until the input ends, or ctx does: then the error is
// an *inputCutError and ids are those read so far. lines gives the line each id was read from, for
// errors about it. While the input stalls without ending it says so on note, every inputNotice, when
// the count changed.
//
// The input is read on a goroutine, which nothing can stop while the open of a FIFO or a read of a pipe
// blocks: when ctx ends first, it is left blocked, and ends with the process.
func readIDs(ctx context.Context, path string, stdin io.Reader, note io.Writer) (ids []string, lines map[string]int, err error) {
	var mu sync.Mutex
	lines = map[string]int{}
	done := make(chan error, 1)
	go func() {
		done <- scanIDs(path, stdin, func(id string, line int) {
			mu.Lock()
			ids = append(ids, id)
			lines[id] = line
			mu.Unlock()
		})
	}()
	tick := time.NewTicker(inputNotice)
	defer tick.Stop()
	said := -1
	for {
		select {
		case err := <-done:
			if err != nil {
				return nil, nil, err
			}
			return ids, lines, nil
		case <-tick.C:
			mu.Lock()
			n := len(ids)
			mu.Unlock()
			if n != said {
				said = n
				fmt.Fprintf(note, "jobwatch watch: %d job ids read from %s, which has not ended; waiting for its end (Ctrl-C stops)\n", n, inputName(path))
			}
		case <-ctx.Done():
			mu.Lock()
			defer mu.Unlock()
			return slices.Clone(ids), maps.Clone(lines), &inputCutError{input: inputName(path), cause: context.Cause(ctx)}
		}
	}
}

// inputNotice is how long reading the ids may stall before watch says that it waits for the input.
const inputNotice = time.Second

func inputName(path string) string {
	if path == "" {
		return "stdin"
	}
	return path
}

// inputCutError says that the input of job ids met the command's deadline or an interrupt (cause)
// before its end; it is each id's error when no job was watched. It matches its cause but does not
// wrap it, so that the error summary groups such jobs by its text rather than by "context deadline
// exceeded".
type inputCutError struct {
	input string
	cause error
}

func (e *inputCutError) Error() string {
	return fmt.Sprintf("not watched: %s did not end within --timeout", e.input)
}

func (e *inputCutError) Is(target error) bool { return errors.Is(e.cause, target) }

// cutShort reports the ids read from an input the deadline or an interrupt cut short, each as a job
// not watched: a line for each on stdout, as for a watch cut short, and the exit code of a timeout or
// an interrupt.
func cutShort(e env, o *opts, ids []string, cut *inputCutError) (int, error) {
	var err error = cut
	if errors.Is(cut.cause, errInterrupted) {
		err = errInterrupted
	}
	if len(ids) == 0 {
		if err == errInterrupted {
			return exitInterrupted, nil
		}
		return exitTimeout, fmt.Errorf("no job ids: %s did not end within --timeout %s", cut.input, o.timeout)
	}
	outs := make([]outcome, len(ids))
	for i, id := range ids {
		outs[i] = outcome{vendor: o.vendor, id: id, err: err}
	}
	return finish(e, o, outs, true)
}

// scanIDs reads job ids one a line and gives each to add, with its line number; blank lines and lines starting with # are
// skipped, duplicates dropped, and a UTF-8 byte-order mark (Windows editors write one) is not part of
// the first id.
func scanIDs(path string, stdin io.Reader, add func(id string, line int)) error {
	in := stdin
	name := "stdin"
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return usagef("--jobs-file: %v", err)
		}
		defer f.Close()
		in, name = f, path
	}
	seen := map[string]bool{}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 4096), maxIDLine+2) // +2: room for a \r and the \n after a line of the limit
	n := 0
	for sc.Scan() {
		n++
		text := sc.Text()
		if n == 1 {
			text = strings.TrimPrefix(text, "\uFEFF")
		}
		if len(text) > maxIDLine { // the buffer holds one byte more, for a \r and the \n after the limit
			return usagef("%s line %d: longer than %d bytes; want one job id a line", name, n, maxIDLine)
		}
		id := strings.TrimSpace(text)
		if id == "" || strings.HasPrefix(id, "#") || seen[id] {
			continue
		}
		seen[id] = true
		add(id, n)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return usagef("%s line %d: longer than %d bytes; want one job id a line", name, n+1, maxIDLine)
		}
		return usagef("reading job ids from %s: %v", name, err)
	}
	if len(seen) == 0 {
		return usagef("no job ids in %s (one a line)", name)
	}
	return nil
}
