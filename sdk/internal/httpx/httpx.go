// Package httpx is the standard-library plumbing of the sdk and the vendor packages: the settings every
// client shares (sdk.ClientOptions, defaults applied), base URLs from the environment, origins, Retry-After, and the
// redaction of secrets and URLs. It imports nothing of jobwatch but sdk/observe (standard library
// only), so sdk can import it; the code that
// builds sdk types (errors, jobs, the retry loop) is in sdk/internal/vendorkit.
package httpx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/jobwatch/jobwatch/sdk/observe"
	"golang.org/x/time/rate"

	"github.com/jobwatch/jobwatch/internal/redact"
)

// Settings are the options every vendor client shares: sdk.ClientOptions with its defaults applied
// (vendorkit.NewSettings).
type Settings struct {
	// BaseURL overrides the vendor's host (e.g. a simulator or a proxy). When it is "", Base reads
	// JOBWATCH_<VENDOR>_BASE_URL through Getenv, then falls back to the vendor's default host, if any.
	BaseURL string
	// HTTPClient carries every request. jobwatch never mutates it: requests go through a copy whose
	// CheckRedirect refuses redirects to another origin.
	HTTPClient *http.Client
	// Logger receives debug and warning records.
	Logger *slog.Logger
	// MaxBodyBytes caps one response body.
	MaxBodyBytes int64
	// Retry governs retries of read-only calls.
	Retry RetryPolicy
	// Getenv reads credentials from the environment when a Config leaves them empty.
	Getenv func(string) string
	// Limiter, when set, paces every request of the client (and of anything sharing the limiter).
	Limiter *rate.Limiter
}

// RetryPolicy is sdk.ClientOptions's retry fields (MaxAttempts, MinRetryDelay, MaxRetryDelay,
// MaxRetryAfter), which document their meaning; zero fields stand for the defaults.
type RetryPolicy struct {
	MaxAttempts   int
	MinDelay      time.Duration
	MaxDelay      time.Duration
	MaxRetryAfter time.Duration
}

// BaseURLEnv is the environment variable Base reads for vendor: JOBWATCH_<VENDOR>_BASE_URL, e.g.
// JOBWATCH_HUAWEI_BASE_URL, the lines `jobwatch simulate` prints.
func BaseURLEnv(vendor string) string { return "JOBWATCH_" + strings.ToUpper(vendor) + "_BASE_URL" }

// Base returns the base URL to call: BaseURL (sdk.ClientOptions.BaseURL); else the environment variable
// BaseURLEnv(vendor) read through Getenv; else def, the vendor's default host. A vendor without a
// default host (def "") and no URL given is an error naming both ways to give one. The URL must be an
// absolute http(s) URL; an error never quotes its userinfo.
func (s Settings) Base(vendor, def string) (string, error) {
	base := s.BaseURL
	if base == "" && s.Getenv != nil {
		base = strings.TrimSpace(s.Getenv(BaseURLEnv(vendor)))
	}
	if base == "" {
		base = def
	}
	if base == "" {
		return "", fmt.Errorf("%s: a base URL is required: its host is per tenant (sdk.ClientOptions.BaseURL or %s)", vendor, BaseURLEnv(vendor))
	}
	if u, err := url.Parse(base); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", fmt.Errorf("%s: base URL %q is not an absolute http(s) URL", vendor, redact.URL(base))
	}
	return base, nil
}

// FromEnv fills an empty credential field from the environment variable name, read through s.Getenv. T
// is any string type, so sdk.Secret fields fill the same way as plain strings.
func FromEnv[T ~string](s Settings, field *T, name string) {
	if *field == "" {
		*field = T(s.Getenv(name))
	}
}

// Origin is scheme://host:port with the scheme's default port made explicit.
func Origin(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch u.Scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Hostname()) + ":" + port
}

// SameOrigin reports whether a and b share scheme, host and port (default ports made explicit). Vendor
// packages use it before following a URL an answer names, e.g. Oracle's 202 Location.
func SameOrigin(a, b *url.URL) bool { return Origin(a) == Origin(b) }

// PerSecond is a rate of n requests per second for golang.org/x/time/rate, a millionth under n: the
// limiter's float arithmetic otherwise spaces some requests a nanosecond short, which lets n+1 requests
// into one second of a vendor's (or the simulator's) sliding window.
func PerSecond(n float64) rate.Limit { return rate.Limit(n * (1 - 1e-6)) }

