package contract

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/jobwatch/jobwatch/internal/redact"
)

// Exchange is one recorded request and its response, to check against a spec.
type Exchange struct {
	Request     *http.Request
	RequestBody []byte
	Status      int
	Header      http.Header
	Body        []byte
}

// The verdicts of Check.
const (
	ResultOK        = "ok"
	ResultViolation = "violation"
	ResultSkipped   = "skipped"
)

// Result is the verdict on one exchange. Its JSON form is what `jobwatch contract --output json` prints.
type Result struct {
	// Index is the exchange's position, from 0 (the HAR entry's index).
	Index  int    `json:"index"`
	Method string `json:"method"`
	Path   string `json:"path"`
	Status int    `json:"status"`
	// Result is ResultOK, ResultViolation, or ResultSkipped for an exchange no spec describes.
	Result string        `json:"result"`
	Errors []ResultIssue `json:"errors"`
	// Security is SecurityNotChecked when the request carried none of the credentials its operation
	// asks for and CheckOptions.SanitizedCredentials was set; SecurityChecked when they were checked;
	// empty when the exchange was skipped or its operation needs no credentials.
	Security string `json:"security,omitempty"`
}

// The values of Result.Security.
const (
	SecurityChecked    = "checked"
	SecurityNotChecked = "not_checked"
)

// CheckOptions changes what CheckWith and CheckAllWith look at. The zero value checks everything, as
// Check does.
type CheckOptions struct {
	// SanitizedCredentials says the recording had its credentials removed, as browsers export HAR files
	// by default (no Authorization header, no cookies). A request that carries none of the credentials
	// its operation asks for is then validated without its security requirements and reported as
	// SecurityNotChecked instead of as a violation. A request that does carry credentials is checked in
	// full.
	SanitizedCredentials bool
}

// ResultIssue is one thing wrong with an exchange.
type ResultIssue struct {
	// Part is "request" or "response".
	Part string `json:"part"`
	// Pointer is the JSON pointer of the offending field, when the issue is about one.
	Pointer string `json:"pointer,omitempty"`
	Message string `json:"message"`
}

// Check validates one exchange against the first of specs that describes its method and path (Find). Secret
// values the exchange carries (credentials in headers, secret-like JSON fields) never appear in the
// result, even where a validation message would quote them.
func Check(ctx context.Context, specs []*Spec, ex Exchange) Result {
	return CheckWith(ctx, specs, ex, CheckOptions{})
}

// CheckWith is Check with options; see CheckOptions.
func CheckWith(ctx context.Context, specs []*Spec, ex Exchange, opts CheckOptions) Result {
	req := ex.Request
	res := Result{Method: req.Method, Path: req.URL.Path, Status: ex.Status, Errors: []ResultIssue{}}
	op, _ := Find(specs, req)
	if op == nil {
		res.Result = ResultSkipped
		return res
	}
	redact := redactor(ex)
	add := func(err error) {
		var ve *ValidationError
		if !errors.As(err, &ve) {
			res.Errors = append(res.Errors, ResultIssue{Part: "exchange", Message: redact(err.Error())})
			return
		}
		for _, is := range ve.Issues {
			res.Errors = append(res.Errors, ResultIssue{Part: ve.Part, Pointer: is.Pointer, Message: redact(is.Message)})
		}
	}
	reqOpts := options()
	removed := false
	if opts.SanitizedCredentials {
		reqOpts.AuthenticationFunc = func(ctx context.Context, in *openapi3filter.AuthenticationInput) error {
			if credentialRemoved(in.RequestValidationInput.Request, in.SecurityScheme) {
				removed = true
				return nil
			}
			return checkCredentialsPresent(ctx, in)
		}
	}
	if err := op.Spec.validateRequestWith(ctx, req, ex.RequestBody, op.route, op.params, reqOpts); err != nil {
		add(err)
	}
	if len(op.securitySchemes()) > 0 {
		res.Security = SecurityChecked
		if removed {
			res.Security = SecurityNotChecked
		}
	}
	if ex.Status == 0 {
		res.Errors = append(res.Errors, ResultIssue{Part: "response", Message: "no response was recorded"})
	} else if err := op.ValidateResponse(ctx, req, ex.Status, ex.Header, ex.Body); err != nil {
		add(err)
	}
	res.Result = ResultOK
	if len(res.Errors) > 0 {
		res.Result = ResultViolation
	}
	return res
}

