package contract

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"unicode"
)

// The response headers a Proxy adds: the verdict on the exchange (ResultOK, ResultViolation or
// ResultSkipped), and, on a violation, its issues (redacted, on one line) or, when skipped, why.
const (
	HeaderVerdict    = "Jobwatch-Contract"
	HeaderViolations = "Jobwatch-Contract-Violations"
)

// maxViolationsHeader bounds the Jobwatch-Contract-Violations header; the reports hold everything.
const maxViolationsHeader = 4 << 10

// Proxy is a validating reverse proxy, for a CI whose client is not written in Go: point the client
// at the proxy, and the proxy forwards each request to Upstream unchanged (method, path under
// Upstream's, query, headers including the Host the client signed, and body), validates the request
// and the response against Specs, and answers with the upstream's response plus the
// Jobwatch-Contract headers. It follows no redirect, so credentials reach Upstream's origin only.
// Bodies up to MaxBody are validated; a larger one streams through unvalidated and the exchange is
// skipped, saying so. It serves many clients at once.
type Proxy struct {
	// Upstream is the vendor's (or the simulator's) base URL.
	Upstream *url.URL
	// Specs are the documents to check against, e.g. from LoadVendor.
	Specs []*Spec
	// Transport carries the traffic to Upstream; nil means a clone of http.DefaultTransport.
	Transport http.RoundTripper
	// MaxBody caps how many bytes of a body are buffered for validation (default 16 MiB).
	MaxBody int64
	// OnResult, when set, receives the verdict on every exchange (Index counts from 0); secret values
	// are redacted from its messages. It may be called from several goroutines at once.
	OnResult func(Result)
	// OnExchange, when set, receives every exchange that got a response, with the bodies it could
	// buffer, e.g. for a HARWriter. It may be called from several goroutines at once.
	OnExchange func(Exchange, Result)

	seq atomic.Int64
	rp  atomic.Pointer[httputil.ReverseProxy]
}

// proxyState carries one exchange through the reverse proxy.
type proxyState struct {
	in       *http.Request
	reqBody  []byte
	tooLarge bool
}

type proxyStateKey struct{}

func (p *Proxy) limit() int64 {
	if p.MaxBody > 0 {
		return p.MaxBody
	}
	return defaultMaxBody
}

func (p *Proxy) reverseProxy() *httputil.ReverseProxy {
	if rp := p.rp.Load(); rp != nil {
		return rp
	}
	tr := p.Transport
	if tr == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 100
		// Forward Accept-Encoding as the client sent it, and the answer's encoding as it came.
		t.DisableCompression = true
		tr = t
	}
	rp := &httputil.ReverseProxy{
		Transport: tr,
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(p.Upstream)
			pr.Out.Host = pr.In.Host // a signature (Tencent's TC3) covers the Host the client sent
			// ReverseProxy drops the client's X-Forwarded-* headers before Rewrite; forward them as sent.
			for _, h := range []string{"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"} {
				if v, ok := pr.In.Header[h]; ok {
					pr.Out.Header[h] = v
				}
			}
		},
		ModifyResponse: p.checkResponse,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			st, _ := r.Context().Value(proxyStateKey{}).(*proxyState)
			res := p.newResult(st)
			res.Result, res.Reason = ResultSkipped, ReasonNoResponse+": upstream error: "+redactor(Exchange{Request: st.in, RequestBody: st.reqBody, Header: http.Header{}})(err.Error())
			w.Header().Set(HeaderVerdict, ResultSkipped)
			w.Header().Set(HeaderViolations, headerText("skipped: "+res.Reason))
			w.WriteHeader(http.StatusBadGateway)
			p.report(res)
		},
	}
	p.rp.CompareAndSwap(nil, rp)
	return p.rp.Load()
}

// ServeHTTP implements http.Handler.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	st := &proxyState{in: r}
	if r.Body != nil && r.Body != http.NoBody {
		limit := p.limit()
		b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
		if err != nil {
			http.Error(w, "jobwatch contract proxy: read request body: "+err.Error(), http.StatusBadRequest)
			return
		}
		if int64(len(b)) > limit {
			st.tooLarge = true
			r.Body = struct {
				io.Reader
				io.Closer
			}{io.MultiReader(bytes.NewReader(b), r.Body), r.Body}
		} else {
			st.reqBody = b
			r.Body = io.NopCloser(bytes.NewReader(b))
		}
	}
	r = r.WithContext(context.WithValue(r.Context(), proxyStateKey{}, st))
	p.reverseProxy().ServeHTTP(w, r)
}

