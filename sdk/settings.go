package sdk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// Version is jobwatch's version, sent in the User-Agent.
const Version = "0.1.0"

// DefaultHTTPTimeout bounds one HTTP attempt when no HTTPClient is given. A timed-out attempt is
// temporary: it is retried, and a wait rides it out.
const DefaultHTTPTimeout = 30 * time.Second

// DefaultMaxBodyBytes caps how much of one response body is read: room for a job of 100,000 failed
// users even in Oracle's verbose user records (about 1 KiB each), yet a bound.
const DefaultMaxBodyBytes = 128 << 20

// Settings are the options every vendor client shares. Build them with NewSettings and Options.
type Settings struct {
	// BaseURL overrides the vendor's host (e.g. a simulator or a proxy). When it is "", Base reads
	// JOBWATCH_<VENDOR>_BASE_URL through Getenv, then falls back to the vendor's default host, if any.
	BaseURL string
	// HTTPClient carries every request; nil means a client with a 30 s timeout. jobwatch never mutates
	// it: requests go through a copy whose CheckRedirect refuses redirects to another origin (see
	// ErrCrossOriginRedirect) before calling the client's own CheckRedirect, if any.
	HTTPClient *http.Client
	// Logger receives debug and warning records; nil discards them.
	Logger *slog.Logger
	// UserAgent is sent with every request; default "jobwatch/<Version>".
	UserAgent string
	// MaxBodyBytes caps one response body; default DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Retry governs retries of read-only calls.
	Retry RetryPolicy
	// Getenv reads credentials from the environment when a Config leaves them empty; default os.Getenv.
	Getenv func(string) string
	// Limiter, when set, paces every request of the client (and of anything sharing the limiter).
	Limiter *rate.Limiter
}

// Option changes Settings.
type Option func(*Settings)

// WithBaseURL sends requests to base instead of the vendor's host. It takes precedence over the
// environment variable JOBWATCH_<VENDOR>_BASE_URL (e.g. JOBWATCH_HUAWEI_BASE_URL), which in turn takes
// precedence over the vendor's default host.
func WithBaseURL(base string) Option { return func(s *Settings) { s.BaseURL = base } }

// WithHTTPClient sends requests through hc.
func WithHTTPClient(hc *http.Client) Option { return func(s *Settings) { s.HTTPClient = hc } }

// WithLogger logs through l.
func WithLogger(l *slog.Logger) Option { return func(s *Settings) { s.Logger = l } }

// WithUserAgent replaces the User-Agent header.
func WithUserAgent(ua string) Option { return func(s *Settings) { s.UserAgent = ua } }

// WithMaxBodyBytes caps response bodies at n bytes.
func WithMaxBodyBytes(n int64) Option { return func(s *Settings) { s.MaxBodyBytes = n } }

// WithRetry replaces the retry policy of read-only calls.
func WithRetry(p RetryPolicy) Option { return func(s *Settings) { s.Retry = p } }

// WithGetenv reads environment variables through getenv (tests, or a secrets manager).
func WithGetenv(getenv func(string) string) Option { return func(s *Settings) { s.Getenv = getenv } }

// WithRateLimiter paces every request through l; share one limiter between clients (and a Watcher)
// that must stay under one vendor quota together.
func WithRateLimiter(l *rate.Limiter) Option { return func(s *Settings) { s.Limiter = l } }

