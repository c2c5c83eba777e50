package bulk_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/bulk"
	"github.com/jobwatch/jobwatch/sdk/huawei"
	"github.com/jobwatch/jobwatch/simulator"
)

// fast are run options for the simulator's short jobs.
func fast(dir string) bulk.Options {
	return bulk.Options{Dir: dir, PollInterval: 10 * time.Millisecond, RoundBackoff: -1, RefusedBackoff: 20 * time.Millisecond}
}

func readReport(t *testing.T, dir string) []bulk.ReportLine {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, bulk.ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []bulk.ReportLine
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var rl bulk.ReportLine
		if err := json.Unmarshal(sc.Bytes(), &rl); err != nil {
			t.Fatal(err)
		}
		out = append(out, rl)
	}
	return out
}

// TestRunTenThousandPerVendor: 10,000 users per vendor, 5% failing transiently and 1% for good, end
// with exactly the permanent ones failed after at most 3 rounds, no user submitted twice in a round,
// and the vendors' limits on jobs in flight never refusing the run.
func TestRunTenThousandPerVendor(t *testing.T) {
	if testing.Short() {
		t.Skip("a scale run on the wall clock: make e2e runs it")
	}
	const n = 10000
	for _, vendor := range simulator.Vendors() {
		t.Run(vendor, func(t *testing.T) {
			t.Parallel() // a simulator, a report directory and jobs on the wall clock of its own
			srv := simulator.NewTest(t, simulator.Options{JobDuration: 40 * time.Millisecond, WebexRate: 100000, TencentRate: 100000,
				Bulk: simulator.BulkOptions{TransientRate: 0.05, PermanentRate: 0.01,
					JobsInFlight: map[string]int{simulator.Tencent: 2, simulator.Oracle: 1}}})
			v := adapter(t, srv, vendor)
			in := users(t, vendor, n, v)
			dir := t.TempDir()
			sum, err := bulk.Run(context.Background(), v, in, fast(dir))
			if err != nil {
				t.Fatal(err)
			}
			if n := srv.Refusals(vendor); n != 0 {
				t.Errorf("the vendor refused %d jobs for too many in flight", n)
			}
			if sum.Rounds > 3 {
				t.Errorf("rounds = %d, want at most 3", sum.Rounds)
			}
			wantFailed := 0
			subs := srv.Submissions(vendor)
			for i, rl := range readReport(t, dir) {
				key := userKey(vendor, i+1)
				class := srv.BulkClass(vendor, key)
				want := bulk.OutcomeSucceeded
				if class == "permanent" {
					want = bulk.OutcomeFailed
					wantFailed++
				}
				if rl.Outcome != want || rl.User != key || rl.Line != i+1 {
					t.Fatalf("line %d: %+v, want user %s %s", i+1, rl, key, want)
				}
				wantSubs := map[string]int{"": 1, "permanent": 1, "transient": 2}[class]
				if subs[key] != wantSubs || rl.Attempts != wantSubs || len(rl.Jobs) != wantSubs {
					t.Fatalf("line %d (%s): submitted %d times, attempts %d, jobs %v; want %d", i+1, class, subs[key], rl.Attempts, rl.Jobs, wantSubs)
				}
				if class == "permanent" && (rl.Retryable || rl.Code == nil && vendor != simulator.Tencent && vendor != simulator.Oracle) {
					t.Fatalf("line %d: permanent failure reported %+v", i+1, rl)
				}
			}
			if sum.Counts[bulk.OutcomeFailed] != wantFailed || sum.Counts[bulk.OutcomeSucceeded] != n-wantFailed {
				t.Errorf("counts %v, want %d failed", sum.Counts, wantFailed)
			}
			if wantFailed < n/200 {
				t.Errorf("only %d permanent failures: the rates did not apply", wantFailed)
			}
			t.Logf("%s: %d jobs, %d requests, %d rounds, %.2fs, slot use %v", vendor, sum.Jobs, sum.Requests, sum.Rounds, sum.WallTimeSeconds, deref(sum.SlotUse))
			if sum.SlotUse != nil && *sum.SlotUse < 0.95 {
				t.Errorf("slot use %.3f, want at least 0.95", *sum.SlotUse)
			}
		})
	}
}

func deref(p *float64) float64 {
	if p == nil {
		return -1
	}
	return *p
}

