// Package contract checks HTTP traffic against jobwatch's vendor specs with kin-openapi's openapi3filter.
//
// A [Spec] finds the operation of a request by method and path under any base URL (a gateway prefix or
// a simulator's address does not matter) and validates requests and responses against it. A [Transport]
// wraps an http.RoundTripper and reports every violation without changing the traffic, like a validating
// proxy; with Strict set it turns a violating response into an error instead.
package contract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/jobwatch/jobwatch/specs"
)

// Vendors maps each vendor name to the spec files that describe its API.
var vendorSpecs = map[string][]string{
	"oracle":  {specs.Oracle},
	"huawei":  {specs.Huawei},
	"webex":   {specs.Webex},
	"tencent": {specs.Tencent, specs.TencentImport},
}

// VendorNames lists the vendors that have specs, sorted.
func VendorNames() []string {
	names := make([]string, 0, len(vendorSpecs))
	for n := range vendorSpecs {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Spec is one loaded and validated OpenAPI document, ready to check traffic. Checking only reads it: a
// Spec is safe for concurrent use, and may be shared by transports, proxies and simulators.
type Spec struct {
	// Name is the spec file's name, e.g. "oracle.yaml".
	Name string
	// Doc is the loaded document.
	Doc    *openapi3.T
	router routers.Router
	// hosts match the hosts of the spec's servers; routing lists the routingHeaders of its operations.
	hosts   []*regexp.Regexp
	routing []string
}

// LoadSpec loads and validates one embedded spec file by name (see package specs).
func LoadSpec(name string) (*Spec, error) {
	raw, err := specs.Read(name)
	if err != nil {
		return nil, err
	}
	return ParseSpec(name, raw)
}

// ParseSpec loads and validates a spec from its bytes; name is used in messages.
func ParseSpec(name string, raw []byte) (*Spec, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(raw)
	if err != nil {
		return nil, fmt.Errorf("contract: load %s: %w", name, err)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("contract: validate %s: %w", name, err)
	}
	// Route on paths alone: the servers of a spec name the vendor's hosts, while traffic may go to a
	// gateway, a proxy or the simulator under any prefix.
	bare := *doc
	bare.Servers = nil
	router, err := legacy.NewRouter(&bare)
	if err != nil {
		return nil, fmt.Errorf("contract: route %s: %w", name, err)
	}
	sp := &Spec{Name: name, Doc: doc, router: router, hosts: serverHosts(doc)}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			for h := range routingHeaders(op) {
				if !slices.Contains(sp.routing, h) {
					sp.routing = append(sp.routing, h)
				}
			}
		}
	}
	slices.Sort(sp.routing)
	return sp, nil
}

// serverHosts turns the hosts of doc's servers into patterns: a server variable (Oracle's {hostname})
// matches one of its enum values, else any host part.
func serverHosts(doc *openapi3.T) []*regexp.Regexp {
	var out []*regexp.Regexp
	for _, srv := range doc.Servers {
		if srv == nil {
			continue
		}
		host := srv.URL
		if _, rest, ok := strings.Cut(host, "://"); ok {
			host = rest
		}
		host, _, _ = strings.Cut(host, "/")
		var b strings.Builder
		b.WriteString("(?i)^")
		for host != "" {
			i := strings.IndexByte(host, '{')
			j := strings.IndexByte(host, '}')
			if i < 0 || j < i {
				b.WriteString(regexp.QuoteMeta(host))
				break
			}
			b.WriteString(regexp.QuoteMeta(host[:i]))
			alt := ".+"
			if v := srv.Variables[host[i+1:j]]; v != nil && len(v.Enum) > 0 {
				q := make([]string, len(v.Enum))
				for k, e := range v.Enum {
					q[k] = regexp.QuoteMeta(e)
				}
				alt = "(?:" + strings.Join(q, "|") + ")"
			}
			b.WriteString(alt)
			host = host[j+1:]
		}
		b.WriteString("$")
		if re, err := regexp.Compile(b.String()); err == nil {
			out = append(out, re)
		}
	}
	return out
}

