package sdk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/jobwatch/jobwatch/sdk/internal/access"
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
	// ErrBodyTooLarge is returned when a response body exceeds the configured size cap
	// (ClientOptions.MaxBodyBytes).
	ErrBodyTooLarge = errors.New("response body exceeds the size cap")
	// ErrUnexpectedResponse marks a response the spec does not describe: an undocumented status, a
	// non-JSON body, a body missing what the spec requires, or a redirect to another origin (scheme,
	// host or port) or from https to http. Such a redirect is never followed, so that no credential
	// leaves the origin it was configured for; its error says "redirect to another origin refused" and
	// is final, never retried by a client.
	ErrUnexpectedResponse = errors.New("unexpected response")
	// ErrInvalidOption matches the error of every bad option (a ClientOptions, WaitOptions or
	// WatcherOptions field); the error names the field, e.g. "sdk.WaitOptions.MinDelay: must not be
	// negative".
	ErrInvalidOption = errors.New("invalid option")
)

// APIError is a vendor call that failed: an answer the vendor gave (StatusCode is its HTTP status), or
// no usable answer at all (StatusCode 0: refused, reset, timed out, cut short or redirected elsewhere,
// its cause reachable with errors.As and errors.Is through Unwrap). Match it with errors.As; match its
// kind with errors.Is and the sentinels above.
type APIError struct {
	// Vendor names the vendor ("oracle", "huawei", "webex", "tencent").
	Vendor string
	// Operation is the call that failed, e.g. "status" or "submit".
	Operation string
	// StatusCode is the HTTP status (200 for errors reported in a 200 body, as Tencent and Huawei do),
	// 0 when no usable answer came.
	StatusCode int
	// Code is the vendor's error code (Tencent Response.Error.Code, Huawei resultCode, Webex errors code).
	Code string
	// Message is the vendor's message.
	Message string
	// RequestID is the vendor's request or tracking id, to quote to its support.
	RequestID string
	// RetryAfter is how long the vendor asked to wait, zero if it did not say.
	RetryAfter time.Duration

	// kind is the sentinel this error matches (ErrNotFound, ...) where the vendor's code says more than
	// the status; nil means the status's (kindForStatus).
	kind error
	// err is the cause: ErrUnexpectedResponse or ErrBodyTooLarge wrapped with details, or why no
	// answer came (noAnswer).
	err      error
	noAnswer bool
}

func init() {
	// The vendor packages build errors through sdk/internal/vendorkit, which sets the unexported
	// fields through this hook: users match kinds and causes, they do not set them.
	access.SetCause = func(e error, kind, cause error) {
		switch e := e.(type) {
		case *APIError:
			e.kind, e.err = kind, cause
		case *FailuresError:
			e.err = cause
		default:
			panic(fmt.Sprintf("sdk: access.SetCause on a %T", e))
		}
	}
	access.SetNoAnswer = func(e error, cause error) {
		ae := e.(*APIError)
		ae.err, ae.noAnswer = cause, true
	}
}

// Error says which vendor, which call, the status and the vendor's code and message, or why no answer
// came. It never holds a credential: messages come from the vendor's answer, never from the request.
func (e *APIError) Error() string {
	if e.noAnswer {
		return fmt.Sprintf("%s %s: transport: %v", e.Vendor, e.Operation, e.err)
	}
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
	if e.err != nil {
		b.WriteString(": " + e.err.Error())
	}
	if e.RequestID != "" {
		b.WriteString(" (request " + e.RequestID + ")")
	}
	return b.String()
}

// Unwrap exposes the kind and the cause to errors.Is and errors.As.
func (e *APIError) Unwrap() []error {
	var out []error
	if k := e.kindOf(); k != nil {
		out = append(out, k)
	}
	if e.err != nil {
		out = append(out, e.err)
	}
	return out
}

// kindOf is the sentinel e matches: the vendor's word where it gave one, else its status's.
func (e *APIError) kindOf() error {
	if e.kind != nil {
		return e.kind
	}
	return kindForStatus(e.StatusCode)
}

// kindForStatus returns the sentinel that an HTTP status means, nil when none fits.
func kindForStatus(status int) error {
	switch {
	case status == http.StatusNotFound || status == http.StatusGone:
		return ErrNotFound
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return ErrUnauthorized
	case status == http.StatusTooManyRequests:
		return ErrRateLimited
	case status == http.StatusBadRequest || status == http.StatusUnprocessableEntity:
		return ErrInvalidInput
	case status >= 500:
		return ErrServerError
	}
	return nil
}

