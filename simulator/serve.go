package simulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"syscall"
)

func newEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}

// phase reads where j stands now, under the lock that guards an abandon.
func (s *Simulator) phase(j *job) (phase, float64) {
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	return j.at(now)
}

// badRequest answers a request that breaks the spec the way its vendor answers invalid input.
func (x *exchange) badRequest(err error) {
	msg := "The request does not conform to the API: " + err.Error()
	switch x.vendor {
	case Tencent:
		x.json(http.StatusOK, map[string]any{"Response": map[string]any{"Error": map[string]string{"Code": "InvalidParameter", "Message": msg}, "RequestId": "invalid-request"}})
	case Huawei:
		x.json(http.StatusBadRequest, map[string]string{"resultCode": "60101040050", "resultMessage": msg})
	case Webex:
		webexInvalid(x, "BATCH-400", msg)
	default:
		x.json(http.StatusBadRequest, map[string]string{"message": msg})
	}
}

// Server is the simulator on a loopback listener, serving all four vendors.
type Server struct {
	*Simulator
	// URL is the root, e.g. http://127.0.0.1:41234; see BaseURL for each vendor's base.
	URL string
	srv *httptest.Server
}

// NewServer starts a Simulator on a loopback port (httptest style). Close it when done.
func NewServer(opts Options) (*Server, error) {
	sim, err := New(opts)
	if err != nil {
		return nil, err
	}
	srv := httptest.NewServer(sim.Handler())
	return &Server{Simulator: sim, URL: srv.URL, srv: srv}, nil
}

// BaseURL is the base URL a client of vendor uses against this server.
func (s *Server) BaseURL(vendor string) string { return BaseURL(vendor, s.URL) }

// Close stops the listener and waits for requests in flight.
func (s *Server) Close() { s.srv.Close() }

// TB is the part of testing.TB the simulator needs.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
	Cleanup(func())
	Fatalf(format string, args ...any)
}

// NewTest starts a Server for a test: every spec violation fails t, and the server closes when t ends.
func NewTest(t TB, opts Options) *Server {
	t.Helper()
	opts.OnViolation = func(vendor string, err error) { t.Errorf("simulator: %s spec violation: %v", vendor, err) }
	s, err := NewServer(opts)
	if err != nil {
		t.Fatalf("simulator: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Transport returns an http.RoundTripper that serves requests in memory through the simulator: no
// socket, so it works inside testing/synctest bubbles, where the simulator's clock is the bubble's.
// Connection faults surface as the errors a real connection gives (reset, unexpected EOF).
func (s *Simulator) Transport() http.RoundTripper { return memTransport{h: s.Handler()} }

type memTransport struct{ h http.Handler }

func (m memTransport) RoundTrip(req *http.Request) (resp *http.Response, err error) {
	var body []byte
	if req.Body != nil {
		body, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
	}
	in := req.Clone(req.Context())
	in.Body = io.NopCloser(bytes.NewReader(body))
	in.RequestURI = req.URL.RequestURI()
	if in.Host == "" {
		in.Host = req.URL.Host
	}
	in.RemoteAddr = "127.0.0.1:1"
	rec := &memWriter{header: http.Header{}}
	defer func() {
		if r := recover(); r != nil {
			if r != http.ErrAbortHandler {
				panic(r)
			}
			if !rec.wrote {
				resp, err = nil, &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
				return
			}
			resp, err = rec.response(req, &cutReader{r: bytes.NewReader(rec.buf.Bytes())}), nil
		}
	}()
	m.h.ServeHTTP(rec, in)
	return rec.response(req, bytes.NewReader(rec.buf.Bytes())), nil
}

type memWriter struct {
	header http.Header
	status int
	wrote  bool
	buf    bytes.Buffer
}

func (w *memWriter) Header() http.Header { return w.header }
func (w *memWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
}
func (w *memWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.buf.Write(p)
}
func (w *memWriter) Flush() {}

func (w *memWriter) response(req *http.Request, body io.Reader) *http.Response {
	if !w.wrote {
		w.status = http.StatusOK
	}
	return &http.Response{Status: fmt.Sprintf("%d %s", w.status, http.StatusText(w.status)), StatusCode: w.status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: w.header, Body: io.NopCloser(body), ContentLength: -1, Request: req}
}

// cutReader is a body whose connection dropped: it ends in io.ErrUnexpectedEOF.
type cutReader struct{ r *bytes.Reader }

func (c *cutReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if errors.Is(err, io.EOF) {
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}
