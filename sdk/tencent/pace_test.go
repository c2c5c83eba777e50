package tencent

import (
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// jitteryServer takes each request in at a random point of a random delay (up to 300 ms, as on a busy
// machine) and records when it did.
type jitteryServer struct {
	mu       sync.Mutex
	rng      *rand.Rand
	accepted []time.Time
}

func (s *jitteryServer) Do(*http.Request) (*http.Response, error) {
	s.mu.Lock()
	before := time.Duration(s.rng.Int64N(int64(300 * time.Millisecond)))
	after := time.Duration(s.rng.Int64N(int64(50 * time.Millisecond)))
	s.mu.Unlock()
	time.Sleep(before)
	s.mu.Lock()
	s.accepted = append(s.accepted, time.Now())
	s.mu.Unlock()
	time.Sleep(after)
	return &http.Response{StatusCode: 200, Body: http.NoBody}, nil
}

// TestWindowDoerNeverExceedsTheWindow: with requests delayed at random on their way, 8 senders as fast
// as they can never put more than 20 requests in any one-second window, and still send at most of the
// limit.
func TestWindowDoerNeverExceedsTheWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &jitteryServer{rng: rand.New(rand.NewPCG(1, 2))}
		d := newWindowDoer(srv, 20, time.Second)
		start := time.Now()
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 50 {
					req, _ := http.NewRequestWithContext(t.Context(), "POST", "https://h/", nil)
					if _, err := d.Do(req); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		most := 0
		for i, a := range srv.accepted {
			n := 0
			for _, b := range srv.accepted[i:] {
				if b.Sub(a) < time.Second {
					n++
				}
			}
			most = max(most, n)
		}
		rate := float64(len(srv.accepted)) / time.Since(start).Seconds()
		if most > 20 || rate < 14 {
			t.Errorf("%d requests in one window (limit 20); %.1f requests/s", most, rate)
		}
		t.Logf("at most %d in a window, %.1f requests/s", most, rate)
	})
}

// stallServer answers only when released, counting nothing: it stands for a vendor that stopped
// answering.
type stallServer struct{ release chan struct{} }

func (s *stallServer) Do(req *http.Request) (*http.Response, error) {
	select {
	case <-s.release:
		return &http.Response{StatusCode: 200, Body: http.NoBody}, nil
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
}

// TestWindowDoerWaitsWithoutSpinning: with the window full of requests in flight to a server that has
// stalled, further senders sleep until an answer comes; they do not wake every millisecond. In a
// synctest bubble, a spinning waiter would keep the bubble from ever being durably blocked, so
// synctest.Wait would not return.
func TestWindowDoerWaitsWithoutSpinning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &stallServer{release: make(chan struct{})}
		d := newWindowDoer(srv, 2, time.Second)
		var looks atomic.Int64 // each look at the window reads the clock once
		d.now = func() time.Time { looks.Add(1); return time.Now() }
		req, _ := http.NewRequest(http.MethodGet, "http://x/", nil)
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() { d.Do(req) })
		}
		synctest.Wait() // two in flight, two waiting: all durably blocked
		start := time.Now()
		time.Sleep(time.Hour) // a stalled hour passes in the bubble without a wake-up storm
		if time.Since(start) != time.Hour {
			t.Fatal("clock moved oddly")
		}
		if n := looks.Load(); n > 10 {
			t.Errorf("the waiting senders looked at the window %d times in a stalled hour, want a few", n)
		}
		close(srv.release)
		wg.Wait()
		if d.inFlight != 0 {
			t.Errorf("in flight %d after every answer", d.inFlight)
		}
	})
}
