package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"syscall"
	"time"
)

// Defaults of RetryPolicy, taken by every field left zero.
const (
	DefaultMaxAttempts   = 4
	DefaultRetryMinDelay = 250 * time.Millisecond
	DefaultRetryMaxDelay = 8 * time.Second
	// DefaultMaxRetryAfter caps a vendor's Retry-After within one call.
	DefaultMaxRetryAfter = 60 * time.Second
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
	// the backoff alone decides. sdk.WithMaxRetryAfter has the same meaning for a wait.
	MaxRetryAfter time.Duration
}

// DefaultRetryPolicy is 4 attempts, backoff from 250 ms to 8 s, Retry-After capped at 60 s.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: DefaultMaxAttempts, MinDelay: DefaultRetryMinDelay, MaxDelay: DefaultRetryMaxDelay, MaxRetryAfter: DefaultMaxRetryAfter}
}

// attempts is how many tries the policy allows.
func (p RetryPolicy) attempts() int {
	switch {
	case p.MaxAttempts == 0:
		return DefaultMaxAttempts
	case p.MaxAttempts < 0:
		return 1
	}
	return p.MaxAttempts
}

// Backoff returns the jittered delay before retry number n (0 for the first retry): the exponential
// delay min(MaxDelay, MinDelay·2ⁿ), drawn uniformly from its upper half so that callers spread out.
func (p RetryPolicy) Backoff(n int) time.Duration {
	lo, hi := p.MinDelay, p.MaxDelay
	if lo == 0 {
		lo = DefaultRetryMinDelay
	}
	if hi == 0 {
		hi = DefaultRetryMaxDelay
	}
	if lo < 0 {
		return 0
	}
	d := lo
	for i := 0; i < n && (hi < 0 || d < hi) && d < math.MaxInt64/2; i++ {
		d *= 2
	}
	if hi > 0 && d > hi {
		d = hi
	}
	if d <= 0 {
		return 0
	}
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(d-half)+1))
}

// capRetryAfter applies a Retry-After cap with the one meaning RetryPolicy.MaxRetryAfter and
// WithMaxRetryAfter share: zero takes def, negative ignores Retry-After (0 is returned).
func capRetryAfter(ra, limit, def time.Duration) time.Duration {
	if limit == 0 {
		limit = def
	}
	if limit < 0 || ra <= 0 {
		return 0
	}
	return min(ra, limit)
}

// Delay returns how long to wait before retry n after err: the vendor's Retry-After (capped) when it
// gave one and it is longer than the backoff, the backoff otherwise.
func (p RetryPolicy) Delay(n int, err error) time.Duration {
	d := p.Backoff(n)
	var ae *APIError
	if errors.As(err, &ae) {
		d = max(d, capRetryAfter(ae.RetryAfter, p.MaxRetryAfter, DefaultMaxRetryAfter))
	}
	return d
}

// Do runs op until it succeeds, fails permanently, runs out of attempts, or ctx ends. Cancellation
// ends the wait between attempts at once.
func (p RetryPolicy) Do(ctx context.Context, log *slog.Logger, op func(context.Context) error) error {
	attempts := p.attempts()
	var err error
	for n := 0; n < attempts; n++ {
		if err = op(ctx); err == nil || !IsTemporary(err) || n == attempts-1 {
			return err
		}
		if ctx.Err() != nil {
			return err
		}
		d := p.Delay(n, err)
		if log != nil {
			log.LogAttrs(ctx, slog.LevelDebug, "jobwatch: retrying", slog.Int("attempt", n+1), slog.Duration("delay", d), slog.String("error", err.Error()))
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
	return err
}

// IsTemporary reports whether err is worth retrying: an *APIError whose status or kind says so
// (APIError.Temporary), or a *TransportError from a reset, a refused or cut connection, or a timeout of
// one attempt (an http.Client Timeout, a dial or TLS timeout, any per-attempt deadline).
//
// Final, whatever the cause: the caller's own context ending (ClassifyCallError returns that bare, as
// ctx.Err(), and only then), a host that does not exist (*net.DNSError with IsNotFound), a refused
// redirect to another origin (ErrCrossOriginRedirect), and every other error.
func IsTemporary(err error) bool {
	if err == nil {
		return false
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Temporary()
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

func isDecodeError(err error) bool {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	return errors.As(err, &se) || errors.As(err, &te)
}
