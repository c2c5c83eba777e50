package sdk

import "time"

// State is where a job stands, the same set for every vendor.
type State string

// The states of a job. Done states are Succeeded, PartiallySucceeded, Failed and Canceled.
const (
	StatePending State = "pending"
	StateRunning State = "running"
	// StatePaused is a job that stopped on request and can be resumed: not done, so a wait keeps
	// waiting (until its max wait) while progress events report it. Only Webex reaches it today: a move
	// users job paused with pauseMoveUsersJob reports latestExecutionStatus STOPPING (pausing) or
	// STOPPED (paused, until resumeMoveUsersJob starts a new execution); an abandoned job is ABANDONED,
	// which is StateCanceled.
	StatePaused             State = "paused"
	StateSucceeded          State = "succeeded"
	StatePartiallySucceeded State = "partially_succeeded"
	StateFailed             State = "failed"
	StateCanceled           State = "canceled"
	// StateUnknown is a status the spec does not list; the job is not done and the vendor's value is
	// kept in Job.VendorStatus.
	StateUnknown State = "unknown"
)

// Done reports whether a job in this state will not change any more.
func (s State) Done() bool {
	switch s {
	case StateSucceeded, StatePartiallySucceeded, StateFailed, StateCanceled:
		return true
	}
	return false
}

// Counts are the job's user counts. A nil field is a count the vendor does not report: unknown, not zero.
// The counts are the vendor's, as it sent them, even when they do not add up: a negative count, or
// succeeded, failed and pending summing to more than Total, is kept as reported (it is the vendor's
// word, and what its support would ask about), and Pending is then left nil where it would have been
// derived from the others. Job.Progress is derived from them bounded to [0, 1].
type Counts struct {
	Total     *int `json:"total"`
	Succeeded *int `json:"succeeded"`
	Failed    *int `json:"failed"`
	Pending   *int `json:"pending"`
}

// Failure is one user the job failed for.
type Failure struct {
	// User identifies the user as the vendor does (Oracle loginId, Huawei userAccount, Tencent
	// FailedUserIdentification or UserId); empty when the failure concerns the whole job. For Webex it
	// is the userId as submitted: Webex's errors list names a user by the bare UUID inside the base64
	// person id that Submit takes, and the sdk turns it back into that person id.
	User string `json:"user"`
	// Action is what was attempted (e.g. CREATE, delete), where the vendor says.
	Action string `json:"action"`
	// Code is the vendor's failure code, where it gives one.
	Code string `json:"code"`
	// Message says why, in the vendor's words (or the documented meaning of Code).
	Message string `json:"message"`
}

// Job is one bulk user job as jobwatch sees it, whichever vendor runs it.
type Job struct {
	// Vendor names the vendor package that produced the job ("oracle", "huawei", "webex", "tencent").
	Vendor string `json:"vendor"`
	ID     string `json:"id"`
	State  State  `json:"state"`
	// Done is State.Done(), kept as a field for JSON consumers.
	Done     bool      `json:"done"`
	Counts   Counts    `json:"counts"`
	Failures []Failure `json:"failures"`
	// Progress is the fraction of users processed, 0 to 1, where the vendor reports enough to derive it.
	// It never leaves [0, 1]: counts that are negative or exceed the total (see Counts) give 0 or 1.
	Progress *float64 `json:"progress"`

	Created  *time.Time `json:"created"`
	Started  *time.Time `json:"started"`
	Updated  *time.Time `json:"updated"`
	Finished *time.Time `json:"finished"`

	// VendorStatus holds the vendor's raw status values (e.g. Webex's latestExecutionStatus and exit
	// code, Oracle's HTTP status), verbatim.
	VendorStatus []string `json:"vendor_status"`
}

// ranFor is how long the job has run by the vendor's own clock, from its start to its last update
// (Webex's startTime and lastUpdated); false when the vendor does not report both. The schedule aims
// its polls with it where the vendor also reports progress: both come from the same answer, so no
// clock skew or request latency enters the estimate.
func (j *Job) ranFor() (time.Duration, bool) {
	if j.Started == nil || j.Updated == nil || !j.Updated.After(*j.Started) {
		return 0, false
	}
	return j.Updated.Sub(*j.Started), true
}

// finish fills the derived fields of a job sdk builds itself (e.g. one rebuilt from a Watcher's
// summary): Done from State, a zero pending count for a done job of known total, and non-nil
// Failures. It is the rule vendor packages apply through sdk/internal/vendorkit.Finish, which cannot
// call an unexported method: keep the two in step.
func (j *Job) finish() *Job {
	j.Done = j.State.Done()
	if j.Done && j.Counts.Pending == nil && j.Counts.Total != nil {
		j.Counts.Pending = intp(0)
	}
	if j.Failures == nil {
		j.Failures = []Failure{}
	}
	return j
}

// intp returns a pointer to n, for building Counts.
func intp(n int) *int { return &n }
