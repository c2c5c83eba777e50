package main

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/jobwatch/jobwatch/sdk"
)

// reporter shows progress on stderr while jobs run: live bars on a terminal, timestamped lines
// otherwise, so that CI logs stay readable. Its methods may be called from several goroutines.
type reporter interface {
	// update is a change of a job's state, counts or progress.
	update(j *sdk.Job)
	// finish is a job's end.
	finish(o outcome)
	// close stops drawing; nothing is written after it returns.
	close()
}

// perJobBars is how many jobs get a bar each; beyond it one bar counts finished jobs.
const perJobBars = 20

func newReporter(e env, jobs int) reporter {
	if e.terminal {
		return newBars(e.stderr, jobs)
	}
	return &lines{w: e.stderr}
}

// lines writes one timestamped line per event.
type lines struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lines) update(j *sdk.Job) {
	if j.Done {
		return // finish says it
	}
	l.printf("%s %s", j.Vendor+" job "+j.ID+":", describe(j))
}

func (l *lines) finish(o outcome) {
	var je *sdk.JobError
	if o.err != nil && !errors.As(o.err, &je) {
		l.printf("%s job %s: ended: %s", o.vendor, o.id, oneLine(o.err.Error()))
		return
	}
	l.printf("%s job %s: done: %s", o.vendor, o.id, describe(o.job))
}

func (l *lines) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "%s "+format+"\n", append([]any{time.Now().UTC().Format(time.RFC3339)}, args...)...)
}

func (l *lines) close() {}

func describe(j *sdk.Job) string {
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
	if j.Progress != nil {
		s += fmt.Sprintf(" (%.0f%%)", *j.Progress*100)
	}
	return s
}

// bars draws live progress bars with mpb.
type bars struct {
	mu    sync.Mutex
	p     *mpb.Progress
	jobs  int
	each  map[string]*jobBar
	total *mpb.Bar
}

type jobBar struct {
	bar   *mpb.Bar
	state string
}

const barScale = 1000

func newBars(w io.Writer, jobs int) *bars {
	// The caller decided that stdout is a terminal; stderr, where the bars go, need not say so itself.
	b := &bars{p: mpb.New(mpb.WithOutput(w), mpb.WithWidth(32), mpb.WithRefreshRate(150*time.Millisecond), mpb.WithAutoRefresh()),
		jobs: jobs, each: map[string]*jobBar{}}
	if jobs > perJobBars {
		b.total = b.p.AddBar(int64(jobs), mpb.PrependDecorators(decor.Name("jobs done ", decor.WCSyncSpaceR), decor.CountersNoUnit("%d / %d")),
			mpb.AppendDecorators(decor.Percentage()))
	}
	return b
}

func (b *bars) bar(vendor, id string) *jobBar {
	key := vendor + "/" + id
	jb := b.each[key]
	if jb == nil {
		jb = &jobBar{state: "pending"}
		name := fmt.Sprintf("%-7s %s", vendor, shorten(id, 18))
		jb.bar = b.p.AddBar(barScale, mpb.PrependDecorators(decor.Name(name, decor.WCSyncSpaceR)),
			mpb.AppendDecorators(decor.Percentage(decor.WCSyncSpace), decor.Any(func(decor.Statistics) string {
				b.mu.Lock()
				defer b.mu.Unlock()
				return " " + jb.state
			})))
		b.each[key] = jb
	}
	return jb
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

func (b *bars) update(j *sdk.Job) {
	if b.total != nil {
		return
	}
	b.mu.Lock()
	jb := b.bar(j.Vendor, j.ID)
	jb.state = describe(j)
	b.mu.Unlock()
	if j.Progress != nil {
		jb.bar.SetCurrent(int64(*j.Progress * barScale))
	}
}

func (b *bars) finish(o outcome) {
	if b.total != nil {
		b.total.Increment()
		return
	}
	b.mu.Lock()
	jb := b.bar(o.vendor, o.id)
	if o.err != nil && o.job == nil {
		jb.state = "error"
	} else if o.job != nil {
		jb.state = describe(o.job)
	}
	b.mu.Unlock()
	if o.job != nil && o.job.Done {
		jb.bar.SetCurrent(barScale) // a vendor without progress counts jumps from 0 to done
	}
	jb.bar.SetTotal(-1, true)
}

func (b *bars) close() {
	b.mu.Lock()
	all := make([]*mpb.Bar, 0, len(b.each)+1)
	for _, jb := range b.each {
		all = append(all, jb.bar)
	}
	if b.total != nil {
		all = append(all, b.total)
	}
	b.mu.Unlock()
	for _, bar := range all {
		if !bar.Completed() {
			bar.Abort(false)
		}
	}
	b.p.Wait()
}
