package contract

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
)

// Violation is what a Transport reports about one exchange that does not conform.
type Violation struct {
	// Err lists the issues; it never contains a header's value.
	Err *ValidationError
}

// Transport is an http.RoundTripper that checks every request and response passing through it against
// a vendor's specs and reports violations to OnViolation, leaving the traffic as it was. Exchanges whose
// method and path no spec describes are skipped with the reason, as in a HAR check, unless
// UndocumentedIsViolation is set. Use it under any client that accepts an *http.Client.
//
// A Transport remembers, per operation, the last answer that validated clean (bodies up to 64 KiB), so
// that polling a job that has not changed costs a byte comparison instead of decoding and walking the
// body again; an answer that differs in anything validation reads is validated in full.
type Transport struct {
	// Base carries the traffic; nil means http.DefaultTransport.
	Base http.RoundTripper
	// Specs are the documents to check against, e.g. from LoadVendor.
	Specs []*Spec
	// OnViolation receives each violation; it may be called from several goroutines at once.
	OnViolation func(Violation)
	// OnResult, when set, receives the verdict on every exchange, conforming or not (undocumented
	// paths are ResultSkipped); secret values are redacted from its messages. Index counts exchanges
	// from 0. It may be called from several goroutines at once.
	OnResult func(Result)
	// Strict makes RoundTrip return the *ValidationError instead of a non-conforming response, so a
	// client's caller sees an error rather than zero values decoded from an unexpected body.
	Strict bool
	// MaxBody caps how many bytes of a body are buffered for validation (default 16 MiB). A larger
	// body, of a request or of a response, is never truncated: it is passed through whole and
	// unchanged, left unvalidated, and reported as a violation saying so.
	MaxBody int64
	// UndocumentedIsViolation reports an exchange whose method and path no spec describes as a
	// violation (a client calling an undocumented endpoint is drift) instead of skipping it.
	UndocumentedIsViolation bool

	seq atomic.Int64
	// memo remembers the last clean response of each operation; see cleanMemo.
	memo cleanMemo
}

// NewTransport returns a Transport for one vendor's specs.
func NewTransport(vendor string, base http.RoundTripper, onViolation func(Violation)) (*Transport, error) {
	ss, err := LoadVendor(vendor)
	if err != nil {
		return nil, err
	}
	return &Transport{Base: base, Specs: ss, OnViolation: onViolation}, nil
}

const defaultMaxBody = 16 << 20

// presizeMax is the largest announced body length readBody allocates for at once.
const presizeMax = 1 << 20

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	limit := t.MaxBody
	if limit <= 0 {
		limit = defaultMaxBody
	}
	var reqBody []byte
	reqTooLarge := false
	if req.Body != nil && req.Body != http.NoBody {
		orig := req.Body
		b, err := readBody(orig, req.ContentLength, limit)
		if err != nil {
			orig.Close()
			return nil, fmt.Errorf("contract: read request body: %w", err)
		}
		req = req.Clone(req.Context())
		if int64(len(b)) > limit {
			// Too large to validate: send the whole body, what was read and the rest, untouched. The
			// caller's GetBody, if any, still replays all of it.
			reqTooLarge = true
			req.Body = struct {
				io.Reader
				io.Closer
			}{io.MultiReader(bytes.NewReader(b), orig), orig}
		} else {
			orig.Close()
			reqBody = b
			req.Body = io.NopCloser(bytes.NewReader(b))
			req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
		}
	}
	// Route once per exchange; the request and the response are checked against the same operation.
	op, _ := Find(t.Specs, req)
	var found []*ValidationError
	if op == nil {
		if t.UndocumentedIsViolation {
			found = append(found, &ValidationError{Spec: "(none)", Method: req.Method, Path: req.URL.Path, Part: "request", Issues: []Issue{{Message: ErrNoOperation.Error()}}})
			t.report(found[0])
		}
	} else if reqTooLarge {
		found = append(found, &ValidationError{Spec: op.Spec.Name, Method: req.Method, Path: req.URL.Path, Part: "request",
			Issues: []Issue{{Message: fmt.Sprintf("request body larger than %d bytes, not validated", limit)}}})
		t.report(found[0])
	} else if err := op.ValidateRequest(req.Context(), req, reqBody); err != nil {
		found = append(found, asValidation(err))
		t.report(found[0])
	}

	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if err != nil || op == nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.result(req, reqBody, status, nil, nil, op, found, err)
		return resp, err
	}
	body, readErr := readBody(resp.Body, resp.ContentLength, limit)
	if readErr != nil {
		resp.Body.Close()
		return nil, readErr
	}
	if int64(len(body)) > limit {
		// Too large to validate: pass the whole body through untouched.
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
		ve := &ValidationError{Spec: op.Spec.Name, Method: req.Method, Path: req.URL.Path, Status: resp.StatusCode, Part: "response",
			Issues: []Issue{{Message: fmt.Sprintf("body larger than %d bytes, not validated", limit)}}}
		t.report(ve)
		t.result(req, reqBody, resp.StatusCode, resp.Header, nil, op, append(found, ve), nil)
		return resp, nil
	}
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	// An identical answer to the same operation validated clean before (a job polled again before it
	// changed) needs no decoding and no schema walk: its verdict is the same.
	if t.memo.clean(op.route.Operation, resp.StatusCode, resp.Header, body) {
		t.result(req, reqBody, resp.StatusCode, resp.Header, body, op, found, nil)
		return resp, nil
	}
	// A body the client asked to get compressed comes encoded: the spec describes it decoded.
	decoded, reason := decodeBody(resp.Header, body)
	if reason != "" {
		t.result(req, reqBody, resp.StatusCode, resp.Header, body, op, found, skipReason(reason))
		return resp, nil
	}
	if err := op.ValidateResponse(req.Context(), req, resp.StatusCode, resp.Header, decoded); err != nil {
		ve := asValidation(err)
		t.report(ve)
		t.result(req, reqBody, resp.StatusCode, resp.Header, decoded, op, append(found, ve), nil)
		if t.Strict {
			return nil, ve
		}
		return resp, nil
	}
	t.memo.remember(op.route.Operation, resp.StatusCode, resp.Header, body)
	t.result(req, reqBody, resp.StatusCode, resp.Header, body, op, found, nil)
	return resp, nil
}

