package tencent

import (
	"regexp"
	"strings"
	"testing"

	gen "github.com/jobwatch/jobwatch/generated/tencent"
	"github.com/jobwatch/jobwatch/sdk/internal/sdktest"
)

// FuzzMapJob decodes ListJobs answers into the generated type and maps every job: no panic, and a
// mapped job is consistent whatever the input.
func FuzzMapJob(f *testing.F) {
	sdktest.FuzzDecoded(f, []string{
		sdktest.Seed(f, "tencent_listjobs_200.json"),
		`{"Response":{"JobSet":[{"Id":"x","Status":"COMPLETED","FailedUsers":[{"FailedUserIdentification":null}]}],"RequestId":"r"}}`,
		`{"Response":{"JobSet":null,"Error":{"Code":"RequestLimitExceeded","Message":"m"},"RequestId":"r"}}`,
	}, func(t *testing.T, env *gen.ListJobsEnvelope) {
		if env.Response.JobSet == nil {
			return
		}
		for i := range *env.Response.JobSet {
			j := mapJob(&(*env.Response.JobSet)[i])
			if j.Done != j.State.Done() || j.Failures == nil { // Done agrees with State; Failures never nil
				t.Fatalf("inconsistent job %+v", j)
			}
			if j.Vendor != Vendor {
				t.Fatalf("job of vendor %q", j.Vendor)
			}
		}
	})
}

// FuzzParseError reads arbitrary bodies as Tencent error answers.
func FuzzParseError(f *testing.F) {
	f.Add([]byte(`{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure","Message":"bad"},"RequestId":"r"}}`))
	f.Add([]byte(sdktest.Seed(f, "tencent_listjobs_200.json")))
	f.Add([]byte(`<html>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ve, ok := parseError(body)
		if ok && ve.Code == "" {
			t.Fatalf("ok without a code: %+v", ve)
		}
	})
}

var authRE = regexp.MustCompile(`^TC3-HMAC-SHA256 Credential=[^ ]*/\d{4}-\d{2}-\d{2}/[^/]*/tc3_request, SignedHeaders=content-type;host, Signature=[0-9a-f]{64}$`)

// FuzzSign runs the canonicalizer and signer over arbitrary requests: deterministic, well formed, the
// secret key never in the output (the header outside its signature does not depend on the key), and
// any change to the payload changes the signature.
func FuzzSign(f *testing.F) {
	f.Add("AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "cvm", "cvm.tencentcloudapi.com", "application/json; charset=utf-8",
		[]byte(`{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}`), int64(1551113065))
	f.Add("id", "key", "ciam", "HOST:443", "", []byte{}, int64(-1))
	// The old oracle's false alarm: this key is found inside "Credential=AKIDabcdefgh", yet nothing leaks.
	f.Add("AKIDabcdefgh", "=AKIDabcdefgh", "ciam", "ciam.tencentcloudapi.com", "application/json", []byte(`{}`), int64(1715156770))
	f.Fuzz(func(t *testing.T, id, key, service, host, ct string, payload []byte, ts int64) {
		if strings.ContainsAny(id, " /,") || strings.ContainsAny(service, " /,") || len(key) < 8 {
			return
		}
		in := signInput{SecretID: id, SecretKey: key, Service: service, Host: host, ContentType: ct, Method: "POST", Path: "/", Payload: payload, Timestamp: ts}
		a1, a2 := authorization(in), authorization(in)
		if a1 != a2 {
			t.Fatal("signing is not deterministic")
		}
		if !authRE.MatchString(a1) && ts >= 0 {
			t.Fatalf("malformed Authorization %q", a1)
		}
		// No leak of the key: everything but the signature is the same whatever the key, and the
		// signature is 64 hex digits of an HMAC. (Looking for the key as a substring gave false alarms:
		// a key such as "=" + SecretID is found in "Credential=<SecretID>", which is public.)
		other := in
		other.SecretKey = key + "-other"
		a3 := authorization(other)
		cut := func(a string) (string, string) {
			i := strings.LastIndex(a, ", Signature=")
			if i < 0 {
				return a, ""
			}
			return a[:i], a[i+len(", Signature="):]
		}
		pub1, sig1 := cut(a1)
		pub3, sig3 := cut(a3)
		if pub1 != pub3 {
			t.Fatal("the Authorization header outside its signature depends on the secret key")
		}
		if len(sig1) != 64 || !isHex(sig1) || sig1 == sig3 {
			t.Fatal("the signature is not 64 hex digits that depend on the key")
		}
		in.Payload = append(append([]byte{}, payload...), 'x')
		if s1, _, _ := signature(in); strings.HasSuffix(a1, s1) {
			t.Fatal("a different payload gave the same signature")
		}
		if cr := canonicalRequest(in); !strings.HasPrefix(cr, "POST\n/\n\n") {
			t.Fatalf("canonical request %q", cr)
		}
	})
}

func isHex(s string) bool {
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return false
		}
	}
	return true
}
