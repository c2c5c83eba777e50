package sdk

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"reflect"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// WatchResult is one job's end: its final Job (or the last seen) and the error Wait would have returned.
// Vendor and JobID are always set, also when no poll of the job succeeded.
type WatchResult struct {
	// Vendor and JobID name the job, as given to Add.
	Vendor string
	JobID  string
	// Job is the final job, or the last seen; nil when no poll succeeded (Err then says why).
	Job *Job
	// Err is what Wait would have returned: nil, a *JobError, a *WaitTimeoutError or a poll's error.
	Err error
}

// limited is a Poller whose requests wait for a rate limiter: every vendor client has a Limiter method
// (Tencent's client has one by default, any client built with WithRateLimiter has one). The Watcher
// plans its sweeps from that limiter and leaves the pacing to it, so the watcher and every other call
// through the client share one budget.
type limited interface {
	Limiter() *rate.Limiter
}

// Watcher waits for many jobs, of any vendors, on one scheduler goroutine: one timer heap per client, no
// goroutine or timer per job at rest, at most a bounded number of requests in flight per client, and job ids of
// a batching Poller (see Poller) grouped into batches. Results arrive on Results as jobs finish.
//
// Callbacks (WithWatchProgress, and each job's WithProgress, WithCheckpoint and WithRetryNotify) never
// run on the scheduler: a job with events to deliver gets a goroutine of its own until they are
// delivered. All of the Watcher's methods may be called from any goroutine, callbacks included (but a
// callback that ranges over Results or All after Drain waits for its own job's result, which waits for
// it). A callback given once for many jobs (WithWaitOptions) runs for different jobs at the same time.
type Watcher struct {
	cfg       watcherConfig
	ctx       context.Context
	cancel    context.CancelFunc
	cmds      chan func()
	polled    chan pollResult
	results   chan WatchResult
	delivered chan WatchResult // results released by delivery goroutines, see holdResult
	done      chan struct{}
	wg        sync.WaitGroup

	mu     sync.Mutex
	closed bool

	dmu   sync.Mutex
	boxes map[*entry]*outbox // guarded by dmu; see deliver.go
	held  int                // results waiting in boxes; owned by the scheduler goroutine

	// owned by the scheduler goroutine
	groups  map[Poller]*group
	entries map[entryKey]*entry
	queue   []WatchResult
	drain   bool
}

type entryKey struct {
	p  Poller
	id string
}

type entry struct {
	key     entryKey
	s       *schedule
	index   int // in its group's heap; -1 when not queued
	removed bool
	sum     jobSummary // the last job seen (see lastSeen)
}

type group struct {
	p        Poller
	batch    batchPoller
	limiter  *rate.Limiter // nil when the client paces itself
	size     int
	heap     entryHeap
	inFlight int
	jobs     int
	sweep    time.Duration   // see capDelays
	ctx      context.Context // the Watcher's, carrying the Observer of the client's first job
}

type pollResult struct {
	g     *group
	start time.Time // when the request was sent, for an Observer
	es    []*entry
	jobs  map[string]*Job
	job   *Job
	err   error
	cut   bool // canceled at the earliest deadline of es: it says nothing about the jobs
}

// NewWatcher starts a Watcher. Close it to stop its goroutines.
func NewWatcher(opts ...WatcherOption) (*Watcher, error) {
	cfg, err := newWatcherConfig(opts)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &Watcher{cfg: cfg, ctx: ctx, cancel: cancel, cmds: make(chan func()), polled: make(chan pollResult),
		results: make(chan WatchResult), delivered: make(chan WatchResult), done: make(chan struct{}),
		groups: map[Poller]*group{}, entries: map[entryKey]*entry{}, boxes: map[*entry]*outbox{}}
	go w.run()
	return w, nil
}

// Add starts watching jobID through p, polling at once. opts add to the Watcher's WaitOptions. Adding a
// job already watched through the same client is an error, and so is an id that is empty after
// trimming white space (matching ErrInvalidInput) or a Poller that is not comparable (matching
// ErrPoller: the Watcher keys jobs by client, so pass a pointer).
func (w *Watcher) Add(p Poller, jobID string, opts ...WaitOption) error {
	if err := checkPoller(p); err != nil {
		return err
	}
	if err := checkJobID(p.Vendor(), jobID, -1); err != nil {
		return err
	}
	return w.AddAll(p, []string{jobID}, opts...)
}

