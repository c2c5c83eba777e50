// Package sdktest holds helpers shared by the vendor packages' tests: canned vendor answers and the
// documented payloads stored under contracttests/testdata/seeds.
package sdktest

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jarcoal/httpmock"
)

// JSONResponse is an answer with a JSON content type, status, body and extra header name/value pairs.
func JSONResponse(status int, body string, header ...string) *http.Response {
	r := httpmock.NewStringResponse(status, body)
	r.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	return r
}

// Seed returns a documented vendor payload, stored verbatim in contracttests/testdata/seeds.
func Seed(t testing.TB, name string) string {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(here), "..", "..", "..", "contracttests", "testdata", "seeds", name))
	if err != nil {
		t.Fatalf("read seed %s: %v", name, err)
	}
	return string(b)
}

// FuzzDecoded fuzzes check with every body that decodes as JSON into a T, seeded with seeds; a body
// that does not decode is skipped, as a client refuses it before mapping. It serves the vendors'
// fuzzers of the mapping from a generated answer type to a Job.
func FuzzDecoded[T any](f *testing.F, seeds []string, check func(t *testing.T, answer *T)) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var answer T
		if json.Unmarshal(body, &answer) != nil {
			return
		}
		check(t, &answer)
	})
}

// InBubble runs f in a testing/synctest bubble with a fresh mock transport for the client under test:
// the bubble's clock is fake, so a wait through many polls takes no wall-clock time.
func InBubble(t *testing.T, f func(t *testing.T, mt *httpmock.MockTransport)) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) { f(t, httpmock.NewMockTransport()) })
}

// Arrivals records when each request reached a fake transport that embeds it; in a synctest bubble
// the times, and so the delays between requests, are exact.
type Arrivals struct {
	mu sync.Mutex
	at []time.Time
}

// Arrive records a request arriving now.
func (a *Arrivals) Arrive() {
	a.mu.Lock()
	a.at = append(a.at, time.Now())
	a.mu.Unlock()
}

// Times returns the arrival times so far, in order.
func (a *Arrivals) Times() []time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]time.Time(nil), a.at...)
}
