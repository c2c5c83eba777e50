package simulator

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jobwatch/jobwatch/contract"
)

// TestSharedSpecs: simulators given one SharedSpecs check their traffic against the same specs, loaded
// once, and each asks for a vendor's specs once.
func TestSharedSpecs(t *testing.T) {
	shared := SharedSpecs()
	a, err := shared(Huawei)
	if err != nil || len(a) != 1 || a[0].Name != "huawei.yaml" {
		t.Fatalf("huawei: %v, %v", a, err)
	}
	if b, _ := shared(Huawei); b[0] != a[0] {
		t.Error("a second call loaded the spec again")
	}
	if _, err := shared("aws"); err == nil || !strings.Contains(err.Error(), `"aws"`) {
		t.Errorf("unknown vendor: %v", err)
	}
	var calls atomic.Int32
	counted := func(vendor string) ([]*contract.Spec, error) {
		calls.Add(1)
		return shared(vendor)
	}
	for i := range 2 {
		var violations atomic.Int32
		s, err := New(Options{Specs: counted, OnViolation: func(string, error) { violations.Add(1) }})
		if err != nil {
			t.Fatal(err)
		}
		hc := &http.Client{Transport: s.Transport()}
		for range 2 { // a body without the required taskId
			req, _ := http.NewRequest("POST", root+"/apiaccess/rest/cc-management/v1/federationUserMgmt/queryTask", strings.NewReader(`{"task":1}`))
			req.Header.Set("Content-Type", "application/json")
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 400 {
				t.Errorf("simulator %d: HTTP %d, want 400", i, resp.StatusCode)
			}
		}
		if violations.Load() != 2 {
			t.Errorf("simulator %d: %d violations, want 2", i, violations.Load())
		}
		if calls.Load() != int32(i+1) {
			t.Errorf("after simulator %d: Specs called %d times, want once per simulator", i, calls.Load())
		}
	}
}
