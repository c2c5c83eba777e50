package sdk

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Sentinel errors, matched with errors.Is against an *APIError (or any error wrapping one).
var (
	ErrNotFound     = errors.New("not found")
	ErrUnauthorized = errors.New("unauthorized")
	ErrRateLimited  = errors.New("rate limited")
	// ErrInvalidInput is matched by a vendor's refusal of a request (400, 422, or its code for an
	// invalid parameter), and by the error of a call that refused what it was given before sending
	// anything: a job id that is empty, blank or a dot segment ("." or "..", plain or percent-encoded),
	// or an Oracle job id holding a slash. Those ids would reach another endpoint of the vendor, with
	// the credentials. It also matches the error of a bad resume token, or a job added twice to a Watcher.
	ErrInvalidInput = errors.New("invalid input")
	ErrServerError  = errors.New("server error")
	// ErrBodyTooLarge is returned when a response body exceeds the configured size cap.
	ErrBodyTooLarge = errors.New("response body exceeds the size cap")
	// ErrUnexpectedResponse marks a response the spec does not describe: an undocumented status, a
	// non-JSON body, or a body missing what the spec requires.
	ErrUnexpectedResponse = errors.New("unexpected response")
	// ErrCrossOriginRedirect is wrapped by the *TransportError of a call that a server redirected to
	// another origin (scheme, host or port), or from https to http. Such a redirect is never followed,
	// so no credential leaves the origin it was configured for. It is final, never retried.
	ErrCrossOriginRedirect = errors.New("redirect to another origin refused")
	// ErrInvalidOption matches the error of every bad option (a client's Option, a WaitOptions or
	// WatcherOptions field); the error names the option, e.g. "sdk.WaitOptions.MinDelay: must not be
	// negative".
	ErrInvalidOption = errors.New("invalid option")
)

// APIError is a failure reported by a vendor, or a response jobwatch could not accept. Match it with
// errors.As; match its kind with errors.Is and the sentinels above.
type APIError struct {
	// Vendor names the vendor ("oracle", "huawei", "webex", "tencent").
	Vendor string
	// Operation is the call that failed, e.g. "status" or "submit".
	Operation string
	// StatusCode is the HTTP status (200 for errors reported in a 200 body, as Tencent and Huawei do).
	StatusCode int
	// Code is the vendor's error code (Tencent Response.Error.Code, Huawei resultCode, Webex errors code).
	Code string
	// Message is the vendor's message.
	Message string
	// RequestID is the vendor's request or tracking id, to quote to its support.
	RequestID string
	// RetryAfter is how long the vendor asked to wait, zero if it did not say.
	RetryAfter time.Duration
	// Kind is the sentinel this error matches (ErrNotFound, ...), nil when none fits.
	Kind error
	// Err is an underlying cause, e.g. ErrUnexpectedResponse or ErrBodyTooLarge.
	Err error
}

