package bulk

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/internal/httpx"
	"github.com/jobwatch/jobwatch/sdk/observe"
)

// Defaults of Options.
const (
	DefaultMaxRounds      = 3
	DefaultPollInterval   = 2 * time.Second
	DefaultRoundBackoff   = 5 * time.Second
	DefaultRefusedBackoff = 5 * time.Second
	// listSkew is how far before its submit a lost job's listed creation time may be (clocks differ).
	listSkew = 5 * time.Second
	// minSettle is the least pause before a lost submit's job is looked for a second time.
	minSettle = time.Second
	// maxPollErrors is how many polls of one job in a row may fail before the run stops.
	maxPollErrors = 10
	// maxUnsent is how many submits in a row may fail before being sent (a token fetch, say) before
	// the run stops, leaving the chunk to the next run.
	maxUnsent = 5
)

// ErrInputChanged is returned when the report directory holds the journal of a run of another input
// or vendor: resuming it would mix two runs.
var ErrInputChanged = errors.New("the report directory holds a run of another users file or vendor")

// Options configure a Run. The zero value runs with the defaults, except Dir, which is required.
type Options struct {
	// Dir is the report directory: the journal and the report files live there.
	Dir string
	// MaxRounds is the most rounds (default DefaultMaxRounds).
	MaxRounds int
	// RetryCodes are failure codes to retry whatever the vendor's class says.
	RetryCodes []string
	// PollInterval is the time between polls of the jobs in flight (default DefaultPollInterval).
	PollInterval time.Duration
	// RoundBackoff is the pause before each round after the first (default DefaultRoundBackoff;
	// negative means none).
	RoundBackoff time.Duration
	// RefusedBackoff is the pause after the vendor refused a job for too many in flight (default
	// DefaultRefusedBackoff); it doubles on each refusal in a row, up to 8 times.
	RefusedBackoff time.Duration
	// Progress, when set, is called (on Run's goroutine) whenever the numbers change; it must be quick.
	Progress func(Progress)
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Observer, when set, is told of each chunk's end and each round's end, and is passed on in the
	// context of the run's submits and polls, so that the vendor client reports their requests,
	// retries and rate limiter waits to it. Nil: the Observer ctx carries (observe.NewContext), if any.
	Observer *observe.Observer
}

// Progress is where a run stands.
type Progress struct {
	// Round is the round under way, of at most MaxRounds.
	Round, MaxRounds int
	// Done of Total users of the round have a result.
	Done, Total int
	// InFlight jobs of at most Limit.
	InFlight, Limit int
	// Retries counts users resubmitted in later rounds so far.
	Retries int
}

// runner is one run of a Vendor over an Input.
type runner struct {
	v     Vendor
	in    *Input
	opts  Options
	st    *State
	j     *Journal
	byN   map[int]*Line
	retry map[string]bool
	obs   *observe.Observer // nil when unobserved

	requests int
	unsent   int           // submits in a row that the vendor's adapter said were never sent
	busy     time.Duration // slot time used while chunks waited
	capacity time.Duration // slot time available while chunks waited
	prog     Progress
}

