package vendortest

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/jobwatch/jobwatch/sdk"
)

// recorder records the host of each request and answers none of them.
type recorder struct {
	mu    sync.Mutex
	hosts []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.hosts = append(r.hosts, req.URL.Host)
	r.mu.Unlock()
	return nil, errors.New("recorded")
}

// TestBaseURLPrecedence: sdk.ClientOptions.BaseURL, else JOBWATCH_<VENDOR>_BASE_URL (what `jobwatch simulate`
// prints), else the vendor's default host. Oracle and Huawei have none: their error names the variable.
func TestBaseURLPrecedence(t *testing.T) {
	defaults := map[string]string{"webex": "webexapis.com", "tencent": "ciam.tencentcloudapi.com"}
	envName := map[string]string{"oracle-v1": "JOBWATCH_ORACLE_BASE_URL", "oracle-v3": "JOBWATCH_ORACLE_BASE_URL",
		"huawei": "JOBWATCH_HUAWEI_BASE_URL", "webex": "JOBWATCH_WEBEX_BASE_URL", "tencent": "JOBWATCH_TENCENT_BASE_URL"}
	cases := []struct {
		name      string
		withBase  bool
		env       bool
		wantHost  string // "" means the vendor's default
		wantError bool   // for vendors without a default
	}{
		{name: "WithBaseURL beats the environment", withBase: true, env: true, wantHost: "option.example"},
		{name: "environment", env: true, wantHost: "env.example"},
		{name: "vendor default"},
	}
	for _, v := range vendors() {
		for _, c := range cases {
			t.Run(v.name+"/"+c.name, func(t *testing.T) {
				rec := &recorder{}
				env := map[string]string{}
				if c.env {
					env[envName[v.name]] = "https://env.example" + v.pathPrefix
				}
				opts := &sdk.ClientOptions{HTTPClient: &http.Client{Transport: rec}, Getenv: func(k string) string { return env[k] }}
				if c.withBase {
					opts.BaseURL = "https://option.example" + v.pathPrefix
				}
				p, err := v.newClient(opts)
				want := c.wantHost
				if want == "" {
					want = defaults[strings.TrimSuffix(v.name, "-v1")]
				}
				if want == "" {
					if err == nil || !strings.Contains(err.Error(), envName[v.name]) {
						t.Fatalf("New without a base URL = %v, want an error naming %s", err, envName[v.name])
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				_, _ = status(t.Context(), p, v.jobID)
				if len(rec.hosts) == 0 || rec.hosts[0] != want {
					t.Errorf("requests went to %v, want %s", rec.hosts, want)
				}
			})
		}
	}
}
