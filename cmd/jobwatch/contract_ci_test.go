package main

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	junit "github.com/joshdk/go-junit"

	"github.com/jobwatch/jobwatch/simulator"
)

// The recorders whose HAR shapes the fixtures follow (HAR 1.2, http://www.softwareishard.com/blog/har-12-spec/):
// Chrome writes HTTP/2 pseudo-headers, _initiator/_priority/_resourceType, and on an aborted request
// status 0 with "_error": "net::ERR_ABORTED"; Firefox omits content.text when it did not keep a body;
// mitmproxy (savehar.py) writes the decoded body under the original Content-Encoding, status 0 with
// content {} and "_error" when there was no response, and zlib-compresses .zhar; Charles and Go
// recorders keep the bytes as sent, base64-encoded when binary.

// recorded is one entry as a tool writes it: raw JSON pieces for the request and the response.
type recorded struct {
	request  map[string]any
	response map[string]any
	extra    map[string]any
}

func hdrs(kv ...string) []map[string]string {
	out := []map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, map[string]string{"name": kv[i], "value": kv[i+1]})
	}
	return out
}

// harFile writes entries as a HAR of version (1.1 or 1.2) made by creator; the bytes are returned too.
func harFile(t *testing.T, name, version, creator string, entries ...recorded) (string, []byte) {
	t.Helper()
	var es []map[string]any
	for _, e := range entries {
		m := map[string]any{"startedDateTime": "2026-11-24T06:00:00.000Z", "time": 12.5, "request": e.request, "response": e.response,
			"cache": map[string]any{}, "timings": map[string]any{"send": 0.1, "wait": 10, "receive": 1}}
		for k, v := range e.extra {
			m[k] = v
		}
		es = append(es, m)
	}
	b, err := json.MarshalIndent(map[string]any{"log": map[string]any{"version": version, "creator": map[string]string{"name": creator, "version": "1"}, "pages": []any{}, "entries": es}}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, b
}

const webexJob = "https://webexapis.com/v1/telephony/config/jobs/person/moveLocation/Y2lzY29zcGFyazovL3VzL0pPQl9JRC8xMzFkOTg1ZC1iZThhLTQ3MjgtYjM2MC02MzBjNTAxNTEyNzE"

// chromeGet is a sanitized Chrome export of a Webex status call answered with status and text.
func chromeGet(url string, status int, respHeaders []map[string]string, content map[string]any) recorded {
	return recorded{
		request: map[string]any{"method": "GET", "url": url, "httpVersion": "http/2.0",
			"headers":     hdrs(":authority", "webexapis.com", ":method", "GET", ":path", "/v1/telephony", "accept", "application/json"),
			"queryString": []any{}, "cookies": []any{}, "headersSize": -1, "bodySize": 0},
		response: map[string]any{"status": status, "statusText": "", "httpVersion": "http/2.0", "headers": respHeaders, "cookies": []any{},
			"content": content, "redirectURL": "", "headersSize": -1, "bodySize": -1, "_transferSize": 512, "_error": nil},
		extra: map[string]any{"_initiator": map[string]any{"type": "script"}, "_priority": "High", "_resourceType": "fetch", "connection": "443"},
	}
}

func jsonContent(text string) map[string]any {
	return map[string]any{"size": len(text), "mimeType": "application/json", "text": text}
}

func tencentRequest(t *testing.T, headers ...string) map[string]any {
	body := seed(t, "tencent_listjobs_request.json")
	h := hdrs(append([]string{"Content-Type", "application/json", "X-TC-Region", "ap-guangzhou", "X-TC-Timestamp", "1715156770"}, headers...)...)
	return map[string]any{"method": "POST", "url": "https://ciam.tencentcloudapi.com/", "httpVersion": "HTTP/1.1", "headers": h, "queryString": []any{},
		"cookies": []any{}, "headersSize": -1, "bodySize": len(body), "postData": map[string]any{"mimeType": "application/json", "text": body}}
}

func okResponse(text string, headers ...string) map[string]any {
	return map[string]any{"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1", "headers": hdrs(append([]string{"Content-Type", "application/json"}, headers...)...),
		"cookies": []any{}, "content": jsonContent(text), "redirectURL": "", "headersSize": -1, "bodySize": len(text)}
}

func gzipped(t *testing.T, s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestContractFalseGreens: each case passed before, and is a violation (or not green) now.
func TestContractFalseGreens(t *testing.T) {
	t.Parallel()
	job := seed(t, "webex_job_200.json")
	for _, status := range []int{301, 304, 307, 308} {
		path, _ := harFile(t, "chrome.har", "1.2", "WebInspector", chromeGet(webexJob, status, hdrs("location", "https://elsewhere.example/"), map[string]any{"size": 0, "mimeType": "x-unknown"}))
		code, out, _ := runCLI(t.Context(), env{}, "contract", "--vendor", "webex", "--har", path)
		if code != exitViolation || !strings.Contains(out, fmt.Sprintf("status %d is not documented for getMoveUsersJobStatus", status)) {
			t.Errorf("undocumented %d: exit %d\n%s", status, code, out)
		}
	}
	for _, c := range []struct{ name, want string }{{"2020-01-01", `header parameter "X-TC-Version"`}, {"", `header parameter "X-TC-Version"`}} {
		h := []string{"X-TC-Action", "ListJobs"}
		if c.name != "" {
			h = append(h, "X-TC-Version", c.name)
		}
		path, _ := harFile(t, "charles.har", "1.2", "Charles Proxy", recorded{request: tencentRequest(t, h...), response: okResponse(seed(t, "tencent_listjobs_200.json"))})
		code, out, _ := runCLI(t.Context(), env{}, "contract", "--vendor", "tencent", "--har", path)
		if code != exitViolation || !strings.Contains(out, c.want) || !strings.Contains(out, "action=ListJobs") {
			t.Errorf("X-TC-Version %q: exit %d\n%s", c.name, code, out)
		}
	}
	webexOnly, _ := harFile(t, "webex.har", "1.2", "WebInspector", chromeGet(webexJob, 200, hdrs("content-type", "application/json"), jsonContent(job)))
	empty, _ := harFile(t, "empty.har", "1.2", "Firefox")
	for _, path := range []string{webexOnly, empty} {
		code, out, _ := runCLI(t.Context(), env{}, "contract", "--vendor", "oracle", "--har", path)
		if code != exitNothingChecked || !strings.Contains(out, "nothing was checked") {
			t.Errorf("%s as oracle: exit %d\n%s", filepath.Base(path), code, out)
		}
		if code, _, _ := runCLI(t.Context(), env{}, "contract", "--vendor", "oracle", "--allow-empty", "--har", path); code != exitOK {
			t.Errorf("%s --allow-empty: exit %d", filepath.Base(path), code)
		}
	}
	bad := strings.Replace(job, `"moved": 1`, `"moved": "one"`, 1)
	a, _ := harFile(t, "a.har", "1.2", "WebInspector", chromeGet(webexJob, 200, hdrs("content-type", "application/json"), jsonContent(bad)))
	code, out, _ := runCLI(t.Context(), env{}, "contract", "--vendor", "webex", "--har", a, "--har", webexOnly)
	if code != exitViolation || !strings.Contains(out, "/counts/moved") || !strings.Contains(out, "2 exchanges: 1 ok, 1 violating") {
		t.Errorf("--har a --har b: exit %d\n%s", code, out)
	}
}

// TestContractFalseReds: each case was a violation before, and is skipped with its reason, or ok, now.
func TestContractFalseReds(t *testing.T) {
	t.Parallel()
	job := seed(t, "webex_job_200.json")
	ok := chromeGet(webexJob, 200, hdrs("content-type", "application/json"), jsonContent(job))
	aborted := chromeGet(webexJob, 0, hdrs(), map[string]any{"size": 0, "mimeType": "x-unknown"})
	aborted.response["_error"] = "net::ERR_ABORTED"
	mitmNoResponse := chromeGet(webexJob, 0, hdrs(), map[string]any{})
	mitmNoResponse.response["_error"] = "Connection killed."
	firefoxNoBody := chromeGet(webexJob, 200, hdrs("Content-Type", "application/json"), map[string]any{"size": len(job), "mimeType": "application/json"})
	// mitmproxy keeps the header and writes the decoded body; Charles and Go recorders keep the gzip bytes.
	mitmGzip := chromeGet(webexJob, 200, hdrs("content-type", "application/json", "content-encoding", "gzip"), jsonContent(job))
	rawGzip := chromeGet(webexJob, 200, hdrs("Content-Type", "application/json", "Content-Encoding", "gzip"),
		map[string]any{"size": len(job), "mimeType": "application/json", "encoding": "base64", "text": base64.StdEncoding.EncodeToString(gzipped(t, job))})
	var zb bytes.Buffer
	zw := zlib.NewWriter(&zb)
	zw.Write([]byte(job))
	zw.Close()
	rawDeflate := chromeGet(webexJob, 200, hdrs("Content-Type", "application/json", "Content-Encoding", "deflate"),
		map[string]any{"size": len(job), "mimeType": "application/json", "encoding": "base64", "text": base64.StdEncoding.EncodeToString(zb.Bytes())})
	latin1 := chromeGet(webexJob, 200, hdrs("Content-Type", "application/json; charset=ISO-8859-1"),
		map[string]any{"size": len(job), "mimeType": "application/json", "encoding": "base64", "text": base64.StdEncoding.EncodeToString([]byte(strings.Replace(job, `"moved": 1`, "\"moved\": 1, \"note\": \"caf\xe9\"", 1)))})
	path, _ := harFile(t, "mixed.har", "1.2", "WebInspector", ok, aborted, mitmNoResponse, firefoxNoBody, mitmGzip, rawGzip, rawDeflate, latin1)
	code, out, _ := runCLI(t.Context(), env{}, "contract", "--vendor", "webex", "--har", path)
	for _, want := range []string{"5 exchanges ok: getMoveUsersJobStatus", "1 skipped: no response recorded: net::ERR_ABORTED", "1 skipped: no response recorded: Connection killed.",
		"1 skipped: response body not recorded", "8 exchanges: 5 ok, 0 violating, 3 skipped"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q", want)
		}
	}
	if code != exitOK {
		t.Errorf("exit %d\n%s", code, out)
	}
	if t.Failed() {
		t.Log(out)
	}
}

// TestContractInputs: .zhar, gzip, a BOM, stdin, globs and HAR 1.1 are read.
func TestContractInputs(t *testing.T) {
	t.Parallel()
	job := seed(t, "webex_job_200.json")
	entry := chromeGet(webexJob, 200, hdrs("content-type", "application/json"), jsonContent(job))
	plain, raw := harFile(t, "plain.har", "1.1", "Firefox", entry)
	dir := filepath.Dir(plain)
	var zb, gb bytes.Buffer
	zw := zlib.NewWriter(&zb)
	zw.Write(raw)
	zw.Close()
	gw := gzip.NewWriter(&gb)
	gw.Write(raw)
	gw.Close()
	os.WriteFile(filepath.Join(dir, "flows.zhar"), zb.Bytes(), 0o600)
	os.WriteFile(filepath.Join(dir, "traffic.har.gz"), gb.Bytes(), 0o600)
	os.WriteFile(filepath.Join(dir, "bom.har"), append([]byte("\ufeff"), raw...), 0o600)
	code, out, stderr := runCLI(t.Context(), env{}, "contract", "--vendor", "webex", "--har", filepath.Join(dir, "*.*har*"))
	if code != exitOK || !strings.Contains(out, "4 exchanges: 4 ok") {
		t.Errorf("glob of plain, .zhar, .har.gz, BOM: exit %d\n%s%s", code, out, stderr)
	}
	code, out, _ = runCLI(t.Context(), env{stdin: bytes.NewReader(zb.Bytes())}, "contract", "--vendor", "webex", "--har", "-")
	if code != exitOK || !strings.Contains(out, "1 exchanges: 1 ok") {
		t.Errorf("stdin: exit %d\n%s", code, out)
	}
	if code, _, stderr := runCLI(t.Context(), env{}, "contract", "--vendor", "webex", "--har", filepath.Join(dir, "*.none")); code != exitUsage || !strings.Contains(stderr, "matches no file") {
		t.Errorf("empty glob: exit %d %s", code, stderr)
	}
	if code, _, stderr := runCLI(t.Context(), env{stdinTerminal: true}, "contract", "--vendor", "webex", "--har", "-"); code != exitUsage || !strings.Contains(stderr, "stdin is a terminal") {
		t.Errorf("--har - from a terminal: exit %d %s", code, stderr)
	}
}

// TestContractSecrets: a recording that kept credentials is a finding that fails the run, never
// printing the value; --allow-secrets reports it without failing.
func TestContractSecrets(t *testing.T) {
	t.Parallel()
	const secret = "SENTINEL-recorded-secret-9f8e7d"
	job := seed(t, "webex_job_200.json")
	bearer := chromeGet(webexJob, 200, hdrs("content-type", "application/json", "set-cookie", "session="+secret), jsonContent(job))
	bearer.request["headers"] = hdrs("Authorization", "Bearer "+secret)
	bearer.request["cookies"] = hdrs("session", secret)
	tc := recorded{request: tencentRequest(t, "X-TC-Action", "ListJobs", "X-TC-Version", "2022-03-31", "X-TC-Token", secret,
		"Authorization", "TC3-HMAC-SHA256 Credential=AKID/2024-05-08/ciam/tc3_request, SignedHeaders=content-type;host, Signature="+secret), response: okResponse(seed(t, "tencent_listjobs_200.json"))}
	huawei := recorded{request: map[string]any{"method": "POST", "url": "https://service.besclouds.com/apigovernance/api/oauth/tokenByAkSk", "headers": hdrs("Content-Type", "application/json"),
		"postData": map[string]any{"mimeType": "application/json", "text": `{"app_key":"k","app_secret":"` + secret + `"}`}}, response: okResponse(`{"AccessToken":"` + secret + `","Expires":"600"}`)}
	// A sanitizer's placeholder is no credential.
	placeholder := chromeGet(webexJob, 200, hdrs("content-type", "application/json"), jsonContent(job))
	placeholder.request["headers"] = hdrs("Authorization", "Bearer [REDACTED]", "Cookie", "")
	path, _ := harFile(t, "sanitized.har", "1.2", "Charles Proxy", placeholder)
	if code, out, _ := runCLI(t.Context(), env{}, "contract", "--vendor", "webex", "--har", path); code != exitOK || strings.Contains(out, "secret_in_recording") {
		t.Errorf("placeholder: exit %d\n%s", code, out)
	}
	for _, c := range []struct {
		vendor string
		e      recorded
		want   []string
	}{
		{"webex", bearer, []string{"request header Authorization", "cookie session", "response header Set-Cookie"}},
		{"tencent", tc, []string{"request header Authorization", "request header X-TC-Token"}},
		{"huawei", huawei, []string{"request body /app_secret", "response body /AccessToken"}},
	} {
		path, _ := harFile(t, "kept.har", "1.2", "mitmproxy exporthar", c.e)
		report := filepath.Join(t.TempDir(), "r.json")
		code, out, stderr := runCLI(t.Context(), env{}, "contract", "--vendor", c.vendor, "--har", path, "--report", "json="+report, "--report", "github", "--output", "table")
		rep, _ := os.ReadFile(report)
		if code != exitViolation || !strings.Contains(out, "secret_in_recording") {
			t.Errorf("%s: exit %d\n%s", c.vendor, code, out)
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) || !strings.Contains(string(rep), w) {
				t.Errorf("%s: %q missing\n%s", c.vendor, w, out)
			}
		}
		if strings.Contains(out+stderr+string(rep), secret) {
			t.Errorf("%s: the secret was printed", c.vendor)
		}
		if code, out, _ := runCLI(t.Context(), env{}, "contract", "--vendor", c.vendor, "--har", path, "--allow-secrets"); code == exitViolation || !strings.Contains(out, "allowed by --allow-secrets") {
			t.Errorf("%s --allow-secrets: exit %d\n%s", c.vendor, code, out)
		}
	}
}

