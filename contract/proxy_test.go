package contract_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jobwatch/jobwatch/contract"
)

const hwQuery = "/apiaccess/rest/cc-management/v1/federationUserMgmt/queryTask"

// TestProxyConcurrentClientsAndLargeBodies: 50 clients at once each get their own answer with its
// verdict, and a body past MaxBody streams through whole, unvalidated and skipped.
func TestProxyConcurrentClientsAndLargeBodies(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 3<<20)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("big") != "" {
			w.Write(big)
			return
		}
		b, _ := io.ReadAll(r.Body)
		status := "DONE"
		if strings.Contains(string(b), "bad") {
			status = "FINISHED"
		}
		fmt.Fprintf(w, `{"resultCode":"0","taskInfo":{"taskId":%q,"status":%q}}`, strings.TrimSpace(string(b)), status)
	}))
	defer upstream.Close()
	specs, err := contract.LoadVendor("huawei")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(upstream.URL)
	var verdicts sync.Map
	var n atomic.Int64
	p := &contract.Proxy{Upstream: u, Specs: specs, MaxBody: 1 << 20, OnResult: func(r contract.Result) { n.Add(1); verdicts.Store(r.Index, r.Result) }}
	srv := httptest.NewServer(p)
	defer srv.Close()
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			id := fmt.Sprintf("task-%d", i)
			if i%10 == 0 {
				id = fmt.Sprintf("bad-%d", i)
			}
			req, _ := http.NewRequest("POST", srv.URL+hwQuery, strings.NewReader(id))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-APP-Key", "key")
			req.Header.Set("Authorization", "Bearer tok")
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if !strings.Contains(string(b), id) {
				t.Errorf("client %d got another's answer: %s", i, b)
			}
			// The request body is not JSON: every exchange violates the request schema; the bad
			// ones the response's too.
			if got := resp.Header.Get(contract.HeaderVerdict); got != contract.ResultViolation {
				t.Errorf("client %d: verdict %q", i, got)
			}
			if i%10 == 0 && !strings.Contains(resp.Header.Get(contract.HeaderViolations), "/taskInfo/status") {
				t.Errorf("client %d: violations %q", i, resp.Header.Get(contract.HeaderViolations))
			}
		})
	}
	wg.Wait()
	req, _ := http.NewRequest("POST", srv.URL+hwQuery+"?big=1", strings.NewReader(`{"taskId":"1"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(b, big) || resp.Header.Get(contract.HeaderVerdict) != contract.ResultSkipped || !strings.Contains(resp.Header.Get(contract.HeaderViolations), "streamed unvalidated") {
		t.Errorf("large body: %d bytes, headers %v", len(b), resp.Header)
	}
	if n.Load() != 51 {
		t.Errorf("%d results", n.Load())
	}
}

// fakeTB records what ForTest reports.
type fakeTB struct {
	out    bytes.Buffer
	failed bool
}

func (f *fakeTB) Fail()             { f.failed = true }
func (f *fakeTB) Output() io.Writer { return &f.out }

// TestForTestNamesTheCallersLine: a violation found under an http.Client points at the test's line
// that made the request, not at net/http or contract.
func TestForTestNamesTheCallersLine(t *testing.T) {
	vendor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"resultCode":"0","taskInfo":{"status":"FINISHED"}}`)
	}))
	defer vendor.Close()
	tb := &fakeTB{}
	tr, err := contract.ForTest(tb, "huawei", nil)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", vendor.URL+hwQuery, strings.NewReader(`{"taskId":"1"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-APP-Key", "key")
	req.Header.Set("Authorization", "Bearer token")
	_, _, line, _ := runtime.Caller(0)
	resp, err := (&http.Client{Transport: tr}).Do(req) // line+1: the line the report names
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !tb.failed || !strings.HasPrefix(tb.out.String(), fmt.Sprintf("proxy_test.go:%d: ", line+1)) || !strings.Contains(tb.out.String(), "/taskInfo/status") {
		t.Errorf("failed %v, output %q", tb.failed, tb.out.String())
	}
	// An undocumented endpoint is skipped, as in a HAR check, unless configured otherwise.
	tb2 := &fakeTB{}
	tr2, _ := contract.ForTest(tb2, "huawei", nil)
	var res contract.Result
	tr2.OnResult = func(r contract.Result) { res = r }
	resp, err = (&http.Client{Transport: tr2}).Get(vendor.URL + "/not/documented")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if tb2.failed || res.Result != contract.ResultSkipped || res.Reason != contract.ReasonUndocumented {
		t.Errorf("undocumented: failed %v, %+v", tb2.failed, res)
	}
	tr2.UndocumentedIsViolation = true
	resp, _ = (&http.Client{Transport: tr2}).Get(vendor.URL + "/not/documented")
	resp.Body.Close()
	if !tb2.failed || res.Result != contract.ResultViolation {
		t.Errorf("UndocumentedIsViolation: failed %v, %+v", tb2.failed, res)
	}
}

