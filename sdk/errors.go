package sdk

import (
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
	// the credentials; where there are many ids, the error names the position of the bad one.
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

// Temporary reports whether retrying the same call may succeed. It follows the kind as well as the HTTP
// status: rate limiting, a locked resource and server or gateway failures (429, 423, 500, 502, 503,
// 504), and an error a vendor reports in a 200 body whose kind is ErrRateLimited or ErrServerError
// (Tencent's InternalError, Huawei's internal system error). Other 5xx statuses (501 Not Implemented,
// 505, ...) and an oversized body are final.
func (e *APIError) Temporary() bool {
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
