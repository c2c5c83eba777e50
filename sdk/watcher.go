package sdk

import (
	"container/heap"
	"context"
	"fmt"
	"math"
	"reflect"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/jobwatch/jobwatch/sdk/observe"
)

// WatchResult is one job's end, as Wait would have returned it.
type WatchResult struct {
	// Job is the final job, or the last seen; never nil: its Vendor and ID are always set, and its
	// State is StateUnknown when no poll succeeded (Err then says why).
	Job *Job
	// Err is the error Wait would have returned: nil, or one matching ErrJobFailed, ErrJobCanceled or
	// ErrWaitTimeout, or a poll's error.
	Err error
}

// limited is a Poller whose requests wait for a rate limiter: every vendor client has a Limiter method
// (Tencent's client has one by default, any client given ClientOptions.RateLimiter has one). The Watcher
// plans its sweeps from that limiter and leaves the pacing to it, so the watcher and every other call
// through the client share one budget; a client without one is paced at defaultRate.
type limited interface {
	Limiter() *rate.Limiter
}

// Watcher waits for many jobs, of any vendors, on one scheduler goroutine: one timer heap per client, no
// goroutine or timer per job at rest, at most MaxInFlight requests in flight per client, and job ids of
// a client that reads jobs in batches (Tencent) grouped into batches of the client's own size. Each job
// polls on Wait's schedule; its result arrives on Results as it finishes.
//
// Callbacks (each job's Progress and Checkpoint) never run on the scheduler: a job with events to
// deliver gets a goroutine of its own until they are delivered. The Observer's hooks run where the
// event happens, the scheduler included, so they must be quick. All of the Watcher's methods may be
// called from any goroutine, callbacks included. A callback given once for many jobs (in
// WatcherOptions.Wait) runs for different jobs at the same time.
type Watcher struct {
	wait        WaitOptions // every job's, under a job's own
	shared      *waitConfig // wait, filled in: the config of every job added without options of its own
	maxInFlight int
	ctx         context.Context
	cancel      context.CancelFunc
	cmds        chan func()
	polled      chan pollResult
	results     chan WatchResult
	delivered   chan WatchResult // results released by delivery goroutines, see holdResult
	done        chan struct{}
	wg          sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	entries map[entryKey]*entry // guarded by mu: Add inserts, the scheduler deletes
	added   []*entry            // guarded by mu: added, not yet scheduled (see ingest)
	wake    chan struct{}       // tells the scheduler of added jobs

	dmu   sync.Mutex
	boxes map[*entry]*outbox // guarded by dmu; see deliver.go
	held  int                // results waiting in boxes; owned by the scheduler goroutine

	// owned by the scheduler goroutine
	groups map[Poller]*group
	queue  []WatchResult
}

type entryKey struct {
	p  Poller
	id string
}

// entry is one watched job; its id is its schedule's.
type entry struct {
	p       Poller
	s       *schedule
	obs     *observedWait // nil unless an Observer hears of the job's wait
	index   int32         // in its group's heap; -1 when not queued
	removed bool
	sum     jobSummary // the last job seen (see lastSeen)
}

// observedWait is what a watched job's wait needs while an Observer hears of it: the context its
// WaitStart returned (a span, say), which the job's requests, polls, sleeps and WaitEnd get, the polls
// so far, and the sleep it is in.
type observedWait struct {
	ctx   context.Context
	o     *observe.Observer
	polls int
	// sleeping is when the job went back to wait for its next poll (zero when it is not waiting), for
	// why: the sleep a Wait would report, reported when the poll is sent.
	sleeping time.Time
	why      uint8
}

// observeStart tells e's Observer, if any, that e's wait began: from then on it waits for its first
// poll, for as long as a resume token planned.
func (w *Watcher) observeStart(e *entry) {
	if o := e.s.cfg.observer; o != nil && (o.WaitStart != nil || o.WaitEnd != nil || o.Sleep != nil) {
		ctx, o := e.s.observeStart(w.ctx)
		e.obs = &observedWait{ctx: ctx, o: o, sleeping: time.Now(), why: whyResumed}
	}
}

