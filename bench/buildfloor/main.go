// Command buildfloor is the floor under the demo's first build: the smallest program that needs what
// every build of jobwatch needs from the standard library (an HTTPS client and a loopback server, JSON,
// slog, flags and signals). On a machine whose build cache is empty, Go compiles the standard library
// packages a program imports before the program itself, so a cold build of this program is the part of
// a cold `go run ./cmd/jobwatch demo` that no change to jobwatch can remove. `make build-time` builds
// both, cold, in one run.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
)

func main() {
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{"state": "done"})
	}))
	defer srv.Close()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	resp, err := srv.Client().Do(req)
	if err != nil {
		slog.Error("get", "err", err)
		os.Exit(1)
	}
	defer resp.Body.Close()
	var v map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		slog.Error("decode", "err", err)
		os.Exit(1)
	}
	slog.Info("job", "state", v["state"])
}
