package sdk

import "time"

// Defaults of a client's RetryPolicy and transport: each option left out, or given its zero value,
// takes the default here. Where "none" means something, a negative value means none, as in azcore's
// policies. The wait's defaults are in WaitOptions' field docs.
const (
	// DefaultMaxAttempts is RetryPolicy.MaxAttempts's default: tries in all, the first included.
	DefaultMaxAttempts = 4
	// DefaultRetryMinDelay is RetryPolicy.MinDelay's default.
	DefaultRetryMinDelay = 250 * time.Millisecond
	// DefaultRetryMaxDelay is RetryPolicy.MaxDelay's default.
	DefaultRetryMaxDelay = 8 * time.Second
	// DefaultMaxRetryAfter is RetryPolicy.MaxRetryAfter's default: the cap on a Retry-After within one call.
	DefaultMaxRetryAfter = 60 * time.Second

	// DefaultHTTPTimeout bounds one HTTP attempt when no HTTPClient is given (WithHTTPClient). A
	// timed-out attempt is temporary: it is retried, and a wait rides it out.
	DefaultHTTPTimeout = 30 * time.Second
	// DefaultMaxBodyBytes is WithMaxBodyBytes's default: room for a job of 100,000 failed users even in
	// Oracle's verbose user records (about 1 KiB each), yet a bound.
	DefaultMaxBodyBytes = 128 << 20
)
