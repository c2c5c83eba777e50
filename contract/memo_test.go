package contract

import (
	"net/http"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// A response that may carry a credential is never kept in memory past its exchange: a token answer
// (a body with a secret field) or one that sets a cookie is validated every time instead.
func TestMemoKeepsNoSecret(t *testing.T) {
	op := &openapi3.Operation{}
	jsonCT := http.Header{"Content-Type": {"application/json"}}
	for _, tc := range []struct {
		name   string
		header http.Header
		body   string
		kept   bool
	}{
		{"a job", jsonCT, `{"id":"J1","latestExecutionStatus":"STARTED"}`, true},
		{"a job with a presigned URL", jsonCT, `{"id":"J1","csvFileDownloadUrl":"https://f.example/x?Expires=1\u0026Signature=abc"}`, true},
		{"an escaped secret field", jsonCT, `{"app_s\u0065cret":"s"}`, false},
		{"a token answer", jsonCT, `{"AccessToken":"at-123","expiresIn":3600}`, false},
		{"a secret field", jsonCT, `{"app_secret":"s"}`, false},
		{"a cookie", http.Header{"Content-Type": {"application/json"}, "Set-Cookie": {"sid=1"}}, `{"id":"J1"}`, false},
	} {
		var m cleanMemo
		m.remember(op, 200, tc.header, []byte(tc.body))
		if got := m.clean(op, 200, tc.header, []byte(tc.body)); got != tc.kept {
			t.Errorf("%s: kept %v, want %v", tc.name, got, tc.kept)
		}
	}
}
