package huawei

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/internal/vendorkit"
)

// bulkLimits are createTask's (see package sdk/bulk for the table and sources): at most 100 users a
// task (federationUserList ≤ 100), and 4 tasks running, Huawei publishing no cap (a conservative
// default).
var bulkLimits = vendorkit.BulkLimits{PerJob: 100, InFlight: 4}

// retryableCodes are the failCodes of queryTask's Table 4 that a retry can fix: the internal system
// error and the failures to obtain or map a user's details from another system. Every other code
// (invalid input, the user exists or does not, a missing role) is permanent, as is an unknown code.
var retryableCodes = map[string]bool{
	"60101900002": true, // Internal system error.
	"60101000100": true, // Failed to obtain user details.
	"60101000101": true, // Failed to obtain the federated user mapping rule.
	"60101000102": true, // Failed to obtain the third-party system ID.
	"60101000103": true, // The obtained user details are empty.
	"60101000104": true, // Failed to invoke the sum interface to obtain user role information.
	"60101000105": true, // The user ID obtained during user creation is empty.
	"60101000109": true, // Failed to map the input parameters to the federated user information.
}

// bulkAdapter is Huawei's side of a bulk run: createTask's limits and request rules, the user key
// (userAccount) and the failCode classes. Its Vendor and Status are the client's.
type bulkAdapter struct {
	*Client
	vendorkit.BulkLimits
}

// NewBulk returns c's adapter for package sdk/bulk: a bulk.Vendor with createTask's limits and request
// rules, the user key (userAccount) and the failCode classes. Huawei has no call to list tasks, so the
// users of a task whose createTask answer was lost are reported unknown.
func NewBulk(c *Client) *bulkAdapter { return &bulkAdapter{Client: c, BulkLimits: bulkLimits} }

// CheckUser checks a FederationUserInput by createTask's rules: userAccount and a documented action are
// required, and CREATE needs userName and an email address. The key is userAccount.
func (b *bulkAdapter) CheckUser(user []byte) ([]string, error) {
	u, err := vendorkit.DecodeUser[FederationUserInput](user, "a FederationUserInput")
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(u.UserAccount) == "" {
		return nil, errors.New("userAccount is required")
	}
	switch u.Action {
	case ActionCreate:
		if u.UserName == nil || strings.TrimSpace(*u.UserName) == "" {
			return nil, errors.New("action CREATE needs userName")
		}
		if u.Email == nil || !strings.Contains(*u.Email, "@") {
			return nil, errors.New("action CREATE needs an email address")
		}
	case ActionModify, ActionDisable:
	case "":
		return nil, errors.New("action is required: CREATE, MODIFY or DISABLE")
	default:
		return nil, fmt.Errorf("action %q: want CREATE, MODIFY or DISABLE", u.Action)
	}
	if u.Email != nil && *u.Email != "" && !strings.Contains(*u.Email, "@") {
		return nil, fmt.Errorf("email %q is not an email address", *u.Email)
	}
	return []string{u.UserAccount}, nil
}

// Submit creates one task for users (FederationUserInput objects).
func (b *bulkAdapter) Submit(ctx context.Context, users [][]byte) (string, error) {
	in, err := vendorkit.DecodeUsers[FederationUserInput](Vendor, users)
	if err != nil {
		return "", err
	}
	// The token is had first: a failure to get it (a 5xx, a timeout, the credentials provider) is then
	// known to come before createTask was sent, and package bulk submits the chunk again instead of
	// reporting its users unknown, Huawei having no call to find a task by.
	if _, _, err := b.accessToken(ctx); err != nil {
		return "", notSentError{err}
	}
	return b.Client.Submit(ctx, in)
}

// notSentError is a Submit error from before createTask was sent.
type notSentError struct{ err error }

func (e notSentError) Error() string { return e.err.Error() }
func (e notSentError) Unwrap() error { return e.err }

// NotSent tells package bulk that no task was started (see bulk.Vendor's Submit).
func (notSentError) NotSent() bool { return true }

// Classify returns the failCode and whether it is retryable (see retryableCodes).
func (*bulkAdapter) Classify(f sdk.Failure) (string, bool) { return f.Code, retryableCodes[f.Code] }

// Refused is false: Huawei documents no refusal for too many tasks.
func (*bulkAdapter) Refused(error) bool { return false }
