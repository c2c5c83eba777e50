package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/tencent"
	"github.com/jobwatch/jobwatch/simulator"
)

// watcherResult is the Watcher at scale against the simulator on loopback.
type watcherResult struct {
	Jobs        int     `json:"jobs"`
	Requests    int     `json:"requests"`
	RateLimited int     `json:"rate_limited"`
	MaxReqPerS  int     `json:"max_req_per_s"`
	BatchCap    int     `json:"batch_cap"`
	LagP99S     float64 `json:"lag_p99_s"`
	LagBoundS   float64 `json:"lag_bound_s"`
	HeapPeakMiB float64 `json:"heap_peak_mib"`
	WallS       float64 `json:"wall_s"`
}

// waitsResult is the same jobs through independent Wait calls, one goroutine each, given the same
// wall time the Watcher needed.
type waitsResult struct {
	Jobs        int     `json:"jobs"`
	Finished    int     `json:"finished"`
	Requests    int     `json:"requests"`
	RateLimited int     `json:"rate_limited"`
	MaxReqPerS  int     `json:"max_req_per_s"`
	LagP99S     float64 `json:"lag_p99_s"`
	WindowS     float64 `json:"window_s"`
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
	client, err := tencent.New(tencent.Config{SecretID: c.TencentSecretID, SecretKey: c.TencentSecretKey, Region: "ap-guangzhou", UserStoreID: "bench", BatchSize: batchCap},
		sdk.WithBaseURL(srv.BaseURL(simulator.Tencent)), sdk.WithGetenv(func(string) string { return "" }))
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

// heapPeak samples the live heap until stop is closed.
func heapPeak(stop <-chan struct{}) <-chan uint64 {
	out := make(chan uint64, 1)
	go func() {
		var peak uint64
		var ms runtime.MemStats
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
			select {
			case <-stop:
				out <- peak
				return
			case <-t.C:
			}
		}
	}()
	return out
}

func runWatcher(jobs int, seed uint64) (watcherResult, waitsResult, error) {
	durations := logUniform(rand.New(rand.NewPCG(seed, 3)), jobs, 5*time.Second, 90*time.Second)
	runtime.GC()
	s, err := setupScale(durations)
	if err != nil {
		return watcherResult{}, waitsResult{}, err
	}
	stop := make(chan struct{})
	peak := heapPeak(stop)
	start := time.Now()
	w, err := sdk.NewWatcher()
	if err != nil {
		s.srv.Close()
		return watcherResult{}, waitsResult{}, err
	}
	if err := w.AddAll(s.client, s.ids); err != nil {
		w.Close()
		s.srv.Close()
		return watcherResult{}, waitsResult{}, err
	}
	w.Drain()
	lags := make([]float64, 0, jobs)
	for r := range w.Results() {
		if r.Err != nil {
			w.Close()
			s.srv.Close()
			return watcherResult{}, waitsResult{}, fmt.Errorf("watcher: job %s: %w", r.JobID, r.Err)
		}
		lags = append(lags, time.Since(s.ends[r.JobID]).Seconds())
	}
	wall := time.Since(start)
	close(stop)
	w.Close()
	st := s.srv.Stats(simulator.Tencent)
	s.srv.Close()
	wr := watcherResult{Jobs: jobs, Requests: st.Requests, RateLimited: st.RateLimited, MaxReqPerS: st.MaxPerSecond, BatchCap: batchCap,
		LagP99S: percentile(lags, 0.99), LagBoundS: float64(jobs) / (tencentRate * batchCap), HeapPeakMiB: float64(<-peak) / (1 << 20), WallS: wall.Seconds()}

	ir, err := runIndependentWaits(durations, wall)
	return wr, ir, err
}

// runIndependentWaits waits for the same jobs with one Wait call each, for the given window.
func runIndependentWaits(durations []time.Duration, window time.Duration) (waitsResult, error) {
	runtime.GC()
	s, err := setupScale(durations)
	if err != nil {
		return waitsResult{}, err
	}
	defer s.srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), window)
	defer cancel()
	var (
		mu       sync.Mutex
		lags     []float64
		finished atomic.Int64
		wg       sync.WaitGroup
	)
	for _, id := range s.ids {
		wg.Go(func() {
			if _, err := s.client.Wait(ctx, id); err == nil {
				finished.Add(1)
				mu.Lock()
				lags = append(lags, time.Since(s.ends[id]).Seconds())
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	st := s.srv.Stats(simulator.Tencent)
	return waitsResult{Jobs: len(durations), Finished: int(finished.Load()), Requests: st.Requests, RateLimited: st.RateLimited,
		MaxReqPerS: st.MaxPerSecond, LagP99S: percentile(lags, 0.99), WindowS: window.Seconds()}, nil
}
