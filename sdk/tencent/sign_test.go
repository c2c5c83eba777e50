package tencent

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// The published TC3 test vector (vendor-notes).
func TestSignaturePublishedVector(t *testing.T) {
	in := signInput{
		SecretID:    "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
		SecretKey:   "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
		Service:     "cvm",
		Host:        "cvm.tencentcloudapi.com",
		ContentType: "application/json; charset=utf-8",
		Method:      "POST",
		Path:        "/",
		Payload:     []byte(`{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}`),
		Timestamp:   1551113065,
	}
	if got := sha256Hex(in.Payload); got != "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064" {
		t.Errorf("hashed payload = %s", got)
	}
	if got := sha256Hex([]byte(canonicalRequest(in))); got != "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031" {
		t.Errorf("hashed canonical request = %s", got)
	}
	sig, scope, _ := signature(in)
	if sig != "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168" {
		t.Errorf("signature = %s", sig)
	}
	if scope != "2019-02-25/cvm/tc3_request" {
		t.Errorf("scope = %s", scope)
	}
	want := "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
	if got := authorization(in); got != want {
		t.Errorf("Authorization = %s", got)
	}
}

// independentSign is a second implementation written straight from Tencent's step list, kept apart
// from the package's code so that the two check each other.
func independentSign(secretID, secretKey, service, host, ct string, payload []byte, ts int64) string {
	h := func(b []byte) string { s := sha256.Sum256(b); return fmt.Sprintf("%x", s) }
	mac := func(k []byte, m string) []byte { x := hmac.New(sha256.New, k); x.Write([]byte(m)); return x.Sum(nil) }
	canon := fmt.Sprintf("POST\n/\n\ncontent-type:%s\nhost:%s\n\ncontent-type;host\n%s", ct, host, h(payload))
	date := time.Unix(ts, 0).UTC().Format(time.DateOnly)
	scope := fmt.Sprintf("%s/%s/tc3_request", date, service)
	sts := fmt.Sprintf("TC3-HMAC-SHA256\n%d\n%s\n%s", ts, scope, h([]byte(canon)))
	sig := fmt.Sprintf("%x", mac(mac(mac(mac([]byte("TC3"+secretKey), date), service), "tc3_request"), sts))
	return fmt.Sprintf("TC3-HMAC-SHA256 Credential=%s/%s, SignedHeaders=content-type;host, Signature=%s", secretID, scope, sig)
}

func TestSignatureAgreesWithIndependentImplementation(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	word := func(n int) string {
		b := make([]byte, 1+r.IntN(n))
		for i := range b {
			b[i] = byte('!' + r.IntN(94))
		}
		return string(b)
	}
	for i := 0; i < 500; i++ {
		payload := make([]byte, r.IntN(2048))
		for j := range payload {
			payload[j] = byte(r.IntN(256))
		}
		in := signInput{SecretID: word(40), SecretKey: word(40), Service: "ciam", Host: "ciam.tencentcloudapi.com",
			ContentType: "application/json", Method: "POST", Path: "/", Payload: payload, Timestamp: r.Int64N(4_000_000_000)}
		want := independentSign(in.SecretID, in.SecretKey, in.Service, in.Host, in.ContentType, in.Payload, in.Timestamp)
		if got := authorization(in); got != want {
			t.Fatalf("case %d: signatures differ:\n got %s\nwant %s", i, got, want)
		}
	}
}
