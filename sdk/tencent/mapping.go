package tencent

import (
	"time"

	gen "github.com/jobwatch/jobwatch/generated/tencent"
	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/internal/vendorkit"
)

// states maps every documented Job.Status to a jobwatch state (COMPLETED is refined by failures).
var states = map[gen.JobStatus]sdk.State{
	gen.JobStatusPENDING:    sdk.StatePending,
	gen.JobStatusPROCESSING: sdk.StateRunning,
	gen.JobStatusCOMPLETED:  sdk.StateSucceeded,
	gen.JobStatusFAILED:     sdk.StateFailed,
}

// mapJob maps a ListJobs job to an sdk.Job: COMPLETED with FailedUsers or ErrorDetails is
// partially_succeeded, and the failures come from both lists, one per user: a user named in both lists is
// one failure whose message joins both ("; "). An undocumented status is unknown.
func mapJob(j *gen.Job) *sdk.Job {
	out := &sdk.Job{Vendor: Vendor, ID: j.Id, VendorStatus: []string{string(j.Status)}}
	state, ok := states[j.Status]
	if !ok {
		state = sdk.StateUnknown
	}
	if j.CreatedDate != nil {
		t := time.UnixMilli(*j.CreatedDate).UTC()
		out.Created = &t
	}
	// A user named by both FailedUsers and ErrorDetails (the official example does so) is one failure
	// with both messages; entries without a user stay one failure per distinct message.
	var fs vendorkit.Failures
	n := 0
	if j.FailedUsers != nil {
		n += len(*j.FailedUsers)
	}
	if j.ErrorDetails != nil {
		n += len(*j.ErrorDetails)
	}
	fs.Grow(n)
	seenAnon := map[string]bool{}
	add := func(user, msg string) {
		if user == "" {
			if seenAnon[msg] {
				return
			}
			seenAnon[msg] = true
		}
		fs.Add(sdk.Failure{User: user, Action: actionOf(j.Type), Message: msg})
	}
	if j.FailedUsers != nil {
		for _, f := range *j.FailedUsers {
			add(deref(f.FailedUserIdentification), deref(f.FailedReason))
		}
	}
	if j.ErrorDetails != nil {
		for _, e := range *j.ErrorDetails {
			add(deref(e.UserId), deref(e.Error))
		}
	}
	out.Failures = fs.List()
	if state == sdk.StateSucceeded && len(out.Failures) > 0 {
		state = sdk.StatePartiallySucceeded
	}
	out.State = state
	if state.Done() {
		out.Counts.Failed = vendorkit.Int(len(out.Failures))
	}
	return vendorkit.Finish(out)
}

func actionOf(t *gen.JobType) string {
	if t == nil {
		return ""
	}
	return string(*t)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
