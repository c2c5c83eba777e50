package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/huawei"
	"github.com/jobwatch/jobwatch/sdk/oracle"
	"github.com/jobwatch/jobwatch/sdk/tencent"
	"github.com/jobwatch/jobwatch/sdk/webex"
	"github.com/jobwatch/jobwatch/simulator"
)

// sentinels are credentials that must never be seen: every one is unique and easy to find.
var sentinels = simulator.Credentials{
	OracleUsername: "sentinel-user", OraclePassword: "SENTINEL-oracle-password-1a2b", OracleToken: "SENTINEL-oracle-token-3c4d",
	HuaweiAppKey: "sentinel-app-key", HuaweiAppSecret: "SENTINEL-huawei-secret-5e6f",
	WebexToken:      "SENTINEL-webex-token-7a8b",
	TencentSecretID: "AKIDsentinel", TencentSecretKey: "SENTINEL-tencent-key-9c0d",
}

// secretForms are the strings that would betray a sentinel: the values, and Basic auth's encoding.
func secretForms() []string {
	c := sentinels
	return []string{c.OraclePassword, c.OracleToken, c.HuaweiAppSecret, c.WebexToken, c.TencentSecretKey, "SENTINEL",
		base64.StdEncoding.EncodeToString([]byte(c.OracleUsername + ":" + c.OraclePassword))}
}

func sentinelEnv() map[string]string {
	c := sentinels
	return map[string]string{
		oracle.EnvUsername: c.OracleUsername, oracle.EnvPassword: c.OraclePassword, oracle.EnvToken: c.OracleToken,
		huawei.EnvAppKey: c.HuaweiAppKey, huawei.EnvAppSecret: c.HuaweiAppSecret, webex.EnvToken: c.WebexToken,
		tencent.EnvSecretID: c.TencentSecretID, tencent.EnvSecretKey: c.TencentSecretKey, tencent.EnvRegion: "ap-guangzhou",
		tencent.EnvUserStore: "store", "JOBWATCH_ORACLE_BASE_URL": simRoot, "JOBWATCH_HUAWEI_BASE_URL": simRoot,
		"JOBWATCH_WEBEX_BASE_URL": simRoot + "/v1", "JOBWATCH_TENCENT_BASE_URL": simRoot,
	}
}

// TestSecretsNeverAppear runs the error paths of every vendor with sentinel credentials, through the sdk
// (errors and debug-level slog output) and through the CLI (stdout and stderr): credentials the vendor
// refuses, and credentials it accepts followed by server errors, rate limits, garbled answers, resets
// and timeouts. No sentinel may appear anywhere.
func TestSecretsNeverAppear(t *testing.T) {
	t.Parallel()
	scenarios := []struct {
		name    string
		accept  bool // the simulator knows the sentinel credentials
		faults  func(v string) []simulator.Fault
		timeout time.Duration
	}{
		{name: "refused credentials"},
		{name: "server errors", accept: true, faults: func(v string) []simulator.Fault {
			return []simulator.Fault{{Vendor: v, Kind: simulator.FaultStatus, Status: 503, RetryAfter: "1", Count: 50}}
		}},
		{name: "rate limited", accept: true, faults: func(v string) []simulator.Fault {
			return []simulator.Fault{{Vendor: v, Kind: simulator.FaultStatus, Status: 429, RetryAfter: "2", Count: 50}}
		}},
		{name: "garbled answers", accept: true, faults: func(v string) []simulator.Fault {
			return []simulator.Fault{{Vendor: v, Kind: simulator.FaultHTML, Count: 3}, {Vendor: v, Kind: simulator.FaultTruncated, Count: 3},
				{Vendor: v, Kind: simulator.FaultVendorError, Count: 50}}
		}},
		{name: "resets", accept: true, faults: func(v string) []simulator.Fault {
			return []simulator.Fault{{Vendor: v, Kind: simulator.FaultReset, Count: 50}}
		}},
		{name: "timeouts", accept: true, timeout: 30 * time.Second, faults: func(v string) []simulator.Fault {
			return []simulator.Fault{{Vendor: v, Kind: simulator.FaultLatency, Delay: time.Hour, Count: 50}}
		}},
	}
	for _, sc := range scenarios {
		for _, v := range vendors {
			t.Run(sc.name+"/"+v, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					so := simulator.Options{}
					if sc.accept {
						so.Credentials = sentinels
					}
					sim, err := simulator.New(so)
					if err != nil {
						t.Fatal(err)
					}
					id, _ := sim.CreateJob(v, []simulator.JobUser{{ID: "u", Action: "CREATE"}}, time.Minute)
					var seen bytes.Buffer
					var mu sync.Mutex
					record := func(s string) {
						mu.Lock()
						seen.WriteString(s + "\n")
						mu.Unlock()
					}
					inject := func() {
						if sc.faults != nil {
							sim.Inject(sc.faults(v)...)
						}
					}

					// Through the sdk, logging everything at debug level.
					var logs bytes.Buffer
					log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
					vars := sentinelEnv()
					o := &opts{vendor: v, userStore: "store"}
					hc := &http.Client{Transport: sim.Transport(), Timeout: 5 * time.Second}
					p, err := o.client(env{getenv: func(k string) string { return vars[k] }}, &sdk.ClientOptions{HTTPClient: hc, Logger: log})
					if err != nil {
						t.Fatal(err)
					}
					inject()
					ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
					defer cancel()
					_, err = p.Status(ctx, id)
					record(fmt.Sprintf("%v | %+v | %#v", err, err, err))
					inject()
					_, err = sdk.Wait(ctx, p, id, &sdk.WaitOptions{MaxWait: 2 * time.Minute})
					record(fmt.Sprintf("%v | %+v", err, err))
					record(logs.String())

					// Through the CLI, both output modes.
					e := env{getenv: func(k string) string { return vars[k] }, transport: sim.Transport()}
					for _, args := range [][]string{
						{"status", "--vendor", v, "--job", id},
						{"wait", "--vendor", v, "--job", id, "--timeout", "2m", "--output", "json"},
						{"contract", "--vendor", v, "--live", "--job", id, "--output", "json"},
					} {
						inject()
						if v == "tencent" {
							args = append(args, "--user-store", "store")
						}
						_, out, errOut := runCLI(t.Context(), e, args...)
						record(out + errOut)
					}
					for _, s := range secretForms() {
						if strings.Contains(seen.String(), s) {
							t.Fatalf("%q appeared:\n%s", s, seen.String())
						}
					}
					if testing.Verbose() {
						t.Log(seen.String())
					}
					if seen.Len() < 100 {
						t.Errorf("too little output to be a test: %q", seen.String())
					}
				})
			})
		}
	}
}