// secretHeaders hold credentials whatever their value looks like.
var secretHeaders = []string{"Authorization", "Proxy-Authorization", "X-APP-Key", "X-TC-Token", "Cookie", "Set-Cookie", "X-Auth-Token"}

// secretField matches JSON field names whose string values are credentials.
var secretField = regexp.MustCompile(`(?i)(secret|password|passwd|token|credential|api_?key|app_?key)`)

// redactor returns a function that replaces every secret value of ex in a message. Finding the secrets
// parses both bodies, so it is done at the first call: an exchange with no message to redact (the
// common, clean one) costs nothing. The function is for one goroutine.
func redactor(ex Exchange) func(string) string {
	var secrets []string
	collected := false
	return func(s string) string {
		if !collected {
			secrets, collected = exchangeSecrets(ex), true
		}
		for _, sec := range secrets {
			if len(sec) >= 4 {
				s = strings.ReplaceAll(s, sec, "[redacted]")
			}
		}
		return s
	}
}

// exchangeSecrets lists the secret values of ex: those of its credential headers (and the credential
// after a scheme such as "Bearer "), and the string values of secret-like fields in its JSON bodies.
func exchangeSecrets(ex Exchange) []string {
	var secrets []string
	for _, h := range []http.Header{ex.Request.Header, ex.Header} {
		for _, name := range secretHeaders {
			for _, v := range h.Values(name) {
				secrets = append(secrets, v)
				if _, cred, ok := strings.Cut(v, " "); ok {
					secrets = append(secrets, cred)
				}
			}
		}
	}
	for _, b := range [][]byte{ex.RequestBody, ex.Body} {
		var v any
		if json.Unmarshal(b, &v) == nil {
			secrets = collectSecrets(v, secrets)
		}
	}
	return secrets
}

func collectSecrets(v any, out []string) []string {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if s, ok := x.(string); ok && secretField.MatchString(k) {
				out = append(out, s)
			} else {
				out = collectSecrets(x, out)
			}
		}
	case []any:
		for _, x := range t {
			out = collectSecrets(x, out)
		}
	}
	return out
}

// har is the part of a HAR 1.2 log that Check needs.
type har struct {
	Log *struct {
		Version string `json:"version"`
		Entries []struct {
			Request struct {
				Method   string      `json:"method"`
				URL      string      `json:"url"`
				Headers  []harHeader `json:"headers"`
				PostData *struct {
					MimeType string `json:"mimeType"`
					Text     string `json:"text"`
					Encoding string `json:"encoding"`
				} `json:"postData"`
			} `json:"request"`
			Response struct {
				Status  int         `json:"status"`
				Headers []harHeader `json:"headers"`
				Content struct {
					MimeType string `json:"mimeType"`
					Text     string `json:"text"`
					Encoding string `json:"encoding"`
				} `json:"content"`
			} `json:"response"`
		} `json:"entries"`
	} `json:"log"`
}

type harHeader struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// maxHAR bounds what ReadHAR reads.
const maxHAR = 256 << 20

