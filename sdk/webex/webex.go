// Package webex is jobwatch's client for Cisco Webex Calling move-users jobs: Get Move Users Job
// Status, the job's errors list for per-user failures, and Validate or Initiate Move Users Job to submit.
//
// API reference: https://developer.webex.com/docs/api/v1/user-call-settings/get-move-users-job-status
package webex

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	gen "github.com/jobwatch/jobwatch/generated/webex"
	"github.com/jobwatch/jobwatch/sdk"
)

// Vendor is this package's name in sdk.Job.Vendor and errors.
const Vendor = "webex"

// DefaultBaseURL is Webex's API root.
const DefaultBaseURL = "https://webexapis.com/v1"

// EnvToken is read when Config.Token is empty.
const EnvToken = "WEBEX_ACCESS_TOKEN"

// Config holds the access token and the organization. Printing it never shows the token.
type Config struct {
	// Token is an administrator's access token (scope spark-admin:telephony_config_read, plus
	// _write to submit).
	Token string
	// OrgID selects the organization, for partner administrators (optional).
	OrgID string
	// Credentials, when set, is called for every request and its token used instead of Token (and of
	// WEBEX_ACCESS_TOKEN), so that a token refreshed during a long wait needs no new client. It must be
	// safe for concurrent use; an error it returns ends the call, unretried, wrapped.
	Credentials func(context.Context) (Credentials, error)
}

// Credentials are what a Config.Credentials provider returns. Printing them never shows the token.
type Credentials struct {
	Token string
}

// Format prints the credentials with the token redacted, whatever the verb.
func (c Credentials) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "webex.Credentials{Token:%s}", sdk.Redact(c.Token))
}

// Format prints the config with the token redacted, whatever the verb.
func (c Config) Format(f fmt.State, _ rune) {
	p := "nil"
	if c.Credentials != nil {
		p = "provider"
	}
	fmt.Fprintf(f, "webex.Config{Token:%s OrgID:%q Credentials:%s}", sdk.Redact(c.Token), c.OrgID, p)
}

// Client calls Webex. It is safe for concurrent use. Printing a Client (any verb) shows no credential:
// they are held behind pointers.
type Client struct {
	cfg     *Config
	set     *sdk.Settings
	gen     *gen.ClientWithResponses
	unknown sdk.UnknownStatusLogger
	shown   string // the base URL with its userinfo redacted, for Format
}

// Format prints the client's organization and base URL (its userinfo redacted), never the token,
// whatever the verb.
func (c *Client) Format(f fmt.State, _ rune) {
	if c == nil || c.cfg == nil {
		fmt.Fprint(f, "webex.Client{}")
		return
	}
	fmt.Fprintf(f, "webex.Client{OrgID:%q BaseURL:%s}", c.cfg.OrgID, c.shown)
}

