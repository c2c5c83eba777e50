package contract_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jobwatch/jobwatch/contract"
)

// A validating transport under any client: the traffic passes unchanged, the violations are reported.
func ExampleTransport() {
	vendor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"resultCode":"0","taskInfo":{"status":"FINISHED"}}`) // not a documented status
	}))
	defer vendor.Close()
	tr, err := contract.NewTransport("huawei", nil, func(v contract.Violation) {
		for _, is := range v.Err.Issues {
			fmt.Println("violation at", is.Pointer)
		}
	})
	if err != nil {
		panic(err)
	}
	req, _ := http.NewRequest("POST", vendor.URL+"/apiaccess/rest/cc-management/v1/federationUserMgmt/queryTask", strings.NewReader(`{"taskId":"1"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-APP-Key", "key")
	req.Header.Set("Authorization", "Bearer token")
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println("status", resp.StatusCode)
	// Output:
	// violation at /taskInfo/status
	// status 200
}

func TestCheckRedactsSecretsFromMessages(t *testing.T) {
	specs, err := contract.LoadVendor("huawei")
	if err != nil {
		t.Fatal(err)
	}
	const secret = "s3cret-VALUE-that-is-long"
	req, _ := http.NewRequest("POST", "https://h.example/apigovernance/api/oauth/tokenByAkSk", nil)
	req.Header.Set("Content-Type", "application/json")
	// app_key has the wrong type and the secret is quoted by no rule, but an answer echoing the token is.
	res := contract.Check(context.Background(), specs, contract.Exchange{Request: req,
		RequestBody: []byte(`{"app_key":"k","app_secret":"` + secret + `"}`), Status: 200,
		Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"AccessToken":"` + secret + `","Expires":600}`)})
	if res.Result != contract.ResultViolation || len(res.Errors) == 0 {
		t.Fatalf("result %+v", res)
	}
	for _, e := range res.Errors {
		if strings.Contains(e.Message, secret) {
			t.Errorf("secret in %q", e.Message)
		}
	}
}

func TestReadHARErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{`, "not a HAR file"},
		{`{"x":1}`, "no log object"},
		{`{"log":{"entries":[{"request":{"method":"GET","url":"/relative"}}]}}`, "entry 0: request url \"/relative\" is not absolute"},
		{`{"log":{"entries":[{"request":{"method":"GET","url":"https://h/x"},"response":{"status":200,"content":{"text":"!","encoding":"base64"}}}]}}`, "entry 0: response body"},
	} {
		if _, err := contract.ReadHAR(strings.NewReader(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.in, err, tc.want)
		}
	}
}

// A browser's HAR export removes Authorization: with SanitizedCredentials the exchange is valid and
// marked not checked for security; without it, the missing credential is a violation.
func TestCheckSanitizedCredentials(t *testing.T) {
	specs, err := contract.LoadVendor("huawei")
	if err != nil {
		t.Fatal(err)
	}
	ex := func(headers map[string]string) contract.Exchange {
		req, _ := http.NewRequest("POST", "https://service.besclouds.com/apiaccess/rest/cc-management/v1/federationUserMgmt/queryTask", nil)
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		return contract.Exchange{Request: req, RequestBody: []byte(`{"taskId":"1"}`), Status: 200,
			Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"resultCode":"0","taskInfo":{"status":"DONE"}}`)}
	}
	full := map[string]string{"Content-Type": "application/json", "X-APP-Key": "key", "Authorization": "Bearer token"}
	noAuth := map[string]string{"Content-Type": "application/json", "X-APP-Key": "key"}
	noKey := map[string]string{"Content-Type": "application/json", "Authorization": "Bearer token"}
	cases := []struct {
		name      string
		headers   map[string]string
		sanitized bool
		result    string
		security  string
	}{
		{"full, default", full, false, contract.ResultOK, contract.SecurityChecked},
		{"full, sanitized", full, true, contract.ResultOK, contract.SecurityChecked},
		{"no Authorization, default", noAuth, false, contract.ResultViolation, contract.SecurityChecked},
		{"no Authorization, sanitized", noAuth, true, contract.ResultOK, contract.SecurityNotChecked},
		{"no X-APP-Key (browsers keep it), sanitized", noKey, true, contract.ResultViolation, contract.SecurityChecked},
	}
	for _, c := range cases {
		r := contract.CheckWith(context.Background(), specs, ex(c.headers), contract.CheckOptions{SanitizedCredentials: c.sanitized})
		if r.Result != c.result || r.Security != c.security {
			t.Errorf("%s: %s, security %q, errors %+v", c.name, r.Result, r.Security, r.Errors)
		}
	}
}