// vendorHost reports whether host (with its port, if any) is one of the spec's servers'. A spec
// without servers claims every host.
func (s *Spec) vendorHost(hostport string) bool {
	if len(s.hosts) == 0 {
		return true
	}
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	for _, re := range s.hosts {
		if re.MatchString(hostport) || re.MatchString(host) {
			return true
		}
	}
	return false
}

// routingAction is the value of the first routing header of specs that h carries (Tencent's
// X-TC-Action), "" when none.
func routingAction(specs []*Spec, h http.Header) string {
	for _, s := range specs {
		for _, name := range s.routing {
			if v := h.Get(name); v != "" {
				return v
			}
		}
	}
	return ""
}

// undocumentedReason says why no operation of specs matched req.
func undocumentedReason(specs []*Spec, req *http.Request) string {
	for _, s := range specs {
		if s.vendorHost(req.URL.Host) {
			return ReasonUndocumented
		}
	}
	return ReasonNotVendorHost
}

// LoadVendor loads the specs of one vendor ("oracle", "huawei", "webex" or "tencent").
func LoadVendor(vendor string) ([]*Spec, error) {
	names, ok := vendorSpecs[vendor]
	if !ok {
		return nil, fmt.Errorf("contract: unknown vendor %q (want one of %s)", vendor, strings.Join(VendorNames(), ", "))
	}
	out := make([]*Spec, 0, len(names))
	for _, n := range names {
		s, err := LoadSpec(n)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// ErrNoOperation reports a request whose method and path no spec describes.
var ErrNoOperation = errors.New("no operation in the spec matches this method and path")

// Route finds the operation for a request: the longest path suffix that a spec operation matches, so
// that any base-URL prefix is ignored. Where several operations share a path and method (Tencent's
// actions on POST /), a required header whose schema fixes its value (X-TC-Action) picks the one.
func (s *Spec) Route(req *http.Request) (*routers.Route, map[string]string, error) {
	p := req.URL.Path
	if p == "" {
		p = "/"
	}
	// One probe for every suffix tried: FindRoute reads only the method, URL and headers.
	u := *req.URL
	probe := req.WithContext(req.Context())
	probe.URL = &u
	for i := 0; i < len(p); i++ {
		if p[i] != '/' {
			continue
		}
		u.Path, u.RawPath = p[i:], ""
		route, params, err := s.router.FindRoute(probe)
		if err != nil {
			continue
		}
		if !fixedHeadersMatch(route.Operation, req.Header) {
			return nil, nil, ErrNoOperation
		}
		return route, params, nil
	}
	return nil, nil, ErrNoOperation
}

// fixedHeadersMatch reports whether h carries the value of each routing header of op (routingHeaders).
// The other fixed headers (Tencent's X-TC-Version) do not pick the operation: a wrong value is a
// violation of the operation the action names, found by request validation.
func fixedHeadersMatch(op *openapi3.Operation, h http.Header) bool {
	for name, want := range routingHeaders(op) {
		if h.Get(name) != want {
			return false
		}
	}
	return true
}

// routingHeaders lists the headers that name op among the operations sharing its method and path:
// the required headers with one fixed value that the operation declares itself (Tencent's
// X-TC-Action). A fixed header shared from components.parameters (Tencent's X-TC-Version) is a common
// parameter of every operation, so it names none of them.
func routingHeaders(op *openapi3.Operation) map[string]string {
	var out map[string]string
	for _, pr := range op.Parameters {
		if pr == nil || pr.Ref != "" {
			continue
		}
		p := pr.Value
		if p == nil || p.In != openapi3.ParameterInHeader || !p.Required || p.Schema == nil || p.Schema.Value == nil {
			continue
		}
		if enum := p.Schema.Value.Enum; len(enum) == 1 {
			if want, ok := enum[0].(string); ok {
				if out == nil {
					out = map[string]string{}
				}
				out[http.CanonicalHeaderKey(p.Name)] = want
			}
		}
	}
	return out
}

// Issue is one problem found in a request or response.
type Issue struct {
	// Pointer is the JSON pointer of the offending field in the body ("" when the issue is not about a
	// body field, e.g. a status code or a header).
	Pointer string `json:"pointer,omitempty"`
	// Message says what is wrong. It never contains a header's value.
	Message string `json:"message"`
}

// ValidationError lists what is wrong with one request or response.
type ValidationError struct {
	Spec   string
	Method string
	Path   string
	// Status is the response status (0 for a request).
	Status int
	// Part is "request" or "response".
	Part   string
	Issues []Issue
}

// Error says which message broke the spec and how.
func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "contract: %s %s %s", e.Method, e.Path, e.Part)
	if e.Status != 0 {
		fmt.Fprintf(&b, " (status %d)", e.Status)
	}
	fmt.Fprintf(&b, " violates %s:", e.Spec)
	for _, is := range e.Issues {
		b.WriteString(" ")
		if is.Pointer != "" {
			b.WriteString(is.Pointer + ": ")
		}
		b.WriteString(is.Message + ";")
	}
	return strings.TrimSuffix(b.String(), ";")
}

