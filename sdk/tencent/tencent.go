// Package tencent is jobwatch's client for Tencent Cloud CIAM data-flow jobs: ListJobs for status
// (several job ids per call) and CreateApiImportUserJob to submit, signed with TC3-HMAC-SHA256.
//
// API reference: https://www.tencentcloud.com/document/api/1148/49314 (ListJobs) and
// https://www.tencentcloud.com/document/api/1148/49313 (CreateApiImportUserJob).
package tencent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/time/rate"

	gen "github.com/jobwatch/jobwatch/generated/tencent"
	"github.com/jobwatch/jobwatch/generated/tencent/importjob"
	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/internal/httpx"
	"github.com/jobwatch/jobwatch/sdk/internal/vendorkit"
)

// Vendor is this package's name in sdk.Job.Vendor and errors.
const Vendor = "tencent"

// DefaultBaseURL is the CIAM endpoint; the international one is https://ciam.intl.tencentcloudapi.com.
const DefaultBaseURL = "https://ciam.tencentcloudapi.com"

// DefaultBatchSize is how many job ids go in one ListJobs call by default (Tencent publishes no cap;
// 100 is ours).
const DefaultBatchSize = 100

const (
	// requestsPerSecond is the documented limit of ListJobs and CreateApiImportUserJob: 20 requests in
	// any second.
	requestsPerSecond = 20
	service           = "ciam"
)

// Environment variables read when Config leaves a field empty.
const (
	EnvSecretID  = "TENCENTCLOUD_SECRET_ID"
	EnvSecretKey = "TENCENTCLOUD_SECRET_KEY"
	EnvRegion    = "TENCENTCLOUD_REGION"
	// EnvUserStore holds the user store id, as the lines `jobwatch simulate` prints set it: Tencent's
	// own tools have no variable for it.
	EnvUserStore = "JOBWATCH_TENCENT_USER_STORE"
)

// Client calls CIAM. It is safe for concurrent use. Printing a Client, with any verb, shows no
// credential.
type Client struct{ *client }

// client is what a Client holds, behind one pointer: neither the secret key nor the session token
// shows when a Client is printed, whatever the verb (fmt prints the pointer as an address).
type client struct {
	cfg     *Config
	set     *httpx.Settings
	list    *gen.ClientWithResponses
	imp     *importjob.ClientWithResponses
	now     func() time.Time
	unknown vendorkit.UnknownStatusLogger
	pace    *rate.Limiter // what Limiter returns
}

// Config holds the credentials and the user store. Printing it never shows SecretKey or Token.
type Config struct {
	SecretID  string
	SecretKey sdk.Secret
	// Token is the session token of temporary credentials (optional).
	Token sdk.Secret
	// Region is the user store's region, e.g. ap-guangzhou.
	Region string
	// UserStoreID is the user directory the jobs belong to.
	UserStoreID string
	// BatchSize caps job ids per ListJobs call (default DefaultBatchSize).
	BatchSize int
	// Credentials, when set, is called for every request (each retry included) and the SecretID,
	// SecretKey and Token of its answer used instead of the Config's (and of the environment); its
	// other fields are not read. Temporary credentials (an STS or CAM role's SecretId, SecretKey and
	// session Token) can then be renewed during a 6-hour wait, as the official SDK's common.Provider
	// and CredentialIface allow. The three values of one answer are used together. It must be safe for
	// concurrent use; an error it returns ends the call, unretried, wrapped.
	Credentials func(context.Context) (Config, error) `json:"-"`
}

