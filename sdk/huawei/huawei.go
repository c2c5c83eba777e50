// Package huawei is jobwatch's client for Huawei Cloud customer engagement federated-user tasks:
// queryTask for status, createTask to submit, authorized by a token from tokenByAkSk.
//
// API reference: https://support.huaweicloud.com/intl/en-us/api-ccmanagement/ (queryTask, createTask).
package huawei

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	gen "github.com/jobwatch/jobwatch/generated/huawei"
	"github.com/jobwatch/jobwatch/sdk"
)

// Vendor is this package's name in sdk.Job.Vendor and errors.
const Vendor = "huawei"

// DefaultBaseURL is the example domain of Huawei's documentation; tenants usually have their own.
const DefaultBaseURL = "https://service.besclouds.com"

// Environment variables read when Config leaves the credentials empty.
const (
	EnvAppKey    = "JOBWATCH_HUAWEI_APP_KEY"
	EnvAppSecret = "JOBWATCH_HUAWEI_APP_SECRET"
)

// Config holds the app key and secret. Printing it never shows the secret.
type Config struct {
	AppKey    string
	AppSecret string
	// TokenLifetime asks tokenByAkSk for this lifetime (default 600 s, at most 3600 s).
	TokenLifetime time.Duration
}

// Format prints the config with the secret redacted, whatever the verb.
func (c Config) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "huawei.Config{AppKey:%q AppSecret:%s TokenLifetime:%s}", c.AppKey, sdk.Redact(c.AppSecret), c.TokenLifetime)
}

// Client calls the federated-user API. It is safe for concurrent use.
type Client struct {
	cfg     Config
	set     sdk.Settings
	gen     *gen.ClientWithResponses
	now     func() time.Time
	unknown sdk.UnknownStatusLogger

	mu       sync.Mutex
	token    string
	expires  time.Time
	inflight chan struct{} // closed when the fetch under way ends
	fetchErr error
}

// New returns a client; empty credentials are read from JOBWATCH_HUAWEI_APP_KEY and
// JOBWATCH_HUAWEI_APP_SECRET.
func New(cfg Config, opts ...sdk.Option) (*Client, error) {
	s := sdk.NewSettings(opts...)
	s.FromEnv(&cfg.AppKey, EnvAppKey)
	s.FromEnv(&cfg.AppSecret, EnvAppSecret)
	if cfg.AppKey == "" || cfg.AppSecret == "" {
		return nil, fmt.Errorf("huawei: AppKey and AppSecret are required (or set %s and %s)", EnvAppKey, EnvAppSecret)
	}
	if cfg.TokenLifetime == 0 {
		cfg.TokenLifetime = 600 * time.Second
	}
	if cfg.TokenLifetime < time.Second || cfg.TokenLifetime > time.Hour {
		return nil, fmt.Errorf("huawei: TokenLifetime %s is outside 1s..1h", cfg.TokenLifetime)
	}
	base, err := s.Base(Vendor, DefaultBaseURL)
	if err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg, set: s, now: time.Now}
	g, err := gen.NewClientWithResponses(base, gen.WithHTTPClient(s.Doer()))
	if err != nil {
		return nil, fmt.Errorf("huawei: %w", err)
	}
	c.gen = g
	return c, nil
}

// accessToken returns a cached token, fetching one when there is none or it is about to expire. Under
// concurrency one fetch runs and the other callers wait for it.
func (c *Client) accessToken(ctx context.Context) (string, error) {
	for {
		c.mu.Lock()
		if c.token != "" && c.now().Before(c.expires) {
			t := c.token
			c.mu.Unlock()
			return t, nil
		}
		if ch := c.inflight; ch != nil {
			c.mu.Unlock()
			select {
			case <-ch:
				c.mu.Lock()
				err := c.fetchErr
				c.mu.Unlock()
				if err != nil {
					return "", err
				}
				continue
			case <-ctx.Done():
				return "", ctx.Err()
			}
		}
		ch := make(chan struct{})
		c.inflight = ch
		c.mu.Unlock()

		tok, life, err := c.fetchToken(ctx)
		c.mu.Lock()
		c.fetchErr = err
		if err == nil {
			// Refresh before expiry: at 80% of the lifetime, so a token never lapses mid-request.
			c.token, c.expires = tok, c.now().Add(life*4/5)
		}
		c.inflight = nil
		close(ch)
		c.mu.Unlock()
		if err != nil {
			return "", err
		}
		return tok, nil
	}
}

// invalidate drops the cached token if it is still tok, so that the next call fetches a new one.
func (c *Client) invalidate(tok string) {
	c.mu.Lock()
	if c.token == tok {
		c.token = ""
	}
	c.mu.Unlock()
}

func (c *Client) fetchToken(ctx context.Context) (string, time.Duration, error) {
	secs := int(c.cfg.TokenLifetime / time.Second)
	var tok string
	var life time.Duration
	err := c.set.Retry.Do(ctx, c.set.Logger, func(ctx context.Context) error {
		resp, err := c.gen.TokenByAkSkWithResponse(ctx, &gen.TokenByAkSkParams{XTokenExpire: &secs}, gen.TokenRequest{AppKey: c.cfg.AppKey, AppSecret: c.cfg.AppSecret})
		if err != nil {
			return sdk.ClassifyCallError(ctx, Vendor, "token", err)
		}
		if resp.StatusCode() != http.StatusOK || resp.JSON200 == nil {
			return sdk.ResponseError(Vendor, "token", resp.HTTPResponse, resp.Body, ParseError)
		}
		if resp.JSON200.AccessToken == "" {
			return sdk.Unexpected(Vendor, "token", resp.HTTPResponse, "no AccessToken in the answer")
		}
		tok = resp.JSON200.AccessToken
		life = time.Duration(secs) * time.Second
		if n, err := strconv.Atoi(resp.JSON200.Expires); err == nil && n > 0 {
			life = time.Duration(n) * time.Second
		}
		return nil
	})
	return tok, life, err
}

