package vendortest

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/huawei"
	"github.com/jobwatch/jobwatch/sdk/oracle"
	"github.com/jobwatch/jobwatch/sdk/tencent"
	"github.com/jobwatch/jobwatch/sdk/webex"
)

// shown reports which sentinel secrets s holds, by position, as they are or hex-encoded (%x or %X of a
// string field).
func shown(s string) []int {
	lower := func(sec string) string { return hex.EncodeToString([]byte(sec)) }
	return leaks(s, lower, func(sec string) string { return strings.ToUpper(lower(sec)) })
}

// renderings are the ways a value reaches a log, a report or a test's output: every fmt verb a
// program uses on a config, log/slog's JSON and text handlers, and encoding/json. A client is also
// printed nested with every verb.
func renderings(t *testing.T, v any, client bool) map[string]string {
	out := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		out[verb] = fmt.Sprintf(verb, v)
	}
	// Nested, with %v, %+v or %#v only: fmt prints a pointer it cannot format with the verb (%s of a
	// *Config inside a struct) through reflection with every Format method off, so a Secret behind such
	// a pointer shows. A Client is not affected: its state is one pointer further.
	for _, verb := range []string{"%v", "%+v", "%#v"} {
		out[verb+" in a struct"] = fmt.Sprintf(verb, struct{ V any }{v})
	}
	if client {
		for _, verb := range []string{"%s", "%q", "%x", "%d"} {
			out[verb+" in a struct"] = fmt.Sprintf(verb, struct{ V any }{v})
		}
	}
	var js, txt bytes.Buffer
	slog.New(slog.NewJSONHandler(&js, nil)).Info("m", "v", v)
	slog.New(slog.NewTextHandler(&txt, nil)).Info("m", "v", v)
	out["slog JSON"], out["slog text"] = js.String(), txt.String()
	b, err := json.Marshal(v)
	if err != nil && reflect.ValueOf(v).Kind() == reflect.Struct {
		t.Errorf("json.Marshal(%T): %v", v, err) // a Config marshals (its provider is left out)
	}
	out["json"] = string(b)
	return out
}

// TestSecretsNeverShow: a vendor's Config (static secrets and a provider), a provider's answer (a
// Config holding only the secrets), its *Client and Client after a call (Huawei then holds a cached
// token) and the error of a refused call show no secret, however they are printed, logged or
// marshalled.
func TestSecretsNeverShow(t *testing.T) {
	for _, c := range []struct {
		name   string
		cfg    any // with a provider; answer is what the provider returns
		answer any
	}{
		{"oracle-v1", oracle.Config{API: oracle.V1, Username: "admin", Password: oraclePassword, Token: oracleToken,
			Credentials: func(context.Context) (oracle.Config, error) { return oracle.Config{Password: oraclePassword}, nil }},
			oracle.Config{Username: "admin", Password: oraclePassword}},
		{"oracle-v3", oracle.Config{API: oracle.V3, Token: oracleToken}, oracle.Config{Token: oracleToken}},
		{"huawei", huawei.Config{AppKey: "app-key", AppSecret: huaweiSecret,
			Credentials: func(context.Context) (huawei.Config, error) { return huawei.Config{AppSecret: huaweiSecret}, nil }},
			huawei.Config{AppKey: "app-key", AppSecret: huaweiSecret}},
		{"webex", webex.Config{Token: webexToken, OrgID: "org"}, webex.Config{Token: webexToken}},
		{"tencent", tencent.Config{SecretID: "AKIDsentinel", SecretKey: tencentKey, Token: tencentSession, Region: "ap-guangzhou", UserStoreID: "store"},
			tencent.Config{SecretID: "AKIDsentinel", SecretKey: tencentKey, Token: tencentSession}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var v vendor
			for _, x := range vendors() {
				if x.name == c.name {
					v = x
				}
			}
			srv := httptest.NewServer(answer(t))
			defer srv.Close()
			client, err := v.newClient(&sdk.ClientOptions{BaseURL: srv.URL + v.pathPrefix})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := status(t.Context(), client, v.jobID); err != nil {
				t.Fatal(err)
			}
			refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = w.Write([]byte(`{"message":"bad credentials"}`))
			}))
			defer refusing.Close()
			refused, err := v.newClient(&sdk.ClientOptions{BaseURL: refusing.URL + v.pathPrefix})
			if err != nil {
				t.Fatal(err)
			}
			_, callErr := status(t.Context(), refused, v.jobID)
			if callErr == nil {
				t.Fatal("a 401 answered no error")
			}
			values := map[string]any{"Config": c.cfg, "*Config": ptrTo(c.cfg), "answer": c.answer, "*Client": client,
				"Client": reflect.ValueOf(client).Elem().Interface(), "error": callErr}
			for what, val := range values {
				for how, s := range renderings(t, val, strings.HasSuffix(what, "Client")) {
					if l := shown(s); l != nil {
						t.Errorf("%s %s shows %v: %s", how, what, l, s)
					}
				}
			}
			if s := fmt.Sprint(c.answer); !strings.Contains(s, "[REDACTED]") {
				t.Errorf("a provider's answer prints %s, want its secrets shown as [REDACTED]", s)
			}
		})
	}
}

// ptrTo returns a pointer to a copy of v.
func ptrTo(v any) any {
	p := reflect.New(reflect.TypeOf(v))
	p.Elem().Set(reflect.ValueOf(v))
	return p.Interface()
}

// TestSecretShowsWhetherSet: a set secret prints and marshals as [REDACTED], an empty one as nothing,
// so a missing credential still shows.
func TestSecretShowsWhetherSet(t *testing.T) {
	for _, c := range []struct {
		s         sdk.Secret
		want, raw string
	}{
		{"hunter2", "[REDACTED]", `"[REDACTED]"`},
		{"", "", `""`},
	} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d", "%10.3s"} {
			if got := fmt.Sprintf(verb, c.s); got != c.want {
				t.Errorf("%s of %q: %q, want %q", verb, string(c.s), got, c.want)
			}
		}
		if b, err := json.Marshal(c.s); err != nil || string(b) != c.raw {
			t.Errorf("json of %q: %s, %v; want %s", string(c.s), b, err, c.raw)
		}
	}
	// A config read from JSON gets the secret itself: only writing redacts.
	var cfg webex.Config
	if err := json.Unmarshal([]byte(`{"Token":"from-a-file"}`), &cfg); err != nil || string(cfg.Token) != "from-a-file" {
		t.Errorf("decoding a Config: %v, Token %d bytes", err, len(cfg.Token))
	}
}
