package waitflow

import (
	"errors"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/tencent"
	"github.com/jobwatch/jobwatch/simulator"
)

// Sentinel credentials: if any of them shows up in what a history would hold, a credential leaked.
const (
	sentinelID     = "AKIDsentinel7e1d2c3b4a5f60718293a"
	sentinelKey    = "sentinel-secret-key-5b0c9e7d"
	sentinelBadKey = "sentinel-wrong-key-1f2e3d4c"
)

func TestCredentialsNeverReachTheHistory(t *testing.T) {
	for _, tc := range []struct {
		name, key string
		typ       string
	}{{"job with failed users", sentinelKey, ""}, {"credentials refused", sentinelBadKey, ErrTypeUnauthorized}} {
		t.Run(tc.name, func(t *testing.T) {
			clk := &envClock{rec: newRecorder()}
			sim := simulator.NewTest(t, simulator.Options{
				Credentials:    simulator.Credentials{TencentSecretID: sentinelID, TencentSecretKey: sentinelKey},
				Now:            clk.Now,
				TencentMaxSkew: 365 * 24 * time.Hour, // the client signs with the machine's clock, the simulator runs on the test's
			})
			id, err := sim.CreateJob(simulator.Tencent, []simulator.JobUser{{ID: "ann"}, {ID: "bob.fail"}, {ID: "carol"}}, 25*time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			tc2, err := tencent.New(tencent.Config{SecretID: sentinelID, SecretKey: sdk.Secret(tc.key), Region: "ap-guangzhou", UserStoreID: "store"},
				&sdk.ClientOptions{BaseURL: sim.BaseURL(simulator.Tencent), MaxAttempts: -1})
			if err != nil {
				t.Fatal(err)
			}
			r := execute(t, clk, WaitJobWorkflow, WaitJobInput{Vendor: tencent.Vendor, JobID: id, Size: 3, MaxPollsPerRun: 5}, tc2)
			if tc.typ == "" {
				if r.err != nil {
					t.Fatal(r.err)
				}
				if j := r.result.Job; j.State != sdk.StatePartiallySucceeded || len(j.Failures) != 1 || !strings.Contains(j.Failures[0].User, "bob.fail") || r.runs < 2 {
					t.Fatalf("result %+v (job %+v) after %d runs", r.result, j, r.runs)
				}
			} else {
				var ae *temporal.ApplicationError
				if !errors.As(r.err, &ae) || ae.Type() != tc.typ {
					t.Fatalf("error = %v, want %s", r.err, tc.typ)
				}
			}
			history := clk.rec.String()
			if tc.typ != "" && !strings.Contains(history, "AuthFailure") {
				t.Errorf("the recording misses the vendor error: %s", history)
			}
			if !strings.Contains(history, id) {
				t.Fatalf("the recording misses the job id: %s", history)
			}
			for _, secret := range []string{sentinelKey, sentinelBadKey, sentinelID} {
				if strings.Contains(history, secret) {
					t.Errorf("a credential reached the history: %q in\n%s", secret, history)
				}
			}
		})
	}
}
