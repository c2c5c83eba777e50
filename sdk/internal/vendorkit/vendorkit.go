// Package vendorkit is the code the vendor packages share that builds sdk types: typed errors from
// answers and failed calls, finished jobs, the retry loop of read-only calls (which asks
// sdk.IsTemporary), the HTTP executor of the generated clients, and settings with their defaults (the
// one conversion of sdk.ClientOptions).
//
// It is the one package under sdk/internal that imports sdk, and sdk never imports it. The error and
// job types stay in sdk, so that `go doc` shows their fields to users; the functions that build them
// live here, so that `go doc ./sdk` shows only what a user calls. Standard-library plumbing that sdk
// itself needs is in sdk/internal/httpx.
package vendorkit

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/jobwatch/jobwatch/internal/version"
	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/internal/access"
	"github.com/jobwatch/jobwatch/sdk/internal/httpx"
	"github.com/jobwatch/jobwatch/sdk/observe"
)

// The defaults of sdk.ClientOptions, which documents them: keep the two in step
// (TestClientOptionsZeroIsDefault checks them through a client).
const (
	// DefaultHTTPTimeout is the default client's timeout per attempt; a call a vendor makes under a
	// context of its own (Huawei's shared token fetch) is bounded by it too.
	DefaultHTTPTimeout   = 30 * time.Second
	defaultMaxBodyBytes  = 128 << 20
	defaultMaxAttempts   = 4
	defaultRetryMinDelay = 250 * time.Millisecond
	defaultRetryMaxDelay = 8 * time.Second
	defaultMaxRetryAfter = 60 * time.Second
)

// userAgent is the User-Agent header of every request.
const userAgent = "jobwatch/" + version.Version

