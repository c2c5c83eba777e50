package bulk_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jobwatch/jobwatch/sdk/bulk"
	"github.com/jobwatch/jobwatch/sdk/observe"
	"github.com/jobwatch/jobwatch/simulator"
)

// events collects what an Observer was told.
type events struct {
	mu       sync.Mutex
	rounds   []observe.Round
	chunks   []observe.Chunk
	polls    []observe.Poll
	requests map[string]int // by vendor
}

func (ev *events) observer() *observe.Observer {
	ev.requests = map[string]int{}
	return &observe.Observer{
		Round: func(_ context.Context, e observe.Round) {
			ev.mu.Lock()
			ev.rounds = append(ev.rounds, e)
			ev.mu.Unlock()
		},
		Chunk: func(_ context.Context, e observe.Chunk) {
			ev.mu.Lock()
			ev.chunks = append(ev.chunks, e)
			ev.mu.Unlock()
		},
		Poll: func(_ context.Context, e observe.Poll) {
			ev.mu.Lock()
			ev.polls = append(ev.polls, e)
			ev.mu.Unlock()
		},
		Request: func(_ context.Context, e observe.Request) {
			ev.mu.Lock()
			ev.requests[e.Vendor]++
			ev.mu.Unlock()
		},
	}
}

// TestRunObserved: a run of 250 Huawei users, some failing once, reports each chunk's end and each
// round's end, with the users and outcomes the report holds, and its submits and polls reach the
// Observer as requests; whether the Observer comes in Options or in the context.
func TestRunObserved(t *testing.T) {
	const n = 250
	for _, how := range []string{"options", "context"} {
		t.Run(how, func(t *testing.T) {
			srv := simulator.NewTest(t, simulator.Options{JobDuration: 20 * time.Millisecond,
				Bulk: simulator.BulkOptions{TransientRate: 0.1}})
			v := adapter(t, srv, simulator.Huawei)
			in := users(t, simulator.Huawei, n, v)
			transient := 0
			for i := 1; i <= n; i++ {
				if srv.BulkClass(simulator.Huawei, userKey(simulator.Huawei, i)) == "transient" {
					transient++
				}
			}
			if transient == 0 || transient > 100 {
				t.Fatalf("%d transient users: want 1 to 100, one chunk's worth", transient)
			}
			ev := &events{}
			ctx, opts := context.Background(), fast(t.TempDir())
			if how == "options" {
				opts.Observer = ev.observer()
			} else {
				ctx = observe.NewContext(ctx, ev.observer())
			}
			sum, err := bulk.Run(ctx, v, in, opts)
			if err != nil {
				t.Fatal(err)
			}
			ev.mu.Lock()
			defer ev.mu.Unlock()

			want := []observe.Round{
				{Vendor: "huawei", Round: 1, Chunks: 3, Users: n, Succeeded: n - transient, Retryable: transient},
				{Vendor: "huawei", Round: 2, Chunks: 1, Users: transient, Succeeded: transient},
			}
			if len(ev.rounds) != len(want) {
				t.Fatalf("%d Round events, want %d: %+v", len(ev.rounds), len(want), ev.rounds)
			}
			for i, got := range ev.rounds {
				if got.Start.IsZero() || got.Duration <= 0 {
					t.Errorf("round %d: start %v, duration %v", i+1, got.Start, got.Duration)
				}
				got.Start, got.Duration = time.Time{}, 0
				if got != want[i] {
					t.Errorf("round %d: %+v, want %+v", i+1, got, want[i])
				}
			}

			if len(ev.chunks) != 4 || sum.Jobs != 4 {
				t.Fatalf("%d Chunk events, %d jobs: want 4: %+v", len(ev.chunks), sum.Jobs, ev.chunks)
			}
			users, jobs := map[int]int{}, map[string]bool{}
			seen := map[[2]int]bool{}
			for _, c := range ev.chunks {
				users[c.Round] += c.Users
				if c.Vendor != "huawei" || c.JobID == "" || jobs[c.JobID] || c.Err != nil || c.State == "" ||
					c.Start.IsZero() || c.Duration <= 0 || c.Chunk < 1 || c.Chunk > 3 || seen[[2]int{c.Round, c.Chunk}] {
					t.Errorf("chunk event %+v", c)
				}
				jobs[c.JobID], seen[[2]int{c.Round, c.Chunk}] = true, true
				if c.Round == 2 && (c.State != "succeeded" || c.Chunk != 1) {
					t.Errorf("round 2's chunk: %+v, want chunk 1 succeeded", c)
				}
			}
			if users[1] != n || users[2] != transient {
				t.Errorf("users by round %v, want %d and %d", users, n, transient)
			}
			// Each chunk's job is polled until a poll sees it done: polls numbered from 1, each running
			// one with its next poll planned, the last done with its observation lag.
			byJob := map[string][]observe.Poll{}
			for _, p := range ev.polls {
				byJob[p.JobID] = append(byJob[p.JobID], p)
			}
			if len(byJob) != len(jobs) {
				t.Errorf("polls of %d jobs, want the %d chunks' jobs", len(byJob), len(jobs))
			}
			for id, ps := range byJob {
				if !jobs[id] {
					t.Errorf("polls of job %s, not a chunk's", id)
				}
				for i, p := range ps {
					last := i == len(ps)-1
					switch {
					case p.Vendor != "huawei" || p.Attempt != i+1 || p.Start.IsZero() || p.Duration < 0 || p.Err != nil:
						t.Errorf("job %s poll %d: %+v", id, i+1, p)
					case !last && (p.Outcome != observe.OutcomeRunning || p.Next.IsZero() || p.Lag != 0):
						t.Errorf("job %s poll %d of %d: %+v, want running with a next poll", id, i+1, len(ps), p)
					case last && (p.Outcome != observe.OutcomeDone || !p.Next.IsZero() || p.Lag <= 0 || p.State == ""):
						t.Errorf("job %s's last poll: %+v, want done with a lag", id, p)
					}
				}
			}
			// Every submit and poll is one request at least, made in the run's context.
			if got := ev.requests["huawei"]; got < sum.Requests {
				t.Errorf("%d Request events, want at least the run's %d requests", got, sum.Requests)
			}
		})
	}
}

