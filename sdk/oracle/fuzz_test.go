package oracle

import (
	"testing"

	gen "github.com/jobwatch/jobwatch/generated/oracle"
	"github.com/jobwatch/jobwatch/sdk/internal/sdktest"
)

// FuzzMapStatus decodes status answers into the generated type and maps them as a 200 and a 202.
func FuzzMapStatus(f *testing.F) {
	documented := sdktest.Seed(f, "oracle_status_200.json")
	odd := `{"deleted":["A"],"deleteFailed":[{"loginId":"B","statusInfo":null}],"exception":"x","createdDate":{"a":1}}`
	sdktest.FuzzDecoded(f, []string{documented, odd}, func(t *testing.T, u *gen.UserDataStore) {
		for _, status := range []int{200, 202} {
			j := mapStatus("1", status, u)
			if j.Done != j.State.Done() || j.Failures == nil { // Done agrees with State; Failures never nil
				t.Fatalf("inconsistent job %+v", j)
			}
			if status == 202 && j.Done {
				t.Fatalf("a 202 answer mapped to a done job %+v", j)
			}
		}
	})
}

// FuzzParseError reads arbitrary bodies as Oracle error answers.
func FuzzParseError(f *testing.F) {
	f.Add([]byte(`{"message":"m","exception":"e"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if ve, ok := parseError(body); ok && ve.Message == "" {
			t.Fatalf("ok without a message")
		}
	})
}