// Error says which vendor, which call, the status and the vendor's code and message. It never holds a
// credential: messages come from the vendor's answer, never from the request.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString(e.Vendor)
	if e.Operation != "" {
		b.WriteString(" " + e.Operation)
	}
	fmt.Fprintf(&b, ": HTTP %d", e.StatusCode)
	if e.Code != "" {
		b.WriteString(" code " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	if e.RequestID != "" {
		b.WriteString(" (request " + e.RequestID + ")")
	}
	return b.String()
}

// Unwrap exposes the kind and the cause to errors.Is and errors.As.
func (e *APIError) Unwrap() []error {
	var out []error
	if e.Kind != nil {
		out = append(out, e.Kind)
	}
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}

// RetryableError reports whether retrying the same call may succeed (IsTemporary reads it, as
// aws-sdk-go-v2's retryer reads an error's RetryableError). It follows the kind as well as the HTTP
// status: rate limiting, a locked resource and server or gateway failures (429, 423, 500, 502, 503,
// 504), and an error a vendor reports in a 200 body whose kind is ErrRateLimited or ErrServerError
// (Tencent's InternalError, Huawei's internal system error). Other 5xx statuses (501 Not Implemented,
// 505, ...) and an oversized body are final.
func (e *APIError) RetryableError() bool {
	if errors.Is(e.Err, ErrBodyTooLarge) {
		return false
	}
	switch e.StatusCode {
	case http.StatusTooManyRequests, http.StatusLocked, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	if e.StatusCode >= 500 {
		return false
	}
	return e.Kind == ErrRateLimited || e.Kind == ErrServerError
}

// TransportError is a request that got no usable HTTP answer: refused, reset, timed out, or cut short.
type TransportError struct {
	Vendor    string
	Operation string
	Err       error
}

// Error says which vendor and call, and the cause; it never holds a credential.
func (e *TransportError) Error() string {
	return fmt.Sprintf("%s %s: transport: %v", e.Vendor, e.Operation, e.Err)
}

// Unwrap returns the cause.
func (e *TransportError) Unwrap() error { return e.Err }

// Errors of a wait (Wait, a Watcher's results, a Planner's end), matched with errors.Is. The wait
// returns them with the final or last job seen.
var (
	// ErrJobFailed matches the error of a job that ended failed.
	ErrJobFailed = errors.New("job failed")
	// ErrJobCanceled matches the error of a job that ended canceled.
	ErrJobCanceled = errors.New("job canceled")
	// ErrWaitTimeout matches the error of a wait whose max wait or context deadline ran out before the
	// job was done; it also matches context.DeadlineExceeded, and wraps the last poll's error, if any.
	ErrWaitTimeout = errors.New("wait timed out")
	// ErrWatcherClosed is returned by a Watcher's Add after Close.
	ErrWatcherClosed = errors.New("watcher is closed")
)

// jobError is a wait's error for a job that ended failed or canceled.
type jobError struct{ job *Job }

// Error says which job ended failed or canceled, and how many users failed when the vendor says.
func (e *jobError) Error() string {
	return fmt.Sprintf("%s job %s ended %s%s", e.job.Vendor, e.job.ID, e.job.State, failedSuffix(e.job))
}

func failedSuffix(j *Job) string {
	if j.Counts.Failed != nil {
		return fmt.Sprintf(" (%d users failed)", *j.Counts.Failed)
	}
	if n := len(j.Failures); n > 0 {
		return fmt.Sprintf(" (%d failures)", n)
	}
	return ""
}

// Is matches ErrJobFailed or ErrJobCanceled, by the job's state.
func (e *jobError) Is(target error) bool {
	return (target == ErrJobFailed && e.job.State == StateFailed) || (target == ErrJobCanceled && e.job.State == StateCanceled)
}

// FailuresError is a poll's error for a job that is done but whose per-user failures could not be
// read, as when Webex's errors list, a second call, fails. Job is the job as read: its id, state,
// counts and times; its Failures list is empty because who failed is not known, not because nobody
// did. Err is why the failures could not be read.
//
// When Err is final, Wait, the Watcher and the Planner end with Job and this error, so that the job's
// end is not lost with the call. When it is temporary (as a wait judges poll errors: IsTemporary, or
// an answer that is not the documented JSON) they poll again, within WaitOptions.MaxTransientErrors; a wait
// that then ends on that bound or on its deadline reports Job as its last job. A Poller of one's own
// must set Job.ID to the polled job's id and return a done Job; otherwise this is a plain error.
//
// It does not unwrap to Err: Err concerns the failures list, not the job, and matching it with
// errors.Is as ErrNotFound or ErrUnauthorized would say that the job is unknown or the credentials
// wrong. Read Err for its details. IsTemporary follows Err. Like a failed job's error, it matches ErrJobFailed
// or ErrJobCanceled by the job's state.
type FailuresError struct {
	Job *Job
	Err error
}

// Error names the job, its state and failed count, and why its failures could not be read.
func (e *FailuresError) Error() string {
	if e.Job == nil {
		return fmt.Sprintf("a done job's failures could not be read: %v", e.Err)
	}
	return fmt.Sprintf("%s job %s is %s%s, but who failed could not be read: %v", e.Job.Vendor, e.Job.ID, e.Job.State, failedSuffix(e.Job), e.Err)
}

// Is matches ErrJobFailed or ErrJobCanceled, by the job's state.
func (e *FailuresError) Is(target error) bool {
	return e.Job != nil && (&jobError{job: e.Job}).Is(target)
}

// waitTimeoutError is a wait's error when its budget or its context's deadline ran out first.
type waitTimeoutError struct {
	vendor, jobID string
	waited        time.Duration // across resumes
	state         State         // of the last job seen, "" if no poll succeeded
	cause         error         // the last poll's error, if the last poll failed
}

// Error says which job, how long the wait lasted, the last state and the last error seen.
func (e *waitTimeoutError) Error() string {
	s := fmt.Sprintf("%s job %s: %v after %s", e.vendor, e.jobID, ErrWaitTimeout, e.waited.Round(time.Millisecond))
	if e.state != "" {
		s += fmt.Sprintf(" (last state %s)", e.state)
	}
	if e.cause != nil {
		s += ": last error: " + e.cause.Error()
	}
	return s
}

// Is matches ErrWaitTimeout and context.DeadlineExceeded.
func (e *waitTimeoutError) Is(target error) bool {
	return target == ErrWaitTimeout || target == context.DeadlineExceeded
}

// Unwrap returns the last poll's error, if any.
func (e *waitTimeoutError) Unwrap() error { return e.cause }

// errResumeToken is wrapped by every error about a resume token: corrupt, of another vendor or job,
// or of a version this jobwatch does not read.
var errResumeToken = fmt.Errorf("%w: resume token", ErrInvalidInput)

// errBrokenPoller is wrapped, beside ErrUnexpectedResponse, by the error of a Poller that broke its
// contract (neither a job nor an error, a Poller the Watcher cannot key jobs by): final, unlike other
// unexpected answers, since asking again gets the same.
var errBrokenPoller = errors.New("poller broke its contract")
