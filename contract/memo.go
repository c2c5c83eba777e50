package contract

import (
	"bytes"
	"net/http"
	"slices"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

// memoMaxBody is the largest response body whose clean verdict is remembered. Polls of a job's status
// are small; a large body is validated every time rather than kept.
const memoMaxBody = 64 << 10

// cleanMemo remembers, per operation, the last response that validated clean, so that an identical
// response (a job polled again before it changed) is not decoded and validated again.
//
// Response validation is a pure function of the operation, the status, the Content-Type header, the
// headers the spec declares for that status, and the body: kin-openapi reads nothing else of a
// response (the request only for HEAD, which is part of the operation). A response equal to the
// remembered one in all of these therefore gets the same verdict, clean. Only clean verdicts are
// remembered: a violation is validated in full every time, so its report is built as before.
//
// It holds at most one body of at most memoMaxBody bytes per operation of the specs, and never one that
// may carry a credential (holdsSecret).
type cleanMemo struct {
	m sync.Map // *openapi3.Operation → *cleanResponse
}

// cleanResponse is one response that validated clean.
type cleanResponse struct {
	status int
	// headers holds the values of Content-Type and of each header the spec declares for status, in
	// the order of names.
	names   []string
	headers [][]string
	body    []byte
}

// responseHeaderNames lists the headers whose values response validation reads for status: the
// Content-Type and those the operation declares (for the status, else the default response).
func responseHeaderNames(op *openapi3.Operation, status int) []string {
	names := []string{"Content-Type"}
	res := responseFor(op, status)
	if res == nil {
		return names
	}
	for n := range res.Headers {
		names = append(names, n)
	}
	slices.Sort(names[1:])
	return names
}

// clean reports whether an identical response to op validated clean before.
func (c *cleanMemo) clean(op *openapi3.Operation, status int, h http.Header, body []byte) bool {
	v, ok := c.m.Load(op)
	if !ok {
		return false
	}
	e := v.(*cleanResponse)
	if e.status != status || !bytes.Equal(e.body, body) {
		return false
	}
	for i, n := range e.names {
		if !slices.Equal(e.headers[i], h.Values(n)) {
			return false
		}
	}
	return true
}

// remember records a response to op that validated clean.
func (c *cleanMemo) remember(op *openapi3.Operation, status int, h http.Header, body []byte) {
	if len(body) > memoMaxBody || holdsSecret(h, body) {
		return
	}
	names := responseHeaderNames(op, status)
	e := &cleanResponse{status: status, names: names, headers: make([][]string, len(names)), body: bytes.Clone(body)}
	for i, n := range names {
		e.headers[i] = slices.Clone(h.Values(n))
	}
	c.m.Store(op, e)
}

// holdsSecret reports whether a response carries a credential (a token answer, a cookie): such a
// response is validated every time rather than kept in memory past its exchange. A body holds one when
// it has a field the secret scan treats as a credential; the credential words alone are only the
// scan's pre-filter, and a job's presigned download URL ("…&Signature=…") has one without holding a
// credential field.
func holdsSecret(h http.Header, body []byte) bool {
	for _, name := range secretHeaders {
		if len(h.Values(name)) > 0 {
			return true
		}
	}
	if !mayHoldCredential(body) {
		return false
	}
	found := false
	walkCredentialFields(body, func(string, string, int, int) { found = true })
	return found
}
