package oracle

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	gen "github.com/jobwatch/jobwatch/generated/oracle"
	"github.com/jobwatch/jobwatch/sdk/internal/vendorkit"
)

// maxFailedUsersCSV bounds the failed-users export FailedUsersCSV reads (16 MiB, far more than the
// rows of any job Oracle accepts); a larger answer is an error rather than a silent truncation.
const maxFailedUsersCSV = 16 << 20

// ErrFailedUsersCSV marks an export FailedUsersCSV could not read: too large, not CSV, or without the
// Username column that names the users.
var ErrFailedUsersCSV = errors.New("oracle: failed-users export unreadable")

// FailedUser is one row of Oracle's failed-users export (GET .../user/status/{jobId}/draft): a user the
// create or modify job failed for, with the columns of Oracle's documented example.
type FailedUser struct {
	LastName  string
	FirstName string
	Email     string
	// Username is the user's loginId, the User of the job's sdk.Failure for this user.
	Username string
	Company  string
	UserType string
	// Locked and Active read the YES/NO columns.
	Locked bool
	Active bool
	// Columns holds every column of the row by its header name, the ones above included, so that a
	// column Oracle adds later is not lost.
	Columns map[string]string
}

// FailedUsersCSV reads the job's failed users from Oracle's CSV export, Oracle's own answer to "which
// users failed". The export lists users of create and modify jobs only; failed deletions are in the
// status answer's deleteFailed. The answer is read whole, up to maxFailedUsersCSV. A job id is refused
// as Status refuses it, before anything is sent.
func (c *Client) FailedUsersCSV(ctx context.Context, jobID string) ([]FailedUser, error) {
	if err := vendorkit.CheckJobID(Vendor, jobID, -1, pathSeparators); err != nil {
		return nil, err // "..": /user/status/../draft would be another endpoint
	}
	var out []FailedUser
	err := vendorkit.Policy(c.set.Retry).Do(ctx, c.set.Logger, func(ctx context.Context) error {
		var (
			req *http.Request
			err error
		)
		if c.cfg.API == V3 {
			req, err = gen.NewGetUserJobFailedUsersV3Request(c.base.String(), jobID)
		} else {
			req, err = gen.NewGetUserJobFailedUsersRequest(c.base.String(), jobID)
		}
		if err == nil {
			req.Header.Set("Accept", "text/csv, text/plain, application/octet-stream")
		}
		resp, err := c.send(ctx, req, err)
		if err != nil {
			return vendorkit.ClassifyCallError(ctx, Vendor, "failed users", err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxFailedUsersCSV+1))
		if err != nil {
			return vendorkit.ClassifyCallError(ctx, Vendor, "failed users", err)
		}
		if resp.StatusCode != http.StatusOK {
			return vendorkit.ResponseError(Vendor, "failed users", resp, body, parseError)
		}
		if len(body) > maxFailedUsersCSV {
			return fmt.Errorf("%w: larger than %d MiB", ErrFailedUsersCSV, maxFailedUsersCSV>>20)
		}
		out, err = ParseFailedUsersCSV(bytes.NewReader(body))
		return err
	})
	return out, err
}

// ParseFailedUsersCSV reads a failed-users export: a header row, then one row per user. Columns are
// found by header name (case and surrounding spaces ignored); Username is required, the others may be
// missing. An empty export has no users.
func ParseFailedUsersCSV(r io.Reader) ([]FailedUser, error) {
	cr := csv.NewReader(io.LimitReader(r, maxFailedUsersCSV))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return []FailedUser{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: header: %w", ErrFailedUsersCSV, err)
	}
	for i, h := range header {
		header[i] = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
	}
	idx := map[string]int{}
	for i, h := range header {
		idx[strings.ToLower(h)] = i
	}
	if _, ok := idx["username"]; !ok {
		return nil, fmt.Errorf("%w: no Username column in header %q", ErrFailedUsersCSV, strings.Join(header, ","))
	}
	out := []FailedUser{}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrFailedUsersCSV, err)
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		col := func(name string) string {
			if i, ok := idx[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		u := FailedUser{LastName: col("last name"), FirstName: col("first name"), Email: col("email"), Username: col("username"),
			Company: col("company"), UserType: col("user type"), Locked: yes(col("locked")), Active: yes(col("active")),
			Columns: make(map[string]string, len(header))}
		if u.Username == "" {
			return nil, fmt.Errorf("%w: row %d has no Username", ErrFailedUsersCSV, line)
		}
		for i, h := range header {
			if i < len(rec) {
				u.Columns[h] = strings.TrimSpace(rec[i])
			}
		}
		out = append(out, u)
	}
}

func yes(v string) bool {
	switch strings.ToUpper(v) {
	case "YES", "Y", "TRUE":
		return true
	}
	return false
}