// AddAll starts watching every id in ids through p, as Add does, in one step: a batching client's first
// requests then carry full batches. When an id is empty, blank or a dot segment, nothing is added
// and the error names its position in ids.
func (w *Watcher) AddAll(p Poller, ids []string, opts ...WaitOption) error {
	if err := checkPoller(p); err != nil {
		return err
	}
	cfg, err := newWaitConfig(append(append([]WaitOption{}, w.cfg.wait...), opts...))
	if err != nil {
		return err
	}
	for i, id := range ids {
		if err := checkJobID(p.Vendor(), id, i); err != nil {
			return err
		}
	}
	errc := make(chan error, 1)
	if !w.send(func() {
		if w.drain {
			errc <- ErrWatcherClosed
			return
		}
		var errs []error
		for _, id := range ids {
			errs = append(errs, w.add(p, id, &cfg))
		}
		errc <- errors.Join(errs...)
	}) {
		return ErrWatcherClosed
	}
	return <-errc
}

// AddResumed starts watching the wait a resume token describes, keeping its budget and schedule. Its
// first poll is due when the token says, or at the wait's deadline if a WithMaxWait in opts (or the
// Watcher's WaitOptions) brought that nearer.
func (w *Watcher) AddResumed(p Poller, token string, opts ...WaitOption) error {
	if err := checkPoller(p); err != nil {
		return err
	}
	s, err := resumeSchedule(p.Vendor(), token, append(append([]WaitOption{}, w.cfg.wait...), opts...))
	if err == nil {
		err = s.beganBy(time.Now())
	}
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	if !w.send(func() {
		if w.drain {
			errc <- ErrWatcherClosed
			return
		}
		errc <- w.insert(p, s)
	}) {
		return ErrWatcherClosed
	}
	return <-errc
}

// checkPoller rejects what the Watcher cannot key its jobs by: a nil Poller, or one whose dynamic value
// is not comparable (a map key of it would panic on the scheduler goroutine).
func checkPoller(p Poller) error {
	if err := checkNilPoller(p); err != nil {
		return err
	}
	if !reflect.ValueOf(p).Comparable() || any(p) != any(p) {
		return fmt.Errorf("%w: a poller of type %T is not comparable, so the Watcher cannot tell its jobs apart; pass a pointer to it", ErrPoller, p)
	}
	return nil
}

// checkNilPoller rejects a nil Poller, and a typed nil pointer (a nil *webex.Client, say), whose
// methods would panic on the first poll.
func checkNilPoller(p Poller) error {
	if p == nil {
		return fmt.Errorf("%w: poller is nil", ErrInvalidInput)
	}
	if v := reflect.ValueOf(p); v.Kind() == reflect.Pointer && v.IsNil() {
		return fmt.Errorf("%w: poller is a nil %T", ErrPoller, p)
	}
	return nil
}

// Remove stops watching jobID through p; its result is never delivered, nor are its callbacks' events
// not yet delivered. A callback that is already running, or that its delivery goroutine took up just
// before Remove, still runs to its end, possibly after Remove returns: a WithCheckpoint that writes to a
// store should tolerate a late write for a removed job. It reports whether the job was being watched;
// a job that has finished but whose result waits behind its callbacks is no longer watched. It works
// after Drain, until every result is delivered.
func (w *Watcher) Remove(p Poller, jobID string) bool {
	if checkPoller(p) != nil {
		return false
	}
	found := make(chan bool, 1)
	if !w.send(func() { found <- w.remove(entryKey{p, jobID}) }) {
		return false
	}
	return <-found
}

// ResumeToken returns the resume token of a watched job, "" if it is not watched. It works after Drain,
// until every result is delivered.
func (w *Watcher) ResumeToken(p Poller, jobID string) string {
	if checkPoller(p) != nil {
		return ""
	}
	tok := make(chan string, 1)
	if !w.send(func() {
		if e, ok := w.entries[entryKey{p, jobID}]; ok {
			tok <- e.s.token()
		} else {
			tok <- ""
		}
	}) {
		return ""
	}
	return <-tok
}

// Results delivers each job's WatchResult as the job finishes: range over it, or select on it beside
// other channels. Nothing is lost if it is read late: results queue until read. It is closed by Close,
// or after Drain once every job is delivered.
func (w *Watcher) Results() <-chan WatchResult { return w.results }

// Drain stops accepting jobs: Add, AddAll and AddResumed return ErrWatcherClosed from now on. The jobs
// already watched go on; Remove and ResumeToken keep working for them, and Results is closed once every
// watched job's result has been read. A job's result waits for its callbacks (see WithProgress), so a
// callback that never returns keeps Results open.
func (w *Watcher) Drain() {
	w.send(func() { w.drain = true })
}

