package oracle

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/internal/vendorkit"
)

// bulkLimits are user jobs' (see package sdk/bulk for the table and sources): 1000 users a job (Oracle
// publishes no cap, this is ours), and one job running: only one create job may run at a time per
// tenant.
var bulkLimits = vendorkit.BulkLimits{PerJob: 1000, InFlight: 1}

// The actions of a bulk run: which list of the UserDataStore the users go in.
const (
	bulkAdd    = "add"
	bulkModify = "modify"
	bulkDelete = "delete"
)

// identityFailure is the 500 answer's documented text: the underlying identity management system
// failed, which a later try may not meet.
const identityFailure = "identity management"

// bulkAdapter is Oracle's side of a bulk run for one action. Its Vendor and Status are the client's.
type bulkAdapter struct {
	*Client
	vendorkit.BulkLimits
	action string
}

// NewBulk returns c's adapter for package sdk/bulk, for action "add" (the default, when empty),
// "modify" or "delete": a bulk.Vendor with the user job's limits and request rules for the action, the
// user key (loginId) and the failure classes. Oracle has no call to list jobs, so the users of a job
// whose create answer was lost are reported unknown.
func NewBulk(c *Client, action string) (*bulkAdapter, error) {
	switch action {
	case "":
		action = bulkAdd
	case bulkAdd, bulkModify, bulkDelete:
	default:
		return nil, fmt.Errorf("oracle: action %q: want %s, %s or %s", action, bulkAdd, bulkModify, bulkDelete)
	}
	return &bulkAdapter{Client: c, BulkLimits: bulkLimits, action: action}, nil
}

// CheckUser checks a UserRO for the action: delete needs only loginId; add and modify need loginId,
// emailAddress (with an @), firstName, lastName and organization.name. The key is loginId.
func (b *bulkAdapter) CheckUser(user []byte) ([]string, error) {
	u, err := vendorkit.DecodeUser[UserRO](user, "a UserRO")
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(u.LoginId) == "" {
		return nil, errors.New("loginId is required")
	}
	if b.action == bulkDelete {
		return []string{u.LoginId}, nil
	}
	var missing []string
	for _, f := range []struct{ name, v string }{{"emailAddress", u.EmailAddress}, {"firstName", u.FirstName},
		{"lastName", u.LastName}, {"organization.name", u.Organization.Name}} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("action %s needs %s", b.action, strings.Join(missing, ", "))
	}
	if !strings.Contains(u.EmailAddress, "@") {
		return nil, fmt.Errorf("emailAddress %q is not an email address", u.EmailAddress)
	}
	return []string{u.LoginId}, nil
}

// Submit starts one job with users (UserRO objects) in the action's list (deleted takes their loginIds).
func (b *bulkAdapter) Submit(ctx context.Context, users [][]byte) (string, error) {
	in, err := vendorkit.DecodeUsers[UserRO](Vendor, users)
	if err != nil {
		return "", err
	}
	var store UserDataStore
	switch b.action {
	case bulkAdd:
		store.Added = &in
	case bulkModify:
		store.Modified = &in
	default:
		ids := make([]string, len(in))
		for i, u := range in {
			ids[i] = u.LoginId
		}
		store.Deleted = &ids
	}
	return b.Client.Submit(ctx, store)
}

// Classify: Oracle reports a user's failure as text (statusInfo) without a code. The documented 500,
// "Underlying Identity Management System failed", is retryable (code "500"); any other failure, such
// as "User created, but Application Access failed", is permanent.
func (*bulkAdapter) Classify(f sdk.Failure) (string, bool) {
	if f.Code == "500" || strings.Contains(strings.ToLower(f.Message), identityFailure) {
		return "500", true
	}
	return f.Code, false
}

// Refused reports Oracle refusing a create job while another runs (400 naming the running job).
func (*bulkAdapter) Refused(err error) bool {
	var ae *sdk.APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusBadRequest {
		return false
	}
	m := strings.ToLower(ae.Message)
	return strings.Contains(m, "another user job is running") || strings.Contains(m, "one may run at a time")
}
