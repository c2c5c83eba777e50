package main

import (
	"strings"
	"testing"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/huawei"
	"github.com/jobwatch/jobwatch/sdk/oracle"
	"github.com/jobwatch/jobwatch/sdk/tencent"
	"github.com/jobwatch/jobwatch/sdk/webex"
	"github.com/jobwatch/jobwatch/simulator"
)

// The lines `jobwatch simulate` prints are all the sdk needs: each vendor's New with an empty Config
// reads them (the Tencent user store included) and the client's Status reaches the simulator.
func TestSDKReadsSimulateExports(t *testing.T) {
	t.Parallel()
	srv := simulator.NewTest(t, simulator.Options{JobDuration: time.Hour})
	vars := parseEnvLines(envLines(srv.Simulator, srv.URL))
	getenv := &sdk.ClientOptions{Getenv: func(k string) string { return vars[k] }}
	cases := []struct {
		vendor string
		new    func() (sdk.Poller, error)
	}{
		{simulator.Oracle, func() (sdk.Poller, error) { return oracle.New(oracle.Config{}, getenv) }},
		{simulator.Huawei, func() (sdk.Poller, error) { return huawei.New(huawei.Config{}, getenv) }},
		{simulator.Webex, func() (sdk.Poller, error) { return webex.New(webex.Config{}, getenv) }},
		{simulator.Tencent, func() (sdk.Poller, error) { return tencent.New(tencent.Config{}, getenv) }},
	}
	for _, tc := range cases {
		t.Run(tc.vendor, func(t *testing.T) {
			id, err := srv.CreateJob(tc.vendor, []simulator.JobUser{{ID: "ann"}}, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			p, err := tc.new()
			if err != nil {
				t.Fatalf("New with an empty Config after the simulate exports: %v", err)
			}
			j, err := p.Status(t.Context(), id)
			if err != nil {
				t.Fatalf("Status: %v", err)
			}
			if j.ID != id {
				t.Errorf("Status answered job %q, want %q", j.ID, id)
			}
		})
	}
}

// Each setting the environment or a flag must give is named in the error when neither gives it: the
// variable (from the sdk) and the flag (from the CLI).
func TestMissingSettingNamesVariableAndFlag(t *testing.T) {
	t.Parallel()
	creds := map[string]string{
		oracle.EnvUsername: "u", oracle.EnvPassword: "p",
		tencent.EnvSecretID: "id", tencent.EnvSecretKey: "key", tencent.EnvRegion: "ap-guangzhou", tencent.EnvUserStore: "store",
	}
	cases := []struct {
		vendor, unset string
		want          []string
	}{
		{"oracle", "", []string{"JOBWATCH_ORACLE_BASE_URL", "--base-url"}},
		{"tencent", tencent.EnvUserStore, []string{tencent.EnvUserStore, "--user-store"}},
		{"tencent", tencent.EnvRegion, []string{tencent.EnvRegion, "--region"}},
		{"tencent", tencent.EnvSecretKey, []string{tencent.EnvSecretID, tencent.EnvSecretKey}},
		{"huawei", "", []string{huawei.EnvAppKey, huawei.EnvAppSecret}},
		{"webex", "", []string{webex.EnvToken}},
	}
	for _, tc := range cases {
		t.Run(tc.vendor+" "+tc.unset, func(t *testing.T) {
			get := func(k string) string {
				if k == tc.unset {
					return ""
				}
				return creds[k]
			}
			code, _, stderr := runCLI(t.Context(), env{getenv: get}, "status", "--vendor", tc.vendor, "--job", "1")
			if code != exitUsage {
				t.Errorf("exit %d, want %d (usage)", code, exitUsage)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q does not name %s", stderr, w)
				}
			}
		})
	}
}