// Close stops the Watcher at once: requests in flight are canceled, undelivered results and callback
// events are dropped, Results is closed, and the scheduler and every request goroutine have ended when
// Close returns. Close does not wait for a callback that is running (it may be the caller): that
// callback runs to its end on its job's delivery goroutine, which then ends without delivering more.
func (w *Watcher) Close() error {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.cancel()
	<-w.done
	return nil
}

func (w *Watcher) send(cmd func()) bool {
	w.mu.Lock()
	closed := w.closed
	w.mu.Unlock()
	if closed {
		return false
	}
	select {
	case w.cmds <- cmd:
		return true
	case <-w.done:
		return false
	}
}

func (w *Watcher) add(p Poller, jobID string, cfg *waitConfig) error {
	return w.insert(p, newSchedule(cfg, p.Vendor(), jobID, time.Now(), nil))
}

func (w *Watcher) insert(p Poller, s *schedule) error {
	key := entryKey{p, s.jobID}
	if _, dup := w.entries[key]; dup {
		return fmt.Errorf("%s job %s is already watched", s.vendor, s.jobID)
	}
	g := w.groups[p]
	if g == nil {
		g = &group{p: p, size: 1}
		if bp, ok := p.(batchPoller); ok {
			g.batch, g.size = bp, max(bp.BatchSize(), 1)
			switch {
			case w.cfg.batchSize > 0:
				g.size = min(g.size, w.cfg.batchSize)
			case w.cfg.batchSize < 0:
				g.size = 1
			}
		}
		var own *rate.Limiter
		if lp, ok := p.(limited); ok {
			own = lp.Limiter()
		}
		if own == nil {
			g.limiter = rate.NewLimiter(w.cfg.defaultRate, 1)
		}
		g.ctx = s.pollContext(w.ctx)
		w.groups[p] = g
	}
	s.ceiling = &g.sweep
	e := &entry{key: key, s: s, index: -1}
	if m, ok := s.seen.(*jobMemo); ok && m.last != nil {
		e.sum = summarize(m.last) // a resumed wait's last job, if its schedule had one
	}
	s.seen = e
	w.entries[key] = e
	g.jobs++
	w.capDelays(g)
	heap.Push(&g.heap, e)
	s.observeMove("", e.flightState())
	return nil
}

// capDelays lowers a batching client's delay ceiling to the time one sweep of all its jobs takes at
// its rate (but not below the sweep floor), so that many jobs are swept as fast as the rate allows
// rather than each at the max delay: the lag is then bounded by the sweep, not by the backoff.
func (w *Watcher) capDelays(g *group) {
	if g.batch == nil {
		return
	}
	r := w.cfg.defaultRate
	if lp, ok := g.p.(limited); ok && lp.Limiter() != nil {
		r = lp.Limiter().Limit()
	}
	if r <= 0 || r == rate.Inf {
		return
	}
	batches := (g.jobs + g.size - 1) / g.size
	g.sweep = max(time.Duration(float64(batches)/float64(r)*float64(time.Second)), w.cfg.sweepFloor)
}

func (w *Watcher) remove(key entryKey) bool {
	e, ok := w.entries[key]
	if !ok {
		return false
	}
	w.forget(e)
	w.drop(e)
	e.s.observeMove(e.flightState(), "")
	return true
}

func (w *Watcher) forget(e *entry) {
	delete(w.entries, e.key)
	e.removed = true
	g := w.groups[e.key.p]
	if e.index >= 0 {
		heap.Remove(&g.heap, e.index)
	}
	g.jobs--
	if g.jobs == 0 && g.inFlight == 0 {
		delete(w.groups, e.key.p)
	}
}

func (w *Watcher) run() {
	defer close(w.done)
	defer close(w.results)
	defer w.wg.Wait()
	defer w.cancel()
	defer w.observeClose()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := time.Now()
		w.dispatch(now)
		if w.drain && len(w.entries) == 0 && len(w.queue) == 0 && w.held == 0 {
			return
		}
		var out chan WatchResult
		var head WatchResult
		if len(w.queue) > 0 {
			out, head = w.results, w.queue[0]
		}
		var wake <-chan time.Time
		if at, ok := w.nextDue(); ok {
			timer.Reset(max(at.Sub(now), 0))
			wake = timer.C
		}
		select {
		case <-w.ctx.Done():
			return
		case cmd := <-w.cmds:
			cmd()
		case r := <-w.polled:
			w.handle(r)
		case r := <-w.delivered:
			w.held--
			w.queue = append(w.queue, r)
		case out <- head:
			w.queue[0] = WatchResult{}
			w.queue = w.queue[1:]
		case <-wake:
		}
	}
}