func options() *openapi3filter.Options {
	return &openapi3filter.Options{
		MultiError:            true,
		IncludeResponseStatus: true,
		AuthenticationFunc:    checkCredentialsPresent,
	}
}

// checkCredentialsPresent checks that a request carries the credential a security scheme asks for, in
// the right form. It looks at the form only and never puts a value in its error.
func checkCredentialsPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	ss := in.SecurityScheme
	req := in.RequestValidationInput.Request
	switch ss.Type {
	case "http":
		want := strings.ToLower(ss.Scheme) + " "
		if got := req.Header.Get("Authorization"); !strings.HasPrefix(strings.ToLower(got), want) || len(got) <= len(want) {
			return fmt.Errorf("security scheme %q: Authorization header must be %q followed by a credential", in.SecuritySchemeName, strings.TrimSpace(ss.Scheme)+" ")
		}
	case "apiKey":
		var present bool
		switch ss.In {
		case "header":
			present = req.Header.Get(ss.Name) != ""
		case "query":
			present = req.URL.Query().Get(ss.Name) != ""
		case "cookie":
			_, err := req.Cookie(ss.Name)
			present = err == nil
		}
		if !present {
			return fmt.Errorf("security scheme %q: %s %q is missing", in.SecuritySchemeName, ss.In, ss.Name)
		}
	}
	return nil
}

// ValidateRequest checks a request and its body (given separately, since the request's own body may
// already be consumed) against the operation it routes to.
func (s *Spec) ValidateRequest(ctx context.Context, req *http.Request, body []byte) error {
	route, params, err := s.Route(req)
	if err != nil {
		return &ValidationError{Spec: s.Name, Method: req.Method, Path: req.URL.Path, Part: "request", Issues: []Issue{{Message: err.Error()}}}
	}
	return s.validateRequest(ctx, req, body, route, params)
}

func (s *Spec) validateRequest(ctx context.Context, req *http.Request, body []byte, route *routers.Route, params map[string]string) error {
	return s.validateRequestWith(ctx, req, body, route, params, options())
}

func (s *Spec) validateRequestWith(ctx context.Context, req *http.Request, body []byte, route *routers.Route, params map[string]string, opts *openapi3filter.Options) error {
	r := req.Clone(ctx)
	r.Body = io.NopCloser(bytes.NewReader(body))
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: opts}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		return &ValidationError{Spec: s.Name, Method: req.Method, Path: req.URL.Path, Part: "request", Issues: issues(err)}
	}
	return nil
}

// ValidateResponse checks a response (status, headers and body) against the operation its request
// routes to. A status the operation does not document is a violation.
func (s *Spec) ValidateResponse(ctx context.Context, req *http.Request, status int, header http.Header, body []byte) error {
	route, params, err := s.Route(req)
	if err != nil {
		return &ValidationError{Spec: s.Name, Method: req.Method, Path: req.URL.Path, Status: status, Part: "response", Issues: []Issue{{Message: err.Error()}}}
	}
	return s.validateResponse(ctx, req, status, header, body, route, params)
}

