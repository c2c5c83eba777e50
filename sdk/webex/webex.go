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
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"

	"golang.org/x/time/rate"

	gen "github.com/jobwatch/jobwatch/generated/webex"
	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/internal/httpx"
	"github.com/jobwatch/jobwatch/sdk/internal/vendorkit"
)

// Vendor is this package's name in sdk.Job.Vendor and errors.
const Vendor = "webex"

// DefaultBaseURL is Webex's API root.
const DefaultBaseURL = "https://webexapis.com/v1"

// EnvToken is read when Config.Token is empty.
const EnvToken = "WEBEX_ACCESS_TOKEN"

// Client calls Webex. It is safe for concurrent use. Printing a Client, with any verb, shows no
// credential.
type Client struct{ *client }

// client holds a Client's state one pointer away from it, so that printing a Client, with any verb,
// shows an address rather than the token (fmt calls no method of an unexported field).
type client struct {
	cfg     *Config
	set     *httpx.Settings
	gen     *gen.ClientWithResponses
	base    *url.URL // errors pages are followed only on this scheme and host, so the token goes nowhere else
	unknown vendorkit.UnknownStatusLogger
	// bearer is the Authorization header of a static token, built once (behind a pointer, as every
	// secret of a Client is, so that no printer finds it); nil with a credentials provider.
	bearer *[]string
	params *gen.GetMoveUsersJobStatusParams // the status call's, the same for every poll
	// auth and doer are the generated client's request editor and HTTP executor, shared with the
	// further pages of an errors list so that those carry the same (possibly rotated) credentials.
	auth func(context.Context, *http.Request) error
	doer *vendorkit.Doer
}

// Config holds the access token and the organization. Printing it never shows the token.
type Config struct {
	// Token is an administrator's access token (scope spark-admin:telephony_config_read, plus
	// _write to submit).
	Token sdk.Secret
	// OrgID selects the organization, for partner administrators (optional).
	OrgID string
	// Credentials, when set, is called for every request and the Token of its answer used instead of
	// Token (and of WEBEX_ACCESS_TOKEN), so that a token refreshed during a long wait needs no new
	// client; the answer's other fields are not read. It must be safe for concurrent use; an error it
	// returns ends the call, unretried, wrapped.
	Credentials func(context.Context) (Config, error) `json:"-"`
}

// New returns a client; an empty Token is read from WEBEX_ACCESS_TOKEN unless Config.Credentials is
// set. The base URL is sdk.ClientOptions.BaseURL, else JOBWATCH_WEBEX_BASE_URL, else DefaultBaseURL.
func New(cfg Config, opts *sdk.ClientOptions) (*Client, error) {
	s, err := vendorkit.NewSettings(opts)
	if err != nil {
		return nil, err
	}
	if cfg.Credentials == nil {
		httpx.FromEnv(s, &cfg.Token, EnvToken)
	}
	if cfg.Token == "" && cfg.Credentials == nil {
		return nil, fmt.Errorf("webex: Token is required (or set %s)", EnvToken)
	}
	base, err := s.Base(Vendor, DefaultBaseURL)
	if err != nil {
		return nil, err
	}
	bu, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("webex: %w", err)
	}
	c := &Client{&client{cfg: &cfg, set: &s, base: bu}}
	if cfg.Credentials == nil {
		h := []string{"Bearer " + string(cfg.Token)} // len = cap = 1: an Add elsewhere copies it
		c.bearer = &h
	}
	if org := c.org(); org != nil {
		// Left nil without an org: the generated builder then skips parsing an empty query into a map
		// on every poll.
		c.params = &gen.GetMoveUsersJobStatusParams{OrgId: org}
	}
	auth := func(ctx context.Context, req *http.Request) error {
		if c.bearer != nil {
			req.Header["Authorization"] = *c.bearer // built once: a poll's cost is mostly allocations
			return nil
		}
		cr, err := vendorkit.Credentials(ctx, Vendor, c.cfg, c.cfg.Credentials, func(cr *Config) string {
			if cr.Token == "" {
				return "Token"
			}
			return ""
		})
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+string(cr.Token))
		return nil
	}
	c.auth, c.doer = auth, vendorkit.NewDoer(Vendor, s)
	g, err := gen.NewClientWithResponses(base, gen.WithHTTPClient(c.doer), gen.WithRequestEditorFn(auth))
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

