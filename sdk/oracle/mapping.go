package oracle

import (
	"github.com/jobwatch/jobwatch/sdk/internal/vendorkit"

	"strconv"

	gen "github.com/jobwatch/jobwatch/generated/oracle"
	"github.com/jobwatch/jobwatch/sdk"
)

// mapStatus maps a status answer to an sdk.Job: 202 running; 200 succeeded, or partially_succeeded
// when deleteFailed is non-empty or exception is set, or failed when that is so and no user succeeded.
// The failures come from deleteFailed (one per user, by loginId) and exception (one for the job).
func mapStatus(jobID string, status int, body *gen.UserDataStore, location string) *sdk.Job {
	j := &sdk.Job{Vendor: Vendor, ID: jobID, VendorStatus: []string{strconv.Itoa(status)}, Raw: body, NextPoll: location}
	if status == 202 {
		j.State = sdk.StateRunning
		return vendorkit.Finish(j)
	}
	succeeded := count(body.Added) + count(body.Modified)
	if body.Deleted != nil {
		succeeded += len(*body.Deleted)
	}
	if body.DeleteFailed != nil {
		for _, u := range *body.DeleteFailed {
			f := sdk.Failure{User: u.LoginId, Action: "delete"}
			if u.StatusInfo != nil {
				f.Message = *u.StatusInfo
			}
			j.Failures = append(j.Failures, f)
		}
	}
	failedUsers := len(j.Failures)
	exception := body.Exception != nil && *body.Exception != ""
	if exception {
		j.Failures = append(j.Failures, sdk.Failure{Message: *body.Exception})
	}
	j.Counts = sdk.Counts{Total: vendorkit.Int(succeeded + failedUsers), Succeeded: vendorkit.Int(succeeded), Failed: vendorkit.Int(failedUsers)}
	switch {
	case failedUsers == 0 && !exception:
		j.State = sdk.StateSucceeded
	case succeeded == 0:
		j.State = sdk.StateFailed
	default:
		j.State = sdk.StatePartiallySucceeded
	}
	if j.Counts.Total != nil && *j.Counts.Total > 0 {
		p := 1.0
		j.Progress = &p
	}
	return vendorkit.Finish(j)
}

func count(p *[]gen.UserRO) int {
	if p == nil {
		return 0
	}
	return len(*p)
}
