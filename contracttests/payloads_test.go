package contracttests

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"

	"github.com/jobwatch/jobwatch/contract"
	"github.com/jobwatch/jobwatch/generated/huawei"
	"github.com/jobwatch/jobwatch/generated/oracle"
	"github.com/jobwatch/jobwatch/generated/tencent"
	"github.com/jobwatch/jobwatch/generated/webex"
	"github.com/jobwatch/jobwatch/specs"
)

// Credentials used only to give requests the right shape; they are not secrets.
var (
	basicHeader  = "Basic dGVzdDp0ZXN0"
	bearerHeader = "Bearer test-token"
	tc3Header    = "TC3-HMAC-SHA256 Credential=AKIDtest/2024-05-08/ciam/tc3_request, SignedHeaders=content-type;host, Signature=00"
)

var tencentHeaders = map[string]string{
	"Authorization":  tc3Header,
	"Content-Type":   "application/json",
	"X-TC-Action":    "ListJobs",
	"X-TC-Version":   "2022-03-31",
	"X-TC-Region":    "ap-guangzhou",
	"X-TC-Timestamp": "1715156770",
}

// TestDocumentedPayloadsValidate checks every documented payload against the operation and status it
// documents, with all errors reported and undocumented statuses rejected.
func TestDocumentedPayloadsValidate(t *testing.T) {
	cases := []struct {
		name     string
		spec     string
		method   string
		url      string
		header   map[string]string
		reqBody  string // seed file, or ""
		status   int
		respHdr  http.Header
		respBody string // seed file
	}{
		{"oracle 200 complete", specs.Oracle, "GET", "https://host:443/cloudapi/restapi/user/status/95733", map[string]string{"Authorization": basicHeader}, "", 200, http.Header{"Content-Type": {"application/json"}}, "oracle_status_200.json"},
		{"oracle v3 200 complete", specs.Oracle, "GET", "https://host:443/cloudapi/restapi/v3/user/status/95733", map[string]string{"Authorization": bearerHeader}, "", 200, http.Header{"Content-Type": {"application/json"}}, "oracle_status_200.json"},
		{"oracle 202 running with Location", specs.Oracle, "GET", "https://host:443/cloudapi/restapi/user/status/95733", map[string]string{"Authorization": basicHeader}, "", 202,
			http.Header{"Content-Type": {"application/json"}, "Location": {"https://host:443/cloudapi/restapi/user/status/95733"}}, "oracle_status_200.json"},
		{"huawei queryTask 200", specs.Huawei, "POST", "https://service.besclouds.com/apiaccess/rest/cc-management/v1/federationUserMgmt/queryTask",
			map[string]string{"Authorization": bearerHeader, "X-APP-Key": "app", "Content-Type": "application/json"}, "huawei_querytask_request.json", 200, http.Header{"Content-Type": {"application/json;charset=UTF-8"}}, "huawei_querytask_200.json"},
		{"webex job 200", specs.Webex, "GET", "https://webexapis.com/v1/telephony/config/jobs/person/moveLocation/Y2lzY29zcGFyazovL3VzL0pPQl9JRC8xMzFkOTg1ZC1iZThhLTQ3MjgtYjM2MC02MzBjNTAxNTEyNzE",
			map[string]string{"Authorization": bearerHeader}, "", 200, http.Header{"Content-Type": {"application/json"}}, "webex_job_200.json"},
		{"tencent ListJobs 200", specs.Tencent, "POST", "https://ciam.intl.tencentcloudapi.com/", tencentHeaders, "tencent_listjobs_request.json", 200, http.Header{"Content-Type": {"application/json"}}, "tencent_listjobs_200.json"},
	}
	ctx := context.Background()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := loadSpec(t, c.spec)
			var reqBody []byte
			if c.reqBody != "" {
				reqBody = seed(t, c.reqBody)
			}
			req := newRequest(t, c.method, c.url, reqBody, c.header)
			if err := s.ValidateRequest(ctx, req, reqBody); err != nil {
				t.Errorf("request: %v", err)
			}
			if err := s.ValidateResponse(ctx, req, c.status, c.respHdr, seed(t, c.respBody)); err != nil {
				t.Errorf("response: %v", err)
			}
		})
	}
}

// mockClient returns an *http.Client backed by httpmock whose responder checks every request the
// generated client sends against the spec (method, path, parameters, headers, body) and answers with
// the given status, headers and body.
func mockClient(t *testing.T, s *contract.Spec, method, urlPattern string, status int, header http.Header, body []byte) *http.Client {
	t.Helper()
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder(method, urlPattern, func(req *http.Request) (*http.Response, error) {
		var reqBody []byte
		if req.Body != nil {
			reqBody, _ = io.ReadAll(req.Body)
		}
		if err := s.ValidateRequest(req.Context(), req, reqBody); err != nil {
			t.Errorf("generated client sent a request that violates %s: %v", s.Name, err)
		}
		resp := httpmock.NewBytesResponse(status, body)
		for k, v := range header {
			resp.Header[k] = v
		}
		return resp, nil
	})
	mt.RegisterNoResponder(func(req *http.Request) (*http.Response, error) {
		t.Errorf("unexpected request %s %s", req.Method, req.URL)
		return httpmock.NewStringResponse(599, ""), nil
	})
	return &http.Client{Transport: mt}
}

