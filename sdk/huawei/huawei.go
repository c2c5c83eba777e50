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
	"sync"
	"time"

	"golang.org/x/time/rate"

	gen "github.com/jobwatch/jobwatch/generated/huawei"
	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/internal/httpx"
	"github.com/jobwatch/jobwatch/sdk/internal/vendorkit"
)

// Vendor is this package's name in sdk.Job.Vendor and errors.
const Vendor = "huawei"

// Environment variables read when Config leaves the credentials empty. The base URL, which has no
// default, is sdk.ClientOptions.BaseURL or the environment variable JOBWATCH_HUAWEI_BASE_URL.
const (
	EnvAppKey    = "JOBWATCH_HUAWEI_APP_KEY"
	EnvAppSecret = "JOBWATCH_HUAWEI_APP_SECRET"
)

// maxTokenLifetime caps the lifetime a token answer claims: tokenByAkSk grants at most an hour, so a
// longer one is a server's mistake, and a day bounds how long a token can be trusted on its word.
const maxTokenLifetime = 24 * time.Hour

// Client calls the federated-user API. It is safe for concurrent use. Printing a Client, with any
// verb, shows no credential or token.
type Client struct{ *client }

// client is a Client's state. fmt calls no method of an unexported field, and prints this pointer as an
// address whatever the verb, so neither the app secret nor the cached token shows.
type client struct {
	cfg     *Config
	set     *httpx.Settings
	gen     *gen.ClientWithResponses
	now     func() time.Time
	unknown vendorkit.UnknownStatusLogger
	tok     *tokenCache
}

// Config holds the app key and secret. Printing it never shows the secret.
type Config struct {
	AppKey    string
	AppSecret sdk.Secret
	// TokenLifetime asks tokenByAkSk for this lifetime (default 600 s, at most 3600 s).
	TokenLifetime time.Duration
	// Credentials, when set, is read for every request instead of AppKey and AppSecret (and of the
	// environment), and the AppKey and AppSecret of its answer used (its other fields are not read):
	// the secret goes into each token fetch, and a changed AppKey drops the cached token at once, so
	// credentials rotated during a long wait need no new client. It must be safe for concurrent use; an
	// error it returns ends the call, unretried, wrapped.
	Credentials func(context.Context) (Config, error) `json:"-"`
}

// tokenCache is the cached access token and the fetch under way, if any.
type tokenCache struct {
	mu       sync.Mutex
	token    string
	appKey   string // the key the token was issued for, sent as X-APP-Key with it
	expires  time.Time
	inflight *tokenFetch
}

// tokenFetch is one tokenByAkSk call that concurrent callers share; done is closed when it ends.
type tokenFetch struct {
	done   chan struct{}
	token  string
	appKey string
	err    error
}

// New returns a client; empty credentials are read from JOBWATCH_HUAWEI_APP_KEY and
// JOBWATCH_HUAWEI_APP_SECRET unless Config.Credentials is set. Huawei has no default host: the base
// URL is sdk.ClientOptions.BaseURL or JOBWATCH_HUAWEI_BASE_URL, and an error names both when neither
// is given.
func New(cfg Config, opts *sdk.ClientOptions) (*Client, error) {
	s, err := vendorkit.NewSettings(opts)
	if err != nil {
		return nil, err
	}
	if cfg.Credentials == nil {
		httpx.FromEnv(s, &cfg.AppKey, EnvAppKey)
		httpx.FromEnv(s, &cfg.AppSecret, EnvAppSecret)
		if cfg.AppKey == "" || cfg.AppSecret == "" {
			return nil, fmt.Errorf("huawei: AppKey and AppSecret are required (or set %s and %s)", EnvAppKey, EnvAppSecret)
		}
	}
	if cfg.TokenLifetime == 0 {
		cfg.TokenLifetime = 600 * time.Second
	}
	if cfg.TokenLifetime < time.Second || cfg.TokenLifetime > time.Hour {
		return nil, fmt.Errorf("huawei: TokenLifetime %s is outside 1s..1h", cfg.TokenLifetime)
	}
	base, err := s.Base(Vendor, "")
	if err != nil {
		return nil, err
	}
	c := &Client{&client{cfg: &cfg, set: &s, now: time.Now, tok: &tokenCache{}}}
	g, err := gen.NewClientWithResponses(base, gen.WithHTTPClient(vendorkit.NewDoer(Vendor, s)))
	if err != nil {
		return nil, fmt.Errorf("huawei: %w", err)
	}
	c.gen = g
	return c, nil
}

// credentials returns the static credentials, or the provider's answer.
func (c *Client) credentials(ctx context.Context) (Config, error) {
	return vendorkit.Credentials(ctx, Vendor, c.cfg, c.cfg.Credentials, func(cr *Config) string {
		if cr.AppKey == "" || cr.AppSecret == "" {
			return "AppKey or AppSecret"
		}
		return ""
	})
}

