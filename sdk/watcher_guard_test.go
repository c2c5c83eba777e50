package sdk

import (
	"context"
	"errors"
	"math"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/time/rate"
)

// ptrPoller is a pointer Poller whose methods read through the pointer, as the vendor clients' do.
type ptrPoller struct{ limiter *rate.Limiter }

func (p *ptrPoller) Vendor() string         { return "ptr" }
func (p *ptrPoller) Limiter() *rate.Limiter { return p.limiter }
func (p *ptrPoller) Status(_ context.Context, id string) (*Job, error) {
	return (&Job{Vendor: "ptr", ID: id, State: StateSucceeded}).finish(), nil
}

// nanPoller is comparable but never equal to itself, so a map keyed by it never finds it again.
type nanPoller struct{ f float64 }

func (nanPoller) Vendor() string { return "nan" }
func (nanPoller) Status(_ context.Context, id string) (*Job, error) {
	return (&Job{Vendor: "nan", ID: id, State: StateSucceeded}).finish(), nil
}

// brokenBatch answers StatusMany with a nil job for every id, or with no map at all.
type brokenBatch struct{ noMap bool }

func (*brokenBatch) Vendor() string         { return "broken" }
func (*brokenBatch) BatchSize() int         { return 10 }
func (*brokenBatch) Limiter() *rate.Limiter { return nil }
func (*brokenBatch) Status(context.Context, string) (*Job, error) {
	return nil, errors.New("unused")
}
func (b *brokenBatch) StatusMany(_ context.Context, ids []string) (map[string]*Job, error) {
	if b.noMap {
		return nil, nil
	}
	out := map[string]*Job{}
	for _, id := range ids {
		out[id] = nil
	}
	return out, nil
}

// A poller the scheduler would crash on is refused on the caller's goroutine: a typed nil one as
// invalid input, one the Watcher cannot key jobs by with ErrUnexpectedResponse.
func TestWatcherRefusesPollersItWouldCrashOn(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    Poller
		want error
	}{
		{"typed nil pointer", (*ptrPoller)(nil), ErrInvalidInput},
		{"not equal to itself", nanPoller{f: math.NaN()}, ErrUnexpectedResponse},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := NewWatcher(nil)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			if err := w.Add(tc.p, "j", nil); !errors.Is(err, tc.want) {
				t.Errorf("Add: %v, want %v", err, tc.want)
			}
			if w.Remove(tc.p, "j") {
				t.Error("Remove found a job of a refused poller")
			}
		})
	}
}

// A batching Poller that answers without the jobs breaks its contract: each job ends with ErrUnexpectedResponse, not
// with a not-found error that blames the vendor.
func TestWatcherBatchPollerWithoutJobsGetsErrUnexpectedResponse(t *testing.T) {
	for _, noMap := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			w, err := NewWatcher(nil)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			b := &brokenBatch{noMap: noMap}
			addAll(t, w, b, "a", "b")
			seen := map[string]bool{}
			for _, r := range results(w, 2) {
				err := r.Err
				seen[r.Job.ID] = true
				if !errors.Is(err, ErrUnexpectedResponse) || errors.Is(err, ErrNotFound) {
					t.Errorf("noMap=%v job %s: %v, want ErrUnexpectedResponse", noMap, r.Job.ID, err)
				}
			}
			if !seen["a"] || !seen["b"] {
				t.Errorf("noMap=%v: results for %v, want a and b", noMap, seen)
			}
		})
	}
}

// A typed nil client given to Wait, resuming or not, is an error, not a panic.
func TestWaitRefusesATypedNilPoller(t *testing.T) {
	var p *ptrPoller
	tok, err := newWaiter(&ptrPoller{}, "j", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Wait(t.Context(), p, "j", nil); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("Wait: %v, want ErrInvalidInput", err)
	}
	if _, err := Wait(t.Context(), p, "", &WaitOptions{ResumeToken: tok.s.token()}); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("Wait with a resume token: %v, want ErrInvalidInput", err)
	}
}

// An absurd progress (a hostile server's tiny fraction, a Poller's NaN) never shortens the delay to
// the min delay: far-off or unknown ends wait the backoff or the max delay.
func TestEstimateNeverWrapsAround(t *testing.T) {
	started := time.Now()
	updated := started.Add(10 * time.Second) // by the vendor's clock
	for _, p := range []float64{1e-300, math.NaN(), math.Inf(1)} {
		prog := p
		d, ok, _ := estimate(mustConfig(t), noProgress, &Job{Progress: &prog, Started: &started, Updated: &updated}, time.Now(), defaultMaxDelay)
		if ok && d < defaultMaxDelay {
			t.Errorf("progress %v: next poll in %s, want the max delay or no estimate", p, d)
		}
	}
}

func mustConfig(t *testing.T) *waitConfig {
	t.Helper()
	c, err := newWaitConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &c
}