// Status returns the job. When it is done with failed moves (counts.failed above 0) or with the exit
// code COMPLETED_WITH_ERRORS (even with counts.failed 0: errors that failed no move), the failures are
// read from the job's errors list (one more call a page); when that list cannot be read, the error is
// an *sdk.FailuresError that holds the job, unless ctx ended meanwhile (then it is ctx's error). An
// answer about another job (its id is not jobID) is an *sdk.APIError matching
// sdk.ErrUnexpectedResponse. A job id that is empty, blank or a dot segment is refused before anything
// is sent, with an error matching sdk.ErrInvalidInput.
//
// A failure's User is the userId as Submit sent it: Webex's errors list names a user by the bare UUID
// inside the base64 person id (base64 of "ciscospark://us/PEOPLE/<uuid>", unpadded, as Webex issues
// them), which Status encodes back with the cluster of the job's sourceUserId. Items naming anything
// else (or no user) are reported as they are.
func (c *Client) Status(ctx context.Context, jobID string) (*sdk.Job, error) {
	if err := vendorkit.CheckJobID(Vendor, jobID, -1, ""); err != nil {
		return nil, err
	}
	var job *gen.MoveUsersJob
	err := vendorkit.Policy(c.set.Retry).Do(ctx, c.set.Logger, func(ctx context.Context) error {
		resp, err := c.gen.GetMoveUsersJobStatusWithResponse(ctx, jobID, c.params)
		if err != nil {
			return vendorkit.ClassifyCallError(ctx, Vendor, "status", err)
		}
		if resp.StatusCode() != http.StatusOK || resp.JSON200 == nil {
			return responseError("status", resp.HTTPResponse, resp.Body)
		}
		if resp.JSON200.Id == "" || resp.JSON200.LatestExecutionStatus == "" {
			return vendorkit.Unexpected(Vendor, "status", resp.HTTPResponse, "job lacks id or latestExecutionStatus")
		}
		if resp.JSON200.Id != jobID {
			// Its state and counts are another job's: taking them for this one would report a wrong end.
			return vendorkit.Unexpected(Vendor, "status", resp.HTTPResponse, fmt.Sprintf("the answer is about job %q, not %q", resp.JSON200.Id, jobID))
		}
		job = resp.JSON200
		return nil
	})
	if err != nil {
		return nil, err
	}
	j := mapJob(job)
	if j.State == sdk.StateUnknown {
		c.unknown.Log(*c.set, Vendor, "latestExecutionStatus", string(job.LatestExecutionStatus))
	}
	if j.Done && (job.Counts.Failed > 0 || withErrors(job)) {
		items, err := c.jobErrors(ctx, jobID)
		if err != nil {
			if ctx.Err() != nil {
				return nil, err // the caller's context ended: the caller's wait has its last job
			}
			return nil, vendorkit.FailuresError(j, err)
		}
		j.Failures = mapFailures(items, job.SourceUserId)
	}
	return j, nil
}

// maxErrorPages bounds how many pages of a job's errors list Status reads, so that a server that links
// pages in a loop cannot keep a poll going for ever.
const maxErrorPages = 1000

// errorsPageSize is the page of the errors list that Webex's published example answer shows
// (paging.limit 50): a page at least this long (or as long as the answer's own paging.limit) may have a
// next one, which is asked for with start and max where the answer gives no Link rel="next".
const errorsPageSize = 50

