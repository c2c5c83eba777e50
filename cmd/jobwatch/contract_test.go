package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jobwatch/jobwatch/simulator"
)

const sentinelAuth = "SENTINEL-har-credential-5a4b3c"

func seed(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "contracttests", "testdata", "seeds", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type harEntry struct {
	method, url, reqBody string
	reqHeaders           map[string]string
	status               int
	respBody             string
	respHeaders          map[string]string
}

// writeHAR writes a HAR 1.2 file as a browser or mitmproxy exports it.
func writeHAR(t *testing.T, entries ...harEntry) string {
	t.Helper()
	hs := func(m map[string]string) []map[string]string {
		out := []map[string]string{}
		for k, v := range m {
			out = append(out, map[string]string{"name": k, "value": v})
		}
		return out
	}
	var es []map[string]any
	for _, e := range entries {
		req := map[string]any{"method": e.method, "url": e.url, "httpVersion": "HTTP/1.1", "headers": hs(e.reqHeaders), "queryString": []any{}, "cookies": []any{}, "headersSize": -1, "bodySize": len(e.reqBody)}
		if e.reqBody != "" {
			req["postData"] = map[string]any{"mimeType": "application/json", "text": e.reqBody}
		}
		ct := e.respHeaders["Content-Type"]
		es = append(es, map[string]any{"startedDateTime": "2026-11-24T06:00:00.000Z", "time": 12, "request": req,
			"response": map[string]any{"status": e.status, "statusText": "", "httpVersion": "HTTP/1.1", "headers": hs(e.respHeaders), "cookies": []any{},
				"content": map[string]any{"size": len(e.respBody), "mimeType": ct, "text": e.respBody}, "redirectURL": "", "headersSize": -1, "bodySize": len(e.respBody)},
			"cache": map[string]any{}, "timings": map[string]any{"send": 0, "wait": 10, "receive": 2}})
	}
	b, _ := json.Marshal(map[string]any{"log": map[string]any{"version": "1.2", "creator": map[string]string{"name": "test", "version": "1"}, "entries": es}})
	path := filepath.Join(t.TempDir(), "traffic.har")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

var jsonCT = map[string]string{"Content-Type": "application/json"}

func conforming(t *testing.T, vendor string) harEntry {
	switch vendor {
	case "oracle":
		return harEntry{"GET", "https://pc.example.com/cloudapi/restapi/user/status/95733", "", map[string]string{"Authorization": "Basic " + sentinelAuth}, 200, seed(t, "oracle_status_200.json"), jsonCT}
	case "huawei":
		return harEntry{"POST", "https://service.besclouds.com/apiaccess/rest/cc-management/v1/federationUserMgmt/queryTask", seed(t, "huawei_querytask_request.json"),
			map[string]string{"Content-Type": "application/json", "X-APP-Key": sentinelAuth, "Authorization": "Bearer " + sentinelAuth}, 200, seed(t, "huawei_querytask_200.json"), jsonCT}
	case "webex":
		return harEntry{"GET", "https://webexapis.com/v1/telephony/config/jobs/person/moveLocation/Y2lzY29zcGFyazovL3VzL0pPQl9JRC8xMzFkOTg1ZC1iZThhLTQ3MjgtYjM2MC02MzBjNTAxNTEyNzE", "",
			map[string]string{"Authorization": "Bearer " + sentinelAuth}, 200, seed(t, "webex_job_200.json"), jsonCT}
	default:
		return harEntry{"POST", "https://ciam.tencentcloudapi.com/", seed(t, "tencent_listjobs_request.json"),
			map[string]string{"Content-Type": "application/json", "X-TC-Action": "ListJobs", "X-TC-Version": "2022-03-31", "X-TC-Region": "ap-guangzhou", "X-TC-Timestamp": "1715156770",
				"Authorization": "TC3-HMAC-SHA256 Credential=AKID/2024-05-08/ciam/tc3_request, SignedHeaders=content-type;host, Signature=" + sentinelAuth}, 200, seed(t, "tencent_listjobs_200.json"), jsonCT}
	}
}

// violating breaks one field of the documented answer.
func violating(t *testing.T, vendor string) (harEntry, string) {
	e := conforming(t, vendor)
	switch vendor {
	case "oracle":
		e.respBody = strings.Replace(e.respBody, `"loginId": "JSMITH"`, `"loginId": 42`, 1)
		return e, "/added/0/loginId"
	case "huawei":
		e.respBody = strings.Replace(e.respBody, `"DONE"`, `"FINISHED"`, 1)
		return e, "/taskInfo/status"
	case "webex":
		e.respBody = strings.Replace(e.respBody, `"moved": 1`, `"moved": "one"`, 1)
		return e, "/counts/moved"
	default:
		e.respBody = strings.Replace(e.respBody, `"PENDING"`, `"QUEUED"`, 1)
		return e, "/Response/JobSet/0/Status"
	}
}

func TestContractHAR(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"oracle", "huawei", "webex", "tencent"} {
		t.Run(v, func(t *testing.T) {
			ok := conforming(t, v)
			skipped := harEntry{"GET", "https://example.com/some/other/api", "", nil, 200, `{}`, jsonCT}
			// The fixtures keep their credentials: --allow-secrets (TestContractSecrets checks the finding).
			code, out, stderr := runCLI(t.Context(), env{}, "contract", "--vendor", v, "--allow-secrets", "--har", writeHAR(t, ok, skipped))
			if code != exitOK || !strings.Contains(out, "1 ok, 0 violating, 1 skipped") {
				t.Fatalf("conforming: exit %d\n%s%s", code, out, stderr)
			}
			bad, pointer := violating(t, v)
			code, out, _ = runCLI(t.Context(), env{}, "contract", "--vendor", v, "--allow-secrets", "--har", writeHAR(t, ok, bad, skipped), "--output", "json")
			if code != exitViolation {
				t.Fatalf("violating: exit %d\n%s", code, out)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if len(lines) != 4 || !strings.HasPrefix(lines[3], `{"summary":`) || !strings.Contains(lines[3], `"verdict":"violation"`) {
				t.Fatalf("%d lines, want 3 results and a summary:\n%s", len(lines), out)
			}
			lines = lines[:3]
			if len(lines) != 3 {
				t.Fatalf("%d lines:\n%s", len(lines), out)
			}
			var got []map[string]any
			for _, l := range lines {
				var m map[string]any
				if err := json.Unmarshal([]byte(l), &m); err != nil {
					t.Fatal(err)
				}
				for _, k := range []string{"index", "method", "path", "status", "result", "errors"} {
					if _, ok := m[k]; !ok {
						t.Errorf("key %s missing: %s", k, l)
					}
				}
				got = append(got, m)
			}
			if got[0]["result"] != "ok" || got[1]["result"] != "violation" || got[2]["result"] != "skipped" || got[1]["index"] != 1.0 {
				t.Errorf("results: %s", out)
			}
			if !strings.Contains(lines[1], `"pointer":"`+pointer+`"`) {
				t.Errorf("pointer %s missing: %s", pointer, lines[1])
			}
			_, table, _ := runCLI(t.Context(), env{}, "contract", "--vendor", v, "--har", writeHAR(t, bad))
			if !strings.Contains(table, "#0 "+bad.method) || !strings.Contains(table, pointer) {
				t.Errorf("table names no index, method or pointer:\n%s", table)
			}
			if strings.Contains(out+table, sentinelAuth) {
				t.Errorf("a recorded credential was echoed:\n%s\n%s", out, table)
			}
		})
	}
}

func TestContractHARFileErrors(t *testing.T) {
	t.Parallel()
	notJSON := filepath.Join(t.TempDir(), "x.har")
	os.WriteFile(notJSON, []byte("<html>"), 0o600)
	for _, path := range []string{filepath.Join(t.TempDir(), "missing.har"), notJSON} {
		if code, _, stderr := runCLI(t.Context(), env{}, "contract", "--vendor", "webex", "--har", path); code != exitAPI || stderr == "" {
			t.Errorf("%s: exit %d %q", path, code, stderr)
		}
	}
}

func TestContractLiveAgainstSimulator(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"oracle", "huawei", "webex", "tencent"} {
		t.Run(v, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sim, e := simEnv(t, simulator.Options{})
				id, _ := sim.CreateJob(v, []simulator.JobUser{{ID: "a", Action: "CREATE"}, {ID: "b-fail", Action: "CREATE"}}, time.Second)
				time.Sleep(2 * time.Second)
				code, out, stderr := runCLI(t.Context(), e, "contract", "--vendor", v, "--live", "--job", id, "--output", "json")
				if code != exitOK || !strings.Contains(out, `"result":"ok"`) || strings.Contains(out, `"result":"violation"`) || !strings.Contains(out, `"verdict":"ok"`) {
					t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
				}
				code, _, stderr = runCLI(t.Context(), e, "contract", "--vendor", v, "--live", "--job", "no-such-job")
				if code != exitAPI || stderr == "" {
					t.Errorf("unknown job: exit %d %s", code, stderr)
				}
			})
		})
	}
}

