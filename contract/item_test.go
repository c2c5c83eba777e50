package contract

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestItemValidator: one user per vendor against its submit item schema: a valid one passes, a wrong
// type or a missing required field is named.
func TestItemValidator(t *testing.T) {
	cases := []struct {
		vendor, user, want string
	}{
		{"huawei", `{"action":"CREATE","userAccount":"a1","userName":"A","email":"a@example.com"}`, ""},
		{"huawei", `{"action":"CREATE"}`, "userAccount"},
		{"huawei", `{"action":"DELETE","userAccount":"a1"}`, "action"},
		{"webex", `{"userId":"p1","extension":"1234"}`, ""},
		{"webex", `{"userId":7}`, "userId"},
		{"tencent", `{"UserName":"u1","Email":"u1@example.com"}`, ""},
		{"tencent", `{"UserName":["u1"]}`, "UserName"},
		{"oracle", `{"loginId":"L1","emailAddress":"l@example.com","firstName":"F","lastName":"L","organization":{"id":"4","name":"sfo","displayName":"sfo"}}`, ""},
		{"oracle", `{"loginId":"L1"}`, "emailAddress"},
	}
	for _, c := range cases {
		check, err := ItemValidator(c.vendor)
		if err != nil {
			t.Fatal(err)
		}
		err = check([]byte(c.user))
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s %s: %v", c.vendor, c.user, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s %s: error %v, want one naming %s", c.vendor, c.user, err, c.want)
		}
	}
}

// BenchmarkItemValidator100k measures the schema pre-flight of 100,000 Tencent lines (the issue's
// bound is 2 s); it reports the time per 100,000 lines.
func BenchmarkItemValidator100k(b *testing.B) {
	check, err := ItemValidator("tencent")
	if err != nil {
		b.Fatal(err)
	}
	lines := make([][]byte, 100000)
	for i := range lines {
		lines[i] = []byte(fmt.Sprintf(`{"UserName":"user%06d","Email":"user%06d@example.com","PhoneNumber":"+86-13800000000"}`, i, i))
	}
	for b.Loop() {
		start := time.Now()
		for _, l := range lines {
			if err := check(l); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(time.Since(start).Seconds(), "s/100k-lines")
	}
}
