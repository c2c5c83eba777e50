package tencent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	gen "github.com/jobwatch/jobwatch/generated/tencent"
	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/internal/vendorkit"
)

// Bulk limits of CreateApiImportUserJob (see package sdk/bulk for the table and sources).
const (
	// BulkUsersPerJob is how many users a bulk run puts in one import job: Tencent publishes no cap,
	// this is ours.
	BulkUsersPerJob = 1000
	// BulkJobsInFlight is the most import jobs that run at once: a third is refused with
	// FailedOperation.DataFlowTooManyRequests ("There are already two valid tasks").
	BulkJobsInFlight = 2
)

// retryableCodes are the documented error codes a retry can fix: internal errors, request limits, an
// unavailable resource, and the two-tasks refusal.
var retryableCodes = map[string]bool{
	CodeInternalError: true, CodeUnknownError: true, CodeRequestLimitExceeded: true, CodeFrequentRequest: true,
	CodeRepeatRequest: true, CodeResourceUnavailable: true, CodeDataFlowTooManyRequests: true,
}

// Bulk is Tencent's side of a bulk run (package sdk/bulk): the import job's limits and request rules,
// the user keys (the identification fields) and the error-code classes. ListJobs without ids finds the
// job of a submit whose answer was lost.
type Bulk struct{ c *Client }

// NewBulk returns the bulk adapter of c.
func NewBulk(c *Client) *Bulk { return &Bulk{c: c} }

// Vendor is "tencent".
func (b *Bulk) Vendor() string { return Vendor }

// UsersPerJob is BulkUsersPerJob.
func (b *Bulk) UsersPerJob() int { return BulkUsersPerJob }

// JobsInFlight is BulkJobsInFlight.
func (b *Bulk) JobsInFlight() int { return BulkJobsInFlight }

// identifiers returns an ImportUser's non-empty identification fields, in the order a failure is
// most likely to name them.
func identifiers(u *ImportUser) []string {
	var out []string
	for _, p := range []*string{u.UserName, u.Email, u.PhoneNumber, u.WechatOpenId, u.WechatUnionId, u.AlipayUserId,
		u.QqOpenId, u.QqUnionId, u.WeComUserId} {
		if p != nil && strings.TrimSpace(*p) != "" {
			out = append(out, *p)
		}
	}
	return out
}

// CheckUser checks an ImportUser by the documented rules: at least one identification field, an email
// address with an @, IdentityVerified true with its method, nameAndIdCard with Name and
// ResidentIdentityCard, nameIdCardAndPhone also with PhoneNumber. Its keys are the identification fields.
func (b *Bulk) CheckUser(user []byte) ([]string, error) {
	var u ImportUser
	if err := json.Unmarshal(user, &u); err != nil {
		return nil, fmt.Errorf("not an ImportUser: %v", err)
	}
	keys := identifiers(&u)
	if len(keys) == 0 {
		return nil, errors.New("one of UserName, PhoneNumber, Email, WechatOpenId, WechatUnionId, AlipayUserId, QqOpenId, QqUnionId, WeComUserId is required")
	}
	if u.Email != nil && *u.Email != "" && !strings.Contains(*u.Email, "@") {
		return nil, fmt.Errorf("email %q (Email) is not an email address", *u.Email)
	}
	if u.IdentityVerified != nil && *u.IdentityVerified {
		m := ""
		if u.IdentityVerificationMethod != nil {
			m = *u.IdentityVerificationMethod
		}
		empty := func(p *string) bool { return p == nil || *p == "" }
		switch {
		case m == "":
			return nil, errors.New("IdentityVerified true needs IdentityVerificationMethod")
		case (m == "nameAndIdCard" || m == "nameIdCardAndPhone") && (empty(u.Name) || empty(u.ResidentIdentityCard)):
			return nil, fmt.Errorf("IdentityVerificationMethod %s needs Name and ResidentIdentityCard", m)
		case m == "nameIdCardAndPhone" && empty(u.PhoneNumber):
			return nil, errors.New("IdentityVerificationMethod nameIdCardAndPhone needs PhoneNumber")
		}
	}
	return keys, nil
}

// Submit starts one import job for users (ImportUser objects).
func (b *Bulk) Submit(ctx context.Context, users [][]byte) (string, error) {
	in := make([]ImportUser, len(users))
	for i, u := range users {
		if err := json.Unmarshal(u, &in[i]); err != nil {
			return "", fmt.Errorf("tencent: user %d: %w", i+1, err)
		}
	}
	return b.c.Submit(ctx, in)
}

// Status is the client's Status.
func (b *Bulk) Status(ctx context.Context, jobID string) (*sdk.Job, error) {
	return b.c.Status(ctx, jobID)
}

// Classify returns a failure's code and whether it is retryable (see retryableCodes). FailedUsers
// carry a reason but no code: a reason that begins with a documented code ("InternalError: ...") is
// classified by that code; any other reason has no code and is permanent.
func (b *Bulk) Classify(f sdk.Failure) (string, bool) {
	code := f.Code
	if code == "" {
		head, _, _ := strings.Cut(strings.TrimSpace(f.Message), ":")
		if _, ok := codeMeanings[head]; ok {
			code = head
		}
	}
	return code, retryableCodes[code]
}

// Refused reports FailedOperation.DataFlowTooManyRequests: two import jobs already run.
func (b *Bulk) Refused(err error) bool {
	var ae *sdk.APIError
	return errors.As(err, &ae) && ae.Code == CodeDataFlowTooManyRequests
}

// JobsSince lists the user store's jobs (ListJobs without ids) created at or after since.
func (b *Bulk) JobsSince(ctx context.Context, since time.Time) ([]*sdk.Job, error) {
	c := b.c
	params := &gen.ListJobsParams{
		XTCAction: gen.ActionListJobs, XTCVersion: gen.ListJobsParamsXTCVersionVersion20220331,
		XTCRegion: c.cfg.Region, XTCTimestamp: c.now().Unix(), // set again by sign, when the request is sent
	}
	resp, err := c.list.ListJobsWithResponse(ctx, params, gen.ListJobsRequest{UserStoreId: c.cfg.UserStoreID})
	if err != nil {
		return nil, vendorkit.ClassifyCallError(ctx, Vendor, "list", err)
	}
	if resp.StatusCode() != http.StatusOK || resp.JSON200 == nil {
		return nil, responseError("list", resp.HTTPResponse, resp.Body)
	}
	r := resp.JSON200.Response
	if r.Error != nil {
		return nil, apiError("list", r.Error, r.RequestId)
	}
	var out []*sdk.Job
	if r.JobSet != nil {
		for i := range *r.JobSet {
			j := mapJob(&(*r.JobSet)[i])
			if j.Created != nil && !j.Created.Before(since) {
				out = append(out, j)
			}
		}
	}
	return out, nil
}

// StatusMany is the client's StatusMany: the engine polls all the jobs in flight in one ListJobs call.
func (b *Bulk) StatusMany(ctx context.Context, ids []string) (map[string]*sdk.Job, error) {
	return b.c.StatusMany(ctx, ids)
}