// jobErrors reads the job's errors list: the first page as the server pages it, then the next pages
// through Link rel="next" where the answer has one, else with the documented start and max while the
// pages are full, up to maxErrorPages.
func (c *Client) jobErrors(ctx context.Context, jobID string) ([]gen.JobErrorItem, error) {
	var items []gen.JobErrorItem
	seen := map[string]bool{}
	var next *url.URL     // the Link rel="next" of the last page, if any
	var offset, size *int // start and max of the next request by offset; nil for the first page
	var lastByOffset []gen.JobErrorItem
	for pages := 0; ; pages++ {
		if pages >= maxErrorPages {
			return nil, listError(fmt.Sprintf("the errors list has more than %d pages", maxErrorPages))
		}
		var page *gen.ListMoveUsersJobErrorsResponse
		var err error
		if next != nil {
			if seen[next.String()] {
				return nil, listError("the errors list links back to a page already read")
			}
			seen[next.String()] = true
			page, err = c.errorsPage(ctx, next)
		} else {
			page, err = c.errorsAt(ctx, jobID, offset, size)
		}
		if err != nil {
			return nil, err
		}
		got := page.JSON200.Items
		if next == nil && offset != nil {
			if len(got) > 0 && reflect.DeepEqual(got, lastByOffset) {
				return nil, listError(fmt.Sprintf("the errors list answers start=%d with the page before it", *offset))
			}
			lastByOffset = got
		}
		items = append(items, got...)
		if next, err = c.nextPage(page.HTTPResponse); err != nil {
			return nil, err
		}
		if next != nil {
			continue
		}
		limit := errorsPageSize
		if p := page.JSON200.Paging; p != nil && p.Limit != nil && *p.Limit > 0 {
			limit = *p.Limit
		}
		if len(got) == 0 || len(got) < limit {
			return items, nil
		}
		offset, size = vendorkit.Int(len(items)), vendorkit.Int(limit)
	}
}

// listError is the error of an errors list that cannot be read to its end.
func listError(msg string) *sdk.APIError {
	return vendorkit.WithCause(&sdk.APIError{Vendor: Vendor, Operation: "errors", StatusCode: http.StatusOK}, nil,
		fmt.Errorf("%w: %s", sdk.ErrUnexpectedResponse, msg))
}

// errorsAt reads the page of the errors list at offset with size errors (both nil: the first page, as
// the server pages it).
func (c *Client) errorsAt(ctx context.Context, jobID string, offset, size *int) (*gen.ListMoveUsersJobErrorsResponse, error) {
	server := c.base.String()
	if !strings.HasSuffix(server, "/") {
		server += "/" // the generated builder resolves the operation's path against it, as a directory
	}
	return c.errorsGet(ctx, func() (*http.Request, error) {
		return gen.NewListMoveUsersJobErrorsRequest(server, jobID, &gen.ListMoveUsersJobErrorsParams{OrgId: c.org(), Start: offset, Max: size})
	})
}

// errorsPage reads one further page of the errors list at the URL a Link header gave.
func (c *Client) errorsPage(ctx context.Context, u *url.URL) (*gen.ListMoveUsersJobErrorsResponse, error) {
	return c.errorsGet(ctx, func() (*http.Request, error) { return http.NewRequest(http.MethodGet, u.String(), nil) })
}

// errorsGet sends the errors-list request that build makes, with retries, and parses its answer.
func (c *Client) errorsGet(ctx context.Context, build func() (*http.Request, error)) (*gen.ListMoveUsersJobErrorsResponse, error) {
	var page *gen.ListMoveUsersJobErrorsResponse
	err := vendorkit.Policy(c.set.Retry).Do(ctx, c.set.Logger, func(ctx context.Context) error {
		req, err := build()
		if err != nil {
			return fmt.Errorf("webex: %w", err)
		}
		req = req.WithContext(ctx)
		if err := c.auth(ctx, req); err != nil {
			return err
		}
		req.Header.Set("Accept", "application/json")
		hr, err := c.doer.Do(req)
		if err != nil {
			return vendorkit.ClassifyCallError(ctx, Vendor, "errors", err)
		}
		resp, err := gen.ParseListMoveUsersJobErrorsResponse(hr)
		if err != nil {
			return vendorkit.ClassifyCallError(ctx, Vendor, "errors", err)
		}
		if resp.StatusCode() != http.StatusOK || resp.JSON200 == nil {
			return responseError("errors", resp.HTTPResponse, resp.Body)
		}
		page = resp
		return nil
	})
	return page, err
}

// nextPage returns the URL of the Link rel="next" of resp, resolved against the request, or nil when there
// is none. A next page on another scheme or host than the client's base URL is refused: the token must
// not travel there.
func (c *Client) nextPage(resp *http.Response) (*url.URL, error) {
	raw := nextLink(resp.Header.Values("Link"))
	if raw == "" {
		return nil, nil
	}
	u, err := url.Parse(raw)
	if err == nil && resp.Request != nil && resp.Request.URL != nil {
		u = resp.Request.URL.ResolveReference(u)
	}
	if err != nil || u.Scheme != c.base.Scheme || u.Host != c.base.Host {
		return nil, vendorkit.WithCause(&sdk.APIError{Vendor: Vendor, Operation: "errors", StatusCode: resp.StatusCode}, nil,
			fmt.Errorf("%w: Link rel=\"next\" %q is not on the API host %s", sdk.ErrUnexpectedResponse, raw, c.base.Host))
	}
	if resp.Request != nil && resp.Request.URL != nil && u.EscapedPath() != resp.Request.URL.EscapedPath() {
		// Another path is another list (another job's errors): its failures are not this job's.
		return nil, listError(fmt.Sprintf("Link rel=\"next\" %q leaves the errors list of this job", raw))
	}
	return u, nil
}

