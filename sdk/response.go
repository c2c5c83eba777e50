package sdk

import (
	"fmt"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"
)

// IsJSON reports whether a response declares a JSON body.
func IsJSON(h http.Header) bool {
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// VendorError is what a vendor's error-body parser found.
type VendorError struct {
	Code, Message, RequestID string
}

// ResponseError builds the *APIError for an answer that is not a success: the status, the vendor's
// code, message and request id as parse reads them from the body, Retry-After, and the kind. A body
// that is not JSON is reported as such, with its content type, never echoed.
func ResponseError(vendor, op string, resp *http.Response, body []byte, parse func([]byte) (VendorError, bool)) *APIError {
	e := &APIError{Vendor: vendor, Operation: op, StatusCode: resp.StatusCode, Kind: KindForStatus(resp.StatusCode)}
	e.RetryAfter = ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	if IsJSON(resp.Header) && parse != nil {
		if ve, ok := parse(body); ok {
			e.Code, e.Message, e.RequestID = ve.Code, ve.Message, ve.RequestID
			return e
		}
	}
	if len(body) == 0 {
		e.Err = fmt.Errorf("%w: empty body", ErrUnexpectedResponse)
	} else if !IsJSON(resp.Header) {
		e.Err = fmt.Errorf("%w: body of content-type %s", ErrUnexpectedResponse, contentType(resp.Header))
	} else {
		e.Err = fmt.Errorf("%w: error body not in the documented shape", ErrUnexpectedResponse)
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	return e
}

// Unexpected builds the *APIError for a success status whose body is not what the spec documents.
func Unexpected(vendor, op string, resp *http.Response, why string) *APIError {
	return &APIError{Vendor: vendor, Operation: op, StatusCode: resp.StatusCode,
		Err: fmt.Errorf("%w: %s (content-type %s)", ErrUnexpectedResponse, why, contentType(resp.Header))}
}

func contentType(h http.Header) string {
	if ct := h.Get("Content-Type"); ct != "" {
		return ct
	}
	return "none"
}

// UnknownStatusLogger logs each unknown vendor status value once per client.
type UnknownStatusLogger struct {
	seen sync.Map
}

// Log records value if it has not been seen before.
func (u *UnknownStatusLogger) Log(s Settings, vendor, field, value string) {
	if _, loaded := u.seen.LoadOrStore(vendor+"\x00"+field+"\x00"+value, struct{}{}); loaded {
		return
	}
	s.Logger.Warn("jobwatch: status value not in the spec; job state is unknown", "vendor", vendor, "field", field, "value", value)
}
