package tencent

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/internal/sdktest"
	"github.com/jobwatch/jobwatch/sdk/observe"
)

// jitteryServer takes each request in at a random point of a random delay (up to 300 ms, as on a busy
// machine) and records when it did.
type jitteryServer struct {
	mu  sync.Mutex // guards rng
	rng *rand.Rand
	sdktest.Arrivals
}

func (s *jitteryServer) Do(*http.Request) (*http.Response, error) {
	s.mu.Lock()
	before := time.Duration(s.rng.Int64N(int64(300 * time.Millisecond)))
	after := time.Duration(s.rng.Int64N(int64(50 * time.Millisecond)))
	s.mu.Unlock()
	time.Sleep(before)
	s.Arrive()
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
		accepted := srv.Times()
		// A one-second window open at its end: within 1s-1ns of its first request, as durations are whole nanoseconds.
		most := mostInWindow(accepted, time.Second-time.Nanosecond)
		rate := float64(len(accepted)) / time.Since(start).Seconds()
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

// arrivals answers every request with the documented ListJobs example after a fixed delay, recording
// when each request came in.
type arrivals struct {
	body  string
	delay time.Duration
	sdktest.Arrivals
}

func (a *arrivals) RoundTrip(req *http.Request) (*http.Response, error) {
	a.Arrive()
	time.Sleep(a.delay)
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(a.body)), Request: req}, nil
}

// mostInWindow is the most of ts (in order) within any closed window of length w.
func mostInWindow(ts []time.Time, w time.Duration) int {
	most := 0
	for i := range ts {
		n := 0
		for _, b := range ts[i:] {
			if b.Sub(ts[i]) <= w {
				n++
			}
		}
		most = max(most, n)
	}
	return most
}

// TestClientPacesTwentyInAnyRollingSecond: a client with its own pacing (no sdk.ClientOptions.RateLimiter), asked
// for 200 statuses by 8 goroutines at once, never lets more than 20 requests reach Tencent in any
// rolling second (window ends included), still sends about 20 a second, reports each request's wait
// to the Observer as a limiter wait, and reports its pace through Limiter for a Watcher to plan by.
func TestClientPacesTwentyInAnyRollingSecond(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &arrivals{body: sdktest.Seed(t, "tencent_listjobs_200.json"), delay: 30 * time.Millisecond}
		c, err := New(Config{SecretID: testID, SecretKey: testKey, Region: "ap-guangzhou", UserStoreID: "store-1"},
			&sdk.ClientOptions{HTTPClient: &http.Client{Transport: srv}, BaseURL: "https://ciam.example", Getenv: func(string) string { return "" }})
		if err != nil {
			t.Fatal(err)
		}
		if l := c.Limiter(); l == nil || l.Limit() != 20 || l.Burst() != 20 {
			t.Fatalf("Limiter %v, want the window's pace: 20 a second, bursts of 20", l)
		}
		var waits atomic.Int64 // the window's waits, reported as limiter waits
		ctx := observe.NewContext(t.Context(), &observe.Observer{LimiterWait: func(_ context.Context, w observe.LimiterWait) {
			if w.Vendor == Vendor && w.Err == nil {
				waits.Add(1)
			}
		}})
		start := time.Now()
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 25 {
					if _, err := c.Status(ctx, "c29f2c0f****************405ec698"); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		took := time.Since(start)
		at := srv.Times()
		if len(at) != 200 {
			t.Fatalf("%d requests reached the server, want 200", len(at))
		}
		most := mostInWindow(at, time.Second)
		if most > 20 {
			t.Errorf("%d requests in one rolling second, want at most 20", most)
		}
		t.Logf("at most %d in a rolling second; 200 requests in %s", most, took)
		if n := waits.Load(); n != 200 {
			t.Errorf("%d limiter waits reported to the Observer, want one a request (200)", n)
		}
		// 20 go at once, the next 20 a second after their answers: 10 windows of 1.03 s, the last not waited out.
		if perSecond := 200 / took.Seconds(); perSecond < 19 || perSecond > 21.5 {
			t.Errorf("%d requests in %s: %.1f a second, want about 20", len(at), took, perSecond)
		}
	})
}
