package contract_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/jobwatch/jobwatch/contract"
)

type answer string

func (a answer) RoundTrip(*http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(string(a)))}, nil
}

// TestTransportCleanExchangeCostsNoRedactor: reporting a clean exchange to OnResult costs about nothing
// more than not reporting it. Before, a secret redactor (parsing both bodies) was built for every
// exchange, even one with no message to redact.
func TestTransportCleanExchangeCostsNoRedactor(t *testing.T) {
	specs, err := contract.LoadVendor("huawei")
	if err != nil {
		t.Fatal(err)
	}
	body := `{"resultCode":"0","resultDesc":"success","taskInfo":{"status":"DONE","failDataList":[]}}`
	allocs := func(onResult func(contract.Result)) float64 {
		tr := &contract.Transport{Base: answer(body), Specs: specs, OnResult: onResult}
		return testing.AllocsPerRun(20, func() {
			req, _ := http.NewRequest("POST", "https://h.example/apiaccess/rest/cc-management/v1/federationUserMgmt/queryTask", strings.NewReader(`{"taskId":"1"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-APP-Key", "key")
			req.Header.Set("Authorization", "Bearer token-value")
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		})
	}
	var last contract.Result
	with, without := allocs(func(r contract.Result) { last = r }), allocs(nil)
	if last.Result != contract.ResultOK {
		t.Fatalf("exchange not clean: %+v", last)
	}
	if with-without > 3 {
		t.Errorf("OnResult costs %.0f allocations per clean exchange (%.0f vs %.0f), want ≤ 3", with-without, with, without)
	}
}

// answers is an http.RoundTripper answering 200 with its bodies in turn.
type answers struct {
	bodies [][]byte
	next   int
}

func (a *answers) RoundTrip(*http.Request) (*http.Response, error) {
	b := a.bodies[a.next%len(a.bodies)]
	a.next++
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(bytes.NewReader(b))}, nil
}

// webexStatusBodies returns n distinct valid answers to a Webex job status request: the spec's
// documented example with instanceId 0, 1, ….
func webexStatusBodies(tb testing.TB, specs []*contract.Spec, n int) [][]byte {
	mt := specs[0].Doc.Paths.Find("/telephony/config/jobs/person/moveLocation/{jobId}").Get.
		Responses.Status(200).Value.Content.Get("application/json")
	var out [][]byte
	for i := range n {
		job := maps.Clone(mt.Examples["documented"].Value.Value.(map[string]any))
		job["instanceId"] = i
		body, err := json.Marshal(job)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, body)
	}
	return out
}

// webexStatusExchange returns a function making one clean Webex job status exchange through a
// Transport whose Base answers from memory with variants distinct bodies in turn (1: the same body
// every time, as a poll of a job that has not changed; 2: a body different from the last, as a poll of
// a job that has).
func webexStatusExchange(tb testing.TB, variants int, onResult func(contract.Result)) func() {
	specs, err := contract.LoadVendor("webex")
	if err != nil {
		tb.Fatal(err)
	}
	tr := &contract.Transport{Base: &answers{bodies: webexStatusBodies(tb, specs, variants)}, Specs: specs, OnResult: onResult}
	const url = "https://webexapis.com/v1/telephony/config/jobs/person/moveLocation/Y2lzY29zcGFyazovL3VzL0pPQl9JRC8xMzFk"
	return func() {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Authorization", "Bearer bench-token")
		resp, err := tr.RoundTrip(req)
		if err != nil {
			tb.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// BenchmarkTransportExchange is the Transport's own cost for one clean exchange: the base answers
// from memory, so nothing but the checks (and building the request) is measured. body=same answers
// the same job every time; body=changed answers a job different from the last one.
func BenchmarkTransportExchange(b *testing.B) {
	for _, bc := range []struct {
		name     string
		variants int
	}{{"body=same", 1}, {"body=changed", 2}} {
		b.Run(bc.name, func(b *testing.B) {
			var last contract.Result
			exchange := webexStatusExchange(b, bc.variants, func(r contract.Result) { last = r })
			exchange()
			if last.Result != contract.ResultOK {
				b.Fatalf("exchange not clean: %+v", last)
			}
			b.ReportAllocs()
			for b.Loop() {
				exchange()
			}
		})
	}
}

// TestTransportCleanExchangeAllocs pins the allocations of one clean Webex job status exchange through
// the Transport (building the request included; the base answers from memory). Before the Transport
// remembered clean answers, a poll answered the same job again cost about 219 allocations, as many
// as a changed one: kin-openapi decoded and walked the body every time; a changed one cost 224 before
// bodies were decoded by decodeJSONFast.
func TestTransportCleanExchangeAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts")
	}
	for _, tc := range []struct {
		name     string
		variants int
		max      float64
	}{
		{"same body", 1, 70},
		{"changed body", 2, 210},
	} {
		var last contract.Result
		exchange := webexStatusExchange(t, tc.variants, func(r contract.Result) { last = r })
		got := testing.AllocsPerRun(50, exchange)
		if last.Result != contract.ResultOK {
			t.Fatalf("%s: exchange not clean: %+v", tc.name, last)
		}
		t.Logf("%s: %.0f allocations per exchange", tc.name, got)
		if got > tc.max {
			t.Errorf("%s: %.0f allocations per clean exchange, want ≤ %.0f", tc.name, got, tc.max)
		}
	}
}

// TestTransportRemembersOnlyWhatValidationReads: an answer that differs from a remembered clean one
// only in what validation reads (status, Content-Type, a declared header, the body) is validated
// again and its violation reported; the same answer again is clean again.
func TestTransportRemembersOnlyWhatValidationReads(t *testing.T) {
	webex, err := contract.LoadVendor("webex")
	if err != nil {
		t.Fatal(err)
	}
	oracle, err := contract.LoadVendor("oracle")
	if err != nil {
		t.Fatal(err)
	}
	job := webexStatusBodies(t, webex, 1)[0]
	running, err := json.Marshal(oracle[0].Doc.Components.Responses["JobRunning"].Value.Content.Get("application/json").Examples["running"].Value.Value)
	if err != nil {
		t.Fatal(err)
	}
	type answer struct {
		status int
		header http.Header
		body   string
		want   string
	}
	jsonCT := http.Header{"Content-Type": {"application/json"}}
	withLocation := http.Header{"Content-Type": {"application/json"}, "Location": {"https://h.example/cloudapi/restapi/user/status/1"}}
	for _, tc := range []struct {
		name    string
		specs   []*contract.Spec
		url     string
		answers []answer
	}{
		{"webex job status", webex, "https://webexapis.com/v1/telephony/config/jobs/person/moveLocation/J1", []answer{
			{200, jsonCT, string(job), contract.ResultOK},
			{200, jsonCT, string(job), contract.ResultOK},
			{200, http.Header{"Content-Type": {"text/plain"}}, string(job), contract.ResultViolation},
			{200, jsonCT, string(job), contract.ResultOK},
			{418, jsonCT, string(job), contract.ResultViolation},
			{200, jsonCT, strings.Replace(string(job), `"instanceId":0`, `"instanceId":"0"`, 1), contract.ResultViolation},
			{200, jsonCT, string(job) + " ", contract.ResultOK},
			{200, jsonCT, string(job), contract.ResultOK},
		}},
		{"oracle running job", oracle, "https://h.example/cloudapi/restapi/user/status/1", []answer{
			{202, withLocation, string(running), contract.ResultOK},
			{202, jsonCT, string(running), contract.ResultViolation},
			{202, withLocation, string(running), contract.ResultOK},
			{200, withLocation, string(running), contract.ResultOK},
			{202, jsonCT, string(running), contract.ResultViolation},
		}},
	} {
		var results []contract.Result
		var next answer
		tr := &contract.Transport{Specs: tc.specs, OnResult: func(r contract.Result) { results = append(results, r) },
			Base: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				return &http.Response{StatusCode: next.status, Header: next.header.Clone(), Body: io.NopCloser(strings.NewReader(next.body)), Request: r}, nil
			})}
		for i, a := range tc.answers {
			next = a
			req, _ := http.NewRequest(http.MethodGet, tc.url, nil)
			req.Header.Set("Authorization", "Bearer token-value")
			if tc.specs[0] == oracle[0] {
				req.SetBasicAuth("user", "password-value")
			}
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(got) != a.body {
				t.Errorf("%s, answer %d: body passed on changed", tc.name, i)
			}
			if r := results[len(results)-1]; r.Result != a.want {
				t.Errorf("%s, answer %d (status %d, %v): %s %+v, want %s", tc.name, i, a.status, a.header, r.Result, r.Errors, a.want)
			}
		}
		// The remembered answers stay out of the Transport's printed forms.
		if printed := fmt.Sprintf("%v %+v %#v", tr, tr, tr); strings.Contains(printed, `"added"`) || strings.Contains(printed, "moveusers") {
			t.Errorf("%s: a remembered body is printed with the Transport: %s", tc.name, printed)
		}
	}
}

// TestTransportConcurrentCleanExchanges runs clean and violating exchanges through one Transport at
// once (run it with -race): every verdict is the one validation gives.
func TestTransportConcurrentCleanExchanges(t *testing.T) {
	specs, err := contract.LoadVendor("webex")
	if err != nil {
		t.Fatal(err)
	}
	bodies := webexStatusBodies(t, specs, 3)
	bad := strings.Replace(string(bodies[0]), `"instanceId":0`, `"instanceId":"0"`, 1)
	var mu sync.Mutex
	verdicts := map[string]int{}
	tr := &contract.Transport{Specs: specs,
		OnResult: func(r contract.Result) {
			mu.Lock()
			verdicts[r.Path+" "+r.Result]++
			mu.Unlock()
		},
		Base: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			body := bad
			if i := r.URL.Query().Get("i"); i != "bad" {
				body = string(bodies[len(i)%len(bodies)])
			}
			return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
		})}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 25 {
				q := strings.Repeat("x", (g+i)%3)
				if i%5 == 0 {
					q = "bad"
				}
				req, _ := http.NewRequest(http.MethodGet, "https://webexapis.com/v1/telephony/config/jobs/person/moveLocation/J1?i="+q, nil)
				req.Header.Set("Authorization", "Bearer token-value")
				resp, err := tr.RoundTrip(req)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	const path = "/v1/telephony/config/jobs/person/moveLocation/J1"
	if ok, bad := verdicts[path+" "+contract.ResultOK], verdicts[path+" "+contract.ResultViolation]; ok != 80 || bad != 20 {
		t.Errorf("verdicts %v, want 80 ok and 20 violations", verdicts)
	}
}
