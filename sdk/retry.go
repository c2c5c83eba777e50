package sdk

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"
	"time"
)

// RetryPolicy bounds retries of read-only calls that failed transiently. Every field follows one
// convention (azcore's): zero takes the default, a negative value means none. So RetryPolicy{} is
// DefaultRetryPolicy(), and RetryPolicy{MaxAttempts: 3} still backs off and still caps Retry-After.
type RetryPolicy struct {
	// MaxAttempts is the number of tries in all, first included. Zero means DefaultMaxAttempts;
	// negative (or 1) means one try and no retry.
	MaxAttempts int
	// MinDelay is the first backoff; each retry doubles it up to MaxDelay. Zero means
	// DefaultRetryMinDelay; negative means no delay between attempts.
	MinDelay time.Duration
	// MaxDelay caps the doubling backoff. Zero means DefaultRetryMaxDelay; negative means no cap.
	MaxDelay time.Duration
	// MaxRetryAfter caps a vendor's Retry-After (either form, seconds or HTTP date), so an absurd value
	// cannot stall a caller. Zero means DefaultMaxRetryAfter; negative means Retry-After is ignored and
	// the backoff alone decides. A wait honours a Retry-After up to its WaitOptions.MaxDelay.
	MaxRetryAfter time.Duration
}

// DefaultRetryPolicy is 4 attempts, backoff from 250 ms to 8 s, Retry-After capped at 60 s.
// It behaves exactly as RetryPolicy{} (zero fields take these defaults); it spells the defaults out,
// e.g. to start from them and change one field.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: DefaultMaxAttempts, MinDelay: DefaultRetryMinDelay, MaxDelay: DefaultRetryMaxDelay, MaxRetryAfter: DefaultMaxRetryAfter}
}

// IsTemporary reports whether err is worth retrying: an error that says so with a RetryableError()
// bool method, as *APIError does (and aws-sdk-go-v2's errors), or a *TransportError from a reset, a refused or cut connection, or a timeout of
// one attempt (an http.Client Timeout, a dial or TLS timeout, any per-attempt deadline). For a
// *FailuresError it is IsTemporary of its Err.
//
// Final, whatever the cause: the caller's own context ending (a client returns that bare, as
// ctx.Err(), and only then), a host that does not exist (*net.DNSError with IsNotFound), a refused
// redirect to another origin (ErrCrossOriginRedirect), and every other error.
func IsTemporary(err error) bool {
	if err == nil {
		return false
	}
	if fe := (*FailuresError)(nil); errors.As(err, &fe) {
		return IsTemporary(fe.Err) // the failures list may still come; the job itself is done
	}
	// An error that says whether it is worth retrying (an *APIError, or an error of one's own, such as
	// a workflow engine's record of a transient failure) is taken at its word.
	var re interface{ RetryableError() bool }
	if errors.As(err, &re) {
		return re.RetryableError()
	}
	var te *TransportError
	if !errors.As(err, &te) {
		// A bare context error is the caller's context ending: final.
		return false
	}
	var de *net.DNSError
	if errors.As(err, &de) && de.IsNotFound {
		return false
	}
	if errors.Is(err, ErrCrossOriginRedirect) || errors.Is(err, ErrBodyTooLarge) {
		return false
	}
	// A TransportError is only built while the caller's context is live, so a deadline or a
	// cancellation inside it belongs to one attempt (e.g. http.Client.Timeout): the next may succeed.
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