// checkResponse validates the exchange once the upstream answered, and adds the verdict headers.
func (p *Proxy) checkResponse(resp *http.Response) error {
	st, _ := resp.Request.Context().Value(proxyStateKey{}).(*proxyState)
	limit := p.limit()
	var res Result
	if resp.StatusCode == http.StatusSwitchingProtocols {
		// The body of a 101 is the upgraded connection, open until either side ends it: reading it
		// would hang the exchange.
		res = p.newResult(st)
		res.Status = resp.StatusCode
		res.Result, res.Reason = ResultSkipped, ReasonUpgraded
		resp.Header.Set(HeaderVerdict, res.Result)
		resp.Header.Set(HeaderViolations, headerText("skipped: "+res.Reason))
		p.report(res)
		return nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return err
	}
	switch {
	case st.tooLarge || int64(len(body)) > limit:
		if int64(len(body)) > limit {
			resp.Body = struct {
				io.Reader
				io.Closer
			}{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
		} else {
			resp.Body.Close()
			resp.Body = io.NopCloser(bytes.NewReader(body))
		}
		res = p.newResult(st)
		res.Status = resp.StatusCode
		res.Result, res.Reason = ResultSkipped, fmt.Sprintf("body larger than %d bytes, streamed unvalidated", limit)
		body = nil
	default:
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		ex := Exchange{Request: requestForCheck(st.in), RequestBody: st.reqBody, Status: resp.StatusCode, Header: resp.Header, Body: body}
		res = CheckWith(resp.Request.Context(), p.Specs, ex, CheckOptions{})
		res.Index = int(p.seq.Add(1) - 1)
		if p.OnExchange != nil {
			p.OnExchange(ex, res)
		}
	}
	resp.Header.Set(HeaderVerdict, res.Result)
	switch {
	case res.Result == ResultViolation:
		parts := make([]string, len(res.Errors))
		for i, is := range res.Errors {
			ptr := is.Pointer
			if ptr == "" {
				ptr = "-"
			}
			parts[i] = is.Part + " " + ptr + ": " + is.Message
		}
		resp.Header.Set(HeaderViolations, headerText(strings.Join(parts, "; ")))
	case res.Result == ResultSkipped:
		resp.Header.Set(HeaderViolations, headerText("skipped: "+res.Reason))
	default:
		resp.Header.Del(HeaderViolations)
	}
	p.report(res)
	return nil
}

// requestForCheck is the client's request as the upstream got it, for validation: its URL is the
// proxy's, under which routing finds the operation as under any base URL.
func requestForCheck(in *http.Request) *http.Request {
	r := in.Clone(in.Context())
	r.Body = http.NoBody
	if r.URL.Host == "" {
		r.URL.Host = in.Host
	}
	if r.URL.Scheme == "" {
		r.URL.Scheme = "http"
	}
	return r
}

func (p *Proxy) newResult(st *proxyState) Result {
	req := requestForCheck(st.in)
	res := Result{Index: int(p.seq.Add(1) - 1), Method: req.Method, Host: req.URL.Hostname(), Path: req.URL.Path, Action: routingAction(p.Specs, req.Header), Errors: []ResultIssue{}}
	if op, _ := Find(p.Specs, req); op != nil {
		res.Operation = op.ID()
	}
	return res
}

func (p *Proxy) report(res Result) {
	if p.OnResult != nil {
		p.OnResult(res)
	}
}

// headerText makes s a valid header value: printable ASCII on one line, at most maxViolationsHeader
// bytes.
func headerText(s string) string {
	s = strings.Map(func(r rune) rune {
		if r > unicode.MaxASCII || r < ' ' || r == 0x7f {
			return '?'
		}
		return r
	}, s)
	if len(s) > maxViolationsHeader {
		s = s[:maxViolationsHeader-3] + "..."
	}
	return s
}
