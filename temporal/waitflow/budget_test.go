package waitflow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.temporal.io/sdk/converter"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

// crowdest is the most slots whose requests can reach the vendor in one rolling second: slot T's
// request arrives in [T, T+window], so a second [a, a+1s) holds the slots in (a-window, a+1s).
func crowdest(slots []time.Time, window time.Duration) int {
	slices.SortFunc(slots, time.Time.Compare)
	best, lo := 0, 0
	for hi := range slots {
		for slots[hi].Sub(slots[lo]) >= time.Second+window {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

func TestLeasedSlotsNeverCrowdARollingSecond(t *testing.T) {
	for _, tc := range []struct {
		name   string
		limit  int
		window time.Duration
	}{
		{"tencent", TencentLimit, 0},
		{"one a second", 1, 0},
		{"webex", 50, 250 * time.Millisecond},
		{"odd", 7, 333 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := BudgetInput{Limit: tc.limit, Window: tc.window}
			if err := in.validate(); err != nil {
				t.Fatal(err)
			}
			now := t0
			var slots []time.Time
			// workers asking for 1 to limit+3 slots, with a NotBefore early, on time or late
			for i := range 2000 {
				r := LeaseRequest{Count: 1 + i%(tc.limit+3), NotBefore: now.Add(time.Duration(i%5-2) * 30 * time.Millisecond)}
				l := in.lease(now, r)
				if l.Count > r.Count || l.Count > tc.limit {
					t.Fatalf("lease of %d slots for a request of %d", l.Count, r.Count)
				}
				if l.Count == 0 {
					if !l.RetryAt.After(now) {
						t.Fatalf("empty lease with retry at %v, now %v", l.RetryAt, now)
					}
					now = l.RetryAt
					continue
				}
				if l.First.Before(now) || l.Slot(l.Count-1).After(now.Add(budgetHorizon)) {
					t.Fatalf("slots %v..%v outside [now, now+horizon] at %v", l.First, l.Slot(l.Count-1), now)
				}
				for k := range l.Count {
					slots = append(slots, l.Slot(k))
				}
				now = now.Add(time.Duration(i%7) * 40 * time.Millisecond)
			}
			if n := crowdest(slots, in.window()); n > tc.limit {
				t.Errorf("%d slots within 1s + window, limit %d", n, tc.limit)
			}
			// under a backlog the budget leases every slot: (1s + window) ÷ limit apart
			span := slots[len(slots)-1].Sub(slots[0])
			rate := float64(len(slots)-1) / span.Seconds()
			if want := float64(tc.limit) / (1 + in.window().Seconds()); rate < want*0.999 {
				t.Errorf("%.3f slots/s, want %.3f", rate, want)
			}
		})
	}
}

func TestBudgetInputRejectsBadSettings(t *testing.T) {
	for _, in := range []BudgetInput{{}, {Limit: -1}, {Limit: 20, Window: -time.Millisecond}, {Limit: 20, Window: time.Second}} {
		if err := in.validate(); err == nil {
			t.Errorf("%+v: no error", in)
		}
	}
	if _, err := NewFleetBudget(nil, "default", "q", 20); err == nil {
		t.Error("NewFleetBudget without a client: no error")
	}
}

// TestFleetBudgetPacesWorkersTogether runs three FleetBudgets of one account, sharing a budget, with
// 20 activities each waiting for slots again and again: the requests they release never crowd a
// rolling second beyond the limit, and they use the whole budget.
func TestFleetBudgetPacesWorkersTogether(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		in := BudgetInput{Limit: TencentLimit}
		leases := 0
		lease := func(_ context.Context, r LeaseRequest) (Lease, error) {
			time.Sleep(5 * time.Millisecond) // the round trip to the budget workflow
			mu.Lock()
			defer mu.Unlock()
			leases++
			if leases%10 == 0 {
				return Lease{}, errors.New("the budget is continuing as new")
			}
			return in.lease(time.Now(), r), nil
		}
		var sent []time.Time
		var wg sync.WaitGroup
		for range 3 {
			b := newFleetBudget(lease, func(context.Context) {})
			defer b.Close()
			for range 20 {
				wg.Go(func() {
					for range 20 {
						if err := b.Wait(context.Background()); err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						sent = append(sent, time.Now())
						mu.Unlock()
						time.Sleep(3 * time.Millisecond) // the request
					}
				})
			}
		}
		wg.Wait()
		if n := crowdest(sent, 0); n > TencentLimit {
			t.Errorf("%d requests in a rolling second, limit %d", n, TencentLimit)
		}
		span := sent[len(sent)-1].Sub(sent[0])
		if rate := float64(len(sent)-1) / span.Seconds(); rate < 0.8*TencentLimit {
			t.Errorf("%.2f requests/s, want at least 80%% of %d", rate, TencentLimit)
		}
	})
}

func TestFleetBudgetWaitEndsWithItsContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		unstuck := 0
		b := newFleetBudget(func(ctx context.Context, r LeaseRequest) (Lease, error) {
			<-ctx.Done() // a budget out of reach
			return Lease{}, ctx.Err()
		}, func(context.Context) { unstuck++ })
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := b.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Wait = %v, want the context's deadline", err)
		}
		b.Close()
		if err := b.Wait(context.Background()); err == nil {
			t.Error("Wait after Close: no error")
		}
		time.Sleep(leaseTimeout) // let the last lease request give up
		synctest.Wait()
		if unstuck == 0 {
			t.Error("a lease that timed out did not reset the budget's sticky queue")
		}
	})
}

// TestBudgetWorkflowLeasesContinuesAsNewAndEnds drives the Budget workflow in the test environment:
// leases follow each other, a run continues as new after budgetLeasesPerRun leases with the next free
// instant, and a budget left idle for budgetIdle ends.
func TestBudgetWorkflowLeasesContinuesAsNewAndEnds(t *testing.T) {
	for _, tc := range []struct {
		name   string
		leases int
	}{{"continues as new when full", budgetLeasesPerRun + 5}, {"ends when idle", 3}} {
		t.Run(tc.name, func(t *testing.T) {
			var s testsuite.WorkflowTestSuite
			s.SetLogger(tlog.NewStructuredLogger(slog.New(slog.DiscardHandler)))
			env := s.NewTestWorkflowEnvironment()
			env.SetStartTime(t0)
			env.RegisterWorkflowWithOptions(Budget, workflow.RegisterOptions{Name: BudgetWorkflow})
			var got []Lease
			rejected := 0
			for i := range tc.leases {
				env.RegisterDelayedCallback(func() {
					env.UpdateWorkflow(LeaseUpdate, fmt.Sprint("lease-", i), &testsuite.TestUpdateCallback{
						OnAccept: func() {},
						OnReject: func(error) { rejected++ },
						OnComplete: func(v any, err error) {
							if err != nil {
								t.Error(err)
								return
							}
							got = append(got, v.(Lease))
						},
					}, LeaseRequest{Count: 3, NotBefore: env.Now()})
				}, time.Duration(i+1)*200*time.Millisecond) // 15 slots a second: every lease is granted
			}
			env.ExecuteWorkflow(BudgetWorkflow, BudgetInput{Limit: TencentLimit})
			err := env.GetWorkflowError()
			var can *workflow.ContinueAsNewError
			if tc.leases > budgetLeasesPerRun {
				if !errors.As(err, &can) {
					t.Fatalf("error = %v, want a continue-as-new", err)
				}
				var next BudgetInput
				if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
					t.Fatal(err)
				}
				last := got[len(got)-1]
				if len(got) != budgetLeasesPerRun || rejected > tc.leases-budgetLeasesPerRun || !next.Next.Equal(last.Slot(last.Count)) || next.Leased != 3*budgetLeasesPerRun {
					t.Errorf("%d leases, %d rejected; next run %+v after last lease %+v", len(got), rejected, next, last)
				}
			} else if err != nil || len(got) != tc.leases {
				t.Fatalf("error %v after %d leases", err, len(got))
			}
			for i := 1; i < len(got); i++ {
				if got[i].First.Before(got[i-1].Slot(got[i-1].Count)) {
					t.Fatalf("lease %d starts at %v, inside lease %d", i, got[i].First, i-1)
				}
			}
		})
	}
}
