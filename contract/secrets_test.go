package contract

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// A small gzip body can decode to a huge JSON array: looking for its credentials (the findings of
// a recording's check, and the values a message is redacted of) must not build a tree of values per
// element (377 MiB allocated for a 4 MiB decoded body before, under 1 MiB now; decoding itself is not counted).
func TestCredentialScanOfGzipBombCostsNoTree(t *testing.T) {
	decoded := []byte(`{"token":"abcd","items":[0` + strings.Repeat(",0", 2<<20) + `]}`)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(decoded)
	zw.Close()
	req, _ := http.NewRequest("GET", "https://h.example/x", nil)
	ex := Exchange{Request: req, Status: 200, Header: http.Header{"Content-Type": {"application/json"}, "Content-Encoding": {"gzip"}}, Body: gz.Bytes()}
	if body, reason := decodeBody(ex.Header, ex.Body); reason != "" || !bytes.Equal(body, decoded) {
		t.Fatalf("the gzip body does not decode: %s", reason)
	}
	ex.Header.Del("Content-Encoding")
	ex.Body = decoded

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	findings := secretFindings(ex)
	secrets := exchangeSecrets(ex)
	runtime.ReadMemStats(&after)

	if len(findings) != 1 || findings[0].Where != "response body /token" {
		t.Errorf("findings %v, want one at response body /token", findings)
	}
	if !slices.Contains(secrets, "abcd") {
		t.Errorf("secrets %q lack the token's value", secrets)
	}
	if got, limit := after.TotalAlloc-before.TotalAlloc, uint64(1<<20); got > limit {
		t.Errorf("scanning a %d MiB body allocated %d KiB, want at most %d KiB", len(decoded)>>20, got>>10, limit>>10)
	}
}