// TestContractReports: the JUnit report read by a JUnit consumer, the JSON summary, GitHub
// annotations, waivers (accepted and stale), and a log bounded however many exchanges are clean.
func TestContractReports(t *testing.T) {
	t.Parallel()
	job := seed(t, "webex_job_200.json")
	ok := chromeGet(webexJob, 200, hdrs("content-type", "application/json"), jsonContent(job))
	bad := chromeGet(webexJob, 200, hdrs("content-type", "application/json"), jsonContent(strings.Replace(job, `"moved": 1`, `"moved": "one"`, 1)))
	other := chromeGet("https://cdn.example.com/app.js", 200, hdrs("content-type", "text/javascript"), map[string]any{"size": 2, "mimeType": "text/javascript", "text": "{}"})
	// copies is enough exchanges for the log to have to summarise them (it stays under 20 lines) and
	// for --verbose to have to list each one; more only slows the test under the race detector.
	const copies = 300
	entries := []recorded{bad}
	for range copies {
		entries = append(entries, ok, other)
	}
	path, _ := harFile(t, "big.har", "1.2", "WebInspector", entries...)
	dir := t.TempDir()
	junitFile, jsonFile := filepath.Join(dir, "junit.xml"), filepath.Join(dir, "summary.json")
	code, out, _ := runCLI(t.Context(), env{}, "contract", "--vendor", "webex", "--har", path, "--report", "junit="+junitFile, "--report", "json="+jsonFile, "--report", "github")
	if code != exitViolation {
		t.Fatalf("exit %d\n%s", code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) > 20 || !strings.HasPrefix(lines[0], "violation #0 GET webexapis.com/v1/telephony") || !strings.Contains(out, fmt.Sprint(copies, " skipped: not a vendor host")) ||
		!strings.Contains(out, fmt.Sprint(copies, " exchanges ok: getMoveUsersJobStatus")) {
		t.Errorf("log of %d lines:\n%s", len(lines), out)
	}
	if !strings.Contains(out, "::error file="+strings.ReplaceAll(path, ":", "%3A")+",title=contract violation%3A getMoveUsersJobStatus::#0 GET webexapis.com") {
		t.Errorf("no GitHub annotation:\n%s", out)
	}
	suites, err := junit.IngestFile(junitFile)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]junit.Status{}
	var failure *junit.Test
	for _, s := range suites {
		for i, tc := range s.Tests {
			got[tc.Name] = tc.Status
			if tc.Status == junit.StatusFailed {
				failure = &s.Tests[i]
			}
		}
	}
	want := map[string]junit.Status{"getMoveUsersJobStatus: ok": junit.StatusPassed, "getMoveUsersJobStatus: violation": junit.StatusFailed, "skipped: not a vendor host": junit.StatusSkipped}
	for name, st := range want {
		if got[name] != st {
			t.Errorf("junit %q: %q, want %q (all: %v)", name, got[name], st, got)
		}
	}
	if failure == nil || failure.Error == nil || !strings.Contains(failure.Error.Error(), "/counts/moved") {
		t.Errorf("junit failure without pointer: %+v", failure)
	}
	var sum struct {
		Counts     map[string]int
		Operations map[string]map[string]int
		Violations []struct{ Errors []struct{ Pointer string } }
		Verdict    string
		ExitCode   int `json:"exit_code"`
	}
	b, _ := os.ReadFile(jsonFile)
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Counts["ok"] != copies || sum.Counts["violation"] != 1 || sum.Operations["getMoveUsersJobStatus"]["ok"] != copies || len(sum.Violations) != 1 ||
		sum.Violations[0].Errors[0].Pointer != "/counts/moved" || sum.Verdict != "violation" || sum.ExitCode != exitViolation {
		t.Errorf("summary: %s", b)
	}

	// Waivers: the known violation is accepted, a stale one reported.
	accept := filepath.Join(dir, "accept.txt")
	os.WriteFile(accept, []byte("# known\ngetMoveUsersJobStatus /counts/moved webex sends a string until their fix\nListJobs /Response/JobSet/0/Status fixed upstream\n"), 0o600)
	code, out, _ = runCLI(t.Context(), env{}, "contract", "--vendor", "webex", "--har", path, "--accept", accept)
	if code != exitOK || !strings.Contains(out, "1 violations accepted by --accept") || !strings.Contains(out, "stale waiver: ListJobs /Response/JobSet/0/Status") {
		t.Errorf("--accept: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t.Context(), env{}, "contract", "--vendor", "webex", "--har", path, "--verbose")
	if n := strings.Count(out, "\n"); code != exitViolation || n < 2*copies+1 {
		t.Errorf("--verbose: exit %d, %d lines", code, n)
	}
}

// TestContractOwnSpec: --spec checks against the user's OpenAPI file, here one that documents HEAD,
// whose undocumented 302 kin-openapi would let pass.
func TestContractOwnSpec(t *testing.T) {
	t.Parallel()
	spec := filepath.Join(t.TempDir(), "mine.yaml")
	os.WriteFile(spec, []byte(`openapi: 3.0.3
info: {title: mine, version: "1"}
paths:
  /v1/ping:
    head:
      operationId: ping
      responses:
        "200": {description: up}
`), 0o600)
	head := func(status int) recorded {
		e := chromeGet("https://api.example.com/v1/ping", status, hdrs(), map[string]any{"size": 0, "mimeType": ""})
		e.request["method"] = "HEAD"
		return e
	}
	path, _ := harFile(t, "head.har", "1.2", "Go", head(200), head(302))
	code, out, _ := runCLI(t.Context(), env{}, "contract", "--vendor", "webex", "--spec", spec, "--har", path)
	if code != exitViolation || !strings.Contains(out, "status 302 is not documented for ping") || !strings.Contains(out, "1 exchanges ok: ping") {
		t.Errorf("exit %d\n%s", code, out)
	}
}

// freeAddr is a loopback address with a free port.
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// listenWriter is the proxy's stderr: it says when the proxy listens.
type listenWriter struct {
	mu        sync.Mutex
	b         bytes.Buffer
	listening chan struct{}
	once      sync.Once
}

func (w *listenWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.b.Write(p)
	if strings.Contains(w.b.String(), "listening on") {
		w.once.Do(func() { close(w.listening) })
	}
	return n, err
}

func (w *listenWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// startProxy runs `jobwatch contract proxy` in-process; wait returns its exit code and output once
// it exits (after --max-exchanges).
func startProxy(t *testing.T, ctx context.Context, args ...string) (addr string, wait func() (int, string, string)) {
	addr = freeAddr(t)
	stderr := &listenWriter{listening: make(chan struct{})}
	var out bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"contract", "proxy", "--listen", addr}, args...),
			env{stdin: strings.NewReader(""), stdout: &out, stderr: stderr, getenv: func(string) string { return "" }})
	}()
	select {
	case <-stderr.listening:
	case code := <-done:
		t.Fatalf("proxy exited %d: %s", code, stderr.String())
	}
	return addr, func() (int, string, string) {
		code := <-done
		return code, out.String(), stderr.String()
	}
}