// NewSettings turns o (nil: every default) into the settings of a client, each zero field given its
// default as sdk.ClientOptions documents it. A bad value is an error naming the field and matching
// sdk.ErrInvalidOption. BaseURL is checked where it is chosen among its sources (Settings.Base).
func NewSettings(o *sdk.ClientOptions) (httpx.Settings, error) {
	var c sdk.ClientOptions
	if o != nil {
		c = *o
	}
	bad := func(field string, value any, why string) error {
		return fmt.Errorf("sdk.ClientOptions.%s: %v %s: %w", field, value, why, sdk.ErrInvalidOption)
	}
	if c.MaxBodyBytes < 0 {
		return httpx.Settings{}, bad("MaxBodyBytes", c.MaxBodyBytes, "is negative: a body is never read without a cap")
	}
	lo, hi := cmp.Or(c.MinRetryDelay, defaultRetryMinDelay), cmp.Or(c.MaxRetryDelay, defaultRetryMaxDelay)
	if hi >= 0 && lo > 0 && hi < lo {
		v := hi.String()
		if c.MaxRetryDelay == 0 {
			v += " (its default)"
		}
		return httpx.Settings{}, bad("MaxRetryDelay", v, fmt.Sprintf("is below MinRetryDelay %s", lo))
	}
	s := httpx.Settings{BaseURL: c.BaseURL, HTTPClient: c.HTTPClient, Logger: c.Logger, MaxBodyBytes: cmp.Or(c.MaxBodyBytes, defaultMaxBodyBytes),
		Getenv: c.Getenv, Limiter: c.RateLimiter,
		Retry: httpx.RetryPolicy{MaxAttempts: c.MaxAttempts, MinDelay: c.MinRetryDelay, MaxDelay: c.MaxRetryDelay, MaxRetryAfter: c.MaxRetryAfter}}
	if s.HTTPClient == nil {
		s.HTTPClient = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	if s.Getenv == nil {
		s.Getenv = os.Getenv
	}
	return s, nil
}

// NewDoer returns the HTTP executor the generated clients use for vendor: it sets the User-Agent,
// waits for the rate limiter, runs Prepare when the caller sets it, refuses redirects to another
// origin, caps the response body, and reports each request and limiter wait to the observe.Observer
// the request's context carries.
func NewDoer(vendor string, s httpx.Settings) *Doer {
	return &Doer{vendor: vendor, settings: s, client: sameOriginClient(s.HTTPClient), userAgent: []string{userAgent}}
}

// Doer executes requests for generated clients (it satisfies their HttpRequestDoer interface).
type Doer struct {
	// Prepare, when set, runs on every request after its rate limiter slot and right before it is
	// handed to the http.Client: the place for a signature over the sending time. Tencent refuses a
	// signature more than five minutes old, and a request can wait longer than that behind the
	// client's pacing. A same-origin redirect is re-sent by the http.Client with the headers Prepare
	// set, without running it again. Prepare runs inside the slot, so a slow one (a credentials
	// provider fetching a token) holds the slot while it runs.
	Prepare func(context.Context, *http.Request) error

	vendor    string
	settings  httpx.Settings
	client    *http.Client
	userAgent []string // the User-Agent header's value, shared by every request
}

// Do sends req.
func (d *Doer) Do(req *http.Request) (*http.Response, error) {
	// One header value shared by every request (len = cap = 1, so an Add elsewhere copies it): a poll's
	// cost is mostly its allocations.
	req.Header["User-Agent"] = d.userAgent
	obs := observe.FromContext(req.Context())
	if l := d.settings.Limiter; l != nil {
		if err := httpx.WaitLimiter(req.Context(), obs, d.vendor, l); err != nil {
			if ctx := req.Context(); ctx.Err() == nil {
				if _, ok := ctx.Deadline(); ok {
					// The limiter refuses at once a slot past the deadline: that is the deadline's end,
					// matchable as such, not a transport failure.
					return nil, fmt.Errorf("%w: the rate limiter's next slot is past the deadline", context.DeadlineExceeded)
				}
			}
			return nil, err
		}
	}
	if d.Prepare != nil {
		if err := d.Prepare(req.Context(), req); err != nil {
			return nil, err
		}
	}
	var start time.Time
	if obs != nil {
		start = time.Now()
	}
	resp, err := d.client.Do(req)
	if obs != nil {
		observeRequest(obs, d.vendor, req, resp, start, err)
	}
	if err != nil {
		return nil, err
	}
	// net/http already stops a body at its Content-Length: only a longer or unknown length needs the cap.
	if resp.ContentLength < 0 || resp.ContentLength > d.settings.MaxBodyBytes {
		resp.Body = &cappedBody{rc: resp.Body, left: d.settings.MaxBodyBytes}
	}
	return resp, nil
}

// observeRequest reports one request, sent at start, to obs.
func observeRequest(obs *observe.Observer, vendor string, req *http.Request, resp *http.Response, start time.Time, err error) {
	if obs.Request == nil {
		return
	}
	e := observe.Request{Vendor: vendor, Method: req.Method, URL: redactQuery(req.URL), ServerAddress: req.URL.Hostname(),
		Attempt: 1, Start: start, Duration: time.Since(start), Err: err}
	e.ServerPort, _ = strconv.Atoi(req.URL.Port())
	switch {
	case e.ServerPort != 0:
	case req.URL.Scheme == "https":
		e.ServerPort = 443
	case req.URL.Scheme == "http":
		e.ServerPort = 80
	}
	if s, ok := req.Context().Value(sentKey{}).(*sentRequests); ok {
		e.Attempt = s.add(req)
	}
	if resp != nil {
		e.StatusCode = resp.StatusCode
	}
	obs.Request(req.Context(), e)
}

// redactQuery is u as a string without userinfo and with every query value replaced by "REDACTED":
// a query may carry a signature or a token (OpenTelemetry's url.full asks for both redactions).
func redactQuery(u *url.URL) string {
	c := *u
	c.User = nil
	if c.RawQuery != "" {
		q := c.Query()
		for k, vs := range q {
			for i := range vs {
				vs[i] = "REDACTED"
			}
			q[k] = vs
		}
		c.RawQuery = q.Encode()
	}
	c.Fragment, c.RawFragment = "", ""
	return c.String()
}

// sentKey carries, in an observed call's context, the requests the call has sent, so that a Request
// event numbers the sends of its own request. Policy.Do runs the whole call again on a retry, and a
// request the failed attempt never reached (a query whose token fetch failed) is then sent for the
// first time.
type sentKey struct{}

// sentRequests counts the sends of each request of a call, a request being its method, host and path
// (a query may change between attempts, with a timestamp or a signature).
type sentRequests struct {
	mu   sync.Mutex
	sent []sentRequest
}

type sentRequest struct {
	method, host, path string
	n                  int
}

// add counts one more send of req and returns how many there were, this one included.
func (s *sentRequests) add(req *http.Request) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.sent {
		if r := &s.sent[i]; r.method == req.Method && r.host == req.URL.Host && r.path == req.URL.Path {
			r.n++
			return r.n
		}
	}
	s.sent = append(s.sent, sentRequest{method: req.Method, host: req.URL.Host, path: req.URL.Path, n: 1})
	return 1
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
		if len(via) > 0 && !httpx.SameOrigin(req.URL, via[0].URL) {
			return refusedRedirect{from: httpx.Origin(via[0].URL), to: httpx.Origin(req.URL)}
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

// refusedRedirect is the error of a redirect to another origin: it matches sdk.ErrUnexpectedResponse,
// and its innermost error (what the CLI shows as the cause) says only that the redirect was refused.
type refusedRedirect struct{ from, to string }

var errRefusedRedirect = errors.New("redirect to another origin refused")

func (r refusedRedirect) Error() string {
	return fmt.Sprintf("%v: %s to %s", errRefusedRedirect, r.from, r.to)
}
func (r refusedRedirect) Unwrap() error        { return errRefusedRedirect }
func (r refusedRedirect) Is(target error) bool { return target == sdk.ErrUnexpectedResponse }

// ReadBody reads and closes resp's body, a response of the Doer. A body whose Content-Length is within
// limit (the settings' MaxBodyBytes) is read into one buffer of that length, where io.ReadAll would
// grow chunks and copy them into a final slice, holding a large answer twice; a longer or unknown
// length is read by io.ReadAll, which the Doer's cap stops. So is a length over maxPrealloc: a server
// only claiming a huge length must not make the client allocate it up front.
func ReadBody(resp *http.Response, limit int64) ([]byte, error) {
	defer resp.Body.Close()
	if n := resp.ContentLength; n > 0 && n <= limit && n <= maxPrealloc {
		b := make([]byte, n)
		if _, err := io.ReadFull(resp.Body, b); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF // shorter than its Content-Length: cut
			}
			return nil, err
		}
		return b, nil
	}
	return io.ReadAll(resp.Body)
}

