package oracle

import (
	"strconv"
	"strings"

	gen "github.com/jobwatch/jobwatch/generated/oracle"
	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/internal/vendorkit"
)

// mapStatus maps a status answer to an sdk.Job: 202 is running; 200 is done, and its state follows
// from the failure signals Oracle documents for the user-status answer:
//
//   - a record in added or modified whose statusInfoOK is false, or, when statusInfoOK is absent, whose
//     statusInfo is non-empty. Oracle's documented success answer carries statusInfo "" and its
//     failed-users guide shows a user left in added with statusInfo "User created, but Application
//     Access failed"; no documented answer carries a non-empty statusInfo on success, so any text there
//     is read as a failure unless Oracle itself says statusInfoOK: true, which always wins. Such a user
//     counts as failed (the record was saved, but not as asked), action "add" or "modify";
//   - every record in deleteFailed (action "delete");
//   - a non-empty exception, which is one failure for the whole job (no user named).
//
// deleted lists login ids only (List<string> in the reference), so it carries no per-user signal.
// A user reported twice for the same action (e.g. listed twice in added, each with its statusInfo) is
// one failure with both messages, joined by "; ". The job is succeeded with no failure,
// partially_succeeded when some user succeeded, failed when none did.
func mapStatus(jobID string, status int, body *gen.UserDataStore) *sdk.Job {
	j := &sdk.Job{Vendor: Vendor, ID: jobID, VendorStatus: []string{strconv.Itoa(status)}}
	if status == 202 {
		j.State = sdk.StateRunning
		return vendorkit.Finish(j)
	}
	var fs vendorkit.Failures
	succeeded := 0
	for _, l := range []struct {
		action string
		users  *[]gen.UserRO
	}{{"add", body.Added}, {"modify", body.Modified}} {
		if l.users == nil {
			continue
		}
		for _, u := range *l.users {
			if msg, failed := recordFailed(u); failed {
				fs.Add(sdk.Failure{User: u.LoginId, Action: l.action, Message: msg})
			} else {
				succeeded++
			}
		}
	}
	if body.Deleted != nil {
		succeeded += len(*body.Deleted)
	}
	if body.DeleteFailed != nil {
		for _, u := range *body.DeleteFailed {
			msg := ""
			if u.StatusInfo != nil {
				msg = strings.TrimSpace(*u.StatusInfo)
			}
			fs.Add(sdk.Failure{User: u.LoginId, Action: "delete", Message: msg})
		}
	}
	j.Failures = fs.List()
	failedUsers := len(j.Failures)
	exception := body.Exception != nil && strings.TrimSpace(*body.Exception) != ""
	if exception {
		j.Failures = append(j.Failures, sdk.Failure{Message: strings.TrimSpace(*body.Exception)})
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

// recordFailed reports whether Oracle marked a user record of added or modified as failed, and why:
// statusInfoOK false, or (statusInfoOK absent) a non-empty statusInfo. See mapStatus for the reasons.
func recordFailed(u gen.UserRO) (message string, failed bool) {
	info := ""
	if u.StatusInfo != nil {
		info = strings.TrimSpace(*u.StatusInfo)
	}
	if u.StatusInfoOK != nil {
		if !*u.StatusInfoOK && info == "" {
			info = "statusInfoOK is false"
		}
		return info, !*u.StatusInfoOK
	}
	return info, info != ""
}