// TestContractProxyNonGoClients runs the proxy in front of the simulator and of a wrong upstream,
// with curl and python3 as the clients.
func TestContractProxyNonGoClients(t *testing.T) {
	t.Parallel()
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("no curl")
	}
	sim := simulator.NewTest(t, simulator.Options{})
	id, err := sim.CreateJob(simulator.Webex, []simulator.JobUser{{ID: "a", Action: "CREATE"}}, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	token := sim.Credentials().WebexToken
	har := filepath.Join(t.TempDir(), "out.har")
	junitFile := filepath.Join(t.TempDir(), "junit.xml")
	addr, wait := startProxy(t, t.Context(), "--vendor", "webex", "--upstream", sim.BaseURL(simulator.Webex), "--har-out", har, "--report", "junit="+junitFile, "--max-exchanges", "2")
	url := "http://" + addr + "/telephony/config/jobs/person/moveLocation/" + id
	hdr, err := exec.Command(curl, "-sS", "-D", "-", "-o", "/dev/null", "-H", "Authorization: Bearer "+token, url).Output()
	if err != nil || !strings.Contains(string(hdr), "Jobwatch-Contract: ok") || !strings.Contains(string(hdr), "HTTP/1.1 200") {
		t.Errorf("curl: %v\n%s", err, hdr)
	}
	if py, err := exec.LookPath("python3"); err == nil {
		script := `import sys, urllib.request
req = urllib.request.Request(sys.argv[1], headers={"Authorization": "Bearer " + sys.argv[2]})
with urllib.request.urlopen(req) as r:
    print(r.status, r.headers["Jobwatch-Contract"], len(r.read()))`
		out, err := exec.Command(py, "-c", script, url, token).CombinedOutput()
		if err != nil || !strings.HasPrefix(string(out), "200 ok ") {
			t.Errorf("python3: %v\n%s", err, out)
		}
	} else {
		exec.Command(curl, "-sS", "-o", "/dev/null", "-H", "Authorization: Bearer "+token, url).Run()
	}
	code, out, stderr := wait()
	if code != exitOK || !strings.Contains(out, "2 exchanges: 2 ok") {
		t.Errorf("proxy exit %d\n%s%s", code, out, stderr)
	}
	b, _ := os.ReadFile(har)
	if !strings.Contains(string(b), `"[redacted]"`) || strings.Contains(string(b)+out+stderr, token) {
		t.Errorf("--har-out keeps the token or redacts nothing:\n%s", b)
	}
	if _, err := junit.IngestFile(junitFile); err != nil {
		t.Error(err)
	}

	// A wrong upstream: an undocumented status and a broken body.
	wrong := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			t.Errorf("credential not forwarded unchanged")
		}
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/gone") {
			w.Header().Set("Location", "https://elsewhere.example/")
			w.WriteHeader(http.StatusMovedPermanently)
			return
		}
		fmt.Fprint(w, `{"id":"x","counts":{"moved":"one"}}`)
	}))
	defer wrong.Close()
	addr, wait = startProxy(t, t.Context(), "--vendor", "webex", "--upstream", wrong.URL+"/v1", "--max-exchanges", "2")
	base := "http://" + addr + "/telephony/config/jobs/person/moveLocation/"
	for _, c := range []struct{ path, want string }{{"x", "counts/moved"}, {"gone", "status 301 is not documented"}} {
		hdr, err := exec.Command(curl, "-sS", "-D", "-", "-o", "/dev/null", "-H", "Authorization: Bearer "+token, base+c.path).Output()
		if err != nil || !strings.Contains(string(hdr), "Jobwatch-Contract: violation") || !strings.Contains(string(hdr), c.want) {
			t.Errorf("wrong upstream %s: %v\n%s", c.path, err, hdr)
		}
	}
	code, out, stderr = wait()
	if code != exitViolation || strings.Contains(out+stderr, token) {
		t.Errorf("wrong upstream: exit %d\n%s%s", code, out, stderr)
	}
}

