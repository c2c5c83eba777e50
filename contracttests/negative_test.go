package contracttests

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/jarcoal/httpmock"

	"github.com/jobwatch/jobwatch/contract"
	"github.com/jobwatch/jobwatch/generated/huawei"
	"github.com/jobwatch/jobwatch/generated/oracle"
	"github.com/jobwatch/jobwatch/generated/tencent"
	"github.com/jobwatch/jobwatch/generated/webex"
	"github.com/jobwatch/jobwatch/specs"
)

// vendorCall is one vendor's status call through its generated client: the request it makes, and a
// function that makes it with a given *http.Client and reports the client's error, if any.
type vendorCall struct {
	vendor string
	spec   string
	seed   string
	method string
	url    string
	header map[string]string // headers of the request the client sends (for routing and validation)
	call   func(ctx context.Context, hc *http.Client) (status int, err error)
}

var vendorCalls = []vendorCall{
	{"oracle", specs.Oracle, "oracle_status_200.json", "GET", "https://pc.example:443/cloudapi/restapi/user/status/95733", map[string]string{"Authorization": basicHeader},
		func(ctx context.Context, hc *http.Client) (int, error) {
			c, _ := oracle.NewClientWithResponses("https://pc.example:443", oracle.WithHTTPClient(hc), oracle.WithRequestEditorFn(setHeader("Authorization", basicHeader)))
			r, err := c.GetUserJobStatusWithResponse(ctx, "95733")
			if err != nil {
				return 0, err
			}
			return r.StatusCode(), nil
		}},
	{"huawei", specs.Huawei, "huawei_querytask_200.json", "POST", "https://service.besclouds.com/apiaccess/rest/cc-management/v1/federationUserMgmt/queryTask", map[string]string{"Authorization": bearerHeader},
		func(ctx context.Context, hc *http.Client) (int, error) {
			c, _ := huawei.NewClientWithResponses("https://service.besclouds.com", huawei.WithHTTPClient(hc),
				huawei.WithRequestEditorFn(setHeader("Authorization", bearerHeader)), huawei.WithRequestEditorFn(setHeader("X-APP-Key", "app")))
			r, err := c.QueryTaskWithResponse(ctx, huawei.QueryTaskRequest{TaskId: "1659446191820726274"})
			if err != nil {
				return 0, err
			}
			return r.StatusCode(), nil
		}},
	{"webex", specs.Webex, "webex_job_200.json", "GET", "https://webexapis.com/v1/telephony/config/jobs/person/moveLocation/J1", map[string]string{"Authorization": bearerHeader},
		func(ctx context.Context, hc *http.Client) (int, error) {
			c, _ := webex.NewClientWithResponses("https://webexapis.com/v1", webex.WithHTTPClient(hc), webex.WithRequestEditorFn(setHeader("Authorization", bearerHeader)))
			r, err := c.GetMoveUsersJobStatusWithResponse(ctx, "J1", nil)
			if err != nil {
				return 0, err
			}
			return r.StatusCode(), nil
		}},
	{"tencent", specs.Tencent, "tencent_listjobs_200.json", "POST", "https://ciam.intl.tencentcloudapi.com/", tencentHeaders,
		func(ctx context.Context, hc *http.Client) (int, error) {
			c, _ := tencent.NewClientWithResponses("https://ciam.intl.tencentcloudapi.com", tencent.WithHTTPClient(hc), tencent.WithRequestEditorFn(setHeader("Authorization", tc3Header)))
			params := &tencent.ListJobsParams{XTCAction: tencent.ActionListJobs, XTCVersion: tencent.ListJobsParamsXTCVersionVersion20220331, XTCRegion: "ap-guangzhou", XTCTimestamp: 1715156770}
			r, err := c.ListJobsWithResponse(ctx, params, tencent.ListJobsRequest{UserStoreId: "u1"})
			if err != nil {
				return 0, err
			}
			return r.StatusCode(), nil
		}},
}

// strictClient serves one canned answer through a strict contract.Transport, so a response that breaks
// the spec reaches the generated client as an error, and records every violation.
func strictClient(t *testing.T, spec *contract.Spec, vc vendorCall, status int, header http.Header, body []byte) (*http.Client, func() []string) {
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder(vc.method, vc.url, func(*http.Request) (*http.Response, error) {
		resp := httpmock.NewBytesResponse(status, body)
		for k, v := range header {
			resp.Header[k] = v
		}
		return resp, nil
	})
	var mu sync.Mutex
	var seen []string
	tr := &contract.Transport{Base: mt, Specs: []*contract.Spec{spec}, Strict: true, OnViolation: func(v contract.Violation) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, v.Err.Error())
	}}
	return &http.Client{Transport: tr}, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), seen...) }
}

// mutate decodes a seed, lets edit change it, and encodes it again.
func mutate(t *testing.T, raw []byte, edit func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, _ := json.Marshal(m)
	return b
}

func at(m map[string]any, path ...any) map[string]any {
	var cur any = m
	for _, p := range path {
		switch k := p.(type) {
		case string:
			cur = cur.(map[string]any)[k]
		case int:
			cur = cur.([]any)[k]
		}
	}
	return cur.(map[string]any)
}

