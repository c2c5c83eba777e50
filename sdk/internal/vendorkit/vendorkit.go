// Package vendorkit is the code the vendor packages share that builds sdk types: typed errors from
// answers and failed calls, finished jobs, the retry loop of read-only calls (which asks
// sdk.IsTemporary), the HTTP executor of the generated clients, and settings with their defaults.
//
// It is the one package under sdk/internal that imports sdk, and sdk never imports it. The error and
// job types stay in sdk, so that `go doc` shows their fields to users; the functions that build them
// live here, so that `go doc ./sdk` shows only what a user calls. Standard-library plumbing that sdk
// itself needs is in sdk/internal/httpx.
package vendorkit

import (
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

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/internal/httpx"
	"github.com/jobwatch/jobwatch/sdk/observe"
)

// NewSettings applies opts over the defaults (sdk.DefaultHTTPTimeout, sdk.DefaultMaxBodyBytes, a
// discarding logger, os.Getenv, the User-Agent "jobwatch/<sdk.Version>"). A zero Retry field takes
// the defaults of sdk.RetryPolicy.
func NewSettings(opts ...sdk.Option) httpx.Settings {
	var s httpx.Settings
	for _, o := range opts {
		if o != nil {
			o(&s)
		}
	}
	if s.HTTPClient == nil {
		s.HTTPClient = &http.Client{Timeout: sdk.DefaultHTTPTimeout}
	}
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	if s.UserAgent == "" {
		s.UserAgent = "jobwatch/" + sdk.Version
	}
	if s.MaxBodyBytes <= 0 {
		s.MaxBodyBytes = sdk.DefaultMaxBodyBytes
	}
	if s.Getenv == nil {
		s.Getenv = os.Getenv
	}
	return s
}

// NewDoer returns the HTTP executor the generated clients use for vendor: it sets the User-Agent,
// waits for the rate limiter, runs Prepare when the caller sets it, refuses redirects to another
// origin, caps the response body, and reports each request and limiter wait to the observe.Observer
// the request's context carries.
func NewDoer(vendor string, s httpx.Settings) *Doer {
	return &Doer{vendor: vendor, settings: s, client: sameOriginClient(s.HTTPClient), userAgent: []string{s.UserAgent}}
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
	if n, ok := req.Context().Value(attemptKey{}).(*int); ok {
		e.Attempt = *n
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

// attemptKey carries, in an observed call's context, the number of the attempt Policy.Do is making,
// for the Request events of its requests.
type attemptKey struct{}

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
			return fmt.Errorf("%w: %s to %s", sdk.ErrCrossOriginRedirect, httpx.Origin(via[0].URL), httpx.Origin(req.URL))
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
// pass through unchanged, an oversized body becomes an *sdk.APIError wrapping sdk.ErrBodyTooLarge, a
// body that is not the JSON the spec promises an *sdk.APIError wrapping sdk.ErrUnexpectedResponse,
// anything else an *sdk.TransportError.
func ClassifyCallError(ctx context.Context, vendor, op string, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(err, sdk.ErrBodyTooLarge) {
		return &sdk.APIError{Vendor: vendor, Operation: op, StatusCode: 0, Err: sdk.ErrBodyTooLarge}
	}
	if isDecodeError(err) {
		return &sdk.APIError{Vendor: vendor, Operation: op, Err: fmt.Errorf("%w: body is not valid JSON of the documented shape: %v", sdk.ErrUnexpectedResponse, err)}
	}
	return &sdk.TransportError{Vendor: vendor, Operation: op, Err: err}
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
	e := &sdk.APIError{Vendor: vendor, Operation: op, StatusCode: resp.StatusCode, Kind: KindForStatus(resp.StatusCode)}
	e.RetryAfter = httpx.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	if httpx.IsJSON(resp.Header) && parse != nil {
		if ve, ok := parse(body); ok {
			e.Code, e.Message, e.RequestID = ve.Code, ve.Message, ve.RequestID
			return e
		}
	}
	if len(body) == 0 {
		e.Err = fmt.Errorf("%w: empty body", sdk.ErrUnexpectedResponse)
	} else if !httpx.IsJSON(resp.Header) {
		e.Err = fmt.Errorf("%w: body of content-type %s", sdk.ErrUnexpectedResponse, httpx.ContentType(resp.Header))
	} else {
		e.Err = fmt.Errorf("%w: error body not in the documented shape", sdk.ErrUnexpectedResponse)
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	return e
}

// Unexpected builds the *sdk.APIError for a success status whose body is not what the spec documents.
func Unexpected(vendor, op string, resp *http.Response, why string) *sdk.APIError {
	return &sdk.APIError{Vendor: vendor, Operation: op, StatusCode: resp.StatusCode,
		Err: fmt.Errorf("%w: %s (content-type %s)", sdk.ErrUnexpectedResponse, why, httpx.ContentType(resp.Header))}
}

// KindForStatus returns the sentinel that an HTTP status means, nil when none fits.
func KindForStatus(status int) error {
	switch {
	case status == http.StatusNotFound || status == http.StatusGone:
		return sdk.ErrNotFound
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return sdk.ErrUnauthorized
	case status == http.StatusTooManyRequests:
		return sdk.ErrRateLimited
	case status == http.StatusBadRequest || status == http.StatusUnprocessableEntity:
		return sdk.ErrInvalidInput
	case status >= 500:
		return sdk.ErrServerError
	}
	return nil
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

// Int returns a pointer to n, for building sdk.Counts.
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

// Policy is a retry policy with its behaviour: sdk.RetryPolicy's fields, as the settings hold them.
// Every field follows azcore's convention: zero takes sdk's default, a negative value means none.
type Policy httpx.RetryPolicy

// attempts is how many tries the policy allows.
func (p Policy) attempts() int {
	switch {
	case p.MaxAttempts == 0:
		return sdk.DefaultMaxAttempts
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
		lo = sdk.DefaultRetryMinDelay
	}
	if hi == 0 {
		hi = sdk.DefaultRetryMaxDelay
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
		d = max(d, httpx.CapRetryAfter(ae.RetryAfter, p.MaxRetryAfter, sdk.DefaultMaxRetryAfter))
	}
	return d
}

// Do runs op until it succeeds, fails permanently (sdk.IsTemporary is false), runs out of attempts, or
// ctx ends. Cancellation ends the wait between attempts at once.
func (p Policy) Do(ctx context.Context, log *slog.Logger, op func(context.Context) error) error {
	attempts := p.attempts()
	var err error
	obs := observe.FromContext(ctx)
	var attempt *int // the attempt's number for Request events, in ctx: one allocation per observed call
	if obs != nil {
		attempt = new(int)
		ctx = context.WithValue(ctx, attemptKey{}, attempt)
	}
	for n := 0; n < attempts; n++ {
		if attempt != nil {
			*attempt = n + 1
		}
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

// errVendor is the vendor an error of a vendor call names.
func errVendor(err error) string {
	var ae *sdk.APIError
	var te *sdk.TransportError
	switch {
	case errors.As(err, &ae):
		return ae.Vendor
	case errors.As(err, &te):
		return te.Vendor
	}
	return ""
}