// Run submits the input's valid lines (Preflight must have run) to v under its limits, round after
// round, journaling in opts.Dir; then writes the report and returns the summary. Run the same input
// again with the same Dir to resume after a crash. When ctx ends, the report so far is written and
// the summary returned with ctx's error.
func Run(ctx context.Context, v Vendor, in *Input, opts Options) (*Summary, error) {
	if opts.Dir == "" {
		return nil, errors.New("bulk: Options.Dir is required")
	}
	if opts.MaxRounds == 0 {
		opts.MaxRounds = DefaultMaxRounds
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.RoundBackoff == 0 {
		opts.RoundBackoff = DefaultRoundBackoff
	}
	if opts.RefusedBackoff <= 0 {
		opts.RefusedBackoff = DefaultRefusedBackoff
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("bulk: %w", err)
	}
	j, recs, err := OpenJournal(filepath.Join(opts.Dir, JournalFile))
	if err != nil {
		return nil, err
	}
	defer j.Close()
	ctx, obs := observer(ctx, opts.Observer)
	r := &runner{v: v, in: in, opts: opts, st: NewState(), j: j, byN: map[int]*Line{}, retry: map[string]bool{}, obs: obs}
	for _, c := range opts.RetryCodes {
		r.retry[c] = true
	}
	for i := range in.Lines {
		l := &in.Lines[i]
		if l.Invalid == "" && len(l.Keys) == 0 {
			return nil, fmt.Errorf("bulk: line %d has no user key: run Preflight before Run", l.N)
		}
		r.byN[l.N] = l
	}
	for _, rec := range recs {
		r.st.Apply(rec)
	}
	if r.st.Digest == "" {
		if err := r.append(Record{Type: recStart, Digest: in.Digest, Vendor: v.Vendor()}); err != nil {
			return nil, err
		}
	} else if r.st.Digest != in.Digest || r.st.Vendor != v.Vendor() {
		return nil, fmt.Errorf("bulk: %s: %w", opts.Dir, ErrInputChanged)
	}
	r.prog = Progress{MaxRounds: opts.MaxRounds, Limit: v.JobsInFlight()}
	began := opts.Now()
	runErr := r.rounds(ctx)
	sum := r.summary(runErr == nil, opts.Now().Sub(began))
	if err := WriteReport(opts.Dir, in, r.st, sum); err != nil && runErr == nil {
		runErr = err
	}
	return sum, runErr
}

// append journals rec (stamped with the clock) and applies it to the state.
func (r *runner) append(rec Record) error {
	rec.At = r.opts.Now().UTC()
	if err := r.j.Append(rec); err != nil {
		return err
	}
	r.st.Apply(rec)
	return nil
}

// MarkNotified journals that the summary was delivered, so that a rerun does not send it again.
func MarkNotified(dir string) error {
	j, _, err := OpenJournal(filepath.Join(dir, JournalFile))
	if err != nil {
		return err
	}
	defer j.Close()
	return j.Append(Record{Type: recNotified, At: time.Now().UTC()})
}

// Notified reports whether dir's journal records the summary as delivered.
func Notified(dir string) (bool, error) {
	j, recs, err := OpenJournal(filepath.Join(dir, JournalFile))
	if err != nil {
		return false, err
	}
	j.Close()
	for _, rec := range recs {
		if rec.Type == recNotified {
			return true, nil
		}
	}
	return false, nil
}

func (r *runner) rounds(ctx context.Context) error {
	for round := 1; round <= r.opts.MaxRounds; round++ {
		if round > len(r.st.Rounds) {
			var lines []int
			if round == 1 {
				for _, l := range r.in.Lines {
					if l.Invalid == "" {
						lines = append(lines, l.N)
					}
				}
			} else {
				lines = r.st.RetryLines(round - 1)
			}
			if len(lines) == 0 {
				return nil
			}
			if round > 1 && r.opts.RoundBackoff > 0 {
				if err := httpx.Sleep(ctx, r.opts.RoundBackoff); err != nil {
					return err
				}
			}
			if err := r.append(Record{Type: recRound, Round: round, Lines: lines}); err != nil {
				return err
			}
		}
		if len(r.st.Rounds[round-1]) == 0 {
			return nil
		}
		if err := r.round(ctx, round); err != nil {
			return err
		}
	}
	return nil
}

// round runs one round's chunks: lost answers are resolved first, then the jobs in flight are kept at
// the limit until every chunk is done.
func (r *runner) round(ctx context.Context, round int) error {
	lines := r.st.Rounds[round-1]
	chunks := Chunks(round, lines, r.v.UsersPerJob())
	r.prog.Round, r.prog.Total, r.prog.Done = round, len(lines), 0
	r.prog.Retries = 0
	for i := 1; i < round && i < len(r.st.Rounds); i++ {
		r.prog.Retries += len(r.st.Rounds[i])
	}
	var pending, inflight []int // chunk indexes
	for _, c := range chunks {
		cs := r.st.chunk(round, c.Index)
		if cs.lines == nil {
			cs.lines = c.Lines
		}
		switch {
		case cs.done:
			r.prog.Done += len(cs.lines)
		case cs.open:
			if err := r.resolve(ctx, round, c.Index, errors.New("the run stopped before the submit's answer was journaled")); err != nil {
				return err
			}
			switch cs = r.st.chunk(round, c.Index); {
			case cs.done:
				r.prog.Done += len(cs.lines)
			case cs.job != "":
				inflight = append(inflight, c.Index)
			default:
				pending = append(pending, c.Index)
			}
		case cs.job != "":
			inflight = append(inflight, c.Index)
		default:
			pending = append(pending, c.Index)
		}
	}
	limit := max(r.v.JobsInFlight(), 1)
	errs := map[int]int{}
	refusals := 0
	var pauseUntil time.Time
	// due is when each job in flight is polled next, submitted when this process submitted it. A job
	// is first polled one interval before the median time this run's jobs took so far, then at every
	// interval: polls that cannot find a job done are saved, and the request budget is left for the
	// submit that follows a job's end.
	due, submitted := map[int]time.Time{}, map[int]time.Time{}
	var took []time.Duration
	now := r.opts.Now()
	for _, idx := range inflight {
		due[idx] = now
	}
	last := now
	for len(pending) > 0 || len(inflight) > 0 {
		for len(pending) > 0 && len(inflight) < limit && !r.opts.Now().Before(pauseUntil) {
			idx := pending[0]
			started, refused, err := r.submit(ctx, round, idx)
			if err != nil {
				return err
			}
			if refused {
				refusals++
				pauseUntil = r.opts.Now().Add(r.opts.RefusedBackoff << min(refusals-1, 8))
				break
			}
			refusals = 0
			pending = pending[1:]
			if started {
				now := r.opts.Now()
				inflight = append(inflight, idx)
				submitted[idx] = now
				due[idx] = now.Add(max(r.opts.PollInterval, median(took)-r.opts.PollInterval))
			} else {
				r.prog.Done += len(r.st.chunk(round, idx).lines)
			}
		}
		r.prog.InFlight = len(inflight)
		r.report()
		if len(pending) == 0 && len(inflight) == 0 {
			break
		}
		wake := pauseUntil
		for i, idx := range inflight {
			if i == 0 || due[idx].Before(wake) {
				wake = due[idx]
			}
		}
		if err := httpx.Sleep(ctx, max(wake.Sub(r.opts.Now()), time.Millisecond)); err != nil {
			return err
		}
		now := r.opts.Now()
		if len(pending) > 0 {
			dt := now.Sub(last)
			r.busy += time.Duration(len(inflight)) * dt
			r.capacity += time.Duration(limit) * dt
		}
		last = now
		var ask, still []int
		for _, idx := range inflight {
			if !due[idx].After(now) {
				ask = append(ask, idx)
			} else {
				still = append(still, idx)
			}
		}
		jobs, jobErrs := r.statuses(ctx, round, ask)
		answered := r.opts.Now()
		for _, idx := range ask {
			done, err := r.observe(ctx, round, idx, jobs[idx], jobErrs[idx])
			p := poll{start: now, end: answered, job: jobs[idx], err: jobErrs[idx]}
			switch {
			case err != nil && ctx.Err() != nil:
				return ctx.Err()
			case err != nil:
				if errs[idx]++; errs[idx] >= maxPollErrors || !sdk.IsTemporary(err) {
					p.outcome = observe.OutcomeError
					r.polled(ctx, round, idx, p)
					return fmt.Errorf("bulk: polling job %s: %w", r.st.chunk(round, idx).job, err)
				}
				due[idx] = now.Add(r.opts.PollInterval)
				still = append(still, idx)
				p.outcome, p.next = observe.OutcomeRetry, due[idx]
			case done:
				r.prog.Done += len(r.st.chunk(round, idx).lines)
				if at, ok := submitted[idx]; ok {
					took = append(took, now.Sub(at))
				}
				delete(due, idx)
				p.outcome = observe.OutcomeDone
			default:
				errs[idx] = 0
				due[idx] = now.Add(r.opts.PollInterval)
				still = append(still, idx)
				p.outcome, p.next = observe.OutcomeRunning, due[idx]
			}
			r.polled(ctx, round, idx, p)
		}
		inflight = still
	}
	// The round's end is observed before it is shown, so that what the progress shows is counted.
	r.roundEnded(ctx, round, chunks)
	r.prog.InFlight = 0
	r.report()
	return nil
}

// median is the middle of ds (0 for none).
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func (r *runner) report() {
	if r.opts.Progress != nil {
		r.opts.Progress(r.prog)
	}
}

// submit journals the intent, submits the chunk and journals what came of it. started says a job runs
// (or was found); refused says the chunk waits for a slot; neither means the chunk is done (rejected or
// unknown).
func (r *runner) submit(ctx context.Context, round, idx int) (started, refused bool, err error) {
	cs := r.st.chunk(round, idx)
	if err := r.append(Record{Type: recIntent, Round: round, Chunk: idx, Lines: cs.lines}); err != nil {
		return false, false, err
	}
	users := make([][]byte, len(cs.lines))
	for i, n := range cs.lines {
		users[i] = r.byN[n].User
	}
	r.requests++
	id, serr := r.v.Submit(ctx, users)
	if serr == nil {
		r.unsent = 0
		return true, false, r.append(Record{Type: recStarted, Round: round, Chunk: idx, Job: id})
	}
	if ctx.Err() != nil {
		// The intent stays open: the next run resolves it as a lost answer.
		return false, false, ctx.Err()
	}
	var ae *sdk.APIError
	switch {
	case adapterNotSent(serr) && r.unsent < maxUnsent:
		// The job-creating request never left: nothing to look for, the chunk is submitted again.
		r.unsent++
		return false, true, r.append(Record{Type: recRefused, Round: round, Chunk: idx, Message: serr.Error()})
	case notSent(serr):
		// Nothing reached the vendor (no connection): stop, leaving the chunk to the next run.
		return false, false, errors.Join(r.append(Record{Type: recRefused, Round: round, Chunk: idx, Message: serr.Error()}), serr)
	case r.v.Refused(serr), errors.As(serr, &ae) && definite(ae) && errors.Is(ae, sdk.ErrRateLimited):
		return false, true, r.append(Record{Type: recRefused, Round: round, Chunk: idx, Message: serr.Error()})
	case errors.As(serr, &ae) && definite(ae) && errors.Is(ae, sdk.ErrUnauthorized):
		// Nothing can be submitted: stop, leaving the chunk to the next run.
		return false, false, errors.Join(r.append(Record{Type: recRefused, Round: round, Chunk: idx, Message: serr.Error()}), serr)
	case errors.As(serr, &ae) && definite(ae):
		code, retry := r.classify(sdk.Failure{Code: ae.Code, Message: ae.Message})
		if code == "" {
			code = fmt.Sprint(ae.StatusCode)
		}
		if err := r.append(Record{Type: recRejected, Round: round, Chunk: idx, Code: code, Message: ae.Error(), Retryable: retry}); err != nil {
			return false, false, err
		}
		r.chunkEnded(ctx, round, idx, "", serr)
		return false, false, nil
	}
	if err := r.resolve(ctx, round, idx, serr); err != nil {
		return false, false, err
	}
	cs = r.st.chunk(round, idx)
	if cs.job == "" && !cs.done {
		return false, true, nil // not started: submit it again
	}
	return cs.job != "", false, nil
}

// notSent reports whether a submit failed before any byte could reach the vendor: the connection
// was never made, or the vendor's adapter says the job-creating request was not sent.
func notSent(err error) bool {
	var op *net.OpError
	var dns *net.DNSError
	return errors.As(err, &op) && op.Op == "dial" || errors.As(err, &dns) || adapterNotSent(err)
}

// adapterNotSent reports whether a Submit error says, by a NotSent() bool method (see Vendor.Submit),
// that the job-creating request was never sent.
func adapterNotSent(err error) bool {
	var ns interface{ NotSent() bool }
	return errors.As(err, &ns) && ns.NotSent()
}

// definite reports whether an error is the vendor's answer that the job was not started: a 4xx, or a
// vendor error code in a 2xx body. A 5xx, a transport error or an answer without a job id may have
// started the job.
func definite(ae *sdk.APIError) bool {
	if errors.Is(ae, sdk.ErrUnexpectedResponse) {
		return false
	}
	return (ae.StatusCode >= 400 && ae.StatusCode < 500) || (ae.StatusCode < 300 && ae.Code != "")
}

// resolve settles a submit whose answer was lost: the job is looked for with the vendor's list call,
// by creation time and size; found, it is the chunk's job; not listed, the chunk was not started.
// Without a list call the chunk's users are unknown.
func (r *runner) resolve(ctx context.Context, round, idx int, cause error) error {
	cs := r.st.chunk(round, idx)
	lister, ok := r.v.(Lister)
	if !ok {
		unknown := fmt.Errorf("the answer to the submit was lost (%v) and %s has no call to list jobs: the job may or may not have started", cause, r.v.Vendor())
		if err := r.append(Record{Type: recUnknown, Round: round, Chunk: idx, Message: unknown.Error()}); err != nil {
			return err
		}
		r.chunkEnded(ctx, round, idx, "", unknown)
		return nil
	}
	since := cs.at.Add(-listSkew)
	// A request cut off (a timeout, a killed process) may still be at the vendor and start its job
	// after a first look: only a second look, after a pause, that finds nothing either says the
	// chunk was not started.
	settle := max(5*r.opts.PollInterval, minSettle)
	for look := 0; look < 2; look++ {
		if look > 0 {
			if err := httpx.Sleep(ctx, settle); err != nil {
				return err
			}
		}
		r.requests++
		jobs, err := lister.JobsSince(ctx, since)
		if err != nil {
			return fmt.Errorf("bulk: listing %s jobs to find a submit whose answer was lost: %w", r.v.Vendor(), err)
		}
		var best *sdk.Job
		for _, j := range jobs {
			if r.st.claimed[j.ID] || j.Created == nil || j.Created.Before(since) {
				continue
			}
			if j.Counts.Total != nil && *j.Counts.Total != len(cs.lines) {
				continue
			}
			if best == nil || j.Created.Before(*best.Created) {
				best = j
			}
		}
		if best != nil {
			return r.append(Record{Type: recStarted, Round: round, Chunk: idx, Job: best.ID, Message: "found by the list call after the answer was lost"})
		}
	}
	return r.append(Record{Type: recRefused, Round: round, Chunk: idx, Message: fmt.Sprintf(
		"the answer was lost (%v) and no job of this size was listed since, twice %s apart: not started", cause, settle)})
}

// observe handles one poll's answer for a job in flight; when the job is done, its results are
// journaled.
func (r *runner) observe(ctx context.Context, round, idx int, job *sdk.Job, err error) (bool, error) {
	if err != nil {
		return false, err
	}
	if !job.State.Done() {
		return false, nil
	}
	cs := r.st.chunk(round, idx)
	results, unmatched := r.results(cs.lines, job)
	if err := r.append(Record{Type: recDone, Round: round, Chunk: idx, Job: cs.job, Results: results, Unmatched: unmatched}); err != nil {
		return true, err
	}
	r.chunkEnded(ctx, round, idx, string(job.State), nil)
	return true, nil
}

// results matches a done job's failures to the chunk's lines by the vendor's user keys.
func (r *runner) results(lines []int, job *sdk.Job) ([]Result, []UnmatchedErr) {
	byKey := map[string]int{}
	for _, n := range lines {
		for _, k := range r.byN[n].Keys {
			if _, dup := byKey[k]; !dup {
				byKey[k] = n
			}
		}
	}
	failed := map[int]Result{}
	var jobLevel []sdk.Failure
	var unmatched []UnmatchedErr
	for _, f := range job.Failures {
		code, retry := r.classify(f)
		n, ok := byKey[f.User]
		switch {
		case f.User == "":
			jobLevel = append(jobLevel, f)
		case !ok:
			unmatched = append(unmatched, UnmatchedErr{Job: job.ID, User: f.User, Code: code, Message: f.Message})
		default:
			if _, seen := failed[n]; !seen {
				failed[n] = Result{Line: n, Code: code, Message: f.Message, Retryable: retry}
			}
		}
	}
	whole := job.State == sdk.StateFailed || job.State == sdk.StateCanceled
	var jobFail Result
	if whole {
		jobFail = Result{Message: fmt.Sprintf("the job ended %s", job.State)}
		if len(jobLevel) > 0 {
			code, retry := r.classify(jobLevel[0])
			jobFail = Result{Code: code, Message: jobLevel[0].Message, Retryable: retry}
		}
	} else {
		for _, f := range jobLevel {
			code, _ := r.classify(f)
			unmatched = append(unmatched, UnmatchedErr{Job: job.ID, Code: code, Message: f.Message})
		}
	}
	// A failure naming a user jobwatch cannot match may be one of the chunk's users under another
	// spelling: unless the job's own count of successes agrees, the users not known to have failed are
	// unknown rather than succeeded.
	var doubt string
	if named := namedUnmatched(unmatched); named > 0 && !whole {
		if ok := len(lines) - len(failed); job.Counts.Succeeded == nil || *job.Counts.Succeeded != ok {
			doubt = fmt.Sprintf("job %s reported %d failed users that match no input line; this user's outcome is unknown", job.ID, named)
		}
	}
	out := make([]Result, 0, len(lines))
	for _, n := range lines {
		switch res, ok := failed[n]; {
		case ok:
			out = append(out, res)
		case whole:
			res = jobFail
			res.Line = n
			out = append(out, res)
		case doubt != "":
			out = append(out, Result{Line: n, Unknown: true, Message: doubt})
		default:
			out = append(out, Result{Line: n, OK: true})
		}
	}
	return out, unmatched
}

// namedUnmatched counts the unmatched failures that name a user.
func namedUnmatched(us []UnmatchedErr) int {
	n := 0
	for _, u := range us {
		if u.User != "" {
			n++
		}
	}
	return n
}

// classify applies the vendor's classes, then Options.RetryCodes.
func (r *runner) classify(f sdk.Failure) (string, bool) {
	code, retry := r.v.Classify(f)
	if r.retry[code] || (f.Code != "" && r.retry[f.Code]) {
		retry = true
	}
	return code, retry
}

func (r *runner) summary(complete bool, wall time.Duration) *Summary {
	s := newSummary(r.in, r.st, complete)
	s.Requests = r.requests
	s.UsersPerJob, s.JobsInFlight = r.v.UsersPerJob(), r.v.JobsInFlight()
	s.WallTimeSeconds = wall.Seconds()
	if r.capacity > 0 {
		u := float64(r.busy) / float64(r.capacity)
		s.SlotUse = &u
	}
	return s
}
