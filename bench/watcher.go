package main

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/tencent"
	"github.com/jobwatch/jobwatch/simulator"
)

// watcherResult is the Watcher at scale against the simulator on loopback. Its JSON names are a
// contract (bench -json).
type watcherResult struct {
	Jobs        int     `json:"jobs"`
	RateLimited int     `json:"rate_limited"`
	MaxReqPerS  int     `json:"max_req_per_s"`
	BatchCap    int     `json:"batch_cap"`
	LagP99S     float64 `json:"lag_p99_s"`
	// LagBoundS is one sweep of every job at the client's real pace: jobs ÷ (batch cap × the client's
	// requests per second).
	LagBoundS     float64 `json:"lag_bound_s"`
	HeapKiBPerJob float64 `json:"heap_kib_per_job"`
	Loaded        bool    `json:"loaded"`

	requests int
	wallS    float64
}

const (
	tencentRate = 20
	batchCap    = 100
)

type scaleSetup struct {
	srv    *simulator.Server
	client *tencent.Client
	ids    []string
	ends   map[string]time.Time
}

// setupScale serves a fresh simulator on loopback with jobs of the given durations, and a Tencent
// client with its defaults (20 requests/s, 100 ids per ListJobs call).
func setupScale(durations []time.Duration) (*scaleSetup, error) {
	srv, err := simulator.NewServer(simulator.Options{TencentRate: tencentRate, TencentMaxJobIDs: batchCap})
	if err != nil {
		return nil, err
	}
	c := srv.Credentials()
	client, err := tencent.New(tencent.Config{SecretID: c.TencentSecretID, SecretKey: sdk.Secret(c.TencentSecretKey), Region: "ap-guangzhou", UserStoreID: "bench", BatchSize: batchCap},
		&sdk.ClientOptions{BaseURL: srv.BaseURL(simulator.Tencent), Getenv: func(string) string { return "" }})
	if err != nil {
		srv.Close()
		return nil, err
	}
	s := &scaleSetup{srv: srv, client: client, ends: make(map[string]time.Time, len(durations))}
	for i, d := range durations {
		id, err := srv.CreateJob(simulator.Tencent, []simulator.JobUser{{ID: fmt.Sprint("user-", i)}}, d)
		if err != nil {
			srv.Close()
			return nil, err
		}
		s.ids = append(s.ids, id)
		s.ends[id] = time.Now().Add(d)
	}
	return s, nil
}

// hog keeps every core busy until stop is closed, as another program on the machine would.
func hog(stop <-chan struct{}) {
	for range runtime.NumCPU() {
		go func() {
			x := uint64(1)
			for {
				select {
				case <-stop:
					return
				default:
				}
				for range 1 << 16 {
					x = x*6364136223846793005 + 1442695040888963407
				}
			}
		}()
	}
}

// liveHeap is the heap left after a full collection.
func liveHeap() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// heapAbove is the live heap beyond base (0 when it is below), from one reading.
func heapAbove(base uint64) uint64 {
	h := liveHeap()
	return h - min(base, h)
}

// runWatcher watches jobs Tencent jobs (durations log-uniform 5–90 s) with one Watcher at the client's
// defaults. The Watcher's own heap is the live heap while it holds every job, less the live heap of the
// simulator holding the same jobs before the Watcher started.
func runWatcher(jobs int, seed uint64, busy bool) (watcherResult, error) {
	durations := logUniform(rand.New(rand.NewPCG(seed, 3)), jobs, 5*time.Second, 90*time.Second)
	s, err := setupScale(durations)
	if err != nil {
		return watcherResult{}, err
	}
	defer s.srv.Close()
	base := liveHeap()
	stop := make(chan struct{})
	defer close(stop)
	if busy {
		hog(stop)
	}
	start := time.Now()
	w, err := sdk.NewWatcher(nil)
	if err != nil {
		return watcherResult{}, err
	}
	defer w.Close()
	for _, id := range s.ids {
		if err := w.Add(s.client, id, nil); err != nil {
			return watcherResult{}, err
		}
	}
	time.Sleep(time.Second) // past the Adds' own transient (the hand-off's batch)
	heap := heapAbove(base)
	lags := make([]float64, 0, jobs)
	for len(lags) < jobs {
		r := <-w.Results()
		if r.Err != nil {
			return watcherResult{}, fmt.Errorf("watcher: job %s: %w", r.Job.ID, r.Err)
		}
		lags = append(lags, time.Since(s.ends[r.Job.ID]).Seconds())
		if len(lags) == jobs/10 { // a tenth done: every job is still held, sample again
			heap = max(heap, heapAbove(base))
		}
	}
	wall := time.Since(start)
	st := s.srv.Stats(simulator.Tencent)
	pace := float64(s.client.Limiter().Limit())
	return watcherResult{Jobs: jobs, requests: st.Requests, RateLimited: st.RateLimited, MaxReqPerS: st.MaxPerSecond, BatchCap: batchCap,
		LagP99S: percentile(lags, 0.99), LagBoundS: float64(jobs) / (pace * batchCap), HeapKiBPerJob: float64(heap) / 1024 / float64(jobs),
		Loaded: busy, wallS: wall.Seconds()}, nil
}