// nextLink returns the target of the rel="next" link among RFC 8288 Link header values, or "".
func nextLink(values []string) string {
	for _, v := range values {
		for _, link := range splitLinks(v) {
			link = strings.TrimSpace(link)
			if !strings.HasPrefix(link, "<") {
				continue
			}
			end := strings.Index(link, ">")
			if end < 0 {
				continue
			}
			for _, param := range strings.Split(link[end+1:], ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(param), "=")
				if !ok || !strings.EqualFold(strings.TrimSpace(k), "rel") {
					continue
				}
				for _, rel := range strings.Fields(strings.Trim(strings.TrimSpace(val), `"`)) {
					if strings.EqualFold(rel, "next") {
						return link[1:end]
					}
				}
			}
		}
	}
	return ""
}

// splitLinks splits a Link header value at the commas between links (not those inside <...> or quotes).
func splitLinks(v string) []string {
	var out []string
	inURL, inQuote, start := false, false, 0
	for i, r := range v {
		switch {
		case r == '<' && !inQuote:
			inURL = true
		case r == '>' && !inQuote:
			inURL = false
		case r == '"' && !inURL:
			inQuote = !inQuote
		case r == ',' && !inURL && !inQuote:
			out = append(out, v[start:i])
			start = i + 1
		}
	}
	return append(out, v[start:])
}

// ErrJobMayHaveStarted is matched (errors.Is) by the error of a Submit whose 2xx answer names no job id
// that jobwatch can find: the job may be running, so Submit must not simply be tried again.
var ErrJobMayHaveStarted = errors.New("the job may have started, but the answer names no job id")

