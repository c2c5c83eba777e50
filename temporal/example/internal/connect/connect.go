// Package connect holds the Temporal connection flags the example worker and starter share: a local
// server by default (temporal server start-dev, or the one make temporal-demo starts), or Temporal
// Cloud with mTLS or an API key.
package connect

import (
	"crypto/tls"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
)

// EnvAPIKey names the environment variable that holds a Temporal Cloud API key.
const EnvAPIKey = "TEMPORAL_API_KEY"

// Flags defines -address, -namespace, -tls-cert and -tls-key on fs and returns a function that, once
// fs is parsed, dials the server they describe and returns the client with the options it was dialled
// with. The SDK logs at INFO level through log/slog.
func Flags(fs *flag.FlagSet) func() (client.Client, client.Options, error) {
	address := fs.String("address", client.DefaultHostPort, "Temporal frontend host:port (Temporal Cloud: <namespace>.<account>.tmprl.cloud:7233 with mTLS, or the regional endpoint with an API key)")
	namespace := fs.String("namespace", client.DefaultNamespace, "Temporal namespace (Temporal Cloud: <namespace>.<account>)")
	cert := fs.String("tls-cert", "", "client certificate file for mTLS (Temporal Cloud)")
	key := fs.String("tls-key", "", "client key file for mTLS (Temporal Cloud)")
	return func() (client.Client, client.Options, error) {
		opts := client.Options{HostPort: *address, Namespace: *namespace, Identity: identity(),
			Logger: tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo, ReplaceAttr: dropEmpty})))}
		switch apiKey := os.Getenv(EnvAPIKey); {
		case *cert != "" || *key != "":
			pair, err := tls.LoadX509KeyPair(*cert, *key)
			if err != nil {
				return nil, opts, fmt.Errorf("mTLS certificate: %w", err)
			}
			opts.ConnectionOptions.TLS = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
		case apiKey != "":
			opts.Credentials = client.NewAPIKeyStaticCredentials(apiKey)
			opts.ConnectionOptions.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		c, err := client.Dial(opts)
		return c, opts, err
	}
}

// identity is the worker's and client's name in the server's history, pid@host: the SDK's default
// ends in an empty field ("123@host@").
func identity() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%d@%s", os.Getpid(), host)
}

// dropEmpty leaves out of a log line the fields the SDK logs with nothing in them (Signal=<nil>), so
// that every field printed says something.
func dropEmpty(_ []string, a slog.Attr) slog.Attr {
	switch v := a.Value; {
	case v.Kind() == slog.KindAny && v.Any() == nil, v.Kind() == slog.KindString && v.String() == "":
		return slog.Attr{}
	}
	return a
}