// accessToken returns a cached token and the app key it belongs to, fetching one when there is none,
// it is about to expire, or the credentials now name another app key. Under concurrency one fetch
// runs, detached from every caller's cancellation, and all callers wait for it, each until its own
// context ends.
func (c *Client) accessToken(ctx context.Context) (token, appKey string, err error) {
	cr, err := c.credentials(ctx)
	if err != nil {
		return "", "", err
	}
	t := c.tok
	t.mu.Lock()
	if t.token != "" && t.appKey == cr.AppKey && c.now().Before(t.expires) {
		tok, key := t.token, t.appKey
		t.mu.Unlock()
		return tok, key, nil
	}
	f := t.inflight
	if f == nil {
		f = &tokenFetch{done: make(chan struct{})}
		t.inflight = f
		go c.fetch(context.WithoutCancel(ctx), cr, f)
	}
	t.mu.Unlock()
	select {
	case <-f.done:
		return f.token, f.appKey, f.err
	case <-ctx.Done():
		return "", "", ctx.Err()
	}
}

// fetch runs one shared token fetch (one tokenByAkSk call) and publishes its result. The fetch is
// shared by every caller waiting for a token, so it runs under a context of its own (the first
// caller's values, none of its cancellation), bounded by the default client's timeout per attempt:
// one caller giving up must not fail the others.
func (c *Client) fetch(ctx context.Context, cr Config, f *tokenFetch) {
	ctx, cancel := context.WithTimeout(ctx, vendorkit.DefaultHTTPTimeout)
	defer cancel()
	tok, life, err := c.fetchToken(ctx, cr)
	t := c.tok
	t.mu.Lock()
	if err == nil {
		// Refresh before expiry: at 80% of the lifetime, so a token never lapses mid-request.
		t.token, t.appKey, t.expires = tok, cr.AppKey, c.now().Add(life*4/5)
	}
	t.inflight = nil
	f.token, f.appKey, f.err = tok, cr.AppKey, err
	t.mu.Unlock()
	close(f.done)
}

// invalidate drops the cached token if it is still tok, so that the next call fetches a new one.
func (c *Client) invalidate(tok string) {
	c.tok.mu.Lock()
	if c.tok.token == tok {
		c.tok.token = ""
	}
	c.tok.mu.Unlock()
}

// fetchToken makes one tokenByAkSk call. It does not retry: the call that needs the token (Status)
// owns the one retry loop, so a failing token endpoint costs one request per attempt, not a nested loop.
func (c *Client) fetchToken(ctx context.Context, cr Config) (string, time.Duration, error) {
	secs := int(c.cfg.TokenLifetime / time.Second)
	resp, err := c.gen.TokenByAkSkWithResponse(ctx, &gen.TokenByAkSkParams{XTokenExpire: &secs}, gen.TokenRequest{AppKey: cr.AppKey, AppSecret: string(cr.AppSecret)})
	if err != nil {
		// Classified against a context that never ends: this fetch's own timeout is per attempt and
		// temporary; only a caller's own context is final, and each caller checks its own.
		return "", 0, vendorkit.ClassifyCallError(context.Background(), Vendor, "token", err)
	}
	if resp.StatusCode() != http.StatusOK || resp.JSON200 == nil {
		return "", 0, vendorkit.ResponseError(Vendor, "token", resp.HTTPResponse, resp.Body, parseError)
	}
	if resp.JSON200.AccessToken == "" {
		return "", 0, vendorkit.Unexpected(Vendor, "token", resp.HTTPResponse, "no AccessToken in the answer")
	}
	life := time.Duration(secs) * time.Second
	if n, err := strconv.ParseInt(resp.JSON200.Expires, 10, 64); err == nil && n > 0 {
		// Capped before converting: 9223372036854775807 s overflows a Duration into a negative one,
		// and a token that seems expired is fetched again for every call.
		life = time.Duration(min(n, int64(maxTokenLifetime/time.Second))) * time.Second
	}
	return resp.JSON200.AccessToken, life, nil
}