// nextDue is the earliest due time of a job that could be dispatched now.
func (w *Watcher) nextDue() (time.Time, bool) {
	var at time.Time
	found := false
	for _, g := range w.groups {
		if g.inFlight >= w.cfg.maxInFlight || len(g.heap) == 0 {
			continue
		}
		if t := g.heap[0].s.next; !found || t.Before(at) {
			at, found = t, true
		}
	}
	return at, found
}

// dispatch starts a request for every client with due jobs and room in flight. A batching client's
// request is filled up with the jobs due soonest, since their ids ride along at no cost in requests.
func (w *Watcher) dispatch(now time.Time) {
	for _, g := range w.groups {
		for g.inFlight < w.cfg.maxInFlight && len(g.heap) > 0 && !g.heap[0].s.next.After(now) {
			n := 1
			if g.batch != nil {
				n = g.size
			}
			es := make([]*entry, 0, min(n, len(g.heap)))
			for len(es) < n && len(g.heap) > 0 {
				es = append(es, heap.Pop(&g.heap).(*entry))
			}
			g.inFlight++
			w.wg.Add(1)
			go w.poll(g, es)
		}
	}
}

func (w *Watcher) poll(g *group, es []*entry) {
	defer w.wg.Done()
	r := pollResult{g: g, es: es}
	// The request ends at the earliest deadline of its jobs: a slow answer, a client's retry sleeping
	// for a Retry-After or a wait for the limiter must not carry a job past its max wait.
	deadline := es[0].s.deadline()
	for _, e := range es[1:] {
		if d := e.s.deadline(); d.Before(deadline) {
			deadline = d
		}
	}
	ctx, cancel := context.WithDeadline(g.ctx, deadline)
	defer cancel()
	defer func() {
		r.cut = r.err != nil && ctx.Err() != nil
		select {
		case w.polled <- r:
		case <-w.ctx.Done():
		}
	}()
	if g.limiter != nil {
		if r.err = waitLimiter(ctx, g.p.Vendor(), g.limiter); r.err != nil {
			<-ctx.Done() // the limiter refuses at once a wait past the deadline: hold the jobs until it
			return
		}
	}
	r.start = time.Now() // one clock read a request: any job of the batch may have an Observer
	switch {
	case g.batch != nil:
		ids := make([]string, len(es))
		for i, e := range es {
			ids[i] = e.key.id
		}
		r.jobs, r.err = g.batch.StatusMany(ctx, ids)
	default:
		r.job, r.err = es[0].s.pollChecked(ctx, g.p)
	}
}

func (w *Watcher) handle(r pollResult) {
	g := r.g
	g.inFlight--
	now := time.Now()
	if w.cfg.logger.Enabled(w.ctx, slog.LevelDebug) {
		attrs := []slog.Attr{slog.String("vendor", g.p.Vendor()), slog.Int("jobs", len(r.es))}
		if r.err != nil {
			attrs = append(attrs, slog.String("error", r.err.Error()))
		}
		w.cfg.logger.LogAttrs(w.ctx, slog.LevelDebug, "jobwatch: polled", attrs...)
	}
	for _, e := range r.es {
		if e.removed {
			continue
		}
		if r.cut {
			if !now.Before(e.s.deadline()) {
				from := e.flightState()
				w.finish(e, e.s.lastJob(), e.s.timeout(now))
				e.s.observeMove(from, "")
			} else {
				heap.Push(&g.heap, e) // another job's deadline ended the request: poll this one again
			}
			continue
		}
		job, err := r.job, r.err
		if r.jobs != nil || (g.batch != nil && err == nil) {
			var listed bool
			job, listed = r.jobs[e.key.id]
			switch {
			case r.jobs == nil:
				err = fmt.Errorf("%w: %s StatusMany returned neither jobs nor an error", ErrPoller, e.s.vendor)
			case listed && job == nil:
				err = fmt.Errorf("%w: %s StatusMany returned a nil job for %s", ErrPoller, e.s.vendor, e.key.id)
			case job == nil:
				err = &APIError{Vendor: e.s.vendor, Operation: "status", StatusCode: 200, Message: fmt.Sprintf("job %s not in the answer", e.key.id), kind: ErrNotFound}
			}
		}
		from, attempt := e.flightState(), int(e.s.attempt+e.s.errs)+1 // for the Observer
		out := e.s.observe(now, job, err)
		e.s.observePoll(g.ctx, e.s.cfg.observer, attempt, r.start, now, job, err, out)
		// The callbacks' events go to the job's outbox (deliver.go), in the order Wait calls them.
		if out.changed {
			w.notify(e, event{kind: eventProgress, job: out.job})
		}
		if out.done {
			w.finish(e, out.job, out.err)
			e.s.observeMove(from, "")
			continue
		}
		e.s.observeMove(from, e.flightState())
		if ev, ok := e.s.retryEvent(err, out); ok {
			observeRetry(g.ctx, e.s.cfg.observer, ev)
			w.cfg.logger.LogAttrs(w.ctx, slog.LevelWarn, "jobwatch: poll failed; will retry", slog.String("vendor", ev.Vendor),
				slog.String("job", ev.JobID), slog.Int("in_a_row", ev.Attempt), slog.Duration("delay", ev.Delay), slog.String("error", err.Error()))
			w.notify(e, event{kind: eventRetry, retry: ev})
		}
		if w.wants(e, eventCheckpoint) {
			w.notify(e, event{kind: eventCheckpoint, token: e.s.token()})
		}
		heap.Push(&g.heap, e)
	}
	if g.jobs == 0 && g.inFlight == 0 {
		delete(w.groups, g.p)
	}
}