// maxPrealloc bounds the buffer ReadBody allocates from a Content-Length before reading it.
const maxPrealloc = 1 << 30

// cappedBody fails with sdk.ErrBodyTooLarge once more than its cap has been read, so an oversized
// answer is an error rather than an unbounded allocation.
type cappedBody struct {
	rc   io.ReadCloser
	left int64
}

func (c *cappedBody) Read(p []byte) (int, error) {
	if c.left < 0 {
		return 0, sdk.ErrBodyTooLarge
	}
	if c.left < int64(len(p))-1 { // not len(p) > left+1, which overflows for a cap of math.MaxInt64
		p = p[:c.left+1]
	}
	n, err := c.rc.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		return n, sdk.ErrBodyTooLarge
	}
	return n, err
}

func (c *cappedBody) Close() error { return c.rc.Close() }

// ClassifyCallError turns an error from a generated client's call into a typed one: context errors
// pass through unchanged; anything else becomes an *sdk.APIError of StatusCode 0 whose cause is
// sdk.ErrBodyTooLarge for an oversized body, sdk.ErrUnexpectedResponse for a body that is not the JSON
// the spec promises, and err itself for a transport failure.
func ClassifyCallError(ctx context.Context, vendor, op string, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(err, sdk.ErrBodyTooLarge) {
		return WithCause(&sdk.APIError{Vendor: vendor, Operation: op}, nil, sdk.ErrBodyTooLarge)
	}
	if isDecodeError(err) {
		return WithCause(&sdk.APIError{Vendor: vendor, Operation: op}, nil, fmt.Errorf("%w: body is not valid JSON of the documented shape: %v", sdk.ErrUnexpectedResponse, err))
	}
	return noAnswer(&sdk.APIError{Vendor: vendor, Operation: op}, err)
}

