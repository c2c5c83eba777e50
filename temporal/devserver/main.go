// Command devserver runs an embedded Temporal server (go.temporal.io/server's temporaltest) on loopback
// for the temporal module's tests and for make temporal-demo, so neither needs the temporal CLI, which
// go install cannot build.
//
// It prints one JSON line on stdout once the server accepts connections,
//
//	{"address":"127.0.0.1:PORT","namespace":"temporaltest-N"}
//
// and stops when it receives SIGTERM or SIGINT or when its stdin closes (so a parent that dies, even by
// SIGKILL, takes the server with it). Its history is in memory only: every start is a fresh server.
//
// It is a module of its own, built with GOWORK=off: go.temporal.io/server is large and pins its own
// Temporal API and SDK versions, which must not reach the temporal module or anyone who imports it.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"go.temporal.io/server/temporaltest"
)

// ready is the line the parent reads to learn where the server listens.
type ready struct {
	Address   string `json:"address"`
	Namespace string `json:"namespace"`
}

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "devserver:", err)
		os.Exit(1)
	}
}

func run(stdin io.Reader, stdout io.Writer) (err error) {
	// temporaltest reports a failed start by panicking when it has no *testing.T.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("temporal server: %v", r)
		}
	}()
	srv := temporaltest.NewServer()
	defer stop(srv)

	line, err := json.Marshal(ready{Address: srv.GetFrontendHostPort(), Namespace: srv.GetDefaultNamespace()})
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(stdout, "%s\n", line); err != nil {
		return err
	}

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	eof := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, stdin)
		close(eof)
	}()
	select {
	case <-sig:
	case <-eof:
	}
	return nil
}

// stop shuts the server down; temporaltest logs a failed stop through a *testing.T it does not have
// here, so a panic while stopping is not worth more than the exit that follows.
func stop(srv *temporaltest.TestServer) {
	defer func() { _ = recover() }()
	srv.Stop()
}
