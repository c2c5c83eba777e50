package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vbauerster/cupwriter"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/observe"
)

// reporter shows progress on stderr while jobs run: live bars on a terminal, timestamped lines
// otherwise, so that CI logs stay readable. Its methods may be called from several goroutines.
type reporter interface {
	// update is a change of a job's state, counts or progress.
	update(j *sdk.Job)
	// retry says that a request for the job failed and will be tried again: attempt of max.
	retry(vendor, id string, err error, attempt, max int)
	// polled says when the job's next poll is planned (see observed).
	polled(vendor, id string, next time.Time)
	// finish is a job's end.
	finish(o outcome)
	// close stops drawing; nothing is written after it returns.
	close()
}

// perJobBars is how many jobs get a bar each; beyond it one bar counts finished jobs.
const perJobBars = 20

// newReporter returns the reporter for ids (of any vendors): bars when stderr is a terminal.
func newReporter(e env, ids []string) reporter {
	if e.terminal {
		return newBars(bare(e.stderr), ids, 150*time.Millisecond)
	}
	return &lines{w: e.stderr, many: len(ids) > perJobBars, jobs: len(ids)}
}

// reporter is newReporter's, its bars in colour as --color and NO_COLOR say.
func (o *opts) reporter(e env, ids []string) reporter {
	r := newReporter(e, ids)
	if b, ok := r.(*bars); ok {
		b.colour = o.colour(e, true) // before any bar is added, so before any decorator reads it
	}
	return r
}

// countEvery is how often a reporter of many jobs says how many are done: often enough to see the
// watch move, seldom enough that 100,000 jobs make a short log.
const countEvery = 5 * time.Second

// retryNote is what a bar or line says while a job's requests fail: the root cause, which is what a
// person can act on ("connection refused"), and the try count.
func retryNote(err error, attempt, max int) string {
	msg := "error"
	if err != nil {
		msg = clip(rootCause(err), 80)
	}
	if max > 0 {
		return fmt.Sprintf("retrying: %s (%d/%d)", msg, attempt, max)
	}
	return fmt.Sprintf("retrying: %s (%d)", msg, attempt)
}

// lines writes one timestamped line per event; with more jobs than get a bar each, a count of the jobs
// done every countEvery and at most a retry line a second instead, as the bars show one total bar: the
// JSON lines on stdout have every job.
type lines struct {
	mu   sync.Mutex
	w    io.Writer
	many bool
	jobs int
	// many jobs only: when the last retry and count lines were written, and the jobs done and those
	// that ended in an error.
	lastRetry, lastCount time.Time
	done, errs           int
}

func (l *lines) update(j *sdk.Job) {
	if j.Done || l.many {
		return // finish says it
	}
	l.printf("%s %s", j.Vendor+" job "+j.ID+":", describe(j, true))
}

func (l *lines) retry(vendor, id string, err error, attempt, max int) {
	if l.many {
		l.mu.Lock()
		now := time.Now()
		skip := now.Sub(l.lastRetry) < time.Second
		if !skip {
			l.lastRetry = now
		}
		l.mu.Unlock()
		if skip {
			return
		}
	}
	l.printf("%s job %s: %s", vendor, id, retryNote(err, attempt, max))
}

func (l *lines) finish(o outcome) {
	if l.many {
		l.mu.Lock()
		l.done++
		if o.endedInError() {
			l.errs++
		}
		now := time.Now()
		say := l.done == l.jobs || now.Sub(l.lastCount) >= countEvery
		if say {
			l.lastCount = now
		}
		done, errs := l.done, l.errs
		l.mu.Unlock()
		if say {
			l.printf("%d of %d jobs done, %d ended in an error", done, l.jobs, errs)
		}
		return
	}
	if o.endedInError() {
		// The error itself is printed once, with the others, when the command ends (see summarize).
		l.printf("%s job %s: ended in an error", o.vendor, o.id)
		return
	}
	l.printf("%s job %s: done: %s", o.vendor, o.id, describe(o.job, true))
}