// New returns a client; an empty Token is read from WEBEX_ACCESS_TOKEN unless Config.Credentials is
// set. The base URL is sdk.WithBaseURL, else JOBWATCH_WEBEX_BASE_URL, else DefaultBaseURL.
func New(cfg Config, opts ...sdk.Option) (*Client, error) {
	s := sdk.NewSettings(opts...)
	if cfg.Credentials == nil {
		s.FromEnv(&cfg.Token, EnvToken)
	}
	if cfg.Token == "" && cfg.Credentials == nil {
		return nil, fmt.Errorf("webex: Token is required (or set %s)", EnvToken)
	}
	base, err := s.Base(Vendor, DefaultBaseURL)
	if err != nil {
		return nil, err
	}
	c := &Client{cfg: &cfg, set: &s, shown: sdk.RedactURL(base)}
	auth := func(ctx context.Context, req *http.Request) error {
		tok := c.cfg.Token
		if c.cfg.Credentials != nil {
			cr, err := c.cfg.Credentials(ctx)
			if err != nil {
				return fmt.Errorf("webex: credentials provider: %w", err)
			}
			if tok = cr.Token; tok == "" {
				return errors.New("webex: credentials provider returned no Token")
			}
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		return nil
	}
	g, err := gen.NewClientWithResponses(base, gen.WithHTTPClient(s.Doer()), gen.WithRequestEditorFn(auth))
	if err != nil {
		return nil, fmt.Errorf("webex: %w", err)
	}
	c.gen = g
	return c, nil
}

func (c *Client) org() *string {
	if c.cfg.OrgID == "" {
		return nil
	}
	return &c.cfg.OrgID
}

// Status returns the job. When it completed with failed moves, the per-user failures are read from
// the job's errors list (one more call).
func (c *Client) Status(ctx context.Context, jobID string) (*sdk.Job, error) {
	if strings.TrimSpace(jobID) == "" {
		return nil, errors.New("webex: job id is empty")
	}
	var job *gen.MoveUsersJob
	err := c.set.Retry.Do(ctx, c.set.Logger, func(ctx context.Context) error {
		resp, err := c.gen.GetMoveUsersJobStatusWithResponse(ctx, jobID, &gen.GetMoveUsersJobStatusParams{OrgId: c.org()})
		if err != nil {
			return sdk.ClassifyCallError(ctx, Vendor, "status", err)
		}
		if resp.StatusCode() != http.StatusOK || resp.JSON200 == nil {
			return responseError("status", resp.HTTPResponse, resp.Body)
		}
		if resp.JSON200.Id == "" || resp.JSON200.LatestExecutionStatus == "" {
			return sdk.Unexpected(Vendor, "status", resp.HTTPResponse, "job lacks id or latestExecutionStatus")
		}
		job = resp.JSON200
		return nil
	})
	if err != nil {
		return nil, err
	}
	j := MapJob(job)
	if j.State == sdk.StateUnknown {
		c.unknown.Log(*c.set, Vendor, "latestExecutionStatus", string(job.LatestExecutionStatus))
	}
	if j.Done && job.Counts.Failed > 0 {
		items, err := c.jobErrors(ctx, jobID)
		if err != nil {
			return nil, err
		}
		j.Failures = Failures(items)
	}
	return j, nil
}

func (c *Client) jobErrors(ctx context.Context, jobID string) ([]gen.JobErrorItem, error) {
	var items []gen.JobErrorItem
	err := c.set.Retry.Do(ctx, c.set.Logger, func(ctx context.Context) error {
		resp, err := c.gen.ListMoveUsersJobErrorsWithResponse(ctx, jobID, &gen.ListMoveUsersJobErrorsParams{OrgId: c.org()})
		if err != nil {
			return sdk.ClassifyCallError(ctx, Vendor, "errors", err)
		}
		if resp.StatusCode() != http.StatusOK || resp.JSON200 == nil {
			return responseError("errors", resp.HTTPResponse, resp.Body)
		}
		items = resp.JSON200.Items
		return nil
	})
	return items, err
}

// Submit starts a job moving users to a location and returns its id. It is never retried.
func (c *Client) Submit(ctx context.Context, locationID string, users []gen.UserItem) (string, error) {
	if locationID == "" {
		return "", errors.New("webex: location id is empty")
	}
	if len(users) == 0 || len(users) > 100 {
		return "", fmt.Errorf("webex: %d users to move; Webex takes 1 to 100", len(users))
	}
	body := gen.MoveUsersRequest{UsersList: []gen.UsersListItem{{LocationId: locationID, Validate: false, Users: users}}}
	resp, err := c.gen.ValidateOrInitiateMoveUsersJobWithResponse(ctx, &gen.ValidateOrInitiateMoveUsersJobParams{OrgId: c.org()}, body)
	if err != nil {
		return "", sdk.ClassifyCallError(ctx, Vendor, "submit", err)
	}
	if resp.StatusCode() != http.StatusOK || resp.JSON200 == nil {
		return "", responseError("submit", resp.HTTPResponse, resp.Body)
	}
	started, err := resp.JSON200.Response.AsStartJobResponse()
	if err != nil || started.JobDetails == nil || started.JobDetails.Id == "" {
		return "", sdk.Unexpected(Vendor, "submit", resp.HTTPResponse, "no jobDetails.id in the answer")
	}
	return started.JobDetails.Id, nil
}

func responseError(op string, resp *http.Response, body []byte) *sdk.APIError {
	return sdk.ResponseError(Vendor, op, resp, body, ParseError)
}

// ParseError reads Webex's error body: message, errors[].description (and code) and trackingId, or the
// telephony form error[].code/message.
func ParseError(body []byte) (sdk.VendorError, bool) {
	var e struct {
		Message string `json:"message"`
		Errors  []struct {
			Description string `json:"description"`
			Code        any    `json:"code"`
		} `json:"errors"`
		Error []struct {
			Code    any    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
		TrackingID string `json:"trackingId"`
	}
	if json.Unmarshal(body, &e) != nil {
		return sdk.VendorError{}, false
	}
	out := sdk.VendorError{Message: e.Message, RequestID: e.TrackingID}
	if len(e.Errors) > 0 {
		if out.Message == "" {
			out.Message = e.Errors[0].Description
		}
		out.Code = codeString(e.Errors[0].Code)
	}
	if len(e.Error) > 0 {
		if out.Message == "" {
			out.Message = e.Error[0].Message
		}
		out.Code = codeString(e.Error[0].Code)
	}
	return out, out.Message != "" || out.Code != "" || out.RequestID != ""
}

func codeString(v any) string {
	switch c := v.(type) {
	case nil:
		return ""
	case string:
		return c
	case float64:
		return fmt.Sprintf("%.0f", c)
	}
	return fmt.Sprint(v)
}

// UserItem is one user to move, the generated type Submit takes, so that callers need import only this
// package.
type UserItem = gen.UserItem
