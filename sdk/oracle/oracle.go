// Package oracle is jobwatch's client for Oracle Primavera Cloud Administration user jobs: the job
// status call (200 done, 202 running with Location) and the user job creation.
//
// API reference: https://docs.oracle.com/en/cloud/saas/primavera-cloud-admin/ (Get Job status).
package oracle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"

	"golang.org/x/time/rate"

	gen "github.com/jobwatch/jobwatch/generated/oracle"
	"github.com/jobwatch/jobwatch/internal/redact"
	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/internal/httpx"
	"github.com/jobwatch/jobwatch/sdk/internal/vendorkit"
)

// Vendor is this package's name in sdk.Job.Vendor and errors.
const Vendor = "oracle"

// API selects the path family and its authentication.
type API string

// The API versions: v1 paths use HTTP Basic, v3 paths a Bearer token.
const (
	V1 API = "v1"
	V3 API = "v3"
)

// Environment variables read when Config leaves the credentials empty.
const (
	EnvUsername = "JOBWATCH_ORACLE_USERNAME"
	EnvPassword = "JOBWATCH_ORACLE_PASSWORD"
	EnvToken    = "JOBWATCH_ORACLE_TOKEN"
)

// Client calls Primavera Cloud. It is safe for concurrent use. Its host has no default: set it with
// sdk.ClientOptions.BaseURL (e.g. https://primavera.oraclecloud.com) or JOBWATCH_ORACLE_BASE_URL.
// Printing a Client, with any verb, shows no credential.
type Client struct{ *client }

// client is a Client's state, behind its one pointer: printing a Client then shows an address, never
// a password, token or base URL's userinfo (fmt calls no method of an unexported field).
type client struct {
	cfg  *Config
	set  *httpx.Settings
	gen  *gen.ClientWithResponses
	base *url.URL
	doer *vendorkit.Doer
	// next holds, by job id, the Location of the job's last 202 (a URL on the client's host), which its
	// next Status follows; a done job's entry is dropped. Jobs given up on while running keep theirs
	// (one URL each) for the client's life.
	next sync.Map
}

// Config holds the credentials. Printing it never shows the password or token.
type Config struct {
	// API is V1 (Basic, the default) or V3 (Bearer).
	API      API
	Username string
	Password sdk.Secret
	Token    sdk.Secret
	// Credentials, when set, is called for every request and the Username, Password and Token of its
	// answer used instead of the Config's (and of the environment); its other fields are not read. So
	// credentials that rotate (a token renewed during a 6-hour wait, a password from a secrets manager)
	// need no new client. It must be safe for concurrent use; an error it returns ends the call,
	// unretried, wrapped.
	Credentials func(context.Context) (Config, error) `json:"-"`
}

// New returns a client. Empty credentials are read from JOBWATCH_ORACLE_USERNAME and
// JOBWATCH_ORACLE_PASSWORD (v1) or JOBWATCH_ORACLE_TOKEN (v3), unless Config.Credentials is set. The
// base URL is sdk.ClientOptions.BaseURL, else JOBWATCH_ORACLE_BASE_URL; there is no default host.
func New(cfg Config, opts *sdk.ClientOptions) (*Client, error) {
	s, err := vendorkit.NewSettings(opts)
	if err != nil {
		return nil, err
	}
	if cfg.API == "" {
		cfg.API = V1
	}
	switch {
	case cfg.Credentials != nil:
		if cfg.API != V1 && cfg.API != V3 {
			return nil, fmt.Errorf("oracle: API %q is not v1 or v3", cfg.API)
		}
	case cfg.API == V1:
		httpx.FromEnv(s, &cfg.Username, EnvUsername)
		httpx.FromEnv(s, &cfg.Password, EnvPassword)
		if cfg.Username == "" || cfg.Password == "" {
			return nil, fmt.Errorf("oracle: v1 needs Username and Password (or set %s and %s)", EnvUsername, EnvPassword)
		}
	case cfg.API == V3:
		httpx.FromEnv(s, &cfg.Token, EnvToken)
		if cfg.Token == "" {
			return nil, fmt.Errorf("oracle: v3 needs Token (or set %s)", EnvToken)
		}
	default:
		return nil, fmt.Errorf("oracle: API %q is not v1 or v3", cfg.API)
	}
	raw, err := s.Base(Vendor, "")
	if err != nil {
		return nil, err
	}
	base, _ := url.Parse(raw) // Base checked it parses
	c := &Client{&client{cfg: &cfg, set: &s, base: base, doer: vendorkit.NewDoer(Vendor, s)}}
	if c.gen, err = gen.NewClientWithResponses(raw, gen.WithHTTPClient(c.doer), gen.WithRequestEditorFn(c.authorize)); err != nil {
		return nil, fmt.Errorf("oracle: %w", err)
	}
	return c, nil
}