func (l *lines) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "%s "+format+"\n", append([]any{time.Now().UTC().Format(time.RFC3339)}, args...)...)
}

func (l *lines) close() {}

func (l *lines) polled(string, string, time.Time) {} // a line per poll would bury the changes

// describe is a job's state and counts in words, with its percentage when pct (a bar shows its own).
func describe(j *sdk.Job, pct bool) string {
	s := string(j.State)
	if j.Counts.Total != nil {
		done := 0
		if j.Counts.Succeeded != nil {
			done += *j.Counts.Succeeded
		}
		if j.Counts.Failed != nil {
			done += *j.Counts.Failed
		}
		s += fmt.Sprintf(", %d of %d users processed", done, *j.Counts.Total)
	}
	if j.Counts.Failed != nil && *j.Counts.Failed > 0 {
		s += fmt.Sprintf(", %d failed", *j.Counts.Failed)
	}
	if pct && j.Progress != nil {
		s += fmt.Sprintf(" (%.0f%%)", *j.Progress*100)
	}
	return s
}

// bars draws live progress bars with mpb.
//
// Lock order: mpb renders on its own goroutine and calls the decorators while it holds its own state,
// and its methods (AddBar, SetCurrent, Abort...) wait for that goroutine. So the decorators take no lock
// (they read atomics), and mu is never held while an mpb method is called: either rule alone breaks
// the cycle that froze watch, both keep it from coming back.
type bars struct {
	p      *mpb.Progress
	start  time.Time         // when the bars began: a job's elapsed time counts from it
	colour bool              // states in colour; set before the first bar is added
	labels map[string]string // vendor/id → the bar's name; read-only after newBars
	// order is each id's place in the input, read-only after newBars: bars are drawn in that order,
	// not in the order of the jobs' first events. later numbers the bars of ids not in it, after.
	order map[string]int
	later atomic.Int64
	total *mpb.Bar
	// note is the latest retry note, shown on the total bar.
	note atomic.Pointer[string]
	// done counts finished jobs for the total bar, which is set from it at most every 100 ms: 100,000
	// results at once would queue 100,000 operations on mpb's goroutine.
	jobs    int64
	lastSet atomic.Int64 // unix nanoseconds

	mu     sync.Mutex // guards each, done and closed; never held across an mpb call
	each   map[string]*jobBar
	done   int64
	closed bool // after close, no bar is added: mpb panics on a bar added after Wait
}

type jobBar struct {
	once  sync.Once // creates bar
	bar   *mpb.Bar
	state atomic.Pointer[string]
	sgr   atomic.Pointer[string] // the state's colour, see stateColour
	// next is when the job's next poll is planned, ended how long the job took once it ended (unix
	// and plain nanoseconds, 0 for none yet).
	next, ended atomic.Int64
}

// set shows s as the job's state, escaped: mpb writes it as it is.
func (jb *jobBar) set(s string) {
	s = escapeControls(s)
	jb.state.Store(&s)
}

// status is what the bar shows after its percentage: the state (in its colour when colour), the time
// since start and when the next poll is, as of now.
func (jb *jobBar) status(start, now time.Time, colour bool) string {
	s := *jb.state.Load()
	if c := jb.sgr.Load(); colour && c != nil && *c != "" {
		s = "\x1b[" + *c + "m" + s + "\x1b[0m" // after escaping (set): the only sequence in s
	}
	if d := jb.ended.Load(); d > 0 {
		return " " + s + " · " + clock(time.Duration(d))
	}
	s = " " + s + " · " + clock(now.Sub(start))
	if n := jb.next.Load(); n > 0 {
		if in := time.Unix(0, n).Sub(now); in > 0 {
			return s + " · next poll in " + clock(in+time.Second-1) // rounded up: never "in 0s" before it
		}
		return s + " · polling"
	}
	return s
}

// clock is d in whole seconds, as 7s, 1m05s or 1h02m03s.
func clock(d time.Duration) string {
	d = max(d, 0) / time.Second
	h, m, sec := d/3600, d/60%60, d%60
	switch {
	case h > 0:
		return fmt.Sprintf("%dh%02dm%02ds", h, m, sec)
	case m > 0:
		return fmt.Sprintf("%dm%02ds", m, sec)
	}
	return fmt.Sprintf("%ds", sec)
}

