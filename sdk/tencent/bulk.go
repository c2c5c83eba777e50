package tencent

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	gen "github.com/jobwatch/jobwatch/generated/tencent"
	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/internal/vendorkit"
)

// bulkLimits are CreateApiImportUserJob's (see package sdk/bulk for the table and sources): 1000 users
// a job (Tencent publishes no cap, this is ours), and 2 jobs running, a third being refused with
// FailedOperation.DataFlowTooManyRequests ("There are already two valid tasks").
var bulkLimits = vendorkit.BulkLimits{PerJob: 1000, InFlight: 2}

// retryableCodes are the documented error codes a retry can fix: internal errors, request limits, an
// unavailable resource, and the two-tasks refusal.
var retryableCodes = map[string]bool{
	codeInternalError: true, codeUnknownError: true, codeRequestLimitExceeded: true, codeFrequentRequest: true,
	codeRepeatRequest: true, codeResourceUnavailable: true, codeDataFlowTooManyRequests: true,
}

// bulkAdapter is Tencent's side of a bulk run. Its Vendor, Status and StatusMany (all the jobs in
// flight in one ListJobs call) are the client's.
type bulkAdapter struct {
	*Client
	vendorkit.BulkLimits
}

// NewBulk returns c's adapter for package sdk/bulk: a bulk.Vendor and bulk.Lister with the import
// job's limits and request rules, the user keys (the identification fields) and the error-code
// classes. ListJobs without ids finds the job of a submit whose answer was lost.
func NewBulk(c *Client) *bulkAdapter { return &bulkAdapter{Client: c, BulkLimits: bulkLimits} }

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
func (*bulkAdapter) CheckUser(user []byte) ([]string, error) {
	u, err := vendorkit.DecodeUser[ImportUser](user, "an ImportUser")
	if err != nil {
		return nil, err
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
func (b *bulkAdapter) Submit(ctx context.Context, users [][]byte) (string, error) {
	in, err := vendorkit.DecodeUsers[ImportUser](Vendor, users)
	if err != nil {
		return "", err
	}
	return b.Client.Submit(ctx, in)
}

// Classify returns a failure's code and whether it is retryable (see retryableCodes). FailedUsers
// carry a reason but no code: a reason that begins with a documented code ("InternalError: ...") is
// classified by that code; any other reason has no code and is permanent.
func (*bulkAdapter) Classify(f sdk.Failure) (string, bool) {
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
func (*bulkAdapter) Refused(err error) bool {
	var ae *sdk.APIError
	return errors.As(err, &ae) && ae.Code == codeDataFlowTooManyRequests
}

// JobsSince lists the user store's jobs (ListJobs without ids) created at or after since.
func (b *bulkAdapter) JobsSince(ctx context.Context, since time.Time) ([]*sdk.Job, error) {
	c := b.Client
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