func (w *Watcher) finish(e *entry, job *Job, err error) {
	r := WatchResult{Vendor: e.s.vendor, JobID: e.key.id, Job: job, Err: err}
	attrs := []slog.Attr{slog.String("vendor", r.Vendor), slog.String("job", r.JobID)}
	if job != nil {
		attrs = append(attrs, slog.String("state", string(job.State)))
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	w.cfg.logger.LogAttrs(w.ctx, slog.LevelInfo, "jobwatch: job done", attrs...)
	if !w.holdResult(e, r) {
		w.queue = append(w.queue, r)
	}
	g := w.groups[e.key.p]
	w.forget(e)
	if g != nil && g.batch != nil && g.jobs > 0 {
		w.capDelays(g)
	}
}

// entryHeap orders a client's jobs by next poll time.
type entryHeap []*entry

func (h entryHeap) Len() int           { return len(h) }
func (h entryHeap) Less(i, j int) bool { return h[i].s.next.Before(h[j].s.next) }
func (h entryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *entryHeap) Push(x any) {
	e := x.(*entry)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *entryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	e.index = -1
	*h = old[:len(old)-1]
	return e
}

// jobSummary is what a Watcher keeps of a running job's last poll: enough to tell a change and to say,
// on a timeout, where the job stood.
type jobSummary struct {
	counts   [4]int32 // total, succeeded, failed, pending
	progress float32
	known    uint8 // bit i: counts[i] reported; bit 4: progress reported; bit 7: a poll succeeded
	state    uint8 // index in summaryStates
}

// summaryStates are the states a jobSummary can name, by index.
var summaryStates = [...]State{"", StatePending, StateRunning, StateSucceeded, StatePartiallySucceeded, StateFailed, StateCanceled, StatePaused, StateUnknown}

func summarize(j *Job) jobSummary {
	sum := jobSummary{known: 1 << 7, state: uint8(len(summaryStates) - 1)}
	for i, st := range summaryStates {
		if st == j.State {
			sum.state = uint8(i)
		}
	}
	for i, c := range []*int{j.Counts.Total, j.Counts.Succeeded, j.Counts.Failed, j.Counts.Pending} {
		if c != nil {
			sum.counts[i], sum.known = int32(min(max(*c, math.MinInt32), math.MaxInt32)), sum.known|1<<i
		}
	}
	if j.Progress != nil {
		sum.progress, sum.known = float32(*j.Progress), sum.known|1<<4
	}
	return sum
}

// see keeps job's summary as the entry's last job seen.
func (e *entry) see(j *Job) bool {
	sum := summarize(j)
	changed := sum != e.sum
	e.sum = sum
	return changed
}

// job rebuilds the last job seen from its summary (state, counts and progress); nil before a poll
// succeeded.
func (e *entry) job(vendor, jobID string) *Job {
	if e.sum.known&(1<<7) == 0 {
		return nil
	}
	j := &Job{Vendor: vendor, ID: jobID, State: summaryStates[e.sum.state]}
	for i, c := range []**int{&j.Counts.Total, &j.Counts.Succeeded, &j.Counts.Failed, &j.Counts.Pending} {
		if e.sum.known&(1<<i) != 0 {
			*c = intp(int(e.sum.counts[i]))
		}
	}
	if e.sum.known&(1<<4) != 0 {
		p := float64(e.sum.progress)
		j.Progress = &p
	}
	return j.finish()
}

// observeClose reports the jobs still watched as leaving when the Watcher stops.
func (w *Watcher) observeClose() {
	for _, e := range w.entries {
		e.s.observeMove(e.flightState(), "")
	}
}