const (
	barScale   = 1000
	labelWidth = 20 // characters of a job id in a bar's name
)

func newBars(w io.Writer, ids []string, refresh time.Duration) *bars {
	b := &bars{p: mpb.New(mpb.WithConsoleWriter(frameWriter(w)), mpb.WithWidth(120), mpb.WithRefreshRate(refresh), mpb.WithAutoRefresh()),
		start: time.Now(), each: map[string]*jobBar{}, jobs: int64(len(ids))}
	if len(ids) > perJobBars {
		b.total = b.p.AddBar(int64(len(ids)), mpb.BarWidth(32), mpb.PrependDecorators(decor.Name("jobs done ", decor.WCSyncSpaceR), decor.CountersNoUnit("%d / %d")),
			mpb.AppendDecorators(decor.Percentage(), decor.Any(func(decor.Statistics) string {
				s := " · " + clock(time.Since(b.start))
				if n := b.note.Load(); n != nil {
					return s + "  " + *n
				}
				return s
			})))
		return b
	}
	b.labels = idLabels(ids, labelWidth)
	b.order = make(map[string]int, len(ids))
	for i, id := range ids {
		if _, ok := b.order[id]; !ok {
			b.order[id] = i
		}
	}
	return b
}

// idLabels shortens ids to at most width characters for the bars, keeping their ends: the ids of one
// vendor share a long prefix (Huawei's 19-digit task ids, Webex's base64 of "ciscospark://us/JOB_ID/")
// and differ at the end. Where two ends still collide, the ends grow until they differ.
func idLabels(ids []string, width int) map[string]string {
	for w := width; ; w += 4 {
		labels, seen, clash, longest := map[string]string{}, map[string]bool{}, false, 0
		for _, id := range ids {
			r := []rune(id)
			longest = max(longest, len(r))
			l := id
			if len(r) > w {
				l = "…" + string(r[len(r)-(w-1):])
			}
			clash = clash || seen[l]
			seen[l], labels[id] = true, l
		}
		if !clash || w >= longest {
			return labels
		}
	}
}

// entry is the job's bar, its mpb bar not made yet: no mpb call.
func (b *bars) entry(vendor, id string) *jobBar {
	key := vendor + "/" + id
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return inertBar() // a callback still running after close (the Watcher does not wait for it)
	}
	jb := b.each[key]
	if jb == nil {
		jb = &jobBar{}
		jb.set("pending")
		b.each[key] = jb
	}
	return jb
}

func (b *bars) bar(vendor, id string) *jobBar {
	jb := b.entry(vendor, id)
	jb.once.Do(func() {
		label, ok := b.labels[id]
		if !ok {
			label = idLabels([]string{id}, labelWidth)[id]
		}
		name := escapeControls(fmt.Sprintf("%-7s %s", vendor, label))
		place, ok := b.order[id]
		if !ok {
			place = len(b.order) + int(b.later.Add(1))
		}
		// mpb draws bars by priority, lowest on top; its default is the order they were added in.
		jb.bar = b.p.AddBar(barScale, mpb.BarWidth(32), mpb.BarPriority(place), mpb.PrependDecorators(decor.Name(name, decor.WCSyncSpaceR)),
			mpb.AppendDecorators(decor.Percentage(decor.WCSyncSpace), decor.Any(func(decor.Statistics) string {
				return jb.status(b.start, time.Now(), b.colour)
			})))
	})
	return jb
}

// inertBar stands in for a job's bar once the bars are closed: it has no mpb bar, and its state is
// shown nowhere.
func inertBar() *jobBar {
	jb := &jobBar{}
	jb.once.Do(func() {})
	return jb
}

// polled runs on the Watcher's scheduler (an observe hook): it stores a time and makes no bar.
func (b *bars) polled(vendor, id string, next time.Time) {
	if b.total != nil {
		return
	}
	if jb := b.entry(vendor, id); !next.IsZero() {
		jb.next.Store(next.UnixNano())
	}
}

