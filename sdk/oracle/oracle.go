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

	gen "github.com/jobwatch/jobwatch/generated/oracle"
	"github.com/jobwatch/jobwatch/sdk"
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

// Config holds the credentials. Printing it never shows the password or token.
type Config struct {
	// API is V1 (Basic, the default) or V3 (Bearer).
	API      API
	Username string
	Password string
	Token    string
}

// Format prints the config with its secrets redacted, whatever the verb.
func (c Config) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "oracle.Config{API:%q Username:%q Password:%s Token:%s}", c.API, c.Username, sdk.Redact(c.Password), sdk.Redact(c.Token))
}

// Client calls Primavera Cloud. It is safe for concurrent use. Its host has no default: set it with
// sdk.WithBaseURL (e.g. https://primavera.oraclecloud.com).
type Client struct {
	cfg  Config
	set  sdk.Settings
	gen  *gen.ClientWithResponses
	base *url.URL
	doer *sdk.Doer
}

// New returns a client. Empty credentials are read from JOBWATCH_ORACLE_USERNAME and
// JOBWATCH_ORACLE_PASSWORD (v1) or JOBWATCH_ORACLE_TOKEN (v3).
func New(cfg Config, opts ...sdk.Option) (*Client, error) {
	s := sdk.NewSettings(opts...)
	if cfg.API == "" {
		cfg.API = V1
	}
	switch cfg.API {
	case V1:
		s.FromEnv(&cfg.Username, EnvUsername)
		s.FromEnv(&cfg.Password, EnvPassword)
		if cfg.Username == "" || cfg.Password == "" {
			return nil, fmt.Errorf("oracle: v1 needs Username and Password (or set %s and %s)", EnvUsername, EnvPassword)
		}
	case V3:
		s.FromEnv(&cfg.Token, EnvToken)
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
	c := &Client{cfg: cfg, set: s, base: base, doer: s.Doer()}
	auth := func(_ context.Context, req *http.Request) error {
		c.authorize(req)
		return nil
	}
	if c.gen, err = gen.NewClientWithResponses(s.BaseURL, gen.WithHTTPClient(c.doer), gen.WithRequestEditorFn(auth)); err != nil {
		return nil, fmt.Errorf("oracle: %w", err)
	}
	return c, nil
}

// Status returns the job: running while Oracle answers 202 (Job.NextPoll holds its Location), done
// when it answers 200.
func (c *Client) Status(ctx context.Context, jobID string) (*sdk.Job, error) {
	if strings.TrimSpace(jobID) == "" || strings.Contains(jobID, "/") {
		return nil, fmt.Errorf("oracle: job id %q is empty or contains '/'", jobID)
	}
	return c.status(ctx, jobID, func(ctx context.Context) (*http.Response, error) {
		if c.cfg.API == V3 {
			req, err := gen.NewGetUserJobStatusV3Request(c.set.BaseURL, jobID)
			return c.send(ctx, req, err)
		}
		req, err := gen.NewGetUserJobStatusRequest(c.set.BaseURL, jobID)
		return c.send(ctx, req, err)
	})
}

// StatusAt reads the job at location, the status URL a 202 named (Job.NextPoll). The URL must be on
// the client's host, so that a forged Location or resume token cannot send the credentials elsewhere.
func (c *Client) StatusAt(ctx context.Context, location string) (*sdk.Job, error) {
	u := c.resolve(location)
	if u == "" {
		return nil, fmt.Errorf("oracle: location %q is not a URL on %s", location, c.base.Host)
	}
	jobID := path.Base(strings.TrimRight(u, "/"))
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
	c.authorize(req)
	return c.doer.Do(req)
}

func (c *Client) authorize(req *http.Request) {
	if c.cfg.API == V3 {
		req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	} else {
		req.SetBasicAuth(c.cfg.Username, c.cfg.Password)
	}
}

// status runs one status request (with retries) and maps its answer; both status paths answer alike.
func (c *Client) status(ctx context.Context, jobID string, do func(context.Context) (*http.Response, error)) (*sdk.Job, error) {
	var job *sdk.Job
	err := c.set.Retry.Do(ctx, c.set.Logger, func(ctx context.Context) error {
		httpResp, err := do(ctx)
		if err != nil {
			return sdk.ClassifyCallError(ctx, Vendor, "status", err)
		}
		r, err := gen.ParseGetUserJobStatusResponse(httpResp)
		if err != nil {
			return sdk.ClassifyCallError(ctx, Vendor, "status", err)
		}
		switch {
		case httpResp.StatusCode == http.StatusOK && r.JSON200 != nil:
			job = MapStatus(jobID, http.StatusOK, r.JSON200, "")
		case httpResp.StatusCode == http.StatusAccepted && r.JSON202 != nil:
			job = MapStatus(jobID, http.StatusAccepted, r.JSON202, c.resolve(httpResp.Header.Get("Location")))
		default:
			return sdk.ResponseError(Vendor, "status", httpResp, r.Body, ParseError)
		}
		return nil
	})
	return job, err
}

// resolve makes a Location absolute against the base URL and keeps it only if it stays on that host,
// so a redirect cannot send credentials elsewhere.
func (c *Client) resolve(loc string) string {
	if loc == "" {
		return ""
	}
	u, err := c.base.Parse(loc)
	if err != nil || u.Host != c.base.Host {
		return ""
	}
	return u.String()
}

// Submit starts a job that adds, modifies or deletes users and returns its id, the last path segment
// of the Location Oracle answers. It is never retried: only one create job may run at a time.
func (c *Client) Submit(ctx context.Context, users gen.UserDataStore) (string, error) {
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
		return "", sdk.ClassifyCallError(ctx, Vendor, "submit", err)
	}
	if httpResp.StatusCode != http.StatusAccepted {
		return "", sdk.ResponseError(Vendor, "submit", httpResp, body, ParseError)
	}
	loc := httpResp.Header.Get("Location")
	id := path.Base(strings.TrimRight(loc, "/"))
	if loc == "" || id == "." || id == "/" {
		return "", sdk.Unexpected(Vendor, "submit", httpResp, "202 without a Location naming the job")
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

// ParseError reads Oracle's error answer: a JSON object with message/exception, or plain text.
func ParseError(body []byte) (sdk.VendorError, bool) {
	var e struct {
		Message   *string `json:"message"`
		Exception *string `json:"exception"`
	}
	if json.Unmarshal(body, &e) != nil {
		return sdk.VendorError{}, false
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
	return sdk.VendorError{Message: msg}, msg != ""
}

// The generated types Submit takes, so that callers need import only this package.
type (
	// UserDataStore is the users to add, modify or delete in one job.
	UserDataStore = gen.UserDataStore
	// UserRO is one user record.
	UserRO = gen.UserRO
	// CompanyRO is a user's organization.
	CompanyRO = gen.CompanyRO
)
