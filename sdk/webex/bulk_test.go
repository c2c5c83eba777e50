package webex

import (
	"strings"
	"testing"

	"github.com/jobwatch/jobwatch/sdk"
)

func TestBulkRulesAndClasses(t *testing.T) {
	b := NewBulk(nil, "loc")
	for _, c := range []struct{ user, err string }{
		{`{"userId":"p1"}`, ""},
		{`{"userId":"p2","phoneNumber":"+14155550100","extension":"0100"}`, ""},
		{`{"userId":"p3","phoneNumber":""}`, ""},
		{`{"userId":"p4","phoneNumber":"4155550100"}`, "not E.164"},
		{`{"userId":"p5","extension":"12a"}`, "not digits"},
		{`{"userId":" "}`, "userId is required"},
	} {
		keys, err := b.CheckUser([]byte(c.user))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: %v, want %q", c.user, err, c.err)
			}
			continue
		}
		if err != nil || len(keys) != 1 || !strings.Contains(c.user, keys[0]) {
			t.Errorf("%s: %v %v", c.user, keys, err)
		}
	}
	for code, want := range map[string]bool{"503": true, "429": true, "500": true, "400": false, "1026": false, "": false} {
		if _, retry := b.Classify(sdk.Failure{Code: code}); retry != want {
			t.Errorf("%s: retryable %v, want %v", code, retry, want)
		}
	}
}
