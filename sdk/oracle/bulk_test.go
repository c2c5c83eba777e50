package oracle

import (
	"net/http"
	"strings"
	"testing"

	"github.com/jobwatch/jobwatch/sdk"
)

func TestBulkRulesAndClasses(t *testing.T) {
	if _, err := NewBulk(nil, "purge"); err == nil {
		t.Error("action purge accepted")
	}
	add, _ := NewBulk(nil, "") // the default action, add
	del, _ := NewBulk(nil, "delete")
	full := `{"loginId":"L1","emailAddress":"l@example.com","firstName":"F","lastName":"L","organization":{"name":"sfo"}}`
	for _, c := range []struct {
		b         *bulkAdapter
		user, err string
	}{
		{add, full, ""},
		{del, `{"loginId":"L2"}`, ""},
		{add, `{"loginId":"L3"}`, "needs emailAddress, firstName, lastName, organization.name"},
		{add, strings.Replace(full, "l@example.com", "nope", 1), "not an email"},
		{del, `{"emailAddress":"x@example.com"}`, "loginId is required"},
	} {
		_, err := c.b.CheckUser([]byte(c.user))
		if (c.err == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s %s: %v, want %q", c.b.action, c.user, err, c.err)
		}
	}
	if _, retry := add.Classify(sdk.Failure{Message: "Internal Server Error. Underlying Identity Management System failed."}); !retry {
		t.Error("the identity system's failure is retryable")
	}
	if _, retry := add.Classify(sdk.Failure{Message: "User created, but Application Access failed"}); retry {
		t.Error("application access failure is permanent")
	}
	if !add.Refused(&sdk.APIError{StatusCode: http.StatusBadRequest, Message: "Another user job is running; only one may run at a time."}) {
		t.Error("the one-job refusal is not recognised")
	}
	if add.action != "add" || add.JobsInFlight() != 1 {
		t.Error("Oracle runs one create job at a time")
	}
}