// New returns a client. Empty credentials, region and user store are read from TENCENTCLOUD_SECRET_ID,
// TENCENTCLOUD_SECRET_KEY, TENCENTCLOUD_REGION and JOBWATCH_TENCENT_USER_STORE (credentials only when
// Config.Credentials is not set). The base URL is sdk.ClientOptions.BaseURL, else
// JOBWATCH_TENCENT_BASE_URL, else DefaultBaseURL. Unless sdk.ClientOptions.RateLimiter says otherwise,
// a request is sent only while fewer than 20 requests can be in Tencent's one-second window (see
// windowDoer): the documented 20 requests in any rolling second, held whatever delays a request on its
// way.
func New(cfg Config, opts *sdk.ClientOptions) (*Client, error) {
	s, err := vendorkit.NewSettings(opts)
	if err != nil {
		return nil, err
	}
	if cfg.Credentials == nil {
		httpx.FromEnv(s, &cfg.SecretID, EnvSecretID)
		httpx.FromEnv(s, &cfg.SecretKey, EnvSecretKey)
	}
	httpx.FromEnv(s, &cfg.Region, EnvRegion)
	httpx.FromEnv(s, &cfg.UserStoreID, EnvUserStore)
	switch {
	case cfg.Credentials == nil && (cfg.SecretID == "" || cfg.SecretKey == ""):
		return nil, fmt.Errorf("tencent: SecretID and SecretKey are required (or set %s and %s)", EnvSecretID, EnvSecretKey)
	case cfg.Region == "":
		return nil, fmt.Errorf("tencent: Region is required (or set %s)", EnvRegion)
	case cfg.UserStoreID == "":
		return nil, fmt.Errorf("tencent: UserStoreID is required (or set %s)", EnvUserStore)
	case cfg.BatchSize < 0:
		return nil, fmt.Errorf("tencent: BatchSize %d is negative", cfg.BatchSize)
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	base, err := s.Base(Vendor, DefaultBaseURL)
	if err != nil {
		return nil, err
	}
	c := &Client{&client{cfg: &cfg, set: &s, now: time.Now, pace: s.Limiter}}
	// Signed last, once the request has its slot, so that the signature carries the time it is sent
	// at, however long the request waited for that slot. A Config.Credentials provider is therefore
	// called inside the slot.
	vd := vendorkit.NewDoer(Vendor, s)
	vd.Prepare = c.sign
	var doer interface {
		Do(*http.Request) (*http.Response, error)
	} = vd
	if c.pace == nil { // a limiter of the caller's own (sdk.ClientOptions.RateLimiter) replaces the client's window
		c.pace = rate.NewLimiter(rate.Limit(requestsPerSecond), requestsPerSecond)
		doer = newWindowDoer(doer, requestsPerSecond, time.Second)
	}
	if c.list, err = gen.NewClientWithResponses(base, gen.WithHTTPClient(doer)); err != nil {
		return nil, fmt.Errorf("tencent: %w", err)
	}
	if c.imp, err = importjob.NewClientWithResponses(base, importjob.WithHTTPClient(doer)); err != nil {
		return nil, fmt.Errorf("tencent: %w", err)
	}
	return c, nil
}

// Limiter returns the client's pace, from which a Watcher plans its sweeps: the limiter given with
// sdk.ClientOptions.RateLimiter, which every request then waits for; else one that describes the client's own
// window, Limit 20 per second in bursts of at most 20, and that no request waits for: the window
// alone holds Tencent's 20 requests in any rolling second (a limiter cannot count the requests still
// on their way). Another client given this limiter therefore shares no budget with this one.
func (c *Client) Limiter() *rate.Limiter { return c.pace }

// BatchSize is the most job ids one ListJobs call carries.
func (c *Client) BatchSize() int { return c.cfg.BatchSize }

// credentials returns the static credentials, or the provider's answer for this request.
func (c *Client) credentials(ctx context.Context) (Config, error) {
	return vendorkit.Credentials(ctx, Vendor, c.cfg, c.cfg.Credentials, func(cr *Config) string {
		if cr.SecretID == "" || cr.SecretKey == "" {
			return "SecretID or SecretKey"
		}
		return ""
	})
}

// sign stamps the request with the current time (X-TC-Timestamp) and adds the session token (if any)
// and the TC3 Authorization header over the exact body bytes the request will send, all from one
// reading of the credentials. It runs right before the request is sent (see New).
func (c *Client) sign(ctx context.Context, req *http.Request) error {
	cr, err := c.credentials(ctx)
	if err != nil {
		return err
	}
	if cr.Token != "" {
		req.Header.Set("X-TC-Token", string(cr.Token))
	} else {
		req.Header.Del("X-TC-Token")
	}
	var body []byte
	if req.GetBody != nil {
		rc, err := req.GetBody()
		if err != nil {
			return err
		}
		body, err = io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return err
		}
	} else if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return err
		}
		body = b
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	ts := c.now().Unix()
	req.Header.Set("X-TC-Timestamp", strconv.FormatInt(ts, 10))
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	req.Header.Set("Authorization", authorization(signInput{
		SecretID: cr.SecretID, SecretKey: string(cr.SecretKey), Service: service,
		Host: host, ContentType: req.Header.Get("Content-Type"), Method: req.Method,
		Path: "/", Payload: body, Timestamp: ts,
	}))
	return nil
}

