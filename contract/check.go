package contract

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// Exchange is one recorded request and its response, to check against a spec.
type Exchange struct {
	Request     *http.Request
	RequestBody []byte
	// Status is the response's status; 0 means no response was recorded.
	Status int
	Header http.Header
	// Body is the response body as recorded: Check decodes it per Content-Encoding and charset.
	Body []byte
	// SkipReason, when set, says why the exchange cannot be checked (the recorder kept no response, or
	// not its body): Check reports it skipped with this reason, and never as a violation.
	SkipReason string
	// RecordedCookies names the cookies a recording kept apart from its headers (HAR's cookies lists)
	// with their values; a value is never kept here.
	RecordedCookies []string
}

// The verdicts of Check.
const (
	ResultOK        = "ok"
	ResultViolation = "violation"
	ResultSkipped   = "skipped"
)

// FindingSecret is the kind of a Finding about a credential kept in a recording: committing such a
// recording to a repository leaks the credential.
const FindingSecret = "secret_in_recording"

// Finding is something wrong with a recording rather than with the vendor's API.
type Finding struct {
	// Kind is FindingSecret.
	Kind string `json:"kind"`
	// Where names the place, e.g. "request header Authorization" or "response body /AccessToken";
	// never the value.
	Where string `json:"where"`
}

// Result is the verdict on one exchange. Its JSON form is what `jobwatch contract --output json` prints.
type Result struct {
	// Index is the exchange's position, from 0 (the HAR entry's index).
	Index  int    `json:"index"`
	Method string `json:"method"`
	// Host is the request's host, so that a line of a log says which service answered.
	Host string `json:"host,omitempty"`
	Path string `json:"path"`
	// Action is the value of the header that names the operation where several share a method and a
	// path (Tencent's X-TC-Action), whether or not a spec documents it.
	Action string `json:"action,omitempty"`
	// Operation is the operation's id in the spec, when one matched.
	Operation string `json:"operation,omitempty"`
	Status    int    `json:"status"`
	// Result is ResultOK, ResultViolation, or ResultSkipped for an exchange that could not be checked.
	Result string `json:"result"`
	// Reason says why an exchange was skipped.
	Reason string        `json:"reason,omitempty"`
	Errors []ResultIssue `json:"errors"`
	// Security is SecurityNotChecked when the request carried none of the credentials its operation
	// asks for and CheckOptions.SanitizedCredentials was set; SecurityChecked when they were checked;
	// empty when the exchange was skipped or its operation needs no credentials.
	Security string `json:"security,omitempty"`
	// Findings lists what is wrong with the recording itself (credentials it kept); see FindingSecret.
	Findings []Finding `json:"findings,omitempty"`
}

// The values of Result.Security.
const (
	SecurityChecked    = "checked"
	SecurityNotChecked = "not_checked"
)

// The reasons of skipped results that do not depend on the exchange.
const (
	ReasonNotVendorHost = "not a vendor host"
	ReasonUndocumented  = "no operation in the spec"
	ReasonNoResponse    = "no response recorded"
	ReasonBodyNotKept   = "response body not recorded"
	ReasonUpgraded      = "switched protocols (101): the upgraded connection is not validated"
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
	// FindSecrets lists the credentials an exchange still holds as Findings (a recording's check);
	// live traffic carries credentials by design, so the zero value does not look.
	FindSecrets bool
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
	res := Result{Method: req.Method, Host: req.URL.Hostname(), Path: req.URL.Path, Status: ex.Status, Errors: []ResultIssue{}, Action: routingAction(specs, req.Header)}
	if opts.FindSecrets {
		res.Findings = secretFindings(ex)
	}
	op, _ := Find(specs, req)
	if op == nil {
		res.Result, res.Reason = ResultSkipped, undocumentedReason(specs, req)
		return res
	}
	res.Operation = op.ID()
	if ex.SkipReason != "" {
		res.Result, res.Reason = ResultSkipped, ex.SkipReason
		return res
	}
	if ex.Status == 0 {
		res.Result, res.Reason = ResultSkipped, ReasonNoResponse
		return res
	}
	reqBody, reason := decodeBody(req.Header, ex.RequestBody)
	if reason == "" {
		var body []byte
		body, reason = decodeBody(ex.Header, ex.Body)
		ex.Body = body
	}
	if reason != "" {
		res.Result, res.Reason = ResultSkipped, reason
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
	if err := op.Spec.validateRequestWith(ctx, req, reqBody, op.route, op.params, reqOpts); err != nil {
		add(err)
	}
	if len(op.securitySchemes()) > 0 {
		res.Security = SecurityChecked
		if removed {
			res.Security = SecurityNotChecked
		}
	}
	if err := op.ValidateResponse(ctx, req, ex.Status, ex.Header, ex.Body); err != nil {
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
		if mayHoldCredential(b) {
			walkCredentialFields(b, func(_, value string, _, _ int) { secrets = append(secrets, value) })
		}
	}
	return secrets
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
