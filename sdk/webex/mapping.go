package webex

import (
	"encoding/base64"
	"strings"

	gen "github.com/jobwatch/jobwatch/generated/webex"
	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/internal/vendorkit"
)

// mapJob maps a move-users job to an sdk.Job. Webex's statuses are Spring Batch's (specs/SOURCES.md):
// STARTING pending, STARTED running (whatever the exit code: a resumed job's new execution runs),
// STOPPING and STOPPED paused (pauseMoveUsersJob; resumeMoveUsersJob runs it again), ABANDONED canceled;
// then a COMPLETED or FAILED job with the exit code STOPPED was stopped for good: canceled. COMPLETED is
// succeeded (failed when every move failed, partially_succeeded when the exit code is not a clean
// COMPLETED or counts.failed > 0), FAILED failed, UNKNOWN and undocumented values unknown. Counts come
// from counts; progress is (moved+failed+skipped)/totalMoves.
func mapJob(j *gen.MoveUsersJob) *sdk.Job {
	exit := ""
	if j.LatestExecutionExitCode != nil {
		exit = string(*j.LatestExecutionExitCode)
	}
	// One allocation holds every value the job points at: a poll's cost is mostly its allocations.
	m := new(mapped)
	out, v := &m.job, &m.values
	v.status[0] = string(j.LatestExecutionStatus)
	*out = sdk.Job{Vendor: Vendor, ID: j.Id, VendorStatus: v.status[:1:2]}
	if exit != "" {
		v.status[1] = exit
		out.VendorStatus = v.status[:2:2]
	}
	out.State = state(j.LatestExecutionStatus, exit, j.Counts)

	c := j.Counts
	v.total, v.succeeded, v.failed = c.TotalMoves, c.Moved, c.Failed
	out.Counts = sdk.Counts{Total: &v.total, Succeeded: &v.succeeded, Failed: &v.failed}
	skipped := 0
	if c.Skipped != nil {
		skipped = *c.Skipped
	}
	switch p := c.TotalMoves - c.Moved - c.Failed - skipped; {
	case c.Pending != nil:
		v.pending = *c.Pending
		out.Counts.Pending = &v.pending
	case out.State.Done():
		out.Counts.Pending = &v.pending // 0: a done job has nothing pending
	case p >= 0 && min(c.Moved, c.Failed, skipped) >= 0: // counts that do not add up derive nothing
		v.pending = p
		out.Counts.Pending = &v.pending
	}
	if c.TotalMoves > 0 {
		v.progress = float64(c.Moved+c.Failed+skipped) / float64(c.TotalMoves)
		out.Progress = &v.progress
	}
	if e := latest(j.JobExecutionStatus); e != nil {
		out.Created, out.Started, out.Updated = e.CreatedTime, e.StartTime, e.LastUpdated
		if out.State.Done() {
			out.Finished = e.EndTime
		}
	}
	return vendorkit.Finish(out)
}

// mapped is a job and the values it points at, allocated together.
type mapped struct {
	job    sdk.Job
	values jobValues
}

// jobValues backs the pointers and the vendor status of one mapped job.
type jobValues struct {
	status                            [2]string
	total, succeeded, failed, pending int
	progress                          float64
}

func state(status gen.ExecutionStatus, exit string, c gen.Counts) sdk.State {
	switch status {
	case gen.ExecutionStatusSTARTING:
		return sdk.StatePending
	case gen.ExecutionStatusSTARTED:
		return sdk.StateRunning
	case gen.ExecutionStatusSTOPPING, gen.ExecutionStatusSTOPPED:
		return sdk.StatePaused
	case gen.ExecutionStatusABANDONED:
		return sdk.StateCanceled
	}
	if exit == string(gen.ExitCodeSTOPPED) {
		return sdk.StateCanceled
	}
	switch status {
	case gen.ExecutionStatusFAILED:
		return sdk.StateFailed
	case gen.ExecutionStatusCOMPLETED:
		if c.Failed > 0 && c.Failed >= c.TotalMoves {
			return sdk.StateFailed // every move failed: failed, as on every vendor whose total is known
		}
		if (exit != "" && exit != string(gen.ExitCodeCOMPLETED) && exit != string(gen.ExitCodeUNKNOWN)) || c.Failed > 0 {
			return sdk.StatePartiallySucceeded
		}
		return sdk.StateSucceeded
	}
	return sdk.StateUnknown
}

// withErrors reports whether the job's exit code says its errors list has entries.
func withErrors(j *gen.MoveUsersJob) bool {
	return j.LatestExecutionExitCode != nil && *j.LatestExecutionExitCode == gen.ExitCodeCOMPLETEDWITHERRORS
}

// latest returns the execution with the highest id, the one latestExecutionStatus describes.
func latest(execs *[]gen.JobExecutionStatus) *gen.JobExecutionStatus {
	if execs == nil || len(*execs) == 0 {
		return nil
	}
	best := &(*execs)[0]
	for i := range *execs {
		e := &(*execs)[i]
		if e.Id != nil && (best.Id == nil || *e.Id > *best.Id) {
			best = e
		}
	}
	return best
}

// mapFailures turns the job's errors list into failures: the user is the item as submitted (the person
// id around a bare UUID, in the cluster of the job's sourceUserId; empty when the error concerns no single
// user: it still carries its code and message); the code is the first error message's
// (the key, e.g. "400", when there is none, and errorType when there is neither); the message joins the
// error messages' descriptions. Items naming the same user are one failure with all of their messages, as
// Tencent's two lists are; items without a user stay one failure each.
func mapFailures(items []gen.JobErrorItem, sourceUserID string) []sdk.Failure {
	var fs vendorkit.Failures
	fs.Grow(len(items))
	prefix := ""
	for _, it := range items {
		f := sdk.Failure{Action: "move"}
		if it.Item != nil {
			f.User = *it.Item
			if isUUID(f.User) {
				if prefix == "" {
					prefix = peoplePrefix(sourceUserID)
				}
				f.User = base64.RawStdEncoding.EncodeToString([]byte(prefix + f.User))
			}
		}
		var msgs []string
		if it.Error.Message != nil {
			for _, m := range *it.Error.Message {
				if f.Code == "" && m.Code != nil {
					f.Code = *m.Code
				}
				if m.Description != nil && *m.Description != "" {
					msgs = append(msgs, *m.Description)
				}
			}
		}
		if f.Code == "" && it.Error.Key != nil {
			f.Code = *it.Error.Key
		}
		if f.Code == "" && it.ErrorType != nil {
			f.Code = *it.ErrorType
		}
		f.Message = strings.Join(msgs, "; ")
		fs.Add(f)
	}
	return fs.List()
}

// peoplePrefix is the text Webex's person ids encode before the UUID, "ciscospark://<cluster>/PEOPLE/",
// taken from the person id sourceUserID (the administrator who ran the job, in the same cluster as the
// users moved), or that of Webex's documented ids ("us") when sourceUserID is not a person id.
func peoplePrefix(sourceUserID string) string {
	const fallback = "ciscospark://us/PEOPLE/"
	raw, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(sourceUserID, "="))
	if err != nil || !strings.HasPrefix(string(raw), "ciscospark://") {
		return fallback
	}
	i := strings.LastIndex(string(raw), "/PEOPLE/")
	if i < 0 {
		return fallback
	}
	return string(raw[:i+len("/PEOPLE/")])
}

// isUUID reports whether s is a UUID in its canonical text form (8-4-4-4-12 hex digits), as the errors
// list names a user.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case (c < '0' || c > '9') && (c < 'a' || c > 'f') && (c < 'A' || c > 'F'):
			return false
		}
	}
	return true
}
