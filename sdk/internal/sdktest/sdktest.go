// Package sdktest holds helpers shared by the vendor packages' tests: canned vendor answers and the
// documented payloads stored under contracttests/testdata/seeds.
package sdktest

import (
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"testing"

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