// RetryableError reports whether retrying the same call may succeed (IsTemporary reads it, as
// aws-sdk-go-v2's retryer reads an error's RetryableError).
//
// For an answer, it follows the kind as well as the HTTP status: rate limiting, a locked resource and
// server or gateway failures (429, 423, 500, 502, 503, 504), and an error a vendor reports in a 200
// body whose kind is ErrRateLimited or ErrServerError (Tencent's InternalError, Huawei's internal
// system error). Other 5xx statuses (501 Not Implemented, 505, ...) and an oversized body are final.
//
// For no answer (StatusCode 0): a reset, refused or cut connection, or a timeout of one attempt (an
// http.Client Timeout, a dial or TLS timeout, any per-attempt deadline) is temporary; a host that does
// not exist (*net.DNSError with IsNotFound), a refused redirect to another origin, and every other
// cause are final.
func (e *APIError) RetryableError() bool {
	if errors.Is(e.err, ErrBodyTooLarge) {
		return false
	}
	if e.noAnswer {
		return temporaryCause(e.err)
	}
	switch e.StatusCode {
	case http.StatusTooManyRequests, http.StatusLocked, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	if e.StatusCode >= 500 {
		return false
	}
	k := e.kindOf()
	return k == ErrRateLimited || k == ErrServerError
}

// temporaryCause judges why a call got no answer.
func temporaryCause(err error) bool {
	if err == nil || errors.Is(err, ErrUnexpectedResponse) {
		return false // an answer our checks refused (not the documented JSON, a redirect elsewhere)
	}
	var de *net.DNSError
	if errors.As(err, &de) && de.IsNotFound {
		return false
	}
	// Such an error is only built while the caller's context is live (a client returns the caller's
	// own context ending bare, as ctx.Err()), so a deadline or a cancellation inside it belongs to one
	// attempt (e.g. http.Client.Timeout): the next may succeed.
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return true
	}
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	var oe *net.OpError
	return errors.As(err, &oe)
}

// IsTemporary reports whether err is worth retrying: an error that says so with a RetryableError()
// bool method, as *APIError does (and aws-sdk-go-v2's errors). For a *FailuresError it is IsTemporary
// of its cause. Every other error is final, among them the caller's own context ending (a client
// returns that bare, as ctx.Err(), and only then).
func IsTemporary(err error) bool {
	if err == nil {
		return false
	}
	if fe := (*FailuresError)(nil); errors.As(err, &fe) {
		return IsTemporary(fe.err) // the failures list may still come; the job itself is done
	}
	// An error that says whether it is worth retrying (an *APIError, or an error of one's own, such as
	// a workflow engine's record of a transient failure) is taken at its word.
	var re interface{ RetryableError() bool }
	return errors.As(err, &re) && re.RetryableError()
}

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
// did.
//
// When the cause (why the failures could not be read) is final, Wait, the Watcher and the Planner end
// with Job and this error, so that the job's end is not lost with the call. When it is temporary (as
// a wait judges poll errors: IsTemporary, or an answer that is not the documented JSON) they poll
// again, within WaitOptions.MaxTransientErrors; a wait that then ends on that bound or on its deadline
// reports Job as its last job.
//
// It matches ErrJobFailed or ErrJobCanceled by the job's state, as a failed job's error does. Its
// cause is reachable with errors.As (e.g. the *APIError of the errors list, to read its status), but
// not with errors.Is: the cause concerns the failures list, not the job, and matching it as
// ErrNotFound or ErrUnauthorized would say that the job is unknown or the credentials wrong.
// IsTemporary follows the cause.
type FailuresError struct {
	Job *Job
	err error
}

// Error names the job, its state and failed count, and why its failures could not be read.
func (e *FailuresError) Error() string {
	if e.Job == nil {
		return fmt.Sprintf("a done job's failures could not be read: %v", e.err)
	}
	return fmt.Sprintf("%s job %s is %s%s, but who failed could not be read: %v", e.Job.Vendor, e.Job.ID, e.Job.State, failedSuffix(e.Job), e.err)
}

// Unwrap exposes the job's end (ErrJobFailed, ErrJobCanceled) to errors.Is, and the cause to errors.As
// only (see FailuresError).
func (e *FailuresError) Unwrap() []error {
	var out []error
	if e.Job != nil {
		switch e.Job.State {
		case StateFailed:
			out = append(out, ErrJobFailed)
		case StateCanceled:
			out = append(out, ErrJobCanceled)
		}
	}
	if e.err != nil {
		out = append(out, asOnly{e.err})
	}
	return out
}

// asOnly lets errors.As reach err but not errors.Is: it has no Unwrap.
type asOnly struct{ err error }

func (a asOnly) Error() string      { return a.err.Error() }
func (a asOnly) As(target any) bool { return errors.As(a.err, target) }

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

// brokenPoller is the error of a Poller that broke its contract as format and args say. It wraps
// ErrUnexpectedResponse and errBrokenPoller side by side, not one in the other: errors.Unwrap stops at
// it, so that the CLI's root cause of it (cmd/jobwatch rootCause) is the whole sentence.
func brokenPoller(format string, args ...any) error {
	return fmt.Errorf("%w: %w: %s", ErrUnexpectedResponse, errBrokenPoller, fmt.Sprintf(format, args...))
}
