package webex

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	gen "github.com/jobwatch/jobwatch/generated/webex"
	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/internal/vendorkit"
)

// bulkLimits are move-users jobs' (see package sdk/bulk for the table and sources): at most 100 users
// a job, and 4 jobs running, Webex publishing no cap (a conservative default).
var bulkLimits = vendorkit.BulkLimits{PerJob: 100, InFlight: 4}

// bulkListMax is the page size of the list call that finds a job whose start answer was lost, and
// bulkListPages the most pages read.
const (
	bulkListMax   = 1000
	bulkListPages = 20
)

// bulkAdapter is Webex's side of a bulk run, moving users to location. Its Vendor and Status (with the
// errors list of a job that has failed moves) are the client's.
type bulkAdapter struct {
	*Client
	vendorkit.BulkLimits
	location string
}

// NewBulk returns c's adapter for package sdk/bulk, moving users to locationID: a bulk.Vendor and
// bulk.Lister with the move-users job's limits and request rules, the user key (the person id,
// userId) and the failure classes. Its list call finds the job of a start whose answer was lost.
func NewBulk(c *Client, locationID string) *bulkAdapter {
	return &bulkAdapter{Client: c, BulkLimits: bulkLimits, location: locationID}
}

// CheckUser checks a UserItem: userId is required; phoneNumber, when not empty, is E.164 (+ and 1 to 15
// digits); extension, when not empty, is digits. The key is userId.
func (*bulkAdapter) CheckUser(user []byte) ([]string, error) {
	u, err := vendorkit.DecodeUser[UserItem](user, "a UserItem")
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(u.UserId) == "" {
		return nil, errors.New("userId is required")
	}
	if p := u.PhoneNumber; p != nil && *p != "" {
		d, ok := strings.CutPrefix(*p, "+")
		if !ok || len(d) < 1 || len(d) > 15 || !digits(d) {
			return nil, fmt.Errorf("phoneNumber %q is not E.164 (+ and up to 15 digits)", *p)
		}
	}
	if e := u.Extension; e != nil && *e != "" && !digits(*e) {
		return nil, fmt.Errorf("extension %q is not digits", *e)
	}
	return []string{u.UserId}, nil
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// Submit starts one move-users job for users (UserItem objects) to the adapter's location.
func (b *bulkAdapter) Submit(ctx context.Context, users [][]byte) (string, error) {
	in, err := vendorkit.DecodeUsers[UserItem](Vendor, users)
	if err != nil {
		return "", err
	}
	return b.Client.Submit(ctx, b.location, in)
}

// Classify returns the failure's code and whether it is retryable: the HTTP-like codes of Webex's
// common response-code table that mean "try again" (429 and 500, 502, 503, 504). Webex documents no
// per-user codes of move-users jobs; every other code is permanent.
func (*bulkAdapter) Classify(f sdk.Failure) (string, bool) {
	switch f.Code {
	case "429", "500", "502", "503", "504":
		return f.Code, true
	}
	return f.Code, false
}

// Refused is false: Webex documents no refusal for too many jobs (its 429 is a request rate, which the
// engine treats as a refusal by its status).
func (*bulkAdapter) Refused(error) bool { return false }

// JobsSince lists the organization's move-users jobs created at or after since, page by page (start and
// max, bulkListMax a page, at most bulkListPages pages: Webex does not say in which order it lists them).
func (b *bulkAdapter) JobsSince(ctx context.Context, since time.Time) ([]*sdk.Job, error) {
	var out []*sdk.Job
	seen := map[string]bool{}
	for page, start := 0, 0; page < bulkListPages; page++ {
		resp, err := b.gen.ListMoveUsersJobsWithResponse(ctx, &gen.ListMoveUsersJobsParams{OrgId: b.org(), Start: vendorkit.Int(start), Max: vendorkit.Int(bulkListMax)})
		if err != nil {
			return nil, vendorkit.ClassifyCallError(ctx, Vendor, "list", err)
		}
		if resp.JSON200 == nil {
			return nil, responseError("list", resp.HTTPResponse, resp.Body)
		}
		items := resp.JSON200.Items
		if len(items) > 0 && seen[items[0].Id] {
			break // a server that ignores start answers the first page again
		}
		for i := range items {
			// Only what finding a job needs: its id, when it was created and how many users it moves.
			it := &items[i]
			seen[it.Id] = true
			total := it.Counts.TotalMoves
			j := &sdk.Job{Vendor: Vendor, ID: it.Id, Counts: sdk.Counts{Total: &total}}
			if e := latest(it.JobExecutionStatus); e != nil {
				j.Created = e.CreatedTime
			}
			if j.Created != nil && !j.Created.Before(since) {
				out = append(out, j)
			}
		}
		if len(items) < bulkListMax {
			break
		}
		start += len(items)
	}
	return out, nil
}
