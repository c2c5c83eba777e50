package contract_test

import (
	"io"
	"net/http"
	"strings"
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
