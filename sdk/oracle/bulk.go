package oracle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/jobwatch/jobwatch/sdk"
)

// Bulk limits of user jobs (see package sdk/bulk for the table and sources).
const (
	// BulkUsersPerJob is how many users a bulk run puts in one job: Oracle publishes no cap, this is ours.
	BulkUsersPerJob = 1000
	// BulkJobsInFlight is 1: only one create job may run at a time per tenant.
	BulkJobsInFlight = 1
)

// The actions of a bulk run: which list of the UserDataStore the users go in.
const (
	BulkAdd    = "add"
	BulkModify = "modify"
	BulkDelete = "delete"
)

// identityFailure is the 500 answer's documented text: the underlying identity management system
// failed, which a later try may not meet.
const identityFailure = "identity management"

// Bulk is Oracle's side of a bulk run (package sdk/bulk): the user job's limits and request rules for an
// action, the user key (loginId) and the failure classes. Oracle has no call to list jobs, so the users
// of a job whose create answer was lost are reported unknown.
type Bulk struct {
	c      *Client
	action string
}

// NewBulk returns the bulk adapter of c for action: BulkAdd, BulkModify or BulkDelete.
func NewBulk(c *Client, action string) (*Bulk, error) {
	switch action {
	case BulkAdd, BulkModify, BulkDelete:
		return &Bulk{c: c, action: action}, nil
	}
	return nil, fmt.Errorf("oracle: action %q: want %s, %s or %s", action, BulkAdd, BulkModify, BulkDelete)
}

// Vendor is "oracle".
func (b *Bulk) Vendor() string { return Vendor }

// UsersPerJob is BulkUsersPerJob.
func (b *Bulk) UsersPerJob() int { return BulkUsersPerJob }

// JobsInFlight is BulkJobsInFlight.
func (b *Bulk) JobsInFlight() int { return BulkJobsInFlight }

// CheckUser checks a UserRO for the action: delete needs only loginId; add and modify need loginId,
// emailAddress (with an @), firstName, lastName and organization.name. The key is loginId.
func (b *Bulk) CheckUser(user []byte) ([]string, error) {
	var u UserRO
	if err := json.Unmarshal(user, &u); err != nil {
		return nil, fmt.Errorf("not a UserRO: %v", err)
	}
	if strings.TrimSpace(u.LoginId) == "" {
		return nil, errors.New("loginId is required")
	}
	if b.action == BulkDelete {
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
func (b *Bulk) Submit(ctx context.Context, users [][]byte) (string, error) {
	in := make([]UserRO, len(users))
	for i, u := range users {
		if err := json.Unmarshal(u, &in[i]); err != nil {
			return "", fmt.Errorf("oracle: user %d: %w", i+1, err)
		}
	}
	var store UserDataStore
	switch b.action {
	case BulkAdd:
		store.Added = &in
	case BulkModify:
		store.Modified = &in
	default:
		ids := make([]string, len(in))
		for i, u := range in {
			ids[i] = u.LoginId
		}
		store.Deleted = &ids
	}
	return b.c.Submit(ctx, store)
}

// Status is the client's Status.
func (b *Bulk) Status(ctx context.Context, jobID string) (*sdk.Job, error) {
	return b.c.Status(ctx, jobID)
}

// Classify: Oracle reports a user's failure as text (statusInfo) without a code. The documented 500,
// "Underlying Identity Management System failed", is retryable (code "500"); any other failure, such
// as "User created, but Application Access failed", is permanent.
func (b *Bulk) Classify(f sdk.Failure) (string, bool) {
	if f.Code == "500" || strings.Contains(strings.ToLower(f.Message), identityFailure) {
		return "500", true
	}
	return f.Code, false
}

// Refused reports Oracle refusing a create job while another runs (400 naming the running job).
func (b *Bulk) Refused(err error) bool {
	var ae *sdk.APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusBadRequest {
		return false
	}
	m := strings.ToLower(ae.Message)
	return strings.Contains(m, "another user job is running") || strings.Contains(m, "one may run at a time")
}
