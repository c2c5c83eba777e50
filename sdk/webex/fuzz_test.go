package webex

import (
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"testing"
	"time"

	gen "github.com/jobwatch/jobwatch/generated/webex"
	"github.com/jobwatch/jobwatch/sdk/internal/sdktest"
)

// FuzzMapJob decodes job answers (and errors lists) into the generated types and maps them.
func FuzzMapJob(f *testing.F) {
	f.Add([]byte(sdktest.Seed(f, "webex_job_200.json")))
	f.Add([]byte(`{"id":"x","latestExecutionStatus":"STARTED","counts":{"totalMoves":0,"moved":5,"failed":-3},"jobExecutionStatus":[{"timeElapsed":"PT99999999H"}]}`))
	f.Add([]byte(`{"items":[{"item":"u","error":{"message":[{"code":"1","description":"d"}]}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var j gen.MoveUsersJob
		if json.Unmarshal(body, &j) == nil {
			m := mapJob(&j)
			if m.Done != m.State.Done() || m.Failures == nil {
				t.Fatalf("inconsistent job %+v", m)
			}
			if m.Progress != nil && (*m.Progress != *m.Progress) {
				t.Fatalf("progress is NaN")
			}
		}
		var errs gen.MoveUsersJobErrors
		if json.Unmarshal(body, &errs) == nil {
			if fs := mapFailures(errs.Items, string(body)); len(fs) > len(errs.Items)*64+1 {
				t.Fatalf("%d failures from %d items", len(fs), len(errs.Items))
			}
		}
	})
}

// FuzzParseISODuration reads arbitrary strings as ISO-8601 durations: no panic, never negative.
func FuzzParseISODuration(f *testing.F) {
	for _, s := range []string{"PT2.752S", "PT1H2M3S", "P1DT2H", "PT", "P", "PT-5S", "PT99999999999999999999H"} {
		f.Add(s)
	}
	for _, s := range []string{"P1DT", "P1D", "PT1.5M", "PT1S1M", "P1D2D", "PT.5S", "PT5.S", "P1DT2H3M4.5S", "PT0S", "XPT1S", "PT1SX"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := parseISODuration(s)
		if ok && d < 0 {
			t.Fatalf("%q gave %v", s, d)
		}
		if wd, wok := referenceISODuration(s); d != wd || ok != wok {
			t.Fatalf("%q gave %v, %v; the regular expression it replaced gives %v, %v", s, d, ok, wd, wok)
		}
	})
}

// FuzzParseError reads arbitrary bodies as Webex error answers.
func FuzzParseError(f *testing.F) {
	f.Add([]byte(`{"message":"m","errors":[{"description":"d","code":7}],"trackingId":"t"}`))
	f.Add([]byte(`{"error":[{"code":"25008","message":"m"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) { parseError(body) })
}

var referenceISO = regexp.MustCompile(`^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$`)

// referenceISODuration is the regular-expression reading that parseISODuration replaced, kept as the
// fuzz target's oracle: the hand-written parser must agree with it on every input.
func referenceISODuration(s string) (time.Duration, bool) {
	m := referenceISO.FindStringSubmatch(s)
	if m == nil || s == "P" || s == "PT" {
		return 0, false
	}
	var total float64
	for i, unit := range []time.Duration{24 * time.Hour, time.Hour, time.Minute, time.Second} {
		if m[i+1] == "" {
			continue
		}
		f, err := strconv.ParseFloat(m[i+1], 64)
		if err != nil {
			return 0, false
		}
		total += f * float64(unit)
	}
	if total >= math.MaxInt64 {
		return 0, false
	}
	return time.Duration(total), true
}
