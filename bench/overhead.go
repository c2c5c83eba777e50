package main

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jobwatch/jobwatch/contract"
	gen "github.com/jobwatch/jobwatch/generated/webex"
	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/webex"
)

// webexJob is Webex's documented job status answer, verbatim.
//
//go:embed testdata/webex_job_200.json
var webexJob []byte

const overheadJobID = "Y2lzY29zcGFyazovL3VzL0pPQl9JRC8xMzFkOTg1ZC1iZThhLTQ3MjgtYjM2MC02MzBjNTAxNTEyNzE"

// overheadResult compares one Status poll through the sdk with a hand-written net/http + encoding/json
// loop decoding the same answer into the same generated type.
type overheadResult struct {
	Ratio     float64 `json:"ratio"`
	AllocsSDK int64   `json:"allocs_sdk"`
	AllocsRaw int64   `json:"allocs_raw"`

	sdkNs, rawNs float64 // CPU time per poll, one P
	wallRatio    float64 // wall time, every P
}

// transportResult compares the raw call through contract.Transport (validating both sides, OnResult
// set, as under users' staging traffic) with the raw call alone.
type transportResult struct {
	Ratio float64 `json:"ratio"`

	allocsTransport, allocsRaw int64
	wallRatio                  float64 // wall time, every P
}

// pollServer answers every request with the documented job, as Webex would.
func pollServer() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(webexJob)
	}))
}

// sdkPoll returns one poll through the sdk's Webex client.
func sdkPoll(srv *httptest.Server) (func() error, error) {
	c, err := webex.New(webex.Config{Token: "bench-token"}, &sdk.ClientOptions{BaseURL: srv.URL, HTTPClient: srv.Client(), Getenv: func(string) string { return "" }})
	if err != nil {
		return nil, err
	}
	return func() error {
		j, err := c.Status(contextBackground, overheadJobID)
		if err == nil && j.State != sdk.StateSucceeded {
			err = fmt.Errorf("state %s", j.State)
		}
		return err
	}, nil
}