// pathSeparators are the characters an Oracle job id may not hold, even percent-encoded: the status
// path ends with the id, and a server that decodes %2F (or reads a backslash as a slash, as some Java
// containers do) would take the id for a path.
const pathSeparators = "/\\"

// Status returns the job: running while Oracle answers 202, done when it answers 200. After a 202, the
// job's next Status polls the URL its Location named (the client keeps it), as Oracle asks. A job id
// that is not one path segment (empty, blank, a dot segment, or holding a slash or backslash, plain or
// percent-encoded) is refused before anything is sent, with an error matching sdk.ErrInvalidInput; a
// 202 whose Location names another job is an *sdk.APIError matching sdk.ErrUnexpectedResponse.
func (c *Client) Status(ctx context.Context, jobID string) (*sdk.Job, error) {
	if err := vendorkit.CheckJobID(Vendor, jobID, -1, pathSeparators); err != nil {
		return nil, err
	}
	if loc, ok := c.next.Load(jobID); ok {
		return c.StatusAt(ctx, loc.(string))
	}
	return c.status(ctx, jobID, func(ctx context.Context) (*http.Response, error) {
		if c.cfg.API == V3 {
			req, err := gen.NewGetUserJobStatusV3Request(c.base.String(), jobID)
			return c.send(ctx, req, err)
		}
		req, err := gen.NewGetUserJobStatusRequest(c.base.String(), jobID)
		return c.send(ctx, req, err)
	})
}

// StatusAt reads the job at location, the status URL a 202 named (as a resume token of an earlier
// jobwatch may carry it). The URL must be on the client's host, so that a forged Location or resume
// token cannot send the credentials elsewhere: another one is refused, before anything is sent, with
// an error matching sdk.ErrInvalidInput.
func (c *Client) StatusAt(ctx context.Context, location string) (*sdk.Job, error) {
	u := c.resolve(location)
	if u == "" {
		return nil, fmt.Errorf("oracle: location %q is not a URL on %s: %w", redact.URL(location), c.base.Scheme+"://"+c.base.Host, sdk.ErrInvalidInput)
	}
	jobID := locationJobID(u)
	return c.status(ctx, jobID, func(ctx context.Context) (*http.Response, error) {
		req, err := http.NewRequest(http.MethodGet, u, nil)
		return c.send(ctx, req, err)
	})
}

func (c *Client) send(ctx context.Context, req *http.Request, err error) (*http.Response, error) {
	if err != nil {
		return nil, err
	}
	req = req.WithContext(ctx)
	if err := c.authorize(ctx, req); err != nil {
		return nil, err
	}
	return c.doer.Do(req)
}

// authorize sets the Authorization header from the static credentials or, when set, the provider,
// read afresh for this request.
func (c *Client) authorize(ctx context.Context, req *http.Request) error {
	v3 := c.cfg.API == V3
	cr, err := vendorkit.Credentials(ctx, Vendor, c.cfg, c.cfg.Credentials, func(cr *Config) string {
		switch {
		case v3 && cr.Token == "":
			return "Token (v3)"
		case !v3 && (cr.Username == "" || cr.Password == ""):
			return "Username or Password (v1)"
		}
		return ""
	})
	switch {
	case err != nil:
		return err
	case v3:
		req.Header.Set("Authorization", "Bearer "+string(cr.Token))
	default:
		req.SetBasicAuth(cr.Username, string(cr.Password))
	}
	return nil
}

// status runs one status request (with retries) and maps its answer; both status paths answer alike.
// It keeps the Location of a 202 for the job's next Status.
func (c *Client) status(ctx context.Context, jobID string, do func(context.Context) (*http.Response, error)) (*sdk.Job, error) {
	var job *sdk.Job
	var loc string
	err := vendorkit.Policy(c.set.Retry).Do(ctx, c.set.Logger, func(ctx context.Context) error {
		httpResp, err := do(ctx)
		if err != nil {
			return vendorkit.ClassifyCallError(ctx, Vendor, "status", err)
		}
		if httpResp.StatusCode == http.StatusAccepted && httpResp.ContentLength == 0 {
			// Running, said by the status and Location alone: the body is optional in practice.
			httpResp.Body.Close()
			if loc, err = c.nextPoll(jobID, httpResp); err != nil {
				return err
			}
			job = mapStatus(jobID, http.StatusAccepted, nil)
			return nil
		}
		r, err := gen.ParseGetUserJobStatusResponse(httpResp)
		if err != nil {
			return vendorkit.ClassifyCallError(ctx, Vendor, "status", err)
		}
		switch {
		case httpResp.StatusCode == http.StatusOK && r.JSON200 != nil:
			job, loc = mapStatus(jobID, http.StatusOK, r.JSON200), ""
		case httpResp.StatusCode == http.StatusAccepted && r.JSON202 != nil:
			if loc, err = c.nextPoll(jobID, httpResp); err != nil {
				return err
			}
			job = mapStatus(jobID, http.StatusAccepted, r.JSON202)
		default:
			return vendorkit.ResponseError(Vendor, "status", httpResp, r.Body, parseError)
		}
		return nil
	})
	switch {
	case err != nil:
	case loc != "":
		c.next.Store(jobID, loc)
	default:
		c.next.Delete(jobID)
	}
	return job, err
}