// NewSettings applies opts over the defaults.
func NewSettings(opts ...Option) Settings {
	s := Settings{Retry: DefaultRetryPolicy()}
	for _, o := range opts {
		if o != nil {
			o(&s)
		}
	}
	if s.HTTPClient == nil {
		s.HTTPClient = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	if s.UserAgent == "" {
		s.UserAgent = "jobwatch/" + Version
	}
	if s.MaxBodyBytes <= 0 {
		s.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if s.Getenv == nil {
		s.Getenv = os.Getenv
	}
	return s
}

// Doer returns the HTTP executor the generated clients use: it sets the User-Agent, waits for the rate
// limiter, refuses redirects to another origin and caps the response body.
func (s Settings) Doer() *Doer { return &Doer{settings: s, client: sameOriginClient(s.HTTPClient)} }

// Doer executes requests for generated clients (it satisfies their HttpRequestDoer interface).
type Doer struct {
	settings Settings
	client   *http.Client
}

// Do sends req.
func (d *Doer) Do(req *http.Request) (*http.Response, error) {
	req.Header.Set("User-Agent", d.settings.UserAgent)
	if l := d.settings.Limiter; l != nil {
		if err := l.Wait(req.Context()); err != nil {
			return nil, err
		}
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return nil, err
	}
	resp.Body = &cappedBody{rc: resp.Body, left: d.settings.MaxBodyBytes}
	return resp, nil
}

// sameOriginClient returns a shallow copy of hc whose CheckRedirect refuses any redirect that leaves
// the origin (scheme, host and port) of the request the caller made, so that no credential (an
// Authorization header, a vendor's signature or key header, a token request's body) is ever sent to
// another origin, nor downgraded from https to http. Same-origin redirects go on to hc's own
// CheckRedirect, or Go's default of at most 10. The caller's client is left as it was.
func sameOriginClient(hc *http.Client) *http.Client {
	c := *hc
	user := hc.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) > 0 && origin(req.URL) != origin(via[0].URL) {
			return fmt.Errorf("%w: %s to %s", ErrCrossOriginRedirect, origin(via[0].URL), origin(req.URL))
		}
		if user != nil {
			return user(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return &c
}

// origin is scheme://host:port with the scheme's default port made explicit.
func origin(u *url.URL) string {
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
func SameOrigin(a, b *url.URL) bool { return origin(a) == origin(b) }

// cappedBody fails with ErrBodyTooLarge once more than its cap has been read, so an oversized answer
// is an error rather than an unbounded allocation.
type cappedBody struct {
	rc   io.ReadCloser
	left int64
}

func (c *cappedBody) Read(p []byte) (int, error) {
	if c.left < 0 {
		return 0, ErrBodyTooLarge
	}
	if int64(len(p)) > c.left+1 {
		p = p[:c.left+1]
	}
	n, err := c.rc.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		return n, ErrBodyTooLarge
	}
	return n, err
}

func (c *cappedBody) Close() error { return c.rc.Close() }

// TransportError is a request that got no usable HTTP answer: refused, reset, timed out, or cut short.
type TransportError struct {
	Vendor    string
	Operation string
	Err       error
}

func (e *TransportError) Error() string {
	return fmt.Sprintf("%s %s: transport: %v", e.Vendor, e.Operation, e.Err)
}

// Unwrap returns the cause.
func (e *TransportError) Unwrap() error { return e.Err }

// ClassifyCallError turns an error from a generated client's call into a typed one: context errors
// pass through unchanged, an oversized body becomes an *APIError wrapping ErrBodyTooLarge, a body that
// is not the JSON the spec promises an *APIError wrapping ErrUnexpectedResponse, anything else a
// *TransportError.
func ClassifyCallError(ctx context.Context, vendor, op string, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(err, ErrBodyTooLarge) {
		return &APIError{Vendor: vendor, Operation: op, StatusCode: 0, Err: ErrBodyTooLarge}
	}
	if isDecodeError(err) {
		return &APIError{Vendor: vendor, Operation: op, Err: fmt.Errorf("%w: body is not valid JSON of the documented shape: %v", ErrUnexpectedResponse, err)}
	}
	return &TransportError{Vendor: vendor, Operation: op, Err: err}
}

// BaseURLEnv is the environment variable Base reads for vendor: JOBWATCH_<VENDOR>_BASE_URL, e.g.
// JOBWATCH_HUAWEI_BASE_URL, the lines `jobwatch simulate` prints.
func BaseURLEnv(vendor string) string { return "JOBWATCH_" + strings.ToUpper(vendor) + "_BASE_URL" }

// Base returns the base URL to call: BaseURL (sdk.WithBaseURL); else the environment variable
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
		return "", fmt.Errorf("%s: a base URL is required: its host is per tenant (sdk.WithBaseURL or %s)", vendor, BaseURLEnv(vendor))
	}
	if u, err := url.Parse(base); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", fmt.Errorf("%s: base URL %q is not an absolute http(s) URL", vendor, RedactURL(base))
	}
	return base, nil
}

// RedactURL returns raw with any userinfo (user:password@) replaced by "xxxxx", whether or not raw
// parses as a URL, so that an error or a log line can quote a URL without its credentials.
func RedactURL(raw string) string {
	rest, scheme := raw, ""
	if i := strings.Index(raw, "://"); i >= 0 {
		scheme, rest = raw[:i+3], raw[i+3:]
	} else if strings.HasPrefix(raw, "//") {
		scheme, rest = "//", raw[2:]
	}
	auth, tail := rest, ""
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		auth, tail = rest[:i], rest[i:]
	}
	if i := strings.LastIndex(auth, "@"); i >= 0 {
		auth = "xxxxx" + auth[i:]
	}
	return scheme + auth + tail
}

// Redact stands in for a secret when a config is printed: "[redacted]", or `""` for an empty one so
// that a missing credential still shows.
func Redact(secret string) string {
	if secret == "" {
		return `""`
	}
	return "[redacted]"
}

// FromEnv fills an empty credential field from the environment variable name.
func (s Settings) FromEnv(field *string, name string) {
	if *field == "" {
		*field = s.Getenv(name)
	}
}

// PerSecond is a rate of n requests per second for golang.org/x/time/rate, a millionth under n: the
// limiter's float arithmetic otherwise spaces some requests a nanosecond short, which lets n+1 requests
// into one second of a vendor's (or the simulator's) sliding window.
func PerSecond(n float64) rate.Limit { return rate.Limit(n * (1 - 1e-6)) }
