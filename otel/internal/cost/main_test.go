package main

import (
	"os"
	"testing"
	"time"
)

// TestMain lets the test binary be the vendor process that run starts (os.Executable is the test
// binary here).
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "-serve" {
		main()
		return
	}
	os.Exit(m.Run())
}

// TestSides runs a wait of each side against the vendor process: each polls the documented Webex job
// over HTTPS to its end, with its observer.
func TestSides(t *testing.T) {
	for _, side := range []string{"off", "full", "sampled", "metrics", "hooks", "bare"} {
		t.Run(side, func(t *testing.T) {
			err := run(config{side: side, waits: 1, sleep: time.Nanosecond, fixture: "../../../bench/testdata/webex_job_200.json"})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
	if err := run(config{side: "none", waits: 1, fixture: "../../../bench/testdata/webex_job_200.json"}); err == nil {
		t.Error("side none: no error")
	}
}