// nextPoll is the Location of a 202 about jobID, resolved (see resolve). A Location that names another
// job is an *sdk.APIError matching sdk.ErrUnexpectedResponse: the wait would follow it and report that
// job's end as this one's.
func (c *Client) nextPoll(jobID string, resp *http.Response) (string, error) {
	loc := c.resolve(resp.Header.Get("Location"))
	if loc != "" && locationJobID(loc) != jobID {
		return "", vendorkit.Unexpected(Vendor, "status", resp, fmt.Sprintf("the 202 Location names job %q, not %q", locationJobID(loc), jobID))
	}
	return loc, nil
}

// locationJobID is the job a status URL names: the last segment of its path, decoded.
func locationJobID(loc string) string {
	u, err := url.Parse(loc)
	if err != nil {
		return ""
	}
	return path.Base(strings.TrimRight(u.Path, "/"))
}

// resolve makes a Location absolute against the base URL and keeps it only if it stays on the base
// URL's origin (scheme, host and port), so that a Location can neither send the credentials to another
// host or port nor downgrade them to plain http.
func (c *Client) resolve(loc string) string {
	if loc == "" {
		return ""
	}
	u, err := c.base.Parse(loc)
	if err != nil || u.User != nil || !httpx.SameOrigin(u, c.base) {
		return ""
	}
	return u.String()
}

// Submit starts a job that adds, modifies or deletes users and returns its id, the last path segment
// of the Location Oracle answers. It is never retried: only one create job may run at a time.
func (c *Client) Submit(ctx context.Context, users UserDataStore) (string, error) {
	if isEmpty(users) {
		return "", errors.New("oracle: nothing to submit (added, modified and deleted are empty)")
	}
	var (
		httpResp *http.Response
		body     []byte
		err      error
	)
	if c.cfg.API == V3 {
		var r *gen.CreateUserJobV3Response
		if r, err = c.gen.CreateUserJobV3WithResponse(ctx, users); err == nil {
			httpResp, body = r.HTTPResponse, r.Body
		}
	} else {
		var r *gen.CreateUserJobResponse
		if r, err = c.gen.CreateUserJobWithResponse(ctx, users); err == nil {
			httpResp, body = r.HTTPResponse, r.Body
		}
	}
	if err != nil {
		return "", vendorkit.ClassifyCallError(ctx, Vendor, "submit", err)
	}
	if httpResp.StatusCode != http.StatusAccepted {
		return "", vendorkit.ResponseError(Vendor, "submit", httpResp, body, parseError)
	}
	loc := httpResp.Header.Get("Location")
	id := path.Base(strings.TrimRight(loc, "/"))
	if loc == "" || id == "." || id == "/" {
		return "", vendorkit.Unexpected(Vendor, "submit", httpResp, "202 without a Location naming the job")
	}
	return id, nil
}

func isEmpty(u gen.UserDataStore) bool {
	n := func(p *[]gen.UserRO) int {
		if p == nil {
			return 0
		}
		return len(*p)
	}
	return n(u.Added) == 0 && n(u.Modified) == 0 && (u.Deleted == nil || len(*u.Deleted) == 0)
}

// parseError reads Oracle's error answer: a JSON object with message/exception, or plain text.
func parseError(body []byte) (vendorkit.VendorError, bool) {
	var e struct {
		Message   *string `json:"message"`
		Exception *string `json:"exception"`
	}
	if json.Unmarshal(body, &e) != nil {
		return vendorkit.VendorError{}, false
	}
	msg := ""
	if e.Exception != nil && *e.Exception != "" {
		msg = *e.Exception
	}
	if e.Message != nil && *e.Message != "" {
		if msg != "" {
			msg += ": "
		}
		msg += *e.Message
	}
	return vendorkit.VendorError{Message: msg}, msg != ""
}

// The generated types Submit takes, so that callers need import only this package.
type (
	// UserDataStore is the users to add, modify or delete in one job (Submit).
	UserDataStore = gen.UserDataStore
	// UserRO is one user record.
	UserRO = gen.UserRO
	// CompanyRO is a user's organization.
	CompanyRO = gen.CompanyRO
)

// Vendor returns "oracle"; with Status it makes the client an sdk.Poller for sdk.Wait and sdk.Watcher.
func (c *Client) Vendor() string { return Vendor }

// Limiter returns the rate limiter every request of this client waits for, nil when there is none
// (set one with sdk.ClientOptions.RateLimiter); a Watcher plans its sweeps from it.
func (c *Client) Limiter() *rate.Limiter { return c.set.Limiter }