// sanitized is the conforming exchange as a browser exports it by default: Authorization and cookies
// removed, every other header kept.
func sanitized(t *testing.T, vendor string) harEntry {
	e := conforming(t, vendor)
	h := map[string]string{}
	for k, v := range e.reqHeaders {
		if k != "Authorization" && k != "Cookie" {
			h[k] = v
		}
	}
	e.reqHeaders = h
	return e
}

func TestContractHARSanitized(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"oracle", "huawei", "webex", "tencent"} {
		t.Run(v, func(t *testing.T) {
			clean, full := sanitized(t, v), conforming(t, v)
			har := writeHAR(t, clean, full)
			code, out, stderr := runCLI(t.Context(), env{}, "contract", "--vendor", v, "--allow-secrets", "--verbose", "--har", har)
			if code != exitOK || !strings.Contains(out, "2 ok, 0 violating") || !strings.Contains(out, "not checked for security #0 "+clean.method) ||
				!strings.Contains(out, "1 exchanges not checked for security") {
				t.Fatalf("sanitized recording: exit %d\n%s%s", code, out, stderr)
			}
			code, out, _ = runCLI(t.Context(), env{}, "contract", "--vendor", v, "--allow-secrets", "--har", har, "--output", "json")
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if code != exitOK || len(lines) != 3 || !strings.Contains(lines[0], `"security":"not_checked"`) || !strings.Contains(lines[1], `"security":"checked"`) {
				t.Fatalf("json: exit %d\n%s", code, out)
			}
			code, out, _ = runCLI(t.Context(), env{}, "contract", "--vendor", v, "--allow-secrets", "--har", har, "--check-security")
			if code != exitViolation || !strings.Contains(out, "#0 "+clean.method) || !strings.Contains(out, "security scheme") || strings.Contains(out, "not checked") {
				t.Fatalf("--check-security: exit %d\n%s", code, out)
			}
		})
	}
}