// IsJSON reports whether a response declares a JSON body.
func IsJSON(h http.Header) bool {
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// ContentType is the response's Content-Type, or "none", for error messages.
func ContentType(h http.Header) string {
	if ct := h.Get("Content-Type"); ct != "" {
		return ct
	}
	return "none"
}

// ParseRetryAfter reads a Retry-After header, in seconds or as an HTTP date, relative to now. It
// returns zero for an absent, malformed or past value, and at most 24 h in either form; the caller's
// cap (sdk.ClientOptions.MaxRetryAfter, a wait's max delay) then applies to both forms alike.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var secs int64
	if _, err := fmt.Sscanf(v, "%d", &secs); err == nil && fmt.Sprint(secs) == v {
		if secs <= 0 {
			return 0
		}
		if secs > int64(maxRetryAfterHeader/time.Second) {
			secs = int64(maxRetryAfterHeader / time.Second)
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return min(d, maxRetryAfterHeader)
		}
	}
	return 0
}

// maxRetryAfterHeader bounds what ParseRetryAfter returns, whichever form the header has.
const maxRetryAfterHeader = 24 * time.Hour

// CapRetryAfter applies sdk.ClientOptions.MaxRetryAfter's cap to a Retry-After: zero takes def,
// negative ignores Retry-After (0 is returned).
func CapRetryAfter(ra, limit, def time.Duration) time.Duration {
	if limit == 0 {
		limit = def
	}
	if limit < 0 || ra <= 0 {
		return 0
	}
	return min(ra, limit)
}

// RetryReason classifies a transient error for observe.Retry's Reason. The sdk's sentinels are passed
// in (httpx cannot import sdk), so that sdk and vendorkit classify alike.
func RetryReason(err, rateLimited, serverError, unexpected error) string {
	var ne net.Error
	switch {
	case errors.Is(err, rateLimited):
		return observe.RetryRateLimited
	case errors.Is(err, serverError):
		return observe.RetryServer
	case errors.Is(err, unexpected):
		return observe.RetryResponse
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return observe.RetryTimeout
	case errors.As(err, new(*net.OpError)), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET):
		return observe.RetryTransport
	}
	return observe.RetryOther
}

// WaitLimiter waits for l's slot, and reports the wait to o (nil: no report).
func WaitLimiter(ctx context.Context, o *observe.Observer, vendor string, l *rate.Limiter) error {
	return ObserveWait(ctx, o, vendor, l.Wait)
}

// ObserveWait runs wait, a wait for a request's turn, and reports how long it took to o's LimiterWait
// (o nil or without LimiterWait: no report, and no clock read).
func ObserveWait(ctx context.Context, o *observe.Observer, vendor string, wait func(context.Context) error) error {
	if o == nil || o.LimiterWait == nil {
		return wait(ctx)
	}
	start := time.Now()
	err := wait(ctx)
	o.LimiterWait(ctx, observe.LimiterWait{Vendor: vendor, Waited: time.Since(start), Err: err})
	return err
}

// maxUnescapes bounds how many layers of percent-encoding JobIDProblem peels off an id: each layer is
// one more decoding a proxy or server might apply. No real job id is encoded that deeply, so an id
// that still decodes further is refused rather than decoded in quadratic time.
const maxUnescapes = 4

// JobIDProblem says what keeps id from being one path segment, "" when nothing does: it is empty,
// blank, a dot segment ("." or "..", which a URL resolver or a server folds into the parent path, so
// that a request and its credentials reach another endpoint), or one of those percent-encoded, once or
// more (%2e, %2E%2e, %252e%252e). forbidden lists characters refused too once the id is decoded
// (Oracle's "/" and "\", which its status path would read as separators). It is the one rule for job
// ids, which sdk/internal/vendorkit.CheckJobID turns into an error.
func JobIDProblem(id, forbidden string) string {
	if id == "" {
		return "is empty"
	}
	decoded, layers := id, 0
	for strings.Contains(decoded, "%") {
		d, err := url.PathUnescape(decoded)
		if err != nil || d == decoded {
			break // not (or no longer) valid percent-encoding: a server reads it as it is
		}
		if layers == maxUnescapes {
			return fmt.Sprintf("is percent-encoded more than %d times", maxUnescapes)
		}
		decoded, layers = d, layers+1
	}
	encoded := ""
	if layers > 0 {
		encoded = fmt.Sprintf(" (percent-decoded: %q)", decoded)
	}
	switch {
	case strings.TrimSpace(decoded) == "":
		return "is blank" + encoded
	case decoded == "." || decoded == "..":
		return "is a dot segment" + encoded + ", a path to another endpoint, not a job"
	}
	if i := strings.IndexAny(decoded, forbidden); forbidden != "" && i >= 0 {
		return fmt.Sprintf("holds %q%s: a job id is one path segment", decoded[i:i+1], encoded)
	}
	return ""
}

// Sleep waits for d, or until ctx ends, whichever comes first: ctx's error then, nil otherwise.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
