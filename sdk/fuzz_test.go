package sdk

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// FuzzParseResumeToken feeds arbitrary strings to the token parser: a clear error or a token that
// resumes into a valid schedule, never a panic.
func FuzzParseResumeToken(f *testing.F) {
	w, _ := newWaiter(newFake(map[string]time.Duration{"j": 0}), "j", nil)
	f.Add(w.s.token())
	f.Add("jw1.e30")
	f.Add("jw2.abc")
	f.Add("jw99999999999999999999.x")
	f.Add("")
	f.Fuzz(func(t *testing.T, token string) {
		tb, err := parseToken(token)
		if err != nil {
			if !errors.Is(err, ErrInvalidInput) || !strings.Contains(err.Error(), "resume token") {
				t.Fatalf("error %v is not an invalid resume token", err)
			}
			return
		}
		if tb.Vendor == "" || tb.Job == "" || tb.MaxWait <= 0 {
			t.Fatalf("accepted %+v", tb)
		}
		if _, err := newWaiter(&fakePoller{vendor: tb.Vendor}, "", &WaitOptions{ResumeToken: token}); err != nil {
			t.Fatalf("parsed but does not resume: %v", err)
		}
	})
}