func (b *bars) update(j *sdk.Job) {
	if b.total != nil {
		b.note.Store(nil) // an answer came: the requests work again
		return
	}
	jb := b.bar(j.Vendor, j.ID)
	jb.set(describe(j, false))
	c := stateColour(j.State)
	jb.sgr.Store(&c)
	if j.Progress != nil && jb.bar != nil {
		jb.bar.SetCurrent(int64(*j.Progress * barScale))
	}
}

func (b *bars) retry(vendor, id string, err error, attempt, max int) {
	note := retryNote(err, attempt, max)
	if b.total != nil {
		note = escapeControls(note + " (e.g. " + vendor + " job " + clip(id, summaryID) + ")")
		b.note.Store(&note)
		return
	}
	b.bar(vendor, id).set(note)
}

func (b *bars) finish(o outcome) {
	if b.total != nil {
		b.mu.Lock()
		b.done++
		done := b.done
		b.mu.Unlock()
		now := time.Now().UnixNano()
		if last := b.lastSet.Load(); done == b.jobs || now-last >= int64(100*time.Millisecond) && b.lastSet.CompareAndSwap(last, now) {
			b.total.SetCurrent(done) // outside mu: see the type's comment
		}
		return
	}
	jb := b.bar(o.vendor, o.id)
	jb.ended.Store(int64(max(time.Since(b.start), time.Nanosecond)))
	c := ""
	if o.job != nil && !o.endedInError() {
		c = stateColour(o.job.State)
	}
	jb.sgr.Store(&c)
	switch {
	case errors.Is(o.err, errInterrupted):
		jb.set("interrupted")
	case o.err != nil && o.job == nil:
		jb.set("error")
	case o.job != nil:
		jb.set(describe(o.job, false))
	}
	if jb.bar == nil {
		return // closed before its bar was made
	}
	if o.job != nil && o.job.Done {
		jb.bar.SetCurrent(barScale) // a vendor without progress counts jumps from 0 to done
	}
	jb.bar.SetTotal(-1, true)
}

func (b *bars) close() {
	b.mu.Lock()
	b.closed = true
	all := make([]*jobBar, 0, len(b.each))
	for _, jb := range b.each {
		all = append(all, jb)
	}
	done := b.done
	b.mu.Unlock()
	if b.total != nil {
		b.total.SetCurrent(done) // the count finish may have held back
	}
	for _, jb := range all {
		jb.once.Do(func() {}) // waits for a bar being created
		if jb.bar != nil && !jb.bar.Completed() {
			jb.bar.Abort(false)
		}
	}
	if b.total != nil && !b.total.Completed() {
		b.total.Abort(false)
	}
	b.p.Wait()
}

// frameWriter is the console writer of the bars on w: mpb's own, but each frame begins with a carriage
// return. mpb moves the cursor up to redraw, which keeps its column; after Ctrl-C the terminal has
// echoed ^C, two columns, and the frame would be drawn two columns late ("wewebex").
func frameWriter(w io.Writer) mpb.ConsoleWriter {
	cw := cupwriter.New(crWriter{w}, false)
	if f, ok := w.(*os.File); ok {
		cw.SetTermFd(int(f.Fd())) // the wrapper hides the terminal from cupwriter: mpb needs its width
	}
	return cw
}

// crWriter writes a carriage return before each write: cupwriter writes a frame in one.
type crWriter struct{ w io.Writer }

func (c crWriter) Write(p []byte) (int, error) {
	if _, err := c.w.Write(append([]byte{'\r'}, p...)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// observed is obs (nil for none) that also tells r when each job's next poll is, for its bar.
func observed(obs *observe.Observer, r reporter) *observe.Observer {
	o := &observe.Observer{}
	if obs != nil {
		*o = *obs
	}
	prev := o.Poll
	o.Poll = func(ctx context.Context, e observe.Poll) {
		if prev != nil {
			prev(ctx, e)
		}
		r.polled(e.Vendor, e.JobID, e.Next)
	}
	return o
}
