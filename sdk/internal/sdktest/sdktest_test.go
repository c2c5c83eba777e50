package sdktest

import (
	"encoding/json"
	"io"
	"testing"
)

func TestHelpers(t *testing.T) {
	r := JSONResponse(429, `{}`, "Retry-After", "3")
	b, _ := io.ReadAll(r.Body)
	if r.StatusCode != 429 || r.Header.Get("Content-Type") != "application/json" || r.Header.Get("Retry-After") != "3" || string(b) != `{}` {
		t.Errorf("JSONResponse = %d %v %s", r.StatusCode, r.Header, b)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(Seed(t, "webex_job_200.json")), &v); err != nil || v["name"] != "moveusers" {
		t.Errorf("Seed: %v %v", err, v["name"])
	}
}
