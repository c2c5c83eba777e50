package sdk

import (
	"errors"
	"testing"
	"time"
)

// FuzzParseResumeToken feeds arbitrary strings to the token parser: a clear error or a token that
// resumes into a valid schedule, never a panic.
func FuzzParseResumeToken(f *testing.F) {
	w, _ := NewWaiter(newFake(map[string]time.Duration{"j": 0}), "j")
	f.Add(w.ResumeToken())
	f.Add("jw1.e30")
	f.Add("jw2.abc")
	f.Add("jw99999999999999999999.x")
	f.Add("")
	f.Fuzz(func(t *testing.T, token string) {
		tb, err := parseToken(token)
		if err != nil {
			if !errors.Is(err, ErrResumeToken) {
				t.Fatalf("error %v is not ErrResumeToken", err)
			}
			return
		}
		if tb.Vendor == "" || tb.Job == "" || tb.MaxWait <= 0 {
			t.Fatalf("accepted %+v", tb)
		}
		if _, err := ResumeWaiter(&fakePoller{vendor: tb.Vendor}, token); err != nil {
			t.Fatalf("parsed but does not resume: %v", err)
		}
	})
}

// FuzzParseRetryAfter reads arbitrary Retry-After values: never negative, never beyond a day.
func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"3", "Sat, 01 Jan 2000 00:01:00 GMT", "-1", "999999999999999999999", "1.5", ""} {
		f.Add(s)
	}
	now := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		if d := ParseRetryAfter(v, now); d < 0 || (d > 24*time.Hour && !looksLikeDate(v)) {
			t.Fatalf("%q gave %v", v, d)
		}
	})
}

func looksLikeDate(v string) bool { return len(v) > 20 }