// Status returns one job. A job id that ListJobs does not return is an *sdk.APIError matching
// sdk.ErrNotFound; one that is empty, blank or a dot segment is refused as StatusMany refuses it.
func (c *Client) Status(ctx context.Context, jobID string) (*sdk.Job, error) {
	if err := vendorkit.CheckJobID(Vendor, jobID, -1, ""); err != nil {
		return nil, err
	}
	jobs, err := c.StatusMany(ctx, []string{jobID})
	if err != nil {
		return nil, err
	}
	j, ok := jobs[jobID]
	if !ok {
		return nil, vendorkit.WithCause(&sdk.APIError{Vendor: Vendor, Operation: "status", StatusCode: http.StatusOK, Code: "ResourceNotFound",
			Message: fmt.Sprintf("ListJobs returned no job %q", jobID)}, sdk.ErrNotFound, nil)
	}
	return j, nil
}

// StatusMany returns the jobs with the given ids, keyed by id, in as few ListJobs calls as the batch
// size allows. Ids that Tencent does not return are absent from the map, and jobs it returns that were
// not asked for are left out. An id that is empty, blank or a dot segment is refused before anything
// is sent, with an error matching sdk.ErrInvalidInput that names its position in ids; an id given
// twice is asked for once. An answer naming one job twice is an *sdk.APIError matching
// sdk.ErrUnexpectedResponse: which of the two is the job is unknown.
func (c *Client) StatusMany(ctx context.Context, ids []string) (map[string]*sdk.Job, error) {
	for i, id := range ids {
		if err := vendorkit.CheckJobID(Vendor, id, i, ""); err != nil {
			return nil, err
		}
	}
	ids = unique(ids)
	out := make(map[string]*sdk.Job, len(ids))
	for start := 0; start < len(ids); start += c.cfg.BatchSize {
		batch := ids[start:min(start+c.cfg.BatchSize, len(ids))]
		var jobs []gen.Job
		err := vendorkit.Policy(c.set.Retry).Do(ctx, c.set.Logger, func(ctx context.Context) error {
			var err error
			jobs, err = c.listJobs(ctx, batch)
			return err
		})
		if err != nil {
			return nil, err
		}
		for i := range jobs {
			j := mapJob(&jobs[i])
			if j.State == sdk.StateUnknown {
				c.unknown.Log(*c.set, Vendor, "Status", string(jobs[i].Status))
			}
			out[j.ID] = j
		}
	}
	return out, nil
}

func (c *Client) listJobs(ctx context.Context, ids []string) ([]gen.Job, error) {
	params := &gen.ListJobsParams{
		XTCAction: gen.ActionListJobs, XTCVersion: gen.ListJobsParamsXTCVersionVersion20220331,
		XTCRegion: c.cfg.Region, XTCTimestamp: c.now().Unix(), XTCToken: nil, // both set again by sign, when the request is sent
	}
	// Read by hand rather than by ListJobsWithResponse: an answer listing a million failed users is
	// tens of megabytes, which io.ReadAll would hold twice while it copies its chunks together.
	hr, err := c.list.ListJobs(ctx, params, gen.ListJobsRequest{UserStoreId: c.cfg.UserStoreID, JobIds: &ids})
	if err != nil {
		return nil, vendorkit.ClassifyCallError(ctx, Vendor, "status", err)
	}
	raw, err := vendorkit.ReadBody(hr, c.set.MaxBodyBytes)
	if err != nil {
		return nil, vendorkit.ClassifyCallError(ctx, Vendor, "status", err)
	}
	if hr.StatusCode != http.StatusOK || !httpx.IsJSON(hr.Header) {
		return nil, responseError("status", hr, raw)
	}
	var env gen.ListJobsEnvelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return nil, vendorkit.ClassifyCallError(ctx, Vendor, "status", err)
	}
	r := env.Response
	if r.Error != nil {
		return nil, apiError("status", r.Error, r.RequestId)
	}
	if r.JobSet == nil {
		return nil, nil
	}
	asked := make(map[string]bool, len(ids)) // true once the answer named the id
	for _, id := range ids {
		asked[id] = false
	}
	jobs := (*r.JobSet)[:0] // the jobs asked for, in place
	for _, j := range *r.JobSet {
		if j.Id == "" || j.Status == "" {
			return nil, vendorkit.Unexpected(Vendor, "status", hr, "a job in JobSet lacks Id or Status")
		}
		named, ok := asked[j.Id]
		switch {
		case !ok:
			continue // not asked for: a server that ignores JobIds lists every job of the user store
		case named:
			return nil, vendorkit.Unexpected(Vendor, "status", hr, fmt.Sprintf("JobSet names job %q twice", j.Id))
		}
		asked[j.Id] = true
		jobs = append(jobs, j)
	}
	return jobs, nil
}