// TestLostSubmitAnswer: a submit whose answer is lost after the job started is found by the list call
// (Webex, Tencent) and polled, or reported unknown (Huawei, Oracle); it is never sent again.
func TestLostSubmitAnswer(t *testing.T) {
	for _, vendor := range simulator.Vendors() {
		t.Run(vendor, func(t *testing.T) {
			srv := simulator.NewTest(t, simulator.Options{JobDuration: 30 * time.Millisecond, WebexRate: 100000, TencentRate: 100000})
			srv.LoseAnswers(vendor, 1)
			v := adapter(t, srv, vendor)
			in := users(t, vendor, 250, v)
			dir := t.TempDir()
			sum, err := bulk.Run(context.Background(), v, in, fast(dir))
			if err != nil {
				t.Fatal(err)
			}
			_, canList := v.(bulk.Lister)
			subs := srv.Submissions(vendor)
			unknown := 0
			for i, rl := range readReport(t, dir) {
				if got := subs[userKey(vendor, i+1)]; got != 1 {
					t.Fatalf("line %d submitted %d times, want once", i+1, got)
				}
				switch {
				case rl.Outcome == bulk.OutcomeUnknown:
					unknown++
					if canList || rl.Message == nil || !strings.Contains(*rl.Message, "no call to list jobs") {
						t.Fatalf("line %d: %+v", i+1, rl)
					}
				case rl.Outcome != bulk.OutcomeSucceeded:
					t.Fatalf("line %d: %+v", i+1, rl)
				}
			}
			if canList && unknown != 0 || !canList && unknown == 0 {
				t.Errorf("%d unknown (list call: %v); summary %v", unknown, canList, sum.Counts)
			}
		})
	}
}

