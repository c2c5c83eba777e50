package sdk

// The Watcher's callbacks run off its scheduler goroutine. Each job that has an event to deliver gets an
// outbox and one goroutine that empties it, in order, and ends when it is empty: a job at rest has
// neither. A callback may therefore block, or call back into the Watcher, without holding up the
// scheduler, the polls of other jobs or their callbacks.
//
// Memory stays bounded per job however long a callback blocks: an outbox holds at most one waiting event of each
// kind, the newest (a newer checkpoint token supersedes an older one; a newer progress event describes
// the job as it is now), plus the job's result, which always comes last. What a callback sees is thus a
// subsequence of its job's events, in the order they happened.

type eventKind uint8

const (
	eventProgress eventKind = iota
	eventCheckpoint
	eventResult
)

type event struct {
	kind   eventKind
	job    *Job
	token  string
	result WatchResult
}

// outbox is one job's undelivered events. It exists, in Watcher.boxes, exactly while a goroutine is
// delivering them.
type outbox struct {
	e          *entry
	progress   func(*Job)
	checkpoint func(string)
	events     []event // oldest first
	dropped    bool    // the job was removed: deliver nothing more
}

// wants reports whether e has a callback for events of kind k.
func (w *Watcher) wants(e *entry, k eventKind) bool {
	switch k {
	case eventProgress:
		return e.s.cfg.progress != nil
	case eventCheckpoint:
		return e.s.cfg.checkpoint != nil
	}
	return false
}

// notify queues ev for e's callbacks. It runs on the scheduler goroutine and never blocks on a callback.
func (w *Watcher) notify(e *entry, ev event) {
	if !w.wants(e, ev.kind) {
		return
	}
	w.dmu.Lock()
	b := w.boxes[e]
	start := b == nil
	if start {
		b = &outbox{e: e, progress: e.s.cfg.progress, checkpoint: e.s.cfg.checkpoint}
		w.boxes[e] = b
	}
	for i, old := range b.events {
		if old.kind == ev.kind {
			b.events = append(b.events[:i], b.events[i+1:]...)
			break
		}
	}
	b.events = append(b.events, ev)
	w.dmu.Unlock()
	if start {
		go w.deliver(b)
	}
}

// holdResult queues r behind e's undelivered events, so that a job's callbacks have all been called
// before its result is delivered. It reports false when e has none: r can be delivered at once.
func (w *Watcher) holdResult(e *entry, r WatchResult) bool {
	w.dmu.Lock()
	defer w.dmu.Unlock()
	b := w.boxes[e]
	if b == nil {
		return false
	}
	b.events = append(b.events, event{kind: eventResult, result: r})
	w.held++
	return true
}

// drop discards e's undelivered events (the job was removed). A callback already running runs on.
func (w *Watcher) drop(e *entry) {
	w.dmu.Lock()
	if b := w.boxes[e]; b != nil {
		b.dropped, b.events = true, nil
	}
	w.dmu.Unlock()
}

// deliver runs b's events, one at a time, until b is empty, its job is removed or the Watcher is closed.
func (w *Watcher) deliver(b *outbox) {
	for {
		w.dmu.Lock()
		if len(b.events) == 0 || b.dropped || w.ctx.Err() != nil {
			delete(w.boxes, b.e)
			b.events = nil
			w.dmu.Unlock()
			return
		}
		ev := b.events[0]
		b.events[0] = event{}
		b.events = b.events[1:]
		w.dmu.Unlock()
		if ev.kind != eventResult && w.removedSince(b) {
			continue
		}
		switch ev.kind {
		case eventProgress:
			b.progress(ev.job)
		case eventCheckpoint:
			b.checkpoint(ev.token)
		case eventResult:
			select {
			case w.delivered <- ev.result:
			case <-w.ctx.Done():
			}
		}
	}
}

// removedSince narrows the window in which an event taken off b runs after its job was removed: it
// reports whether Remove or Close came since the event was taken.
func (w *Watcher) removedSince(b *outbox) bool {
	w.dmu.Lock()
	defer w.dmu.Unlock()
	return b.dropped || w.ctx.Err() != nil
}
