package huawei

import (
	"strings"
	"testing"

	"github.com/jobwatch/jobwatch/sdk"
)

func TestBulkRulesAndClasses(t *testing.T) {
	b := NewBulk(nil)
	for _, c := range []struct{ user, key, err string }{
		{`{"action":"CREATE","userAccount":"a1","userName":"A","email":"a@example.com"}`, "a1", ""},
		{`{"action":"DISABLE","userAccount":"a2"}`, "a2", ""},
		{`{"action":"CREATE","userAccount":"a3"}`, "", "needs userName"},
		{`{"action":"CREATE","userAccount":"a3","userName":"A"}`, "", "needs an email"},
		{`{"userAccount":"a4"}`, "", "action is required"},
		{`{"action":"DELETE","userAccount":"a5"}`, "", `action "DELETE"`},
		{`{"action":"MODIFY"}`, "", "userAccount is required"},
	} {
		keys, err := b.CheckUser([]byte(c.user))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: %v, want %q", c.user, err, c.err)
			}
			continue
		}
		if err != nil || keys[0] != c.key {
			t.Errorf("%s: %v %v", c.user, keys, err)
		}
	}
	for code, want := range map[string]bool{"60101900002": true, "60101000100": true, "60101000108": false, "60101040050": false, "99999": false, "": false} {
		if got, retry := b.Classify(sdk.Failure{Code: code}); got != code || retry != want {
			t.Errorf("%s: retryable %v, want %v", code, retry, want)
		}
	}
	if b.UsersPerJob() != 100 {
		t.Error("Huawei takes at most 100 users per task")
	}
}