// ReadHAR reads the exchanges of a HAR 1.2 file (as browsers, proxies and mitmproxy export it).
func ReadHAR(r io.Reader) ([]Exchange, error) {
	raw, err := io.ReadAll(io.LimitReader(r, maxHAR+1))
	if err != nil {
		return nil, fmt.Errorf("contract: read HAR: %w", err)
	}
	if len(raw) > maxHAR {
		return nil, fmt.Errorf("contract: HAR larger than %d MiB", maxHAR>>20)
	}
	var h har
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, fmt.Errorf("contract: not a HAR file: %w", err)
	}
	if h.Log == nil {
		return nil, errors.New("contract: not a HAR file: no log object")
	}
	out := make([]Exchange, 0, len(h.Log.Entries))
	for i, e := range h.Log.Entries {
		u, err := url.Parse(e.Request.URL)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("contract: HAR entry %d: request url %q is not absolute", i, redact.URL(e.Request.URL))
		}
		method := strings.ToUpper(e.Request.Method)
		if method == "" {
			return nil, fmt.Errorf("contract: HAR entry %d: request has no method", i)
		}
		var reqBody []byte
		if pd := e.Request.PostData; pd != nil {
			if reqBody, err = decodeText(pd.Text, pd.Encoding); err != nil {
				return nil, fmt.Errorf("contract: HAR entry %d: request body: %w", i, err)
			}
		}
		req, err := http.NewRequest(method, u.String(), bytes.NewReader(reqBody))
		if err != nil {
			return nil, fmt.Errorf("contract: HAR entry %d: %w", i, err)
		}
		for _, hh := range e.Request.Headers {
			if strings.HasPrefix(hh.Name, ":") { // HTTP/2 pseudo-headers
				continue
			}
			req.Header.Add(hh.Name, hh.Value)
		}
		if pd := e.Request.PostData; pd != nil && req.Header.Get("Content-Type") == "" && pd.MimeType != "" {
			req.Header.Set("Content-Type", pd.MimeType)
		}
		body, err := decodeText(e.Response.Content.Text, e.Response.Content.Encoding)
		if err != nil {
			return nil, fmt.Errorf("contract: HAR entry %d: response body: %w", i, err)
		}
		hdr := http.Header{}
		for _, hh := range e.Response.Headers {
			if !strings.HasPrefix(hh.Name, ":") {
				hdr.Add(hh.Name, hh.Value)
			}
		}
		if hdr.Get("Content-Type") == "" && e.Response.Content.MimeType != "" && len(body) > 0 {
			hdr.Set("Content-Type", e.Response.Content.MimeType)
		}
		out = append(out, Exchange{Request: req, RequestBody: reqBody, Status: e.Response.Status, Header: hdr, Body: body})
	}
	return out, nil
}

func decodeText(text, encoding string) ([]byte, error) {
	switch strings.ToLower(encoding) {
	case "":
		return []byte(text), nil
	case "base64":
		return base64.StdEncoding.DecodeString(text)
	}
	return nil, fmt.Errorf("encoding %q is not supported (want base64 or none)", encoding)
}

// CheckAll checks every exchange, numbering the results in order.
func CheckAll(ctx context.Context, specs []*Spec, exs []Exchange) []Result {
	return CheckAllWith(ctx, specs, exs, CheckOptions{})
}

// CheckAllWith is CheckAll with options; see CheckOptions.
func CheckAllWith(ctx context.Context, specs []*Spec, exs []Exchange, opts CheckOptions) []Result {
	out := make([]Result, len(exs))
	for i, ex := range exs {
		out[i] = CheckWith(ctx, specs, ex, opts)
		out[i].Index = i
	}
	return out
}

// securitySchemes lists the security schemes the operation's requirements name (the operation's own
// requirements, else the spec's), nil when it needs no credentials.
func (o *Operation) securitySchemes() []*openapi3.SecurityScheme {
	reqs := o.route.Operation.Security
	if reqs == nil {
		reqs = &o.Spec.Doc.Security
	}
	var out []*openapi3.SecurityScheme
	for _, r := range *reqs {
		for name := range r {
			if o.Spec.Doc.Components == nil {
				continue
			}
			if ref := o.Spec.Doc.Components.SecuritySchemes[name]; ref != nil && ref.Value != nil {
				out = append(out, ref.Value)
			}
		}
	}
	return out
}

// credentialRemoved reports whether req lacks the credential of ss where a browser's sanitized export
// removes it: the Authorization header (http, oauth2 and openIdConnect schemes, or an apiKey header of
// that name) and cookies. Other credentials (e.g. an X-APP-Key header) are kept by such exports, so
// their absence is still a violation.
func credentialRemoved(req *http.Request, ss *openapi3.SecurityScheme) bool {
	switch ss.Type {
	case "http", "oauth2", "openIdConnect":
		return req.Header.Get("Authorization") == ""
	case "apiKey":
		switch {
		case ss.In == "cookie":
			_, err := req.Cookie(ss.Name)
			return err != nil
		case ss.In == "header" && (strings.EqualFold(ss.Name, "Authorization") || strings.EqualFold(ss.Name, "Cookie")):
			return req.Header.Get(ss.Name) == ""
		}
	}
	return false
}
