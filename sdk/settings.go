package sdk

import (
	"log/slog"
	"net/http"

	"github.com/jobwatch/jobwatch/sdk/internal/httpx"
	"golang.org/x/time/rate"
)

// Version is jobwatch's version, sent in the User-Agent.
const Version = "0.1.0"

// Option configures a vendor client: pass any number to <vendor>.New. Left out or zero (an empty
// string, a nil client, logger, function or limiter, a zero RetryPolicy), each option takes its
// default: the vendor's host, an http.Client with DefaultHTTPTimeout, no logging, "jobwatch/<Version>",
// DefaultMaxBodyBytes, RetryPolicy's defaults, os.Getenv, no limiter but the vendor's own pacing.
type Option func(*clientSettings)

// clientSettings is what the options set, read by the vendor packages.
type clientSettings = httpx.Settings

// WithBaseURL sends requests to base instead of the vendor's host. It takes precedence over the
// environment variable JOBWATCH_<VENDOR>_BASE_URL (e.g. JOBWATCH_HUAWEI_BASE_URL), which in turn takes
// precedence over the vendor's default host.
func WithBaseURL(base string) Option { return func(s *clientSettings) { s.BaseURL = base } }

// WithHTTPClient sends requests through hc.
func WithHTTPClient(hc *http.Client) Option { return func(s *clientSettings) { s.HTTPClient = hc } }

// WithLogger logs through l.
func WithLogger(l *slog.Logger) Option { return func(s *clientSettings) { s.Logger = l } }

// WithUserAgent replaces the User-Agent header.
func WithUserAgent(ua string) Option { return func(s *clientSettings) { s.UserAgent = ua } }

// WithMaxBodyBytes caps response bodies at n bytes; zero or negative means DefaultMaxBodyBytes (a body
// is never read without a cap).
func WithMaxBodyBytes(n int64) Option { return func(s *clientSettings) { s.MaxBodyBytes = n } }

// WithRetry replaces the retry policy of read-only calls.
func WithRetry(p RetryPolicy) Option {
	return func(s *clientSettings) { s.Retry = httpx.RetryPolicy(p) }
}

// WithGetenv reads environment variables through getenv (tests, or a secrets manager).
func WithGetenv(getenv func(string) string) Option {
	return func(s *clientSettings) { s.Getenv = getenv }
}

// WithRateLimiter paces every request through l; share one limiter between clients (and a Watcher)
// that must stay under one vendor quota together.
func WithRateLimiter(l *rate.Limiter) Option { return func(s *clientSettings) { s.Limiter = l } }
