package contract

import (
	"encoding/json"
	"errors"
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

// A JSON body may escape a secret (Python's json.dumps writes "\u00e4", Go's json.Marshal "\u003c"):
// the HAR file must hold neither the escaped nor the decoded form.
func TestHARWriterRedactsEscapedJSONSecrets(t *testing.T) {
	req, _ := http.NewRequest("POST", "https://h.example/auth", nil)
	req.Header.Set("Content-Type", "application/json")
	ex := Exchange{Request: req, RequestBody: []byte(`{"auth":{"password":"p\u00e4ss&w\u003crd99","api_key":"k3y-value-1234"}}`),
		Status: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: []byte(`{"token":"s3cr\u00e9tTokenValue","signature":"sig-value-5678","count":3}`)}
	var out strings.Builder
	w := NewHARWriter(&out, "test")
	if err := w.Write(ex); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"p\\u00e4ss", "päss", "w\\u003crd99", "w<rd99", "s3cr\\u00e9t", "s3crét", "tTokenValue", "k3y-value", "sig-value"} {
		if strings.Contains(out.String(), s) {
			t.Errorf("%q survived in the HAR file:\n%s", s, out.String())
		}
	}
	if !strings.Contains(out.String(), `\"count\":3`) {
		t.Errorf("a field that is no secret was lost:\n%s", out.String())
	}
}

// An exchange that ends after the HAR file was closed (an upgraded connection the server's shutdown
// does not wait for) must not be appended after the file's end.
func TestHARWriterRefusesWriteAfterClose(t *testing.T) {
	var out strings.Builder
	w := NewHARWriter(&out, "test")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", "https://h.example/x", nil)
	if err := w.Write(Exchange{Request: req, Status: 200, Header: http.Header{}}); !errors.Is(err, ErrHARClosed) {
		t.Errorf("Write after Close: %v, want ErrHARClosed", err)
	}
	if !json.Valid([]byte(out.String())) {
		t.Errorf("the file is not valid JSON:\n%s", out.String())
	}
}
