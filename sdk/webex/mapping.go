package webex

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	gen "github.com/jobwatch/jobwatch/generated/webex"
	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/internal/vendorkit"
)

// mapJob maps a move-users job to an sdk.Job:
// STARTING pending, STARTED running, COMPLETED succeeded (partially_succeeded when the exit code is not a
// clean COMPLETED or counts.failed > 0), FAILED failed, ABANDONED or exit code STOPPED canceled, UNKNOWN
// and undocumented values unknown. Counts come from counts; progress is (moved+failed+skipped)/totalMoves.
func mapJob(j *gen.MoveUsersJob) *sdk.Job {
	exit := ""
	if j.LatestExecutionExitCode != nil {
		exit = string(*j.LatestExecutionExitCode)
	}
	out := &sdk.Job{Vendor: Vendor, ID: j.Id, VendorStatus: []string{string(j.LatestExecutionStatus)}, Raw: j}
	if exit != "" {
		out.VendorStatus = append(out.VendorStatus, exit)
	}
	out.State = state(j.LatestExecutionStatus, exit, j.Counts.Failed)

	c := j.Counts
	out.Counts = sdk.Counts{Total: vendorkit.Int(c.TotalMoves), Succeeded: vendorkit.Int(c.Moved), Failed: vendorkit.Int(c.Failed)}
	skipped := 0
	if c.Skipped != nil {
		skipped = *c.Skipped
	}
	if c.Pending != nil {
		out.Counts.Pending = vendorkit.Int(*c.Pending)
	} else if p := c.TotalMoves - c.Moved - c.Failed - skipped; p >= 0 && !out.State.Done() {
		out.Counts.Pending = vendorkit.Int(p)
	}
	if c.TotalMoves > 0 {
		p := float64(c.Moved+c.Failed+skipped) / float64(c.TotalMoves)
		out.Progress = &p
	}
	if e := latest(j.JobExecutionStatus); e != nil {
		out.Created, out.Started, out.Updated = e.CreatedTime, e.StartTime, e.LastUpdated
		if out.State.Done() {
			out.Finished = e.EndTime
		}
		if e.TimeElapsed != nil {
			if d, ok := parseISODuration(*e.TimeElapsed); ok {
				out.Elapsed = &d
			}
		}
	}
	return vendorkit.Finish(out)
}

func state(status gen.ExecutionStatus, exit string, failed int) sdk.State {
	if exit == string(gen.ExitCodeSTOPPED) || status == gen.ExecutionStatusABANDONED {
		return sdk.StateCanceled
	}
	switch status {
	case gen.ExecutionStatusSTARTING:
		return sdk.StatePending
	case gen.ExecutionStatusSTARTED:
		return sdk.StateRunning
	case gen.ExecutionStatusFAILED:
		return sdk.StateFailed
	case gen.ExecutionStatusCOMPLETED:
		if (exit != "" && exit != string(gen.ExitCodeCOMPLETED) && exit != string(gen.ExitCodeUNKNOWN)) || failed > 0 {
			return sdk.StatePartiallySucceeded
		}
		return sdk.StateSucceeded
	}
	return sdk.StateUnknown
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

// mapFailures turns the job's errors list into failures: the user is the item (empty when the error
// concerns no single user: it still carries its code and message); the code is the first error message's
// (the key, e.g. "400", when there is none, and errorType when there is neither); the message joins the
// error messages' descriptions. Items naming the same user are one failure with all of their messages, as
// Tencent's two lists are; items without a user stay one failure each.
func mapFailures(items []gen.JobErrorItem) []sdk.Failure {
	out := make([]sdk.Failure, 0, len(items))
	byUser := map[string]int{}
	for _, it := range items {
		f := sdk.Failure{Action: "move"}
		if it.Item != nil {
			f.User = *it.Item
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
		if f.User == "" {
			out = append(out, f)
			continue
		}
		i, dup := byUser[f.User]
		if !dup {
			byUser[f.User] = len(out)
			out = append(out, f)
			continue
		}
		prev := &out[i]
		if prev.Code == "" {
			prev.Code = f.Code
		}
		prev.Message = joinNew(prev.Message, f.Message)
	}
	return out
}

// joinNew appends msg to joined ("; " between) unless it is empty or already there.
func joinNew(joined, msg string) string {
	switch {
	case msg == "":
		return joined
	case joined == "":
		return msg
	}
	for _, m := range strings.Split(joined, "; ") {
		if m == msg {
			return joined
		}
	}
	return joined + "; " + msg
}

var isoDuration = regexp.MustCompile(`^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$`)

// parseISODuration reads an ISO-8601 duration of days, hours, minutes and seconds, such as "PT2.752S".
func parseISODuration(s string) (time.Duration, bool) {
	m := isoDuration.FindStringSubmatch(s)
	if m == nil || s == "P" || s == "PT" {
		return 0, false
	}
	var total float64 // nanoseconds, summed in floating point so that no overflow can wrap around
	for i, unit := range []time.Duration{24 * time.Hour, time.Hour, time.Minute, time.Second} {
		if m[i+1] == "" {
			continue
		}
		f, err := strconv.ParseFloat(m[i+1], 64)
		if err != nil {
			return 0, false
		}
		total += f * float64(unit)
	}
	if total >= math.MaxInt64 {
		return 0, false // longer than time.Duration holds (about 292 years): not a job's elapsed time
	}
	return time.Duration(total), true
}