// noAnswer sets e's cause as why a call got no usable answer, and returns e.
func noAnswer(e *sdk.APIError, cause error) *sdk.APIError {
	access.SetNoAnswer(e, cause)
	return e
}

func isDecodeError(err error) bool {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	return errors.As(err, &se) || errors.As(err, &te)
}

// VendorError is what a vendor's error-body parser found.
type VendorError struct {
	Code, Message, RequestID string
}

// ResponseError builds the *sdk.APIError for an answer that is not a success: the status, the vendor's
// code, message and request id as parse reads them from the body, Retry-After, and the kind. A body
// that is not JSON is reported as such, with its content type, never echoed.
func ResponseError(vendor, op string, resp *http.Response, body []byte, parse func([]byte) (VendorError, bool)) *sdk.APIError {
	e := &sdk.APIError{Vendor: vendor, Operation: op, StatusCode: resp.StatusCode} // its kind is its status's
	e.RetryAfter = httpx.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	if httpx.IsJSON(resp.Header) && parse != nil {
		if ve, ok := parse(body); ok {
			e.Code, e.Message, e.RequestID = ve.Code, ve.Message, ve.RequestID
			return e
		}
	}
	var cause error
	if len(body) == 0 {
		cause = fmt.Errorf("%w: empty body", sdk.ErrUnexpectedResponse)
	} else if !httpx.IsJSON(resp.Header) {
		cause = fmt.Errorf("%w: body of content-type %s", sdk.ErrUnexpectedResponse, httpx.ContentType(resp.Header))
	} else {
		cause = fmt.Errorf("%w: error body not in the documented shape", sdk.ErrUnexpectedResponse)
	}
	WithCause(e, nil, cause)
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	return e
}

// Unexpected builds the *sdk.APIError for a success status whose body is not what the spec documents.
func Unexpected(vendor, op string, resp *http.Response, why string) *sdk.APIError {
	return WithCause(&sdk.APIError{Vendor: vendor, Operation: op, StatusCode: resp.StatusCode}, nil,
		fmt.Errorf("%w: %s (content-type %s)", sdk.ErrUnexpectedResponse, why, httpx.ContentType(resp.Header)))
}

// WithCause sets what *sdk.APIError keeps unexported, and returns e: kind is the sentinel e matches
// where the vendor's code says more than the status (nil: the status's, e.g. sdk.ErrNotFound for 404),
// cause what Unwrap exposes besides (sdk.ErrUnexpectedResponse wrapped with details, or why no answer
// came).
func WithCause(e *sdk.APIError, kind, cause error) *sdk.APIError {
	access.SetCause(e, kind, cause)
	return e
}

// FailuresError is the error of a poll that found job done but could not read who failed, because of
// cause.
func FailuresError(job *sdk.Job, cause error) *sdk.FailuresError {
	e := &sdk.FailuresError{Job: job}
	access.SetCause(e, nil, cause)
	return e
}

// UnknownStatusLogger logs each unknown vendor status value once per client.
type UnknownStatusLogger struct {
	seen sync.Map
}

// Log records value if it has not been seen before.
func (u *UnknownStatusLogger) Log(s httpx.Settings, vendor, field, value string) {
	if _, loaded := u.seen.LoadOrStore(vendor+"\x00"+field+"\x00"+value, struct{}{}); loaded {
		return
	}
	s.Logger.Warn("jobwatch: status value not in the spec; job state is unknown", "vendor", vendor, "field", field, "value", value)
}

