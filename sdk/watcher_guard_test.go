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

// A poller the scheduler would crash on is refused on the caller's goroutine with ErrPoller.
func TestWatcherRefusesPollersItWouldCrashOn(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    Poller
	}{
		{"typed nil pointer", (*ptrPoller)(nil)},
		{"not equal to itself", nanPoller{f: math.NaN()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := NewWatcher()
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			for name, err := range map[string]error{
				"Add":    w.Add(tc.p, "j"),
				"AddAll": w.AddAll(tc.p, []string{"j"}),
			} {
				if !errors.Is(err, ErrPoller) {
					t.Errorf("%s: %v, want ErrPoller", name, err)
				}
			}
			if w.Remove(tc.p, "j") || w.ResumeToken(tc.p, "j") != "" {
				t.Error("Remove or ResumeToken found a job of a refused poller")
			}
		})
	}
}

// A batching Poller that answers without the jobs breaks its contract: each job ends with ErrPoller, not
// with a not-found error that blames the vendor.
func TestWatcherBatchPollerWithoutJobsGetsErrPoller(t *testing.T) {
	for _, noMap := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			w, err := NewWatcher()
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			if err := w.AddAll(&brokenBatch{noMap: noMap}, []string{"a", "b"}); err != nil {
				t.Fatal(err)
			}
			w.Drain()
			seen := map[string]bool{}
			for r := range w.Results() {
				err := r.Err
				seen[r.JobID] = true
				if !errors.Is(err, ErrPoller) || errors.Is(err, ErrNotFound) {
					t.Errorf("noMap=%v job %s: %v, want ErrPoller", noMap, r.JobID, err)
				}
			}
			if !seen["a"] || !seen["b"] {
				t.Errorf("noMap=%v: results for %v, want a and b", noMap, seen)
			}
		})
	}
}

// A typed nil client given to Wait or ResumeWait is an error, not a panic.
func TestWaitRefusesATypedNilPoller(t *testing.T) {
	var p *ptrPoller
	tok, err := newWaiter(&ptrPoller{}, "j")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Wait(t.Context(), p, "j"); !errors.Is(err, ErrPoller) {
		t.Errorf("Wait: %v, want ErrPoller", err)
	}
	if _, err := resumeWaiter(p, tok.s.token()); !errors.Is(err, ErrPoller) {
		t.Errorf("resumeWaiter: %v, want ErrPoller", err)
	}
}

// An absurd progress (a hostile server's tiny fraction, a Poller's NaN) never shortens the delay to
// the min delay: far-off or unknown ends wait the backoff or the max delay.
func TestEstimateNeverWrapsAround(t *testing.T) {
	started := time.Now()
	updated := started.Add(10 * time.Second) // by the vendor's clock
	for _, p := range []float64{1e-300, math.NaN(), math.Inf(1)} {
		s := newSchedule(mustConfig(t), "x", "j", time.Now(), nil)
		prog := p
		d, ok := s.estimate(&Job{Progress: &prog, Started: &started, Updated: &updated}, time.Now())
		if ok && d < DefaultMaxDelay {
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
