package huawei

import (
	"testing"

	gen "github.com/jobwatch/jobwatch/generated/huawei"
	"github.com/jobwatch/jobwatch/sdk/internal/sdktest"
)

// FuzzMapTask decodes queryTask answers into the generated type and maps them.
func FuzzMapTask(f *testing.F) {
	seeds := []string{sdktest.Seed(f, "huawei_querytask_200.json"),
		`{"resultCode":"0","taskInfo":{"status":"DONE"},"failDataList":[{"failCode":"60101000108"},{"federationUser":null}]}`,
		`{"resultCode":"0","taskInfo":{"status":"PAUSED"}}`}
	sdktest.FuzzDecoded(f, seeds, func(t *testing.T, r *gen.QueryTaskResult) {
		j := mapTask("t", r)
		if j.Done != j.State.Done() || j.Failures == nil { // Done agrees with State; Failures never nil
			t.Fatalf("inconsistent job %+v", j)
		}
		if j.Done && j.Counts.Failed == nil {
			t.Fatalf("a done task without a failed count: %+v", j)
		}
	})
}

// FuzzParseError reads arbitrary bodies as Huawei error answers (business or gateway form).
func FuzzParseError(f *testing.F) {
	f.Add([]byte(`{"resultCode":"60101040050","resultMessage":"invalid"}`))
	f.Add([]byte(`{"error_code":"APIGW.0301","error_msg":"bad token"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if ve, ok := parseError(body); ok && ve.Code == "" && ve.Message == "" {
			t.Fatalf("ok with nothing: %+v", ve)
		}
	})
}