// Int returns a pointer to n, for building sdk.Counts and optional request fields.
func Int(n int) *int { return &n }

// Finish fills the derived fields of a job after a vendor package mapped it: Done from State, for a
// done job the pending count (zero) where the total is known, and an empty (not nil) Failures. It
// bounds Progress to [0, 1] (none when it is not a number): a vendor's counts may be negative or add
// up to more than the total, and are kept as it sent them, but a fraction outside [0, 1] means nothing.
func Finish(j *sdk.Job) *sdk.Job {
	if p := j.Progress; p != nil {
		switch {
		case math.IsNaN(*p):
			j.Progress = nil
		case *p < 0:
			*p = 0
		case *p > 1:
			*p = 1
		}
	}
	j.Done = j.State.Done()
	if j.Done && j.Counts.Pending == nil && j.Counts.Total != nil {
		j.Counts.Pending = Int(0)
	}
	if j.Failures == nil {
		j.Failures = []sdk.Failure{}
	}
	return j
}

// Policy is a retry policy with its behaviour: sdk.ClientOptions's retry fields, as the settings hold
// them. Every field follows azcore's convention: zero takes the default, a negative value means none.
type Policy httpx.RetryPolicy

// attempts is how many tries the policy allows.
func (p Policy) attempts() int {
	switch {
	case p.MaxAttempts == 0:
		return defaultMaxAttempts
	case p.MaxAttempts < 0:
		return 1
	}
	return p.MaxAttempts
}

// Backoff returns the jittered delay before retry number n (0 for the first retry): the exponential
// delay min(MaxDelay, MinDelay·2ⁿ), drawn uniformly from its upper half so that callers spread out.
func (p Policy) Backoff(n int) time.Duration {
	lo, hi := p.MinDelay, p.MaxDelay
	if lo == 0 {
		lo = defaultRetryMinDelay
	}
	if hi == 0 {
		hi = defaultRetryMaxDelay
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

// Delay returns how long to wait before retry n after err: the vendor's Retry-After (capped) when it
// gave one and it is longer than the backoff, the backoff otherwise.
func (p Policy) Delay(n int, err error) time.Duration {
	d := p.Backoff(n)
	var ae *sdk.APIError
	if errors.As(err, &ae) {
		d = max(d, httpx.CapRetryAfter(ae.RetryAfter, p.MaxRetryAfter, defaultMaxRetryAfter))
	}
	return d
}

// Do runs op until it succeeds, fails permanently (sdk.IsTemporary is false), runs out of attempts, or
// ctx ends. Cancellation ends the wait between attempts at once.
func (p Policy) Do(ctx context.Context, log *slog.Logger, op func(context.Context) error) error {
	attempts := p.attempts()
	var err error
	obs := observe.FromContext(ctx)
	if obs != nil {
		ctx = context.WithValue(ctx, sentKey{}, new(sentRequests))
	}
	for n := 0; n < attempts; n++ {
		if err = op(ctx); err == nil || !sdk.IsTemporary(err) || n == attempts-1 {
			return err
		}
		if ctx.Err() != nil {
			return err
		}
		d := p.Delay(n, err)
		if log != nil {
			log.LogAttrs(ctx, slog.LevelDebug, "jobwatch: retrying", slog.Int("attempt", n+1), slog.Duration("delay", d), slog.String("error", err.Error()))
		}
		if obs != nil && obs.Retry != nil {
			obs.Retry(ctx, observe.Retry{Vendor: errVendor(err), Reason: httpx.RetryReason(err, sdk.ErrRateLimited, sdk.ErrServerError, sdk.ErrUnexpectedResponse), Attempt: n + 1, MaxAttempts: attempts, Delay: d, Err: err})
		}
		if httpx.Sleep(ctx, d) != nil {
			return err
		}
	}
	return err
}

// errVendor is the vendor an error of a vendor call names.
func errVendor(err error) string {
	if ae := (*sdk.APIError)(nil); errors.As(err, &ae) {
		return ae.Vendor
	}
	return ""
}