// TestSharedAccountRefusal: another tool holds Tencent's two job slots; the refused chunk backs off
// and is submitted again, and the run ends with every user imported once.
func TestSharedAccountRefusal(t *testing.T) {
	srv := simulator.NewTest(t, simulator.Options{JobDuration: 30 * time.Millisecond, TencentRate: 100000,
		Bulk: simulator.BulkOptions{JobsInFlight: map[string]int{simulator.Tencent: 2}}})
	for range 2 {
		if _, err := srv.CreateJob(simulator.Tencent, []simulator.JobUser{{ID: "other-tool"}}, 200*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	v := adapter(t, srv, simulator.Tencent)
	in := users(t, simulator.Tencent, 1500, v)
	dir := t.TempDir()
	sum, err := bulk.Run(context.Background(), v, in, fast(dir))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Counts[bulk.OutcomeSucceeded] != 1500 {
		t.Fatalf("counts %v", sum.Counts)
	}
	for k, n := range srv.Submissions(simulator.Tencent) {
		if k != "other-tool" && n != 1 {
			t.Fatalf("%s submitted %d times", k, n)
		}
	}
}

// TestResumeAfterCancel: a run stopped mid-way writes the report so far, and the same run again
// resumes to the report of an uninterrupted run without submitting anyone twice.
func TestResumeAfterCancel(t *testing.T) {
	srv := simulator.NewTest(t, simulator.Options{JobDuration: 30 * time.Millisecond, WebexRate: 100000,
		Bulk: simulator.BulkOptions{TransientRate: 0.05, PermanentRate: 0.01}})
	v := adapter(t, srv, simulator.Webex)
	in := users(t, simulator.Webex, 1000, v)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	opts := fast(dir)
	opts.Progress = func(p bulk.Progress) {
		if p.Done >= 300 {
			cancel()
		}
	}
	if _, err := bulk.Run(ctx, v, in, opts); err != context.Canceled {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if rep := readReport(t, dir); len(rep) != 1000 {
		t.Fatalf("%d report lines after the stop", len(rep))
	}
	sum, err := bulk.Run(context.Background(), v, in, fast(dir))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Counts[bulk.OutcomeSucceeded]+sum.Counts[bulk.OutcomeFailed] != 1000 || sum.Counts[bulk.OutcomeUnknown] != 0 {
		t.Fatalf("counts %v", sum.Counts)
	}
	subs := srv.Submissions(simulator.Webex)
	for i := 1; i <= 1000; i++ {
		k := userKey(simulator.Webex, i)
		want := map[string]int{"": 1, "permanent": 1, "transient": 2}[srv.BulkClass(simulator.Webex, k)]
		if subs[k] != want {
			t.Fatalf("%s submitted %d times, want %d", k, subs[k], want)
		}
	}
}

// TestUnmatchedFailure: a failure naming no user of its job is kept in the summary, and the job's
// other users are unknown, not succeeded, since the vendor does not count its successes.
func TestUnmatchedFailure(t *testing.T) {
	srv := simulator.NewTest(t, simulator.Options{JobDuration: 20 * time.Millisecond, TencentRate: 100000})
	v := adapter(t, srv, simulator.Tencent)
	// The simulator names a failed user by UserName, Email, PhoneNumber or Nickname; this user has only
	// a WeChat id among the identifiers jobwatch keys on, so its failure matches no line.
	text := `{"UserName":"ann","Email":"ann@example.com"}` + "\n" + `{"WechatOpenId":"w-1","Nickname":"nick-fail"}` + "\n"
	in, err := bulk.ReadInput(strings.NewReader(text), bulk.FormatNDJSON)
	if err != nil {
		t.Fatal(err)
	}
	if n := bulk.Preflight(in, v, nil); n != 2 {
		t.Fatalf("%d valid", n)
	}
	sum, err := bulk.Run(context.Background(), v, in, fast(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.UnmatchedFailures) != 1 || sum.UnmatchedFailures[0].User != "nick-fail" || sum.Counts[bulk.OutcomeUnknown] != 2 {
		t.Fatalf("unmatched %+v, counts %v", sum.UnmatchedFailures, sum.Counts)
	}
	if m := sum.Report[0].Message; m == nil || !strings.Contains(*m, "match no input line") {
		t.Errorf("line 1: %+v", sum.Report[0])
	}
}

// TestRetryCodesOverride: --retry-codes makes a permanent code retryable: those users are submitted
// once per round, up to MaxRounds, and end failed with retryable true.
func TestRetryCodesOverride(t *testing.T) {
	srv := simulator.NewTest(t, simulator.Options{JobDuration: 20 * time.Millisecond,
		Bulk: simulator.BulkOptions{PermanentRate: 0.1}})
	v := adapter(t, srv, simulator.Huawei)
	in := users(t, simulator.Huawei, 200, v)
	opts := fast(t.TempDir())
	opts.RetryCodes = []string{"60101000108"}
	sum, err := bulk.Run(context.Background(), v, in, opts)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Rounds != 3 || sum.Counts[bulk.OutcomeFailed] == 0 {
		t.Fatalf("rounds %d, counts %v", sum.Rounds, sum.Counts)
	}
	subs := srv.Submissions(simulator.Huawei)
	for _, rl := range sum.Report {
		if rl.Outcome != bulk.OutcomeFailed {
			continue
		}
		if !rl.Retryable || rl.Attempts != 3 || subs[rl.User] != 3 || *rl.Code != "60101000108" {
			t.Fatalf("%+v, submitted %d times", rl, subs[rl.User])
		}
	}
}

// TestHuaweiTokenFailureIsResubmitted: a Huawei submit whose token could not be had never sent
// createTask, so its chunk is submitted again; it used to be a lost answer, its users unknown for good.
func TestHuaweiTokenFailureIsResubmitted(t *testing.T) {
	srv := simulator.NewTest(t, simulator.Options{JobDuration: 10 * time.Millisecond})
	cr := srv.Credentials()
	var calls atomic.Int32
	c, err := huawei.New(huawei.Config{Credentials: func(context.Context) (huawei.Config, error) {
		if calls.Add(1) <= 2 {
			return huawei.Config{}, errors.New("vault sealed")
		}
		return huawei.Config{AppKey: cr.HuaweiAppKey, AppSecret: sdk.Secret(cr.HuaweiAppSecret)}, nil
	}}, &sdk.ClientOptions{BaseURL: srv.BaseURL(simulator.Huawei), Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	v := huawei.NewBulk(c)
	in := users(t, simulator.Huawei, 150, v)
	dir := t.TempDir()
	sum, err := bulk.Run(context.Background(), v, in, fast(dir))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Counts[bulk.OutcomeSucceeded] != 150 {
		t.Errorf("counts %v, want 150 succeeded", sum.Counts)
	}
	subs := srv.Submissions(simulator.Huawei)
	for i := range 150 {
		if got := subs[userKey(simulator.Huawei, i+1)]; got != 1 {
			t.Fatalf("line %d submitted %d times, want once", i+1, got)
		}
	}
}
