package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/jobwatch/jobwatch/internal/promtext"
	"github.com/jobwatch/jobwatch/sdk/observe"
)

// metricsServer serves a command's metrics on --metrics-addr: internal/promtext's, with the standard
// library, as OpenTelemetry lives only in the otel module (ARCHITECTURE.md).
type metricsServer struct {
	srv  *http.Server
	done chan struct{}
}

// serveMetrics starts serving GET /metrics (Prometheus text) and GET /healthz on addr, and says where
// on stderr. It returns the Observer to give the command's waits, and the server to close when the
// command ends; with addr "" it serves nothing and returns a nil Observer. The watch and run commands
// share it.
func serveMetrics(addr string, stderr io.Writer) (*observe.Observer, *metricsServer, error) {
	if addr == "" {
		return nil, nil, nil
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, nil, usagef("--metrics-addr %q: want HOST:PORT, e.g. 127.0.0.1:9464", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, usagef("--metrics-addr: %v", err)
	}
	m := promtext.New()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", promtext.ContentType)
		m.Write(w)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	s := &metricsServer{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(stderr, "jobwatch: metrics server: %v\n", err)
		}
	}()
	fmt.Fprintf(stderr, "serving metrics on http://%s/metrics\n", ln.Addr())
	return m.Observer(), s, nil
}

// close stops the server; a nil server is none.
func (s *metricsServer) close() {
	if s == nil {
		return
	}
	s.srv.Close()
	<-s.done
}