// authorized runs call with a token; after a 401 it fetches a new token once and tries again.
func (c *Client) authorized(ctx context.Context, call func(ctx context.Context, editors ...gen.RequestEditorFn) error) error {
	for attempt := 0; ; attempt++ {
		tok, err := c.accessToken(ctx)
		if err != nil {
			return err
		}
		err = call(ctx, func(_ context.Context, req *http.Request) error {
			req.Header.Set("X-APP-Key", c.cfg.AppKey)
			req.Header.Set("Authorization", "Bearer "+tok)
			return nil
		})
		var ae *sdk.APIError
		if attempt == 0 && errors.As(err, &ae) && ae.StatusCode == http.StatusUnauthorized {
			c.invalidate(tok)
			continue
		}
		return err
	}
}

// Status returns the task. A resultCode other than "0" is an *sdk.APIError carrying it.
func (c *Client) Status(ctx context.Context, taskID string) (*sdk.Job, error) {
	if strings.TrimSpace(taskID) == "" {
		return nil, errors.New("huawei: task id is empty")
	}
	var res *gen.QueryTaskResult
	err := c.set.Retry.Do(ctx, c.set.Logger, func(ctx context.Context) error {
		return c.authorized(ctx, func(ctx context.Context, eds ...gen.RequestEditorFn) error {
			resp, err := c.gen.QueryTaskWithResponse(ctx, gen.QueryTaskRequest{TaskId: taskID}, eds...)
			if err != nil {
				return sdk.ClassifyCallError(ctx, Vendor, "status", err)
			}
			if resp.StatusCode() != http.StatusOK || resp.JSON200 == nil {
				return sdk.ResponseError(Vendor, "status", resp.HTTPResponse, resp.Body, ParseError)
			}
			if resp.JSON200.ResultCode != "0" {
				return resultError("status", resp.JSON200.ResultCode, resp.JSON200.ResultMessage)
			}
			res = resp.JSON200
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	j := MapTask(taskID, res)
	if j.State == sdk.StateUnknown && res.TaskInfo != nil && res.TaskInfo.Status != nil {
		c.unknown.Log(c.set, Vendor, "taskInfo.status", string(*res.TaskInfo.Status))
	}
	return j, nil
}

// Submit creates a task for up to 100 users and returns its id. It is never retried blindly; only a
// rejected token is renewed once.
func (c *Client) Submit(ctx context.Context, users []gen.FederationUserInput) (string, error) {
	if len(users) == 0 || len(users) > 100 {
		return "", fmt.Errorf("huawei: %d users in one task; createTask takes 1 to 100", len(users))
	}
	var id string
	err := c.authorized(ctx, func(ctx context.Context, eds ...gen.RequestEditorFn) error {
		resp, err := c.gen.CreateTaskWithResponse(ctx, gen.CreateTaskRequest{FederationUserList: users}, eds...)
		if err != nil {
			return sdk.ClassifyCallError(ctx, Vendor, "submit", err)
		}
		if resp.StatusCode() != http.StatusOK || resp.JSON200 == nil {
			return sdk.ResponseError(Vendor, "submit", resp.HTTPResponse, resp.Body, ParseError)
		}
		// resultCode is optional in createTask's answer (the reference says so): a missing code with a
		// taskId is success, any code other than "0" a failure.
		if rc := resp.JSON200.ResultCode; rc != nil && *rc != "0" {
			return resultError("submit", *rc, resp.JSON200.ResultMessage)
		}
		if resp.JSON200.TaskId == nil || *resp.JSON200.TaskId == "" {
			return sdk.Unexpected(Vendor, "submit", resp.HTTPResponse, "no taskId in the answer (the task may have been created)")
		}
		id = *resp.JSON200.TaskId
		return nil
	})
	return id, err
}

func resultError(op, code string, msg *string) *sdk.APIError {
	e := &sdk.APIError{Vendor: Vendor, Operation: op, StatusCode: http.StatusOK, Code: code}
	if msg != nil {
		e.Message = *msg
	}
	return e
}

// ParseError reads Huawei's error answer: resultCode/resultMessage, or the API gateway's
// error_code/error_msg.
func ParseError(body []byte) (sdk.VendorError, bool) {
	var e struct {
		ResultCode    string `json:"resultCode"`
		ResultMessage string `json:"resultMessage"`
		ErrorCode     string `json:"error_code"`
		ErrorMsg      string `json:"error_msg"`
	}
	if json.Unmarshal(body, &e) != nil {
		return sdk.VendorError{}, false
	}
	if e.ResultCode != "" || e.ResultMessage != "" {
		return sdk.VendorError{Code: e.ResultCode, Message: e.ResultMessage}, true
	}
	return sdk.VendorError{Code: e.ErrorCode, Message: e.ErrorMsg}, e.ErrorCode != "" || e.ErrorMsg != ""
}

// The generated types Submit takes, so that callers need import only this package.
type (
	// FederationUserInput is one user of a createTask request.
	FederationUserInput = gen.FederationUserInput
	// Action is what a task does to a user.
	Action = gen.Action
)

// The documented actions.
const (
	ActionCreate  = gen.ActionCREATE
	ActionModify  = gen.ActionMODIFY
	ActionDisable = gen.ActionDISABLE
)