// TestProxyCredentialsOnlyToUpstream: a request naming another host (absolute-form, as a client
// configured with an HTTP proxy sends it) and a redirect both leave the credential with the upstream.
func TestProxyCredentialsOnlyToUpstream(t *testing.T) {
	var elsewhere atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { elsewhere.Add(1) }))
	defer other.Close()
	var got atomic.Value
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.Header.Get("Authorization") + " " + r.URL.Path)
		http.Redirect(w, r, other.URL+"/steal", http.StatusFound)
	}))
	defer upstream.Close()
	specs, _ := contract.LoadVendor("webex")
	u, _ := url.Parse(upstream.URL + "/v1")
	srv := httptest.NewServer(&contract.Proxy{Upstream: u, Specs: specs})
	defer srv.Close()
	pu, _ := url.Parse(srv.URL)
	client := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(pu)},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("GET", other.URL+"/telephony/config/jobs/person/moveLocation/1", nil)
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got.Load() != "Bearer tok /v1/telephony/config/jobs/person/moveLocation/1" || elsewhere.Load() != 0 {
		t.Errorf("upstream got %v; the other host got %d requests", got.Load(), elsewhere.Load())
	}
	if resp.StatusCode != http.StatusFound || resp.Header.Get(contract.HeaderVerdict) != contract.ResultViolation {
		t.Errorf("status %d, verdict %q", resp.StatusCode, resp.Header.Get(contract.HeaderVerdict))
	}
}

// An upgrade (101) answer's body is the open connection: the proxy reports the exchange skipped
// and relays the connection instead of reading it to its end.
func TestProxyUpgradeIsSkippedNotRead(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
		rw.Flush()
		line, _ := rw.ReadString('\n') // echo one line over the upgraded connection, then end it
		rw.WriteString(line)
		rw.Flush()
	}))
	defer upstream.Close()
	u, _ := url.Parse(upstream.URL)
	results := make(chan contract.Result, 1)
	srv := httptest.NewServer(&contract.Proxy{Upstream: u, OnResult: func(r contract.Result) { results <- r }})
	defer srv.Close()

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second)) // fail, rather than hang, without the fix
	fmt.Fprintf(conn, "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer through the proxy: %v", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get(contract.HeaderVerdict) != contract.ResultSkipped {
		t.Fatalf("status %d verdict %q, want 101 skipped", resp.StatusCode, resp.Header.Get(contract.HeaderVerdict))
	}
	fmt.Fprintf(conn, "hello\n")
	if line, err := br.ReadString('\n'); err != nil || line != "hello\n" {
		t.Errorf("upgraded connection echoed %q, %v", line, err)
	}
	r := <-results
	if r.Result != contract.ResultSkipped || r.Reason != contract.ReasonUpgraded || r.Status != 101 {
		t.Errorf("result %s %d %q, want skipped 101 %q", r.Result, r.Status, r.Reason, contract.ReasonUpgraded)
	}
}