// TestNegativePayloads: per vendor, a wrong type, a missing required field and a malformed body each
// fail validation naming the field, and the client path returns an error, never a zero value.
func TestNegativePayloads(t *testing.T) {
	type negative struct {
		name  string
		field string // what the error must name
		edit  func(m map[string]any)
		raw   string // used instead of edit: a malformed body
	}
	perVendor := map[string][]negative{
		"oracle": {
			{name: "wrong type", field: "loginId", edit: func(m map[string]any) { at(m, "added", 0)["loginId"] = 42 }},
			{name: "missing required", field: "emailAddress", edit: func(m map[string]any) { delete(at(m, "added", 0), "emailAddress") }},
			{name: "wrong nested type", field: "disabled", edit: func(m map[string]any) { at(m, "added", 0)["disabled"] = "no" }},
			{name: "malformed", field: "JSON", raw: `{"added": [{"loginId": "JSMITH"`},
		},
		"huawei": {
			{name: "wrong type", field: "resultCode", edit: func(m map[string]any) { m["resultCode"] = 0 }},
			{name: "missing required", field: "resultCode", edit: func(m map[string]any) { delete(m, "resultCode") }},
			{name: "wrong nested type", field: "failDataList", edit: func(m map[string]any) { m["failDataList"] = "none" }},
			{name: "malformed", field: "JSON", raw: `{"resultCode": "0", "taskInfo": {`},
		},
		"webex": {
			{name: "wrong type", field: "moved", edit: func(m map[string]any) { at(m, "counts")["moved"] = "one" }},
			{name: "missing required", field: "counts", edit: func(m map[string]any) { delete(m, "counts") }},
			{name: "wrong nested type", field: "instanceId", edit: func(m map[string]any) { m["instanceId"] = "328660" }},
			{name: "malformed", field: "JSON", raw: `<html><body>502 Bad Gateway</body></html>`},
		},
		"tencent": {
			{name: "wrong type", field: "CreatedDate", edit: func(m map[string]any) { at(m, "Response", "JobSet", 0)["CreatedDate"] = "yesterday" }},
			{name: "missing required", field: "RequestId", edit: func(m map[string]any) { delete(at(m, "Response"), "RequestId") }},
			{name: "missing required in job", field: "Status", edit: func(m map[string]any) { delete(at(m, "Response", "JobSet", 0), "Status") }},
			{name: "malformed", field: "JSON", raw: `{"Response": {"JobSet": [`},
		},
	}
	ctx := context.Background()
	for _, vc := range vendorCalls {
		spec := loadSpec(t, vc.spec)
		for _, n := range perVendor[vc.vendor] {
			t.Run(vc.vendor+"/"+n.name, func(t *testing.T) {
				body := []byte(n.raw)
				if n.edit != nil {
					body = mutate(t, seed(t, vc.seed), n.edit)
				}
				req := newRequest(t, vc.method, vc.url, nil, vc.header)
				verr := spec.ValidateResponse(ctx, req, 200, jsonHeader, body)
				if verr == nil {
					t.Fatalf("validation accepted a %s body", n.name)
				}
				if n.raw == "" && !strings.Contains(verr.Error(), n.field) {
					t.Errorf("validation error does not name %q: %v", n.field, verr)
				}
				hc, seen := strictClient(t, spec, vc, 200, jsonHeader, body)
				status, err := vc.call(ctx, hc)
				if err == nil {
					t.Fatalf("client returned status %d and no error for a %s body", status, n.name)
				}
				if n.raw == "" && !strings.Contains(err.Error(), n.field) {
					t.Errorf("client error does not name %q: %v", n.field, err)
				}
				if len(seen()) == 0 {
					t.Errorf("no violation reported")
				}
			})
		}
	}
}

// TestUndocumentedAnswersAreDetected: a gateway's HTML error page, an undocumented status or an
// undeclared content type is detected, never silently decoded into nil typed fields.
func TestUndocumentedAnswersAreDetected(t *testing.T) {
	html := []byte("<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>")
	cases := []struct {
		name   string
		status int
		header http.Header
		body   []byte
	}{
		{"html 502 page", 502, http.Header{"Content-Type": {"text/html"}}, html},
		{"html 200 page", 200, http.Header{"Content-Type": {"text/html"}}, html},
		{"html with json content type", 200, jsonHeader, html},
		{"undocumented status 418", 418, jsonHeader, []byte(`{}`)},
	}
	ctx := context.Background()
	for _, vc := range vendorCalls {
		spec := loadSpec(t, vc.spec)
		for _, c := range cases {
			t.Run(vc.vendor+"/"+c.name, func(t *testing.T) {
				req := newRequest(t, vc.method, vc.url, nil, vc.header)
				if err := spec.ValidateResponse(ctx, req, c.status, c.header, c.body); err == nil {
					t.Errorf("validation accepted it")
				}
				hc, _ := strictClient(t, spec, vc, c.status, c.header, c.body)
				_, err := vc.call(ctx, hc)
				var ve *contract.ValidationError
				if !errors.As(err, &ve) && !strings.Contains(c.name, "json content type") {
					t.Errorf("client error = %v, want a *contract.ValidationError", err)
				}
				if err == nil {
					t.Errorf("client returned no error")
				}
			})
		}
	}
}
