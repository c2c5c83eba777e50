package simulator

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// FaultKind is a kind of failure the simulator can inject.
type FaultKind int

// The fault kinds. Faulted answers are deliberately off the spec, so they are not validated.
const (
	// FaultStatus answers Status (e.g. 500, 502, 503, 504, 429, 423) with the vendor's error body and,
	// if set, RetryAfter.
	FaultStatus FaultKind = iota + 1
	// FaultReset cuts the connection before any answer.
	FaultReset
	// FaultResetMidBody sends the headers and half the body, then cuts the connection.
	FaultResetMidBody
	// FaultTruncated sends half of the real answer as a complete body.
	FaultTruncated
	// FaultHTML answers 200 with an HTML page under a JSON content type (a captive portal or gateway page).
	FaultHTML
	// FaultWrongContentType answers the real body as text/html.
	FaultWrongContentType
	// FaultEmptyBody answers 200 with an empty JSON body.
	FaultEmptyBody
	// FaultLatency delays the real answer by Delay.
	FaultLatency
	// FaultVendorError answers HTTP 200 carrying the vendor's error code (Tencent Response.Error, Huawei
	// resultCode); Code overrides the default.
	FaultVendorError
	// FaultBody answers 200 with Body verbatim (application/json), for unknown status values, unknown
	// fields, huge failure lists and the like.
	FaultBody
)

// Fault is one injected failure: Count requests (default 1) of Vendor ("" for any) get it instead of the
// real answer, in the order faults were injected.
type Fault struct {
	Vendor     string
	Kind       FaultKind
	Status     int
	RetryAfter string
	Delay      time.Duration
	Code       string
	Body       []byte
	Count      int
}

// Inject queues faults.
func (s *Simulator) Inject(faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range faults {
		if f.Count <= 0 {
			f.Count = 1
		}
		s.faults = append(s.faults, f)
	}
}

// takeFault pops the first fault for vendor; s.mu must be held.
func (s *Simulator) takeFault(vendor string) (Fault, bool) {
	for i := range s.faults {
		f := &s.faults[i]
		if f.Vendor != "" && f.Vendor != vendor {
			continue
		}
		out := *f
		if f.Count--; f.Count == 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		return out, true
	}
	return Fault{}, false
}

// apply writes the fault's answer; it returns false for a fault that only delays the real answer.
func (f Fault) apply(w http.ResponseWriter, r *http.Request, vendor string) bool {
	switch f.Kind {
	case FaultLatency:
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
		}
		return false
	case FaultReset:
		panic(http.ErrAbortHandler)
	case FaultResetMidBody:
		body := []byte(`{"Response":{"JobSet":[{"Id":"cut","Status":"PROCESSING"}],"RequestId":"cut-short"}}`)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		w.Write(body[:len(body)/2])
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		panic(http.ErrAbortHandler)
	case FaultTruncated:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, `{"Response":{"JobSet":[{"Id":"x","Sta`)
	case FaultHTML:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "<!DOCTYPE html><html><head><title>Gateway</title></head><body>Please sign in</body></html>")
	case FaultWrongContentType:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "<html><body>maintenance</body></html>")
	case FaultEmptyBody:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
	case FaultBody:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write(f.Body)
	case FaultVendorError:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write(vendorErrorBody(vendor, f.Code))
	default: // FaultStatus
		status := f.Status
		if status == 0 {
			status = http.StatusServiceUnavailable
		}
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(statusErrorBody(vendor, status))
	}
	return true
}

func vendorErrorBody(vendor, code string) []byte {
	var v any
	switch vendor {
	case Tencent:
		if code == "" {
			code = "InternalError"
		}
		v = map[string]any{"Response": map[string]any{"Error": map[string]string{"Code": code, "Message": "injected " + code}, "RequestId": "fault"}}
	case Huawei:
		if code == "" {
			code = "60101900002"
		}
		v = map[string]string{"resultCode": code, "resultMessage": "Internal system error."}
	case Webex:
		v = map[string]any{"message": "injected error", "errors": []map[string]string{{"description": "injected " + code}}, "trackingId": "fault"}
	default:
		v = map[string]string{"exception": "injected " + code, "message": "injected error"}
	}
	b, _ := json.Marshal(v)
	return b
}

func statusErrorBody(vendor string, status int) []byte {
	text := http.StatusText(status)
	var v any
	switch vendor {
	case Webex:
		v = map[string]any{"message": text, "errors": []map[string]string{{"description": text}}, "trackingId": "ROUTER_SIM_" + strconv.Itoa(status)}
	case Huawei:
		v = map[string]string{"error_code": fmt.Sprintf("APIGW.%04d", status), "error_msg": text}
	case Tencent:
		v = map[string]any{"Response": map[string]any{"Error": map[string]string{"Code": "InternalError", "Message": text}, "RequestId": "fault"}}
	default:
		v = map[string]string{"message": strings.ToLower(text)}
	}
	b, _ := json.Marshal(v)
	return b
}