func (s *Spec) validateResponse(ctx context.Context, req *http.Request, status int, header http.Header, body []byte, route *routers.Route, params map[string]string) error {
	// kin-openapi lets every 1xx and 3xx status, and any answer to HEAD, pass unchecked: a status the
	// operation does not document is checked here, on every method.
	if responseFor(route.Operation, status) == nil {
		return &ValidationError{Spec: s.Name, Method: req.Method, Path: req.URL.Path, Status: status, Part: "response",
			Issues: []Issue{{Message: fmt.Sprintf("status %d is not documented for %s (documented: %s)", status, routeID(route), documentedStatuses(route.Operation))}}}
	}
	if req.Method == http.MethodHead {
		return nil
	}
	if responseClean(ctx, req, status, header, body, route, params) {
		return nil
	}
	opts := options()
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts},
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                opts,
	}
	if err := openapi3filter.ValidateResponse(ctx, in); err != nil {
		return &ValidationError{Spec: s.Name, Method: req.Method, Path: req.URL.Path, Status: status, Part: "response", Issues: issues(err)}
	}
	return nil
}

// issues flattens kin-openapi's nested errors into one Issue per leaf, with the JSON pointer of the
// offending field where there is one.
func issues(err error) []Issue {
	var out []Issue
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		// A parameter's error first: its own Unwrap would hide the parameter's name.
		if reqErr, ok := err.(*openapi3filter.RequestError); ok && reqErr.Err != nil {
			var se *openapi3.SchemaError
			var multi openapi3.MultiError
			if reqErr.Parameter != nil {
				if errors.As(reqErr.Err, &se) || errors.As(reqErr.Err, &multi) {
					before := len(out)
					walk(reqErr.Err)
					for i := before; i < len(out); i++ {
						out[i].Message = fmt.Sprintf("%s parameter %q: %s", reqErr.Parameter.In, reqErr.Parameter.Name, out[i].Message)
					}
					return
				}
				out = append(out, Issue{Message: fmt.Sprintf("%s parameter %q: %s", reqErr.Parameter.In, reqErr.Parameter.Name, reqErr.Err.Error())})
				return
			}
			if errors.As(reqErr.Err, &se) || errors.As(reqErr.Err, &multi) {
				walk(reqErr.Err)
				return
			}
		}
		var multi openapi3.MultiError
		if errors.As(err, &multi) {
			for _, e := range multi {
				walk(e)
			}
			return
		}
		var se *openapi3.SchemaError
		if errors.As(err, &se) {
			var inner openapi3.MultiError
			if errors.As(se.Origin, &inner) {
				walk(inner)
				return
			}
			out = append(out, Issue{Pointer: pointer(se.JSONPointer()), Message: se.Reason})
			return
		}
		var respErr *openapi3filter.ResponseError
		if errors.As(err, &respErr) && respErr.Err != nil {
			if errors.As(respErr.Err, &se) || errors.As(respErr.Err, &multi) {
				walk(respErr.Err)
				return
			}
			msg := respErr.Reason
			if msg == "" {
				msg = respErr.Err.Error()
			} else {
				msg += ": " + respErr.Err.Error()
			}
			out = append(out, Issue{Message: msg})
			return
		}
		out = append(out, Issue{Message: err.Error()})
	}
	walk(err)
	return out
}

func pointer(parts []string) string {
	if len(parts) == 0 {
		return ""
	}
	var b strings.Builder
	for _, p := range parts {
		b.WriteString("/")
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(p))
	}
	return b.String()
}

// Operation is a request matched to its operation in one spec. Its checks reuse the match, so an
// exchange is routed once however many times it is checked.
type Operation struct {
	Spec   *Spec
	route  *routers.Route
	params map[string]string
}