// readBody reads up to limit+1 bytes of r, as io.ReadAll of a LimitReader does. A body whose length
// is announced (size; a hand-built response may say 0 for unknown) and small is read into one buffer of
// that size plus the byte that finds its end, instead of one grown from 512 bytes by copies. A larger
// announced size is not trusted with an allocation before its bytes arrive.
func readBody(r io.Reader, size, limit int64) ([]byte, error) {
	if size <= 0 || size > min(limit, presizeMax) {
		return io.ReadAll(io.LimitReader(r, limit+1))
	}
	b := make([]byte, 0, size+1)
	lr := io.LimitReader(r, limit+1)
	for {
		n, err := lr.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			// More than announced: go on as io.ReadAll does.
			b = append(b, 0)[:len(b)]
		}
	}
}

// result hands OnResult the verdict on one exchange: skipped, with the reason, when no operation
// matched (unless that is a violation) or when there is no response (rtErr) to check.
func (t *Transport) result(req *http.Request, reqBody []byte, status int, h http.Header, body []byte, op *Operation, found []*ValidationError, rtErr error) {
	if t.OnResult == nil {
		return
	}
	r := Result{Index: int(t.seq.Add(1) - 1), Method: req.Method, Host: req.URL.Hostname(), Path: req.URL.Path, Action: routingAction(t.Specs, req.Header),
		Status: status, Result: ResultOK, Errors: []ResultIssue{}}
	if op != nil {
		r.Operation = op.ID()
	}
	if h == nil {
		h = http.Header{}
	}
	// The redactor finds the secrets only when a message must be redacted: a clean exchange (the
	// common case under users' staging traffic) costs nothing here.
	redact := redactor(Exchange{Request: req, RequestBody: reqBody, Status: status, Header: h, Body: body})
	for _, ve := range found {
		for _, is := range ve.Issues {
			r.Errors = append(r.Errors, ResultIssue{Part: ve.Part, Pointer: is.Pointer, Message: redact(is.Message)})
		}
	}
	switch {
	case op == nil && !t.UndocumentedIsViolation:
		r.Result, r.Reason = ResultSkipped, undocumentedReason(t.Specs, req)
	case len(r.Errors) > 0:
		r.Result = ResultViolation
	case rtErr != nil:
		r.Result, r.Reason = ResultSkipped, ReasonNoResponse+": "+redact(rtErr.Error())
		var sr skipReason
		if errors.As(rtErr, &sr) {
			r.Reason = string(sr)
		}
	}
	t.OnResult(r)
}

func (t *Transport) report(ve *ValidationError) {
	if t.OnViolation != nil {
		t.OnViolation(Violation{Err: ve})
	}
}

func asValidation(err error) *ValidationError {
	var ve *ValidationError
	if errors.As(err, &ve) {
		return ve
	}
	return &ValidationError{Part: "exchange", Issues: []Issue{{Message: err.Error()}}}
}

// skipReason is why a response that arrived cannot be checked (a body in an encoding not decoded).
type skipReason string

func (s skipReason) Error() string { return string(s) }
