package vendorkit

import (
	"testing"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/internal/httpx"
)

// settingsOf is what the settings decide, without what cannot be compared (functions, the logger).
type settingsOf struct {
	baseURL, userAgent string
	timeout            any
	maxBody            int64
	retry              httpx.RetryPolicy
	getenv, limiter    bool
}

func decided(s httpx.Settings) settingsOf {
	return settingsOf{s.BaseURL, s.UserAgent, s.HTTPClient.Timeout, s.MaxBodyBytes, s.Retry, s.Getenv != nil, s.Limiter != nil}
}

// TestZeroClientOptionIsTheDefault: every client Option given its zero value decides what leaving it
// out does.
func TestZeroClientOptionIsTheDefault(t *testing.T) {
	def := NewSettings()
	if def.Logger == nil || def.HTTPClient.Timeout != sdk.DefaultHTTPTimeout || def.MaxBodyBytes != sdk.DefaultMaxBodyBytes ||
		def.UserAgent != "jobwatch/"+sdk.Version || def.Getenv == nil || def.Limiter != nil {
		t.Fatalf("defaults %+v", def)
	}
	for name, o := range map[string]sdk.Option{
		"WithBaseURL": sdk.WithBaseURL(""), "WithHTTPClient": sdk.WithHTTPClient(nil), "WithLogger": sdk.WithLogger(nil),
		"WithUserAgent": sdk.WithUserAgent(""), "WithMaxBodyBytes": sdk.WithMaxBodyBytes(0), "WithRetry": sdk.WithRetry(sdk.RetryPolicy{}),
		"WithGetenv": sdk.WithGetenv(nil), "WithRateLimiter": sdk.WithRateLimiter(nil),
	} {
		got := NewSettings(o)
		if decided(got) != decided(def) || got.Logger == nil {
			t.Errorf("%s(zero): %+v, want the defaults %+v", name, decided(got), decided(def))
		}
	}
	// RetryPolicy's zero fields are its defaults, as the retry loop reads them.
	if a, b := Policy(sdk.RetryPolicy{}), Policy(sdk.DefaultRetryPolicy()); a.attempts() != b.attempts() {
		t.Errorf("RetryPolicy{} makes %d attempts, the default policy %d", a.attempts(), b.attempts())
	}
}