// observeSleep tells e's Observer, if any, that e's sleep ends now, as its next poll is sent. A sleep
// is reported as Wait reports it: only one that was planned (a job due at once has none).
func (e *entry) observeSleep() {
	ow := e.obs
	if ow == nil || ow.sleeping.IsZero() {
		return
	}
	if planned := e.s.next.Sub(ow.sleeping); planned > 0 {
		e.s.observeSleep(ow.ctx, ow.o, ow.sleeping, planned, ow.why)
	}
	ow.sleeping = time.Time{}
}

// observeEnd tells e's Observer, if any, that e's wait ended with job and err.
func (w *Watcher) observeEnd(e *entry, job *Job, err error) {
	if e.obs != nil {
		e.s.observeEnd(e.obs.ctx, e.obs.o, e.obs.polls, &job, &err)
		e.obs = nil
	}
}

type group struct {
	p        Poller
	batch    batchPoller
	limiter  *rate.Limiter // nil when the client paces itself
	size     int
	heap     entryHeap
	inFlight int
	jobs     int
	sweep    time.Duration   // see capDelays; 0 (no ceiling) for a client that does not batch
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

// NewWatcher starts a Watcher; a nil opts takes every default. Close it to stop its goroutines.
func NewWatcher(opts *WatcherOptions) (*Watcher, error) {
	if opts == nil {
		opts = &WatcherOptions{}
	}
	if opts.Wait.ResumeToken != "" {
		return nil, badField("WatcherOptions.Wait.ResumeToken", "a token", "must be empty: give each job's token to Add")
	}
	shared, err := newWaitConfig(&opts.Wait)
	if err != nil {
		return nil, fmt.Errorf("sdk.WatcherOptions.Wait: %w", err)
	}
	maxInFlight := orDefault(opts.MaxInFlight, defaultMaxInFlight)
	if maxInFlight < 0 {
		maxInFlight = math.MaxInt
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &Watcher{wait: opts.Wait, shared: &shared, maxInFlight: maxInFlight, ctx: ctx, cancel: cancel, cmds: make(chan func()),
		polled: make(chan pollResult), results: make(chan WatchResult), delivered: make(chan WatchResult), done: make(chan struct{}),
		wake: make(chan struct{}, 1), groups: map[Poller]*group{}, entries: map[entryKey]*entry{}, boxes: map[*entry]*outbox{}}
	go w.run()
	return w, nil
}

// Add starts watching jobID through p, polling at once. A nil opts takes the Watcher's wait options;
// a non-nil one overrides only its non-zero fields. With opts.ResumeToken it continues that wait
// (jobID may then be ""), keeping its budget and schedule. Adding a job already watched through the
// same client is an error matching ErrInvalidInput, and so is an id that is empty, blank or a dot
// segment, or a bad token; a Poller the Watcher cannot key jobs by (one that is not comparable: pass a
// pointer) is an error matching ErrUnexpectedResponse. After Close it returns an error matching ErrInvalidInput.
// Add hands the job to the scheduler without waiting for it, so adding many jobs is cheap.
func (w *Watcher) Add(p Poller, jobID string, opts *WaitOptions) error {
	if err := checkPoller(p); err != nil {
		return err
	}
	cfg := w.shared
	if opts != nil {
		merged := overlay(w.wait, opts)
		c, err := newWaitConfig(&merged)
		if err != nil {
			return err
		}
		cfg = &c
	}
	e := &entry{p: p, index: -1}
	s, err := startWait(cfg, p.Vendor(), jobID, opts, e)
	if err != nil {
		return err
	}
	e.s = s
	key := entryKey{p, s.jobID}
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.closed:
		return fmt.Errorf("%w: %s job %s added to a closed Watcher", ErrInvalidInput, s.vendor, s.jobID)
	case w.entries[key] != nil:
		return fmt.Errorf("%w: %s job %s is already watched", ErrInvalidInput, s.vendor, s.jobID)
	}
	w.entries[key] = e
	w.added = append(w.added, e)
	if len(w.added) == 1 {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

// checkPoller rejects what the Watcher cannot key its jobs by: a nil Poller, or one whose dynamic value
// is not comparable (a map key of it would panic on the scheduler goroutine).
func checkPoller(p Poller) error {
	if err := checkNilPoller(p); err != nil {
		return err
	}
	if !reflect.ValueOf(p).Comparable() || any(p) != any(p) {
		return brokenPoller("a poller of type %T is not comparable, so the Watcher cannot tell its jobs apart; pass a pointer to it", p)
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
		return fmt.Errorf("%w: poller is a nil %T", ErrInvalidInput, p)
	}
	return nil
}

// Remove stops watching jobID through p; its result is never delivered, nor are its callbacks' events
// not yet delivered. A callback that is already running, or that its delivery goroutine took up just
// before Remove, still runs to its end, possibly after Remove returns: a Checkpoint that writes to a
// store should tolerate a late write for a removed job. It reports whether the job was being watched;
// a job that has finished but whose result waits behind its callbacks is no longer watched.
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

// Results delivers each job's WatchResult as the job finishes, one per Add of a job that was not
// removed: range over it or select on it, counting the results. Nothing is lost if it is read late:
// results queue until read. It is closed by Close.
func (w *Watcher) Results() <-chan WatchResult { return w.results }

// Close stops the Watcher at once: Add returns an error (ErrInvalidInput), requests in flight are canceled,
// undelivered results and callback events are dropped, Results is closed, and the scheduler and every
// request goroutine have ended when Close returns. Close does not wait for a callback that is running
// (it may be the caller): that callback runs to its end on its job's delivery goroutine, which then
// ends without delivering more.
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

// ingest schedules the jobs Add handed over since the last time, in one batch.
func (w *Watcher) ingest() {
	w.mu.Lock()
	added := w.added
	w.added = nil
	w.mu.Unlock()
	for _, e := range added {
		if !e.removed {
			w.insert(e)
		}
	}
}

func (w *Watcher) insert(e *entry) {
	p := e.p
	g := w.groups[p]
	if g == nil {
		g = &group{p: p, size: 1}
		if bp, ok := p.(batchPoller); ok {
			g.batch, g.size = bp, max(bp.BatchSize(), 1)
		}
		var own *rate.Limiter
		if lp, ok := p.(limited); ok {
			own = lp.Limiter()
		}
		if own == nil {
			g.limiter = rate.NewLimiter(defaultRate, 1)
		}
		g.ctx = e.s.pollContext(w.ctx)
		w.groups[p] = g
	}
	g.jobs++
	w.capDelays(g)
	heap.Push(&g.heap, e)
	w.observeStart(e)
	e.s.observeMove("", e.flightState())
}

// capDelays lowers a batching client's delay ceiling to the time one sweep of all its jobs takes at
// its rate (but not below the sweep floor), so that many jobs are swept as fast as the rate allows
// rather than each at the max delay: the lag is then bounded by the sweep, not by the backoff.
func (w *Watcher) capDelays(g *group) {
	if g.batch == nil {
		return
	}
	r := rate.Limit(defaultRate)
	if lp, ok := g.p.(limited); ok && lp.Limiter() != nil {
		r = lp.Limiter().Limit()
	}
	if r <= 0 || r == rate.Inf {
		return
	}
	batches := (g.jobs + g.size - 1) / g.size
	g.sweep = max(time.Duration(float64(batches)/float64(r)*float64(time.Second)), sweepFloor)
}

func (w *Watcher) remove(key entryKey) bool {
	w.ingest()
	w.mu.Lock()
	e, ok := w.entries[key]
	w.mu.Unlock()
	if !ok {
		return false
	}
	w.forget(e)
	w.drop(e)
	e.s.observeMove(e.flightState(), "")
	w.observeEnd(e, e.s.lastJob(), context.Canceled)
	return true
}

func (w *Watcher) forget(e *entry) {
	w.mu.Lock()
	delete(w.entries, entryKey{e.p, e.s.jobID})
	w.mu.Unlock()
	e.removed = true
	g := w.groups[e.p]
	if e.index >= 0 {
		heap.Remove(&g.heap, int(e.index))
	}
	g.jobs--
	if g.jobs == 0 && g.inFlight == 0 {
		delete(w.groups, e.p)
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
		w.ingest()
		now := time.Now()
		w.dispatch(now)
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
		case <-w.wake:
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
		if g.inFlight >= w.maxInFlight || len(g.heap) == 0 {
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
		for g.inFlight < w.maxInFlight && len(g.heap) > 0 && !g.heap[0].s.next.After(now) {
			n := 1
			if g.batch != nil {
				n = g.size
			}
			es := make([]*entry, 0, min(n, len(g.heap)))
			for len(es) < n && len(g.heap) > 0 {
				e := heap.Pop(&g.heap).(*entry)
				e.observeSleep()
				es = append(es, e)
			}
			// A request for one job is part of that job's wait (a child of its span, say); a request
			// for several (a batch) belongs to none of them, and runs under the client's context.
			parent := g.ctx
			if len(es) == 1 && es[0].obs != nil {
				parent = es[0].obs.ctx
			}
			g.inFlight++
			w.wg.Add(1)
			go w.poll(g, es, parent)
		}
	}
}

// poll sends one request for the jobs es of g's client, under parent (the Watcher's context, or a
// context derived from it), and hands its result to the scheduler.
func (w *Watcher) poll(g *group, es []*entry, parent context.Context) {
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
	ctx, cancel := context.WithDeadline(parent, deadline)
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
			ids[i] = e.s.jobID
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
			job, listed = r.jobs[e.s.jobID]
			switch {
			case r.jobs == nil:
				err = brokenPoller("%s StatusMany returned neither jobs nor an error", e.s.vendor)
			case listed && job == nil:
				err = brokenPoller("%s StatusMany returned a nil job for %s", e.s.vendor, e.s.jobID)
			case job == nil:
				err = &APIError{Vendor: e.s.vendor, Operation: "status", StatusCode: 200, Message: fmt.Sprintf("job %s not in the answer", e.s.jobID), kind: ErrNotFound}
			}
		}
		from, attempt := e.flightState(), int(e.s.attempt+e.s.errs)+1 // for the Observer
		out := e.s.observe(now, job, err, g.sweep)
		pollCtx := g.ctx
		if e.obs != nil {
			pollCtx = e.obs.ctx
			e.obs.polls++
		}
		e.s.observePoll(pollCtx, e.s.cfg.observer, attempt, r.start, now, job, err, out)
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
		e.s.observeRetry(pollCtx, e.s.cfg.observer, err, out)
		if e.obs != nil {
			e.obs.sleeping, e.obs.why = now, out.why
		}
		if e.s.cfg.checkpoint != nil {
			w.notify(e, event{kind: eventCheckpoint, token: e.s.token()})
		}
		heap.Push(&g.heap, e)
	}
	if g.jobs == 0 && g.inFlight == 0 {
		delete(w.groups, g.p)
	}
}

func (w *Watcher) finish(e *entry, job *Job, err error) {
	if job == nil {
		job = (&Job{Vendor: e.s.vendor, ID: e.s.jobID, State: StateUnknown}).finish()
	}
	if job.Vendor == "" || job.ID == "" {
		// A Poller of the caller's own may leave them unset; a result always names its job. A copy:
		// the job may be in a progress callback's hands.
		named := *job
		named.Vendor, named.ID = orDefault(job.Vendor, e.s.vendor), orDefault(job.ID, e.s.jobID)
		job = &named
	}
	r := WatchResult{Job: job, Err: err}
	w.observeEnd(e, job, err)
	if !w.holdResult(e, r) {
		w.queue = append(w.queue, r)
	}
	g := w.groups[e.p]
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
	h[i].index, h[j].index = int32(i), int32(j)
}
func (h *entryHeap) Push(x any) {
	e := x.(*entry)
	e.index = int32(len(*h))
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

// jobSummary is what a Watcher keeps of a running job's last poll, instead of the job, since the job
// would be most of a watched job's memory: enough to tell a change and to say, on a timeout, where the
// job stood.
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
	w.ingest()
	w.mu.Lock()
	left := make([]*entry, 0, len(w.entries))
	for _, e := range w.entries {
		left = append(left, e)
	}
	w.mu.Unlock()
	// The hooks run outside the lock: one may call the Watcher.
	for _, e := range left {
		e.s.observeMove(e.flightState(), "")
		w.observeEnd(e, e.s.lastJob(), context.Canceled)
	}
}
