package bulk_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/bulk"
	"github.com/jobwatch/jobwatch/sdk/tencent"
	"github.com/jobwatch/jobwatch/simulator"
)

// ExampleRun imports users into Tencent CIAM (here the simulator, whose jobs fail users named "fail"
// with "user already exists", a permanent failure): check the lines, run, read the summary.
func ExampleRun() {
	srv, err := simulator.NewServer(simulator.Options{JobDuration: 50 * time.Millisecond})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	cr := srv.Credentials()
	c, err := tencent.New(tencent.Config{SecretID: cr.TencentSecretID, SecretKey: sdk.Secret(cr.TencentSecretKey), Region: "ap-guangzhou", UserStoreID: "store-1"},
		&sdk.ClientOptions{BaseURL: srv.BaseURL(simulator.Tencent), Getenv: func(string) string { return "" }})
	if err != nil {
		fmt.Println(err)
		return
	}
	users := `{"UserName":"grace","Email":"grace@example.com"}
{"UserName":"heidi","Email":"heidi@example.com"}
{"UserName":"mallory-fail","Email":"mallory@example.com"}
{"UserName":"grace"}
{"Email":"not-an-email"}
`
	in, err := bulk.ReadInput(strings.NewReader(users), bulk.FormatNDJSON)
	if err != nil {
		fmt.Println(err)
		return
	}
	v := tencent.NewBulk(c)
	fmt.Println("valid lines:", bulk.Preflight(in, v, nil))

	dir, _ := os.MkdirTemp("", "bulk-example-")
	defer os.RemoveAll(dir)
	sum, err := bulk.Run(context.Background(), v, in, bulk.Options{Dir: dir, PollInterval: 20 * time.Millisecond})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("succeeded:", sum.Counts["succeeded"], "failed:", sum.Counts["failed"], "invalid:", sum.Counts["invalid"], "jobs:", sum.Jobs)
	for _, l := range sum.Report {
		if l.Outcome != bulk.OutcomeSucceeded {
			fmt.Printf("line %d %s: %s\n", l.Line, l.Outcome, *l.Message)
		}
	}
	// Output:
	// valid lines: 3
	// succeeded: 2 failed: 1 invalid: 2 jobs: 1
	// line 3 failed: user already exists
	// line 4 invalid: duplicate of line 1 (same user "grace")
	// line 5 invalid: email "not-an-email" (Email) is not an email address
}