func setHeader(name, value string) func(context.Context, *http.Request) error {
	return func(_ context.Context, req *http.Request) error {
		req.Header.Set(name, value)
		return nil
	}
}

var jsonHeader = http.Header{"Content-Type": {"application/json"}}

func TestGeneratedClientsDecodeDocumentedPayloads(t *testing.T) {
	ctx := context.Background()

	t.Run("oracle v1 200", func(t *testing.T) {
		hc := mockClient(t, loadSpec(t, specs.Oracle), "GET", "https://pc.example:443/cloudapi/restapi/user/status/95733", 200, jsonHeader, seed(t, "oracle_status_200.json"))
		c, err := oracle.NewClientWithResponses("https://pc.example:443", oracle.WithHTTPClient(hc), oracle.WithRequestEditorFn(setHeader("Authorization", basicHeader)))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.GetUserJobStatusWithResponse(ctx, "95733")
		if err != nil {
			t.Fatal(err)
		}
		if resp.JSON200 == nil || resp.JSON200.Added == nil || len(*resp.JSON200.Added) != 1 {
			t.Fatalf("JSON200.added not decoded: %+v", resp.JSON200)
		}
		u := (*resp.JSON200.Added)[0]
		if u.LoginId != "JSMITH" || u.EmailAddress != "jim.smith@pgbu.com" || u.Organization.Name != "sfo" || u.Disabled == nil || *u.Disabled {
			t.Errorf("added[0] = %+v", u)
		}
		if u.Roles == nil || (*u.Roles)[0].Id == nil || *(*u.Roles)[0].Id != "77" {
			t.Errorf("roles[0].id not 77: %+v", u.Roles)
		}
		created, err := u.CreatedDate.AsDateTimeValue0()
		if err != nil || created != "2018-05-30T07:54:17" {
			t.Errorf("createdDate = %q, %v", created, err)
		}
		if resp.JSON200.LocalizedException == nil || !*resp.JSON200.LocalizedException {
			t.Errorf("localizedException not true")
		}
	})

	t.Run("oracle v3 202 running", func(t *testing.T) {
		hdr := http.Header{"Content-Type": {"application/json"}, "Location": {"https://pc.example:443/cloudapi/restapi/v3/user/status/95733"}}
		hc := mockClient(t, loadSpec(t, specs.Oracle), "GET", "https://pc.example:443/cloudapi/restapi/v3/user/status/95733", 202, hdr, []byte(`{"added":[],"modified":[],"deleted":[],"exception":"","message":"","updatedIdMap":{}}`))
		c, _ := oracle.NewClientWithResponses("https://pc.example:443", oracle.WithHTTPClient(hc), oracle.WithRequestEditorFn(setHeader("Authorization", bearerHeader)))
		resp, err := c.GetUserJobStatusV3WithResponse(ctx, "95733")
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode() != 202 || resp.JSON202 == nil || resp.HTTPResponse.Header.Get("Location") == "" {
			t.Errorf("202 not decoded: status %d, JSON202 %v", resp.StatusCode(), resp.JSON202)
		}
	})

	t.Run("huawei queryTask", func(t *testing.T) {
		hc := mockClient(t, loadSpec(t, specs.Huawei), "POST", "https://service.besclouds.com/apiaccess/rest/cc-management/v1/federationUserMgmt/queryTask", 200, jsonHeader, seed(t, "huawei_querytask_200.json"))
		c, _ := huawei.NewClientWithResponses("https://service.besclouds.com", huawei.WithHTTPClient(hc),
			huawei.WithRequestEditorFn(setHeader("Authorization", bearerHeader)), huawei.WithRequestEditorFn(setHeader("X-APP-Key", "app")))
		resp, err := c.QueryTaskWithResponse(ctx, huawei.QueryTaskRequest{TaskId: "1659446191820726274"})
		if err != nil {
			t.Fatal(err)
		}
		r := resp.JSON200
		if r == nil || r.ResultCode != "0" || r.TaskInfo == nil || r.TaskInfo.Status == nil || *r.TaskInfo.Status != huawei.TaskStatusDONE {
			t.Fatalf("queryTask not decoded: %+v", r)
		}
		if r.FailDataList == nil || len(*r.FailDataList) != 0 || r.ResultMessage == nil || *r.ResultMessage != "The query is successful." {
			t.Errorf("failDataList/resultMessage = %v / %v", r.FailDataList, r.ResultMessage)
		}
	})

	t.Run("webex job status", func(t *testing.T) {
		const id = "Y2lzY29zcGFyazovL3VzL0pPQl9JRC8xMzFkOTg1ZC1iZThhLTQ3MjgtYjM2MC02MzBjNTAxNTEyNzE"
		hc := mockClient(t, loadSpec(t, specs.Webex), "GET", "https://webexapis.com/v1/telephony/config/jobs/person/moveLocation/"+id, 200, jsonHeader, seed(t, "webex_job_200.json"))
		c, _ := webex.NewClientWithResponses("https://webexapis.com/v1", webex.WithHTTPClient(hc), webex.WithRequestEditorFn(setHeader("Authorization", bearerHeader)))
		resp, err := c.GetMoveUsersJobStatusWithResponse(ctx, id, nil)
		if err != nil {
			t.Fatal(err)
		}
		j := resp.JSON200
		if j == nil || j.Counts.Moved != 1 || j.Counts.TotalMoves != 1 || j.Counts.Failed != 0 || j.InstanceId != 328660 {
			t.Fatalf("job not decoded: %+v", j)
		}
		if j.LatestExecutionStatus != webex.ExecutionStatusCOMPLETED || j.LatestExecutionExitCode == nil || *j.LatestExecutionExitCode != webex.ExitCodeCOMPLETED {
			t.Errorf("status = %q / %v", j.LatestExecutionStatus, j.LatestExecutionExitCode)
		}
		steps := (*j.JobExecutionStatus)[0].StepExecutionStatuses
		if steps == nil || *(*steps)[0].Name != "moveusersvalidateAndMove" || *(*steps)[0].TimeElapsed != "PT2.752S" {
			t.Errorf("steps = %+v", steps)
		}
		if j.CsvFileExpiryTime == nil || j.CsvFileExpiryTime.UTC().Format("2006-01-02T15:04:05.000Z") != "2023-07-12T12:20:33.503Z" {
			t.Errorf("csvFileExpiryTime = %v", j.CsvFileExpiryTime)
		}
	})

	t.Run("tencent ListJobs", func(t *testing.T) {
		hc := mockClient(t, loadSpec(t, specs.Tencent), "POST", "https://ciam.intl.tencentcloudapi.com/", 200, jsonHeader, seed(t, "tencent_listjobs_200.json"))
		c, _ := tencent.NewClientWithResponses("https://ciam.intl.tencentcloudapi.com", tencent.WithHTTPClient(hc), tencent.WithRequestEditorFn(setHeader("Authorization", tc3Header)))
		ids := []string{"c29f2c0f****************405ec698"}
		params := &tencent.ListJobsParams{XTCAction: tencent.ActionListJobs, XTCVersion: tencent.ListJobsParamsXTCVersionVersion20220331, XTCRegion: "ap-guangzhou", XTCTimestamp: 1715156770}
		resp, err := c.ListJobsWithResponse(ctx, params, tencent.ListJobsRequest{UserStoreId: "2c3aca3b****************a7efe88e", JobIds: &ids})
		if err != nil {
			t.Fatal(err)
		}
		r := resp.JSON200
		if r == nil || r.Response.JobSet == nil || len(*r.Response.JobSet) != 1 {
			t.Fatalf("JobSet not decoded: %+v", r)
		}
		j := (*r.Response.JobSet)[0]
		if j.Status != tencent.JobStatusPENDING || j.Id != ids[0] || *j.CreatedDate != 1715156770024 || *j.Format != tencent.JobFormatNDJSON {
			t.Errorf("job = %+v", j)
		}
		if *(*j.FailedUsers)[0].FailedUserIdentification != "53e25c3****************e4eb5bd1" || *(*j.ErrorDetails)[0].Error != "error message" {
			t.Errorf("failures = %+v %+v", j.FailedUsers, j.ErrorDetails)
		}
		if r.Response.RequestId != "e2e9e8aa********************9ab34c6e" {
			t.Errorf("RequestId = %q", r.Response.RequestId)
		}
	})
}

// TestOracle202NeedsLocation: a running answer without its Location header breaks the contract.
func TestOracle202NeedsLocation(t *testing.T) {
	s := loadSpec(t, specs.Oracle)
	req := newRequest(t, "GET", "https://h/cloudapi/restapi/user/status/1", nil, map[string]string{"Authorization": basicHeader})
	err := s.ValidateResponse(context.Background(), req, 202, jsonHeader, seed(t, "oracle_status_200.json"))
	if err == nil || !strings.Contains(err.Error(), "Location") {
		t.Errorf("202 without Location: got %v, want an error naming Location", err)
	}
}