// TestRunObservedLostAnswer: a Huawei chunk whose submit's answer is lost (Huawei has no list call to
// find its job) ends without a job: its Chunk event has no state and the error, and its users are
// neither succeeded nor failed in the Round event.
func TestRunObservedLostAnswer(t *testing.T) {
	const n = 250
	srv := simulator.NewTest(t, simulator.Options{JobDuration: 20 * time.Millisecond})
	srv.LoseAnswers(simulator.Huawei, 1)
	v := adapter(t, srv, simulator.Huawei)
	ev := &events{}
	opts := fast(t.TempDir())
	opts.Observer = ev.observer()
	if _, err := bulk.Run(context.Background(), v, users(t, simulator.Huawei, n, v), opts); err != nil {
		t.Fatal(err)
	}
	ev.mu.Lock()
	defer ev.mu.Unlock()
	var lost []observe.Chunk
	for _, c := range ev.chunks {
		if c.Err != nil {
			lost = append(lost, c)
		} else if c.State != "succeeded" || c.JobID == "" {
			t.Errorf("chunk event %+v, want succeeded with its job", c)
		}
	}
	if len(ev.chunks) != 3 || len(lost) != 1 || lost[0].State != "" || lost[0].JobID != "" || lost[0].Users < 83 ||
		!strings.Contains(lost[0].Err.Error(), "no call to list jobs") {
		t.Fatalf("chunk events %+v, want 3 with one lost", ev.chunks)
	}
	if len(ev.rounds) != 1 {
		t.Fatalf("round events %+v, want 1", ev.rounds)
	}
	if r := ev.rounds[0]; r.Chunks != 3 || r.Users != n || r.Succeeded != n-lost[0].Users || r.Failed != 0 || r.Retryable != 0 {
		t.Errorf("round event %+v, want 3 chunks, %d users, %d succeeded", r, n, n-lost[0].Users)
	}
}