// rawPoll returns one poll written by hand with net/http and encoding/json.
func rawPoll(srv *httptest.Server, hc *http.Client) func() error {
	url := srv.URL + "/telephony/config/jobs/person/moveLocation/" + overheadJobID
	return func() error {
		req, err := http.NewRequestWithContext(contextBackground, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer bench-token")
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var j gen.MoveUsersJob
		if err := json.NewDecoder(resp.Body).Decode(&j); err != nil {
			return err
		}
		if j.LatestExecutionStatus != gen.ExecutionStatusCOMPLETED {
			return fmt.Errorf("status %s", j.LatestExecutionStatus)
		}
		return nil
	}
}

func measure(poll func() error) testing.BenchmarkResult {
	return testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := poll(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// clock is what a timed round measures: process CPU time, or wall time.
type clock int

const (
	wallClock clock = iota
	cpuClock
)

// pairedRatio runs a and b in turn, n polls each, rounds times (each going first in every other round),
// and returns the median of the per-round ratios a/b with the median cost per poll of each, in
// nanoseconds of c. A ratio per pair holds when the machine's speed drifts between rounds, which a
// ratio of two medians taken over the whole run does not. Where the CPU time cannot be read it falls
// back to wall time.
func pairedRatio(a, b func() error, n, rounds int, c clock) (ratio, aNs, bNs float64, err error) {
	now := func() time.Duration {
		if c == cpuClock {
			if t, ok := processCPU(); ok {
				return t
			}
		}
		return time.Duration(time.Now().UnixNano())
	}
	timed := func(poll func() error) (float64, error) {
		began := now()
		for range n {
			if err := poll(); err != nil {
				return 0, err
			}
		}
		return float64((now() - began).Nanoseconds()) / float64(n), nil
	}
	var ratios, as, bs []float64
	for i := range rounds {
		first, second := a, b
		if i%2 == 1 {
			first, second = b, a
		}
		x, err := timed(first)
		if err != nil {
			return 0, 0, 0, err
		}
		y, err := timed(second)
		if err != nil {
			return 0, 0, 0, err
		}
		if i%2 == 1 {
			x, y = y, x
		}
		ratios, as, bs = append(ratios, x/y), append(as, x), append(bs, y)
	}
	return median(ratios), median(as), median(bs), nil
}

// cpuRatio is pairedRatio in process CPU time with one P (GOMAXPROCS=1) for the duration: each poll's
// own work (client, loopback server, garbage collector) without the CPU that idle Ps burn spinning
// for work between the client's and the server's turns, which depends on the scheduler's timing and
// varied the ratio by ±10% between runs with two Ps. One P runs every goroutine of the program.
func cpuRatio(a, b func() error, n, rounds int) (ratio, aNs, bNs float64, err error) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	return pairedRatio(a, b, n, rounds, cpuClock)
}

func median(xs []float64) float64 {
	slices.Sort(xs)
	if len(xs)%2 == 0 {
		return (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
	}
	return xs[len(xs)/2]
}

// roundPolls is how many polls one timed round makes: about a quarter of a second of them, from
// testing.Benchmark's own sizing.
func roundPolls(r testing.BenchmarkResult) int {
	return max(100, int(float64(r.N)*0.25e9/float64(r.T.Nanoseconds()+1)))
}

// runOverhead measures both loops against one loopback server: testing.Benchmark warms them, sizes a
// round and counts allocations; the ratio is of CPU time per poll (cpuRatio), and the wall-time ratio
// with every P is kept for the table.
func runOverhead(rounds int) (overheadResult, error) {
	srv := pollServer()
	defer srv.Close()
	viaSDK, err := sdkPoll(srv)
	if err != nil {
		return overheadResult{}, err
	}
	raw := rawPoll(srv, srv.Client())
	s, r := measure(viaSDK), measure(raw)
	out := overheadResult{AllocsSDK: s.AllocsPerOp(), AllocsRaw: r.AllocsPerOp()}
	if out.Ratio, out.sdkNs, out.rawNs, err = cpuRatio(viaSDK, raw, roundPolls(r), rounds); err != nil {
		return out, err
	}
	out.wallRatio, _, _, err = pairedRatio(viaSDK, raw, roundPolls(r), rounds, wallClock)
	return out, err
}

// validatingClient returns srv's client with contract.Transport over its transport, reporting every
// verdict as a user's CI would.
func validatingClient(srv *httptest.Server) (*http.Client, error) {
	hc := srv.Client()
	t, err := contract.NewTransport("webex", hc.Transport, nil)
	if err != nil {
		return nil, err
	}
	var violations atomic.Int64
	t.OnResult = func(r contract.Result) {
		if r.Result != contract.ResultOK {
			violations.Add(1)
		}
	}
	return &http.Client{Transport: t}, nil
}

// runTransport compares the raw call with and without contract.Transport, as runOverhead does. Every
// poll answers the same finished job, so after the first one the Transport finds the answer among the
// clean ones it remembers and does not validate it again; a job whose answer changes between polls
// costs a full validation (contract's BenchmarkTransportExchange measures both).
func runTransport(rounds int) (transportResult, error) {
	srv := pollServer()
	defer srv.Close()
	vc, err := validatingClient(srv)
	if err != nil {
		return transportResult{}, err
	}
	raw, checked := rawPoll(srv, srv.Client()), rawPoll(srv, vc)
	r, t := measure(raw), measure(checked)
	out := transportResult{allocsRaw: r.AllocsPerOp(), allocsTransport: t.AllocsPerOp()}
	if out.Ratio, _, _, err = cpuRatio(checked, raw, roundPolls(r), rounds); err != nil {
		return out, err
	}
	out.wallRatio, _, _, err = pairedRatio(checked, raw, roundPolls(r), rounds, wallClock)
	return out, err
}
