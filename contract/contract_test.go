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
	} {
		if _, err := contract.ReadHAR(strings.NewReader(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.in, err, tc.want)
		}
	}
}

// A browser's HAR holds data: and blob: resources, and may hold a body it cannot decode: each is a
// skipped exchange with its reason, and the vendor's exchange after them is still checked.
func TestHARDataURLEntryIsSkippedAndVendorEntryChecked(t *testing.T) {
	specs, err := contract.LoadVendor("huawei")
	if err != nil {
		t.Fatal(err)
	}
	const har = `{"log":{"version":"1.2","creator":{"name":"WebInspector","version":"537.36"},"pages":[],"entries":[
{"_resourceType":"image","request":{"method":"GET","url":"data:image/png;base64,iVBORw0KGgo=","httpVersion":"data","headers":[],"queryString":[],"cookies":[],"headersSize":-1,"bodySize":0},
 "response":{"status":200,"statusText":"OK","httpVersion":"data","headers":[],"cookies":[],"content":{"size":8,"mimeType":"image/png","text":"iVBORw0KGgo=","encoding":"base64"},"redirectURL":"","headersSize":-1,"bodySize":0},"cache":{},"timings":{"send":0,"wait":0,"receive":0}},
{"request":{"method":"GET","url":"blob:https://app.example/0f1e","httpVersion":"blob","headers":[],"queryString":[],"cookies":[],"headersSize":-1,"bodySize":0},
 "response":{"status":200,"statusText":"OK","httpVersion":"blob","headers":[],"cookies":[],"content":{"size":1,"mimeType":"text/plain","text":"!","encoding":"base64"},"redirectURL":"","headersSize":-1,"bodySize":0},"cache":{},"timings":{}},
{"request":{"method":"GET","url":"https://app.example/x","headers":[]},"response":{"status":200,"headers":[],"content":{"text":"!","encoding":"base64"}}},
{"_resourceType":"xhr","request":{"method":"POST","url":"https://service.besclouds.com/apiaccess/rest/cc-management/v1/federationUserMgmt/queryTask","httpVersion":"HTTP/1.1",
  "headers":[{"name":"Content-Type","value":"application/json"},{"name":"X-APP-Key","value":"key"},{"name":"Authorization","value":"Bearer token"}],"queryString":[],"cookies":[],"headersSize":-1,"bodySize":14,
  "postData":{"mimeType":"application/json","text":"{\"taskId\":\"1\"}"}},
 "response":{"status":200,"statusText":"OK","httpVersion":"HTTP/1.1","headers":[{"name":"Content-Type","value":"application/json"}],"cookies":[],
  "content":{"size":7,"mimeType":"application/json","text":"{\"resultCode\":\"0\",\"taskInfo\":{\"status\":\"DONE\"}}"},"redirectURL":"","headersSize":-1,"bodySize":7},"cache":{},"timings":{"send":0,"wait":1,"receive":0}}]}}`
	exs, err := contract.ReadHAR(strings.NewReader(har))
	if err != nil {
		t.Fatalf("ReadHAR: %v", err)
	}
	if len(exs) != 4 {
		t.Fatalf("%d exchanges, want 4", len(exs))
	}
	for i, want := range []string{`scheme "data"`, `scheme "blob"`, "response body: illegal base64"} {
		if !strings.Contains(exs[i].SkipReason, want) {
			t.Errorf("entry %d: skip reason %q, want it to contain %q", i, exs[i].SkipReason, want)
		}
	}
	res := contract.CheckAll(context.Background(), specs, exs)
	for i := range 3 {
		if res[i].Result != contract.ResultSkipped {
			t.Errorf("entry %d: %s (%s), want skipped", i, res[i].Result, res[i].Reason)
		}
	}
	if res[3].Result != contract.ResultOK || res[3].Operation == "" {
		t.Errorf("vendor entry: %s %q (%s) %v, want ok on an operation", res[3].Result, res[3].Operation, res[3].Reason, res[3].Errors)
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
