package vendortest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/huawei"
	"github.com/jobwatch/jobwatch/sdk/oracle"
	"github.com/jobwatch/jobwatch/sdk/tencent"
	"github.com/jobwatch/jobwatch/sdk/webex"
)

var tcCredential = regexp.MustCompile(`Credential=([^/]+)/`)

// credentialsSeen is what identifies the credentials of one request, per vendor.
func credentialsSeen(vendor string, r *http.Request, body []byte) string {
	switch vendor {
	case "oracle-v1":
		_, p, _ := r.BasicAuth()
		return p
	case "oracle-v3", "webex":
		return r.Header.Get("Authorization")
	case "huawei":
		if r.URL.Path == huaweiTokenPath {
			var b struct {
				Key    string `json:"app_key"`
				Secret string `json:"app_secret"`
			}
			_ = json.Unmarshal(body, &b)
			return "token " + b.Key + " " + b.Secret
		}
		return "query " + r.Header.Get("X-APP-Key")
	case "tencent":
		m := tcCredential.FindStringSubmatch(r.Header.Get("Authorization"))
		if m == nil {
			return "unsigned"
		}
		return m[1] + " " + r.Header.Get("X-TC-Token")
	}
	return ""
}

// TestCredentialsProviderIsReadForEveryRequest: with Config.Credentials set, each vendor reads it for
// every call, so credentials rotated between two calls (or two polls of a wait) are the ones sent;
// Tencent's SecretId, SecretKey and session Token of one answer go together.
func TestCredentialsProviderIsReadForEveryRequest(t *testing.T) {
	var gen atomic.Int32
	next := func() int { return int(gen.Add(1)) }
	clients := map[string]func(opts *sdk.ClientOptions) (sdk.Poller, error){
		"oracle-v1": func(opts *sdk.ClientOptions) (sdk.Poller, error) {
			return oracle.New(oracle.Config{API: oracle.V1, Credentials: func(context.Context) (oracle.Config, error) {
				return oracle.Config{Username: "admin", Password: sdk.Secret(fmt.Sprint("pass-", next()))}, nil
			}}, opts)
		},
		"oracle-v3": func(opts *sdk.ClientOptions) (sdk.Poller, error) {
			return oracle.New(oracle.Config{API: oracle.V3, Credentials: func(context.Context) (oracle.Config, error) {
				return oracle.Config{Token: sdk.Secret(fmt.Sprint("tok-", next()))}, nil
			}}, opts)
		},
		"huawei": func(opts *sdk.ClientOptions) (sdk.Poller, error) {
			return huawei.New(huawei.Config{Credentials: func(context.Context) (huawei.Config, error) {
				n := next()
				return huawei.Config{AppKey: fmt.Sprint("key-", n), AppSecret: sdk.Secret(fmt.Sprint("secret-", n))}, nil
			}}, opts)
		},
		"webex": func(opts *sdk.ClientOptions) (sdk.Poller, error) {
			return webex.New(webex.Config{Credentials: func(context.Context) (webex.Config, error) {
				return webex.Config{Token: sdk.Secret(fmt.Sprint("tok-", next()))}, nil
			}}, opts)
		},
		"tencent": func(opts *sdk.ClientOptions) (sdk.Poller, error) {
			return tencent.New(tencent.Config{Region: "ap-guangzhou", UserStoreID: "store", Credentials: func(context.Context) (tencent.Config, error) {
				n := next()
				return tencent.Config{SecretID: fmt.Sprint("AKID-", n), SecretKey: sdk.Secret(fmt.Sprint("key-", n)), Token: sdk.Secret(fmt.Sprint("session-", n))}, nil
			}}, unpaced(opts))
		},
	}
	want := map[string][]string{
		"oracle-v1": {"pass-1", "pass-2", "pass-3"},
		"oracle-v3": {"Bearer tok-1", "Bearer tok-2", "Bearer tok-3"},
		"webex":     {"Bearer tok-1", "Bearer tok-2", "Bearer tok-3"},
		// A new app key drops the cached token: each poll fetches one with the key it then sends.
		"huawei":  {"token key-1 secret-1", "query key-1", "token key-2 secret-2", "query key-2", "token key-3 secret-3", "query key-3"},
		"tencent": {"AKID-1 session-1", "AKID-2 session-2", "AKID-3 session-3"},
	}
	for _, v := range vendors() {
		t.Run(v.name, func(t *testing.T) {
			gen.Store(0)
			ans := answer(t)
			var mu sync.Mutex
			var seen []string
			var polls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				mu.Lock()
				seen = append(seen, credentialsSeen(v.name, r, body))
				mu.Unlock()
				r.Body = io.NopCloser(bytes.NewReader(body))
				if r.URL.Path != huaweiTokenPath && polls.Add(1) < 3 {
					// Not done yet, twice: a 503 the wait rides out, polling again with fresh credentials.
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusServiceUnavailable)
					io.WriteString(w, `{}`)
					return
				}
				ans(w, r)
			}))
			defer srv.Close()
			c, err := clients[v.name](&sdk.ClientOptions{BaseURL: srv.URL + v.pathPrefix, Getenv: noEnv, MaxAttempts: -1})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := sdk.Wait(t.Context(), c, v.jobID, &sdk.WaitOptions{MinDelay: time.Millisecond, MaxDelay: time.Millisecond}); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if !slices.Equal(seen, want[v.name]) {
				t.Errorf("credentials sent %q, want %q", seen, want[v.name])
			}
		})
	}
}
