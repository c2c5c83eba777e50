package contract_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/jobwatch/jobwatch/contract"
)

// roundTripFunc is an http.RoundTripper from a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestTransportNeverTruncatesARequestBody: a request body over MaxBody is sent whole and unchanged,
// left unvalidated, and the skip is reported; one under the cap is validated as before.
func TestTransportNeverTruncatesARequestBody(t *testing.T) {
	specs, err := contract.LoadVendor("tencent")
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{10, 1000} {
		body := `{"UserStoreId":"s","JobIds":["` + strings.Repeat("j", size) + `"]}`
		var sent []byte
		var mu sync.Mutex
		var reported []string
		tr := &contract.Transport{Specs: specs, MaxBody: 200,
			Base: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				sent, _ = io.ReadAll(r.Body)
				r.Body.Close()
				return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(`{"Response":{"JobSet":[],"RequestId":"r"}}`)), Request: r}, nil
			}),
			OnViolation: func(v contract.Violation) {
				mu.Lock()
				reported = append(reported, v.Err.Error())
				mu.Unlock()
			}}
		req, _ := http.NewRequest(http.MethodPost, "https://ciam.tencentcloudapi.com/", bytes.NewReader([]byte(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-TC-Action", "ListJobs")
		req.Header.Set("X-TC-Version", "2022-03-31")
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if string(sent) != body {
			t.Errorf("size %d: sent %d bytes, want the whole %d", size, len(sent), len(body))
		}
		all := strings.Join(reported, "\n")
		if strings.Contains(all, "no operation") {
			t.Fatalf("the test request is not routed: %s", all)
		}
		skipped := strings.Contains(all, "request body larger than 200 bytes, not validated")
		if skipped != (len(body) > 200) {
			t.Errorf("size %d: reported %q", size, reported)
		}
	}
}

// TestReadHARNeverQuotesUserinfo: the error about a request URL that is not absolute hides its
// userinfo.
func TestReadHARNeverQuotesUserinfo(t *testing.T) {
	for _, u := range []string{"//user:s3cret@/x", "https://user:s3cret@/x"} {
		in := `{"log":{"entries":[{"request":{"method":"GET","url":"` + u + `"}}]}}`
		_, err := contract.ReadHAR(strings.NewReader(in))
		if err == nil || !strings.Contains(err.Error(), "is not absolute") {
			t.Errorf("ReadHAR accepted a URL that is not absolute: %v", err)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("the error quotes the URL's userinfo")
		}
	}
	// "user:" parses as a scheme: the entry is skipped as not http(s), and its reason and URL keep
	// nothing of the rest.
	exs, err := contract.ReadHAR(strings.NewReader(`{"log":{"entries":[{"request":{"method":"GET","url":"user:s3cret@host/x"}}]}}`))
	if err != nil || len(exs) != 1 {
		t.Fatalf("ReadHAR: %v, %d exchanges", err, len(exs))
	}
	if strings.Contains(exs[0].SkipReason+exs[0].Request.URL.String(), "s3cret") || exs[0].SkipReason == "" {
		t.Errorf("skip reason %q, url %q", exs[0].SkipReason, exs[0].Request.URL)
	}
}

// TestTransportPassesTheBodyWhateverItsAnnouncedLength: the Transport reads a response by the length it
// announces when it can, yet passes on and validates exactly the bytes that came, when the announced
// length is unknown, too small, too large or beyond MaxBody.
func TestTransportPassesTheBodyWhateverItsAnnouncedLength(t *testing.T) {
	specs, err := contract.LoadVendor("webex")
	if err != nil {
		t.Fatal(err)
	}
	body := string(webexStatusBodies(t, specs, 1)[0])
	n := int64(len(body))
	for _, tc := range []struct {
		name    string
		length  int64
		maxBody int64
		want    string
	}{
		{"unknown", -1, 0, contract.ResultOK},
		{"zero as unknown", 0, 0, contract.ResultOK},
		{"exact", n, 0, contract.ResultOK},
		{"too small", n / 2, 0, contract.ResultOK},
		{"too large", n * 2, 0, contract.ResultOK},
		{"beyond MaxBody", n, n - 1, contract.ResultViolation},
	} {
		var last contract.Result
		tr := &contract.Transport{Specs: specs, MaxBody: tc.maxBody, OnResult: func(r contract.Result) { last = r },
			Base: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, ContentLength: tc.length,
					Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
			})}
		req, _ := http.NewRequest(http.MethodGet, "https://webexapis.com/v1/telephony/config/jobs/person/moveLocation/J1", nil)
		req.Header.Set("Authorization", "Bearer token-value")
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(got) != body {
			t.Errorf("%s: passed on %d bytes, want the %d that came", tc.name, len(got), n)
		}
		if last.Result != tc.want {
			t.Errorf("%s: %s %+v, want %s", tc.name, last.Result, last.Errors, tc.want)
		}
	}
}