// Find returns the operation of the first of specs that describes req's method and path (under any base
// URL), or an error matching ErrNoOperation.
func Find(specs []*Spec, req *http.Request) (*Operation, error) {
	for _, s := range specs {
		if route, params, err := s.Route(req); err == nil {
			return &Operation{Spec: s, route: route, params: params}, nil
		}
	}
	return nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, ErrNoOperation)
}

// ID is the operation's operationId, else its method and path template.
func (o *Operation) ID() string { return routeID(o.route) }

func routeID(route *routers.Route) string {
	if id := route.Operation.OperationID; id != "" {
		return id
	}
	return route.Method + " " + route.Path
}

// ValidateRequest checks req and its body against the operation.
func (o *Operation) ValidateRequest(ctx context.Context, req *http.Request, body []byte) error {
	return o.Spec.validateRequest(ctx, req, body, o.route, o.params)
}

// ValidateResponse checks an answer to req against the operation.
func (o *Operation) ValidateResponse(ctx context.Context, req *http.Request, status int, header http.Header, body []byte) error {
	return o.Spec.validateResponse(ctx, req, status, header, body, o.route, o.params)
}

// responseClean reports whether a response is certainly valid: what openapi3filter.ValidateResponse
// does, with the body decoded by decodeJSONFast instead of encoding/json, which costs about half the
// validation. False means only "not shown valid here": the caller then validates in full, which also
// builds the report of a violation. Every case this does not mirror exactly (another media type, a
// body decoder registered in place of kin-openapi's own, a body decodeJSONFast leaves to
// encoding/json) is left to the full validation.
func responseClean(ctx context.Context, req *http.Request, status int, header http.Header, body []byte, route *routers.Route, params map[string]string) bool {
	// Status and headers, exactly as the full validation checks them.
	opts := options()
	opts.ExcludeResponseBody = true
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts},
		Status:                 status,
		Header:                 header,
		Options:                opts,
	}
	if req.Method == http.MethodHead || openapi3filter.ValidateResponse(ctx, in) != nil {
		return false
	}
	// The body, as ValidateResponse and its decodeBody would go about it for a JSON media type.
	res := responseFor(route.Operation, status)
	if res == nil || len(res.Content) == 0 {
		return false
	}
	ct := header.Get("Content-Type")
	mt := res.Content.Get(ct)
	if mt == nil || mt.Schema == nil || mt.Schema.Value == nil || mt.Encoding[""] != nil {
		return false
	}
	if sch := mt.Schema.Value; sch.Type.Is("string") && sch.Format == "binary" {
		return false
	}
	mediaType, _, _ := strings.Cut(ct, ";")
	dec := openapi3filter.RegisteredBodyDecoder(strings.ToLower(strings.TrimSpace(mediaType)))
	// Only kin-openapi's own JSON decoder is mirrored; one registered in its place is left to it.
	if dec == nil || reflect.ValueOf(dec).Pointer() != reflect.ValueOf(openapi3filter.JSONBodyDecoder).Pointer() {
		return false
	}
	value, ok := decodeJSONFast(body)
	if !ok {
		return false
	}
	// The same options kin-openapi v0.135.0's ValidateResponse passes (go.mod says why that version).
	return mt.Schema.Value.VisitJSON(value, openapi3.MultiErrors(), openapi3.VisitAsResponse()) == nil
}

// responseFor is the response op documents for status, as response validation picks it: the status's
// own, else the default one; nil when there is neither.
func responseFor(op *openapi3.Operation, status int) *openapi3.Response {
	if op.Responses.Len() == 0 {
		return nil
	}
	ref := op.Responses.Status(status)
	if ref == nil {
		ref = op.Responses.Default()
	}
	if ref == nil {
		return nil
	}
	return ref.Value
}

// documentedStatuses lists the statuses op documents, sorted, with "default" when it has one.
func documentedStatuses(op *openapi3.Operation) string {
	if op.Responses == nil {
		return "none"
	}
	var out []string
	for code := range op.Responses.Map() {
		out = append(out, code)
	}
	slices.Sort(out)
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}
