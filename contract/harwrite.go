package contract

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// HARWriter writes exchanges as a HAR 1.2 file, sanitized: every credential (the headers
// secretFindings looks at, credential query parameters, and the values of credential fields in the
// bodies) is replaced by "[redacted]", so the file can be committed. Write may be called from several
// goroutines at once; Close ends the file.
type HARWriter struct {
	mu    sync.Mutex
	w     *bufio.Writer
	n     int
	err   error
	clock func() time.Time
}

// NewHARWriter starts a HAR file on w.
func NewHARWriter(w io.Writer, creator string) *HARWriter {
	h := &HARWriter{w: bufio.NewWriter(w), clock: time.Now}
	b, _ := json.Marshal(map[string]string{"name": creator, "version": "1"})
	_, h.err = h.w.WriteString(`{"log":{"version":"1.2","creator":` + string(b) + `,"entries":[` + "\n")
	return h
}

type harOutHeader struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Write adds one exchange.
func (h *HARWriter) Write(ex Exchange) error {
	// The body is written decoded (one that does not decode is left out), and secrets are
	// looked for in what is written.
	ex.Body, _ = decodeBody(ex.Header, ex.Body)
	redact := redactor(ex)
	hdrs := func(hh http.Header) []harOutHeader {
		out := []harOutHeader{}
		for name, vs := range hh {
			for _, v := range vs {
				if isCredentialHeader(name) {
					v = "[redacted]"
				} else {
					v = redact(v)
				}
				out = append(out, harOutHeader{name, v})
			}
		}
		return out
	}
	u := *ex.Request.URL
	u.User = nil
	q := u.Query()
	changed := false
	for name := range q {
		if credentialName(name) {
			q[name] = []string{"[redacted]"}
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	req := map[string]any{"method": ex.Request.Method, "url": u.String(), "httpVersion": "HTTP/1.1", "headers": hdrs(ex.Request.Header),
		"cookies": []any{}, "queryString": queryList(u.Query()), "headersSize": -1, "bodySize": len(ex.RequestBody)}
	if len(ex.RequestBody) > 0 {
		req["postData"] = map[string]any{"mimeType": ex.Request.Header.Get("Content-Type"), "text": redactBody(ex.RequestBody, redact)}
	}
	body := ex.Body
	respHeaders := ex.Header.Clone()
	respHeaders.Del("Content-Encoding") // the body is written decoded
	entry := map[string]any{
		"startedDateTime": h.clock().UTC().Format(time.RFC3339Nano),
		"time":            0,
		"request":         req,
		"response": map[string]any{"status": ex.Status, "statusText": http.StatusText(ex.Status), "httpVersion": "HTTP/1.1", "headers": hdrs(respHeaders),
			"cookies": []any{}, "content": map[string]any{"size": len(body), "mimeType": ex.Header.Get("Content-Type"), "text": redactBody(body, redact)},
			"redirectURL": "", "headersSize": -1, "bodySize": len(body)},
		"cache":   map[string]any{},
		"timings": map[string]any{"send": 0, "wait": 0, "receive": 0},
	}
	b, err := json.Marshal(entry)
	if err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err != nil {
		return h.err
	}
	if h.n > 0 {
		h.w.WriteString(",\n")
	}
	h.n++
	_, h.err = h.w.Write(b)
	return h.err
}

// Close ends the HAR file (it does not close the underlying writer).
func (h *HARWriter) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err != nil {
		return h.err
	}
	if _, err := h.w.WriteString("\n]}}\n"); err != nil {
		return err
	}
	h.err = ErrHARClosed // an entry after the end would make the file invalid JSON
	return h.w.Flush()
}

// ErrHARClosed is returned by a HARWriter's Write and Close after its Close.
var ErrHARClosed = errors.New("contract: HAR file already closed")

func queryList(q url.Values) []harOutHeader {
	out := []harOutHeader{}
	for name, vs := range q {
		for _, v := range vs {
			out = append(out, harOutHeader{name, v})
		}
	}
	return out
}

func isCredentialHeader(name string) bool {
	fold := func(c string) bool { return strings.EqualFold(c, name) }
	return credentialName(name) || slices.ContainsFunc(credentialHeaders, fold) || slices.ContainsFunc(secretHeaders, fold)
}

// redactBody returns body as it is written: a JSON body with the value of every credential field
// replaced, since a plain replace of the decoded secret misses one the JSON escapes ("p\u00e4ss");
// any other body with each known secret replaced.
func redactBody(body []byte, redact func(string) string) string {
	if !mayHoldCredential(body) {
		return redact(string(body))
	}
	var b strings.Builder
	last := 0
	walkCredentialFields(body, func(_, _ string, start, end int) {
		b.Write(body[last:start])
		b.WriteString(`"[redacted]"`)
		last = end
	})
	b.Write(body[last:])
	return redact(b.String())
}