func TestContractHARSanitizedStillChecksTheRest(t *testing.T) {
	t.Parallel()
	// A sanitized exchange is still checked for everything else, and a credential the browser keeps
	// (Huawei's X-APP-Key) or a malformed Authorization is still a violation.
	bad, pointer := violating(t, "oracle")
	delete(bad.reqHeaders, "Authorization")
	noKey := sanitized(t, "huawei")
	delete(noKey.reqHeaders, "X-APP-Key")
	malformed := conforming(t, "oracle")
	malformed.reqHeaders = map[string]string{"Authorization": "Bearer " + sentinelAuth}
	for _, c := range []struct {
		vendor string
		e      harEntry
		want   string
	}{{"oracle", bad, pointer}, {"huawei", noKey, "X-APP-Key"}, {"oracle", malformed, `"basicAuth"`}} {
		code, out, _ := runCLI(t.Context(), env{}, "contract", "--vendor", c.vendor, "--har", writeHAR(t, c.e))
		if code != exitViolation || !strings.Contains(out, c.want) || strings.Contains(out, sentinelAuth) {
			t.Errorf("%s %s: exit %d\n%s", c.vendor, c.want, code, out)
		}
	}
	if code, _, stderr := runCLI(t.Context(), env{}, "contract", "--vendor", "oracle", "--live", "--job", "1", "--check-security"); code != exitUsage || !strings.Contains(stderr, "--check-security") {
		t.Errorf("--live --check-security: exit %d %s", code, stderr)
	}
}