// TestContractProxySIGTERM: SIGTERM (the CLI cancels its context with errInterrupted) makes the proxy
// write its reports and exit with the run's verdict, not 130.
func TestContractProxySIGTERM(t *testing.T) {
	t.Parallel()
	sim := simulator.NewTest(t, simulator.Options{})
	id, err := sim.CreateJob(simulator.Webex, []simulator.JobUser{{ID: "a", Action: "CREATE"}}, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancelCause(t.Context())
	dir := t.TempDir()
	addr, wait := startProxy(t, ctx, "--vendor", "webex", "--upstream", sim.BaseURL(simulator.Webex), "--report", "json="+filepath.Join(dir, "s.json"))
	req, _ := http.NewRequest("GET", "http://"+addr+"/telephony/config/jobs/person/moveLocation/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+sim.Credentials().WebexToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	stop(errInterrupted)
	code, out, stderr := wait()
	b, _ := os.ReadFile(filepath.Join(dir, "s.json"))
	if code != exitOK || !strings.Contains(out, "1 exchanges: 1 ok") || !strings.Contains(string(b), `"verdict": "ok"`) {
		t.Errorf("exit %d\n%s%s\n%s", code, out, stderr, b)
	}
	// Nothing checked: exit 7.
	addr, wait = startProxy(t, t.Context(), "--vendor", "webex", "--upstream", sim.BaseURL(simulator.Webex), "--max-exchanges", "1")
	if resp, err := http.Get("http://" + addr + "/not/documented"); err == nil {
		resp.Body.Close()
		if resp.Header.Get("Jobwatch-Contract") != "skipped" {
			t.Errorf("undocumented: %v", resp.Header)
		}
	}
	if code, out, _ := wait(); code != exitNothingChecked {
		t.Errorf("nothing checked: exit %d\n%s", code, out)
	}
}
