package contract

import (
	"net/http"
	"strings"
	"testing"
)

func TestRedactorHidesEveryCredentialForm(t *testing.T) {
	req, _ := http.NewRequest("POST", "https://h.example/x", nil)
	req.Header.Set("Authorization", "Bearer tok-123456789")
	req.Header.Set("X-APP-Key", "appkey-abcdef")
	ex := Exchange{Request: req, RequestBody: []byte(`{"app_secret":"sec-ret-value","nested":[{"Password":"pw-pw-pw-pw"}]}`),
		Header: http.Header{"Set-Cookie": {"sid=cookie-value-1"}}, Body: []byte(`{"AccessToken":"access-token-xyz","Expires":"600"}`)}
	msg := redactor(ex)("saw tok-123456789, Bearer tok-123456789, appkey-abcdef, sec-ret-value, pw-pw-pw-pw, sid=cookie-value-1, access-token-xyz and 600")
	for _, s := range []string{"tok-123456789", "appkey-abcdef", "sec-ret-value", "pw-pw-pw-pw", "cookie-value-1", "access-token-xyz"} {
		if strings.Contains(msg, s) {
			t.Errorf("%q survived: %s", s, msg)
		}
	}
	if !strings.Contains(msg, "600") {
		t.Errorf("a value that is no secret was redacted: %s", msg)
	}
}