// unique returns ids without repeats, in their order: ids itself when it has none.
func unique(ids []string) []string {
	if len(ids) < 2 {
		return ids // Status's one id: no map on every poll
	}
	seen := make(map[string]bool, len(ids))
	var out []string // nil until the first repeat
	for i, id := range ids {
		switch {
		case !seen[id]:
			seen[id] = true
			if out != nil {
				out = append(out, id)
			}
		case out == nil:
			out = append(make([]string, 0, len(ids)), ids[:i]...)
		}
	}
	if out == nil {
		return ids
	}
	return out
}

// Submit starts a CreateApiImportUserJob with the given users and returns the job id. It is never
// retried: a lost answer could otherwise import the users twice.
func (c *Client) Submit(ctx context.Context, users []ImportUser) (string, error) {
	if len(users) == 0 {
		return "", errors.New("tencent: no users to import")
	}
	params := &importjob.CreateApiImportUserJobParams{
		XTCAction: importjob.ActionCreateApiImportUserJob, XTCVersion: importjob.CreateApiImportUserJobParamsXTCVersionVersion20220331,
		XTCRegion: c.cfg.Region, XTCTimestamp: c.now().Unix(), XTCToken: nil, // both set again by sign, when the request is sent
	}
	resp, err := c.imp.CreateApiImportUserJobWithResponse(ctx, params, importjob.CreateApiImportUserJobRequest{UserStoreId: c.cfg.UserStoreID, DataFlowUserCreateList: users})
	if err != nil {
		return "", vendorkit.ClassifyCallError(ctx, Vendor, "submit", err)
	}
	if resp.StatusCode() != http.StatusOK || resp.JSON200 == nil {
		return "", responseError("submit", resp.HTTPResponse, resp.Body)
	}
	r := resp.JSON200.Response
	if r.Error != nil {
		return "", apiError("submit", &gen.Error{Code: r.Error.Code, Message: r.Error.Message}, r.RequestId)
	}
	if r.Job == nil || r.Job.Id == "" {
		return "", vendorkit.Unexpected(Vendor, "submit", resp.HTTPResponse, "no Job.Id in the answer")
	}
	return r.Job.Id, nil
}

func apiError(op string, e *gen.Error, requestID string) *sdk.APIError {
	return vendorkit.WithCause(&sdk.APIError{Vendor: Vendor, Operation: op, StatusCode: http.StatusOK, Code: e.Code, Message: e.Message,
		RequestID: requestID}, kindForCode(e.Code), nil)
}

func responseError(op string, resp *http.Response, body []byte) *sdk.APIError {
	return vendorkit.ResponseError(Vendor, op, resp, body, parseError)
}

// parseError reads Tencent's error body, {"Response":{"Error":{"Code","Message"},"RequestId"}}.
func parseError(body []byte) (vendorkit.VendorError, bool) {
	var env struct {
		Response struct {
			Error *struct {
				Code    string `json:"Code"`
				Message string `json:"Message"`
			} `json:"Error"`
			RequestID string `json:"RequestId"`
		} `json:"Response"`
	}
	if json.Unmarshal(body, &env) != nil || env.Response.Error == nil || env.Response.Error.Code == "" {
		return vendorkit.VendorError{}, false
	}
	return vendorkit.VendorError{Code: env.Response.Error.Code, Message: env.Response.Error.Message, RequestID: env.Response.RequestID}, true
}

// ImportUser is one user to import, the generated type Submit takes, so that callers need import only
// this package.
type ImportUser = importjob.ImportUser

// Vendor returns "tencent"; with Status it makes the client an sdk.Poller for sdk.Wait and sdk.Watcher.
func (c *Client) Vendor() string { return Vendor }
