package main

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"

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

	sdkNs, rawNs float64
}

// transportResult compares the raw call through contract.Transport (validating both sides, OnResult
// set, as under users' staging traffic) with the raw call alone.
type transportResult struct {
	Ratio float64 `json:"ratio"`

	allocsTransport, allocsRaw int64
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
	c, err := webex.New(webex.Config{Token: "bench-token"}, sdk.WithBaseURL(srv.URL), sdk.WithHTTPClient(srv.Client()),
		sdk.WithGetenv(func(string) string { return "" }))
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

// runOverhead alternates rounds of both loops against one loopback server and keeps the median of
// each, so that both see the same machine state.
func runOverhead(rounds int) (overheadResult, error) {
	srv := pollServer()
	defer srv.Close()
	viaSDK, err := sdkPoll(srv)
	if err != nil {
		return overheadResult{}, err
	}
	raw := rawPoll(srv, srv.Client())
	for _, p := range []func() error{viaSDK, raw} { // warm the connections
		if err := p(); err != nil {
			return overheadResult{}, err
		}
	}
	var sdkNs, rawNs []float64
	var sdkAllocs, rawAllocs int64
	for range rounds {
		s, r := measure(viaSDK), measure(raw)
		sdkNs, rawNs = append(sdkNs, float64(s.NsPerOp())), append(rawNs, float64(r.NsPerOp()))
		sdkAllocs, rawAllocs = s.AllocsPerOp(), r.AllocsPerOp()
	}
	slices.Sort(sdkNs)
	slices.Sort(rawNs)
	ms, mr := sdkNs[len(sdkNs)/2], rawNs[len(rawNs)/2]
	return overheadResult{sdkNs: ms, rawNs: mr, Ratio: ms / mr, AllocsSDK: sdkAllocs, AllocsRaw: rawAllocs}, nil
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

// runTransport alternates rounds of the raw call with and without contract.Transport and keeps the
// median of each. Every poll answers the same finished job, so after the first one the Transport
// finds the answer among the clean ones it remembers and does not validate it again; a job whose
// answer changes between polls costs a full validation (contract's BenchmarkTransportExchange
// measures both).
func runTransport(rounds int) (transportResult, error) {
	srv := pollServer()
	defer srv.Close()
	vc, err := validatingClient(srv)
	if err != nil {
		return transportResult{}, err
	}
	raw, checked := rawPoll(srv, srv.Client()), rawPoll(srv, vc)
	for _, p := range []func() error{raw, checked} {
		if err := p(); err != nil {
			return transportResult{}, err
		}
	}
	var rawNs, tNs []float64
	var out transportResult
	for range rounds {
		r, t := measure(raw), measure(checked)
		rawNs, tNs = append(rawNs, float64(r.NsPerOp())), append(tNs, float64(t.NsPerOp()))
		out.allocsRaw, out.allocsTransport = r.AllocsPerOp(), t.AllocsPerOp()
	}
	slices.Sort(rawNs)
	slices.Sort(tNs)
	out.Ratio = tNs[len(tNs)/2] / rawNs[len(rawNs)/2]
	return out, nil
}