// authorized runs call with a token; after a 401 it fetches a new token once and tries again.
func (c *Client) authorized(ctx context.Context, call func(ctx context.Context, editors ...gen.RequestEditorFn) error) error {
	for attempt := 0; ; attempt++ {
		tok, appKey, err := c.accessToken(ctx)
		if err != nil {
			return err
		}
		err = call(ctx, func(_ context.Context, req *http.Request) error {
			req.Header.Set("X-APP-Key", appKey)
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

// Status returns the task. A resultCode other than "0" is an *sdk.APIError carrying it. A task id that
// is empty, blank or a dot segment is refused before anything is sent (no token is fetched either),
// with an error matching sdk.ErrInvalidInput.
func (c *Client) Status(ctx context.Context, taskID string) (*sdk.Job, error) {
	// The task id travels in the body, not the path, but no task is named by a dot segment either:
	// every vendor refuses the same ids.
	if err := vendorkit.CheckJobID(Vendor, taskID, -1, ""); err != nil {
		return nil, err
	}
	var res *gen.QueryTaskResult
	err := vendorkit.Policy(c.set.Retry).Do(ctx, c.set.Logger, func(ctx context.Context) error {
		return c.authorized(ctx, func(ctx context.Context, eds ...gen.RequestEditorFn) error {
			resp, err := c.gen.QueryTaskWithResponse(ctx, gen.QueryTaskRequest{TaskId: taskID}, eds...)
			if err != nil {
				return vendorkit.ClassifyCallError(ctx, Vendor, "status", err)
			}
			if resp.StatusCode() != http.StatusOK || resp.JSON200 == nil {
				return vendorkit.ResponseError(Vendor, "status", resp.HTTPResponse, resp.Body, parseError)
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
	j := mapTask(taskID, res)
	if j.State == sdk.StateUnknown && res.TaskInfo != nil && res.TaskInfo.Status != nil {
		c.unknown.Log(*c.set, Vendor, "taskInfo.status", string(*res.TaskInfo.Status))
	}
	return j, nil
}

// Submit creates a task for up to 100 users and returns its id. It is never retried blindly; only a
// rejected token is renewed once.
func (c *Client) Submit(ctx context.Context, users []FederationUserInput) (string, error) {
	if len(users) == 0 || len(users) > 100 {
		return "", fmt.Errorf("huawei: %d users in one task; createTask takes 1 to 100", len(users))
	}
	var id string
	err := c.authorized(ctx, func(ctx context.Context, eds ...gen.RequestEditorFn) error {
		resp, err := c.gen.CreateTaskWithResponse(ctx, gen.CreateTaskRequest{FederationUserList: users}, eds...)
		if err != nil {
			return vendorkit.ClassifyCallError(ctx, Vendor, "submit", err)
		}
		if resp.StatusCode() != http.StatusOK || resp.JSON200 == nil {
			return vendorkit.ResponseError(Vendor, "submit", resp.HTTPResponse, resp.Body, parseError)
		}
		// resultCode is optional in createTask's answer (the reference says so): a missing code with a
		// taskId is success, any code other than "0" a failure.
		if rc := resp.JSON200.ResultCode; rc != nil && *rc != "0" {
			return resultError("submit", *rc, resp.JSON200.ResultMessage)
		}
		if resp.JSON200.TaskId == nil || *resp.JSON200.TaskId == "" {
			return vendorkit.Unexpected(Vendor, "submit", resp.HTTPResponse, "no taskId in the answer (the task may have been created)")
		}
		id = *resp.JSON200.TaskId
		return nil
	})
	return id, err
}

func resultError(op, code string, msg *string) *sdk.APIError {
	e := vendorkit.WithCause(&sdk.APIError{Vendor: Vendor, Operation: op, StatusCode: http.StatusOK, Code: code}, kindForCode(code), nil)
	if msg != nil {
		e.Message = *msg
	}
	return e
}

// parseError reads Huawei's error answer: resultCode/resultMessage, or the API gateway's
// error_code/error_msg.
func parseError(body []byte) (vendorkit.VendorError, bool) {
	var e struct {
		ResultCode    string `json:"resultCode"`
		ResultMessage string `json:"resultMessage"`
		ErrorCode     string `json:"error_code"`
		ErrorMsg      string `json:"error_msg"`
	}
	if json.Unmarshal(body, &e) != nil {
		return vendorkit.VendorError{}, false
	}
	if e.ResultCode != "" || e.ResultMessage != "" {
		return vendorkit.VendorError{Code: e.ResultCode, Message: e.ResultMessage}, true
	}
	return vendorkit.VendorError{Code: e.ErrorCode, Message: e.ErrorMsg}, e.ErrorCode != "" || e.ErrorMsg != ""
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
	ActionCreate  Action = "CREATE"
	ActionModify  Action = "MODIFY"
	ActionDisable Action = "DISABLE"
)

// kindForCode gives the documented Huawei codes (the failCode table of queryTask, which resultCode
// shares) their sdk kind, so that retrying follows the kind: an internal system error is retried like
// a 500, invalid input and a missing user are final. Unknown codes have no kind and are final.
func kindForCode(code string) error {
	switch code {
	case "60101900002": // Internal system error.
		return sdk.ErrServerError
	case "60101040050", "60101020076", "60101020085", "60101030013": // invalid parameter, account or role id
		return sdk.ErrInvalidInput
	case "60101060007": // The federated user does not exist.
		return sdk.ErrNotFound
	}
	return nil
}

// Vendor returns "huawei"; with Status it makes the client an sdk.Poller for sdk.Wait and sdk.Watcher.
func (c *Client) Vendor() string { return Vendor }

// Limiter returns the rate limiter every request of this client waits for, nil when there is none
// (set one with sdk.ClientOptions.RateLimiter); a Watcher plans its sweeps from it.
func (c *Client) Limiter() *rate.Limiter { return c.set.Limiter }
