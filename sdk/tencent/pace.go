package tencent

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/jobwatch/jobwatch/sdk/internal/httpx"
	"github.com/jobwatch/jobwatch/sdk/observe"
)

// windowDoer is the client's pacing: it keeps the requests inside Tencent's rule, at most limit
// requests in any window of per, whatever happens to them on the way. A rate limiter spacing the sends
// cannot: a busy machine (or network) delays some requests more than others, and a late one can land
// in the same window as the requests sent after it (under load, 2–3% of a Watcher's requests were
// refused at 19/s). Tencent counts a request when it takes it in, sometime between the send and the
// answer, so a request answered more than per ago is certainly outside the window, and one still in
// flight may be in it. A request is sent only while fewer than limit requests could be in the window,
// so no refusal is possible; when answers come fast, limit requests go out every per.
type windowDoer struct {
	next interface {
		Do(*http.Request) (*http.Response, error)
	}
	limit int
	per   time.Duration
	now   func() time.Time

	mu       sync.Mutex
	inFlight int
	answered []time.Time // when recent requests were answered, oldest first; none older than per
	// changed is closed when a request is answered, so that waiters look again. It is made by the
	// first waiter and dropped once closed: a request answered while nobody waits makes none.
	changed chan struct{}
}

func newWindowDoer(next interface {
	Do(*http.Request) (*http.Response, error)
}, limit int, per time.Duration) *windowDoer {
	return &windowDoer{next: next, limit: limit, per: per, now: time.Now}
}

// Do waits until the request cannot be the window's limit+1-th, then sends it. The wait is reported to
// the context's Observer as a limiter wait, as a client's rate limiter reports its own.
func (d *windowDoer) Do(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if err := httpx.ObserveWait(ctx, observe.FromContext(ctx), Vendor, d.slot); err != nil {
		return nil, err
	}
	resp, err := d.next.Do(req)
	d.mu.Lock()
	d.inFlight--
	d.answered = append(d.answered, d.now())
	if d.changed != nil {
		close(d.changed)
		d.changed = nil
	}
	d.mu.Unlock()
	return resp, err
}

// slot waits until fewer than limit requests can be in the window, and counts the caller's in flight.
func (d *windowDoer) slot(ctx context.Context) error {
	d.mu.Lock()
	for {
		now := d.now()
		cut := 0
		// Strictly more than per ago: a request answered exactly per ago could share a closed window
		// of per with this one.
		for cut < len(d.answered) && d.answered[cut].Before(now.Add(-d.per)) {
			cut++
		}
		d.answered = d.answered[cut:]
		if d.inFlight+len(d.answered) < d.limit {
			break
		}
		// Look again when the oldest answer leaves the window, or when a request in flight is answered
		// (with all of them in flight, only that): never on a spinning timer.
		if d.changed == nil {
			d.changed = make(chan struct{})
		}
		changed := d.changed
		var t *time.Timer
		var expired <-chan time.Time
		if len(d.answered) > 0 {
			t = time.NewTimer(max(d.answered[0].Add(d.per).Sub(now)+time.Nanosecond, time.Millisecond))
			expired = t.C
		}
		d.mu.Unlock()
		select {
		case <-ctx.Done():
		case <-expired:
		case <-changed:
		}
		if t != nil {
			t.Stop()
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		d.mu.Lock()
	}
	d.inFlight++
	d.mu.Unlock()
	return nil
}
