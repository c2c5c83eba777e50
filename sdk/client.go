package sdk

import (
	"log/slog"
	"net/http"
	"time"

	"golang.org/x/time/rate"
)

// ClientOptions configure a vendor client: pass a pointer to <vendor>.New, or nil for every default.
// Each field left zero takes the default its comment names, so the defaults are all here; a negative
// value means "none" where none means something. A bad value makes New fail with an error that names
// the field and matches ErrInvalidOption. Every request carries the User-Agent "jobwatch/<version>".
type ClientOptions struct {
	// BaseURL sends requests to this absolute http(s) URL instead of the vendor's host. Zero means the
	// environment variable JOBWATCH_<VENDOR>_BASE_URL (e.g. JOBWATCH_HUAWEI_BASE_URL, read through
	// Getenv), else the vendor's default host.
	BaseURL string
	// HTTPClient sends every request. Zero means an http.Client whose Timeout bounds one attempt at
	// 30 s; a timed-out attempt is temporary, so it is retried, and a wait rides it out. jobwatch never
	// mutates the client: it sends through a copy that refuses redirects to another origin.
	HTTPClient *http.Client
	// Logger receives retries at debug level and vendor status values the spec does not list at warn
	// level. Zero means no logging.
	Logger *slog.Logger
	// MaxBodyBytes caps one response body: a longer one is an error matching ErrBodyTooLarge. Zero
	// means 128 MiB, room for a job of 100,000 failed users even in Oracle's verbose user records
	// (about 1 KiB each); negative is an error, as a body is never read without a cap.
	MaxBodyBytes int64
	// RateLimiter paces every request of the client; share one between clients (and a Watcher) that
	// must stay under one vendor quota together. Zero means none but the vendor's own pacing, where it
	// has one (Tencent's 20 requests in any second).
	RateLimiter *rate.Limiter
	// Getenv reads the environment variables a client falls back on (credentials a Config leaves
	// empty, the base URL): a test's map, or a secrets manager. Zero means os.Getenv.
	Getenv func(string) string
	// MaxAttempts is how many times a read-only call that failed transiently (IsTemporary) is tried in
	// all, the first try included. Zero means 4; negative means one try, no retry.
	MaxAttempts int
	// MinRetryDelay is the first delay between attempts; each retry doubles it up to MaxRetryDelay,
	// and the delay is drawn from the upper half of that value so that callers spread out. Zero means
	// 250 ms; negative means no delay between attempts.
	MinRetryDelay time.Duration
	// MaxRetryDelay caps the doubling delay between attempts. Zero means 8 s; negative means no cap.
	// Below MinRetryDelay is an error.
	MaxRetryDelay time.Duration
	// MaxRetryAfter caps how long a vendor's Retry-After (seconds or HTTP date) can hold a retry, so an
	// absurd value cannot stall a caller; the backoff applies when it is longer. Zero means 60 s;
	// negative means Retry-After is ignored and the backoff alone decides.
	MaxRetryAfter time.Duration
}
