package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"syscall"
	"time"
)

// RetryPolicy bounds retries of read-only calls that failed transiently.
type RetryPolicy struct {
	// MaxAttempts is the number of tries in all, first included (1 disables retries).
	MaxAttempts int
	// MinDelay is the first backoff; each retry doubles it up to MaxDelay.
	MinDelay time.Duration
	MaxDelay time.Duration
	// MaxRetryAfter caps a vendor's Retry-After, so an absurd value cannot stall a caller.
	MaxRetryAfter time.Duration
}

// DefaultRetryPolicy is 4 attempts, backoff from 250 ms to 8 s, Retry-After capped at 60 s.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 4, MinDelay: 250 * time.Millisecond, MaxDelay: 8 * time.Second, MaxRetryAfter: 60 * time.Second}
}

// Backoff returns the jittered delay before retry number n (0 for the first retry): the exponential
// delay min(MaxDelay, MinDelay·2ⁿ), drawn uniformly from its upper half so that callers spread out.
func (p RetryPolicy) Backoff(n int) time.Duration {
	d := p.MinDelay
	for i := 0; i < n && d < p.MaxDelay; i++ {
		d *= 2
	}
	if p.MaxDelay > 0 && d > p.MaxDelay {
		d = p.MaxDelay
	}
	if d <= 0 {
		return 0
	}
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(d-half)+1))
}

// Delay returns how long to wait before retry n after err: the vendor's Retry-After (capped) when it
// gave one and it is longer than the backoff, the backoff otherwise.
func (p RetryPolicy) Delay(n int, err error) time.Duration {
	d := p.Backoff(n)
	var ae *APIError
	if errors.As(err, &ae) && ae.RetryAfter > 0 {
		ra := ae.RetryAfter
		if p.MaxRetryAfter > 0 && ra > p.MaxRetryAfter {
			ra = p.MaxRetryAfter
		}
		if ra > d {
			d = ra
		}
	}
	return d
}

// Do runs op until it succeeds, fails permanently, runs out of attempts, or ctx ends. Cancellation
// ends the wait between attempts at once.
func (p RetryPolicy) Do(ctx context.Context, log *slog.Logger, op func(context.Context) error) error {
	attempts := max(p.MaxAttempts, 1)
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

// IsTemporary reports whether err is worth retrying: an *APIError that says so, or a transport
// failure (reset, refused, timed out, cut short). Context errors and everything else are permanent.
func IsTemporary(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Temporary()
	}
	var te *TransportError
	if !errors.As(err, &te) {
		return false
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