// Submit starts a job moving users to a location and returns its id. It is never retried. Each
// UserId is the user's Webex person id, as Webex documents and issues it (unpadded base64): Status
// names failed users by it. A request Webex refuses (400 with errors[{code, message}]: BATCH-400, the
// 1026xxx codes) is an *sdk.APIError with that code and message.
//
// Both documented answers are read: 201 with `response` being the job itself (`response.id`, Webex's
// published OpenAPI document) and 200 with `response.jobDetails.id` (older live traffic). A 2xx answer
// without an id is an *sdk.APIError matching ErrJobMayHaveStarted and sdk.ErrUnexpectedResponse, with
// the TrackingID header (or the body's trackingId) as RequestID and whatever the body identified.
func (c *Client) Submit(ctx context.Context, locationID string, users []UserItem) (string, error) {
	if locationID == "" {
		return "", errors.New("webex: location id is empty")
	}
	if len(users) == 0 || len(users) > 100 {
		return "", fmt.Errorf("webex: %d users to move; Webex takes 1 to 100", len(users))
	}
	body := gen.MoveUsersRequest{UsersList: []gen.UsersListItem{{LocationId: locationID, Validate: false, Users: users}}}
	resp, err := c.gen.ValidateOrInitiateMoveUsersJob(ctx, &gen.ValidateOrInitiateMoveUsersJobParams{OrgId: c.org()}, body)
	if err != nil {
		return "", vendorkit.ClassifyCallError(ctx, Vendor, "submit", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", vendorkit.ClassifyCallError(ctx, Vendor, "submit", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", responseError("submit", resp, raw)
	}
	started := parseSubmit(raw)
	if started.ID != "" {
		return started.ID, nil
	}
	return "", mayHaveStarted(resp.StatusCode, resp.Header.Get("TrackingID"), started)
}

// startedJob is what a Submit answer identified: the job id and, for an error report, the other identifying
// fields it carried.
type startedJob struct {
	// ID is the job id, from response.id or response.jobDetails.id.
	ID string
	// Name, TrackingID and Status are the job's name, the body's trackingId and latestExecutionStatus.
	Name, TrackingID, Status string
	// Shape says where the id was looked for: "response", "response.jobDetails", "response[]" (the
	// validation answer, which starts no job) or "" when the body is not JSON of either shape.
	Shape string
}

// parseSubmit reads a Submit answer of either documented shape. It never fails: what it cannot find is
// left empty, for Submit to report.
func parseSubmit(body []byte) startedJob {
	var env struct {
		Response json.RawMessage `json:"response"`
	}
	if json.Unmarshal(body, &env) != nil || len(env.Response) == 0 {
		return startedJob{}
	}
	if t := strings.TrimSpace(string(env.Response)); strings.HasPrefix(t, "[") {
		return startedJob{Shape: "response[]"}
	}
	type job struct {
		ID                    any  `json:"id"`
		Name                  any  `json:"name"`
		TrackingID            any  `json:"trackingId"`
		LatestExecutionStatus any  `json:"latestExecutionStatus"`
		JobDetails            *job `json:"jobDetails"`
	}
	var r job
	if json.Unmarshal(env.Response, &r) != nil {
		return startedJob{}
	}
	out := startedJob{Shape: "response", ID: text(r.ID), Name: text(r.Name), TrackingID: text(r.TrackingID), Status: text(r.LatestExecutionStatus)}
	if out.ID == "" && r.JobDetails != nil {
		d := r.JobDetails
		out = startedJob{Shape: "response.jobDetails", ID: text(d.ID), Name: first(text(d.Name), out.Name),
			TrackingID: first(text(d.TrackingID), out.TrackingID), Status: first(text(d.LatestExecutionStatus), out.Status)}
	}
	return out
}

// mayHaveStarted is the error of a 2xx Submit answer (status) without a job id: it names the TrackingID
// header and what the body identified.
func mayHaveStarted(status int, trackingID string, found startedJob) *sdk.APIError {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP %d with no job id in response.id or response.jobDetails.id", status)
	if found.Shape != "" {
		fmt.Fprintf(&b, " (body shape %s", found.Shape)
		for _, kv := range [][2]string{{"name", found.Name}, {"trackingId", found.TrackingID}, {"latestExecutionStatus", found.Status}} {
			if kv[1] != "" {
				fmt.Fprintf(&b, ", %s %q", kv[0], kv[1])
			}
		}
		b.WriteString(")")
	}
	b.WriteString("; list the jobs before submitting again")
	id := first(trackingID, found.TrackingID)
	return vendorkit.WithCause(&sdk.APIError{Vendor: Vendor, Operation: "submit", StatusCode: status, Message: b.String(), RequestID: id}, nil,
		fmt.Errorf("%w: %w", ErrJobMayHaveStarted, sdk.ErrUnexpectedResponse))
}

func text(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	}
	return ""
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func responseError(op string, resp *http.Response, body []byte) *sdk.APIError {
	return vendorkit.ResponseError(Vendor, op, resp, body, parseError)
}

// parseError reads Webex's error body: message, errors[].description or errors[].message (the request
// validation errors of a move: BATCH-400, 1026xxx) with its code, and trackingId, or the telephony form
// error[].code/message.
func parseError(body []byte) (vendorkit.VendorError, bool) {
	var e struct {
		Message string `json:"message"`
		Errors  []struct {
			Description string `json:"description"`
			Message     string `json:"message"`
			Code        any    `json:"code"`
		} `json:"errors"`
		Error []struct {
			Code    any    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
		TrackingID string `json:"trackingId"`
	}
	if json.Unmarshal(body, &e) != nil {
		return vendorkit.VendorError{}, false
	}
	out := vendorkit.VendorError{Message: e.Message, RequestID: e.TrackingID}
	if len(e.Errors) > 0 {
		if out.Message == "" {
			out.Message = first(e.Errors[0].Description, e.Errors[0].Message)
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

// Vendor returns "webex"; with Status it makes the client an sdk.Poller for sdk.Wait and sdk.Watcher.
func (c *Client) Vendor() string { return Vendor }

// Limiter returns the rate limiter every request of this client waits for, nil when there is none
// (set one with sdk.ClientOptions.RateLimiter); a Watcher plans its sweeps from it.
func (c *Client) Limiter() *rate.Limiter { return c.set.Limiter }
