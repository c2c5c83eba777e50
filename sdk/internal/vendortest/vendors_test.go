package vendortest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/time/rate"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/huawei"
	"github.com/jobwatch/jobwatch/sdk/internal/sdktest"
	"github.com/jobwatch/jobwatch/sdk/oracle"
	"github.com/jobwatch/jobwatch/sdk/tencent"
	"github.com/jobwatch/jobwatch/sdk/webex"
)

// Sentinel secrets: none may appear in what a server of another origin receives, in an error, or in a
// printed client.
const (
	oraclePassword  = "sentinel-oracle-password"
	oracleToken     = "sentinel-oracle-v3-token"
	huaweiSecret    = "sentinel-huawei-app-secret"
	huaweiToken     = "sentinel-huawei-access-token"
	webexToken      = "sentinel-webex-token"
	tencentKey      = "sentinel-tencent-secret-key"
	tencentSession  = "sentinel-tencent-session-token"
	tencentJobID    = "c29f2c0f****************405ec698"                                                // the documented ListJobs example's job
	webexJobID      = "Y2lzY29zcGFyazovL3VzL0pPQl9JRC8xMzFkOTg1ZC1iZThhLTQ3MjgtYjM2MC02MzBjNTAxNTEyNzE" // the documented answer's job
	huaweiTaskID    = "1659446191820726274"
	oracleJobID     = "95733"
	huaweiTokenPath = "/apigovernance/api/oauth/tokenByAkSk"
)

var allSecrets = []string{oraclePassword, oracleToken, huaweiSecret, huaweiToken, webexToken, tencentKey, tencentSession}

// vendor builds one vendor's client against a base URL, and answers its status call like the vendor.
type vendor struct {
	name string
	// pathPrefix is appended to a server's URL to make the base URL (Webex's /v1).
	pathPrefix string
	jobID      string
	newClient  func(opts *sdk.ClientOptions) (sdk.Poller, error)
}

func noEnv(string) string { return "" }

// common is opts (nil: none) with what they leave zero set for these tests: no environment, and retries
// quick on real sockets (4 attempts, no backoff between them) unless opts set the retries.
func common(opts *sdk.ClientOptions) *sdk.ClientOptions {
	o := sdk.ClientOptions{}
	if opts != nil {
		o = *opts
	}
	if o.Getenv == nil {
		o.Getenv = noEnv
	}
	if o.MaxAttempts == 0 && o.MinRetryDelay == 0 {
		o.MaxAttempts, o.MinRetryDelay = 4, -1
	}
	return &o
}

// unpaced is opts without Tencent's own pacing, so that tests do not wait for it.
func unpaced(opts *sdk.ClientOptions) *sdk.ClientOptions {
	o := *common(opts)
	if o.RateLimiter == nil {
		o.RateLimiter = rate.NewLimiter(rate.Inf, 1)
	}
	return &o
}

func vendors() []vendor {
	return []vendor{
		{name: "oracle-v1", jobID: oracleJobID, newClient: func(opts *sdk.ClientOptions) (sdk.Poller, error) {
			return oracle.New(oracle.Config{API: oracle.V1, Username: "admin", Password: oraclePassword}, common(opts))
		}},
		{name: "oracle-v3", jobID: oracleJobID, newClient: func(opts *sdk.ClientOptions) (sdk.Poller, error) {
			return oracle.New(oracle.Config{API: oracle.V3, Token: oracleToken}, common(opts))
		}},
		{name: "huawei", jobID: huaweiTaskID, newClient: func(opts *sdk.ClientOptions) (sdk.Poller, error) {
			return huawei.New(huawei.Config{AppKey: "app-key", AppSecret: huaweiSecret}, common(opts))
		}},
		{name: "webex", pathPrefix: "/v1", jobID: webexJobID, newClient: func(opts *sdk.ClientOptions) (sdk.Poller, error) {
			return webex.New(webex.Config{Token: webexToken}, common(opts))
		}},
		{name: "tencent", jobID: tencentJobID, newClient: func(opts *sdk.ClientOptions) (sdk.Poller, error) {
			return tencent.New(tencent.Config{SecretID: "AKIDsentinel", SecretKey: tencentKey, Token: tencentSession, Region: "ap-guangzhou", UserStoreID: "store"},
				unpaced(opts))
		}},
	}
}

// answer serves every vendor's status call (and Huawei's token) with a documented success payload,
// so one server stands in for any vendor.
func answer(t *testing.T) http.HandlerFunc {
	seeds := map[string]string{}
	for _, s := range []string{"oracle_status_200.json", "huawei_querytask_200.json", "webex_job_200.json", "tencent_listjobs_200.json"} {
		seeds[s] = sdktest.Seed(t, s)
	}
	// The documented ListJobs example's job is pending; make it done, so that a wait ends.
	seeds["tencent_listjobs_200.json"] = strings.Replace(seeds["tencent_listjobs_200.json"], `"Status": "PENDING"`, `"Status": "COMPLETED"`, 1)
	var tokens atomic.Int32
	return func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		switch p := r.URL.Path; {
		case p == huaweiTokenPath:
			fmt.Fprintf(w, `{"AccessToken":"%s-%d","ApplyType":"Bearer","CreateTime":"1545650171","Expires":"600","Scope":"s","AppKey":"app","UserID":"u"}`, huaweiToken, tokens.Add(1))
		case strings.HasSuffix(p, "/queryTask"):
			io.WriteString(w, seeds["huawei_querytask_200.json"])
		case strings.Contains(p, "/user/status/"):
			io.WriteString(w, seeds["oracle_status_200.json"])
		case strings.Contains(p, "/moveLocation/"):
			io.WriteString(w, seeds["webex_job_200.json"])
		case p == "/":
			io.WriteString(w, seeds["tencent_listjobs_200.json"])
		default:
			http.NotFound(w, r)
		}
	}
}

// leaks reports which sentinel secrets s holds, by position, never quoting them: each as it is, or
// as any of encodings makes it.
func leaks(s string, encodings ...func(secret string) string) []int {
	var out []int
	for i, sec := range allSecrets {
		if strings.Contains(s, sec) || slices.ContainsFunc(encodings, func(enc func(string) string) bool { return strings.Contains(s, enc(sec)) }) {
			out = append(out, i)
		}
	}
	return out
}

func status(ctx context.Context, p sdk.Poller, id string) (*sdk.Job, error) { return p.Status(ctx, id) }
