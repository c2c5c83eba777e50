package httpx

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/time/rate"

	"github.com/jobwatch/jobwatch/internal/redact"
)

func noEnv(string) string { return "" }

// TestBase: sdk.ClientOptions.BaseURL, else JOBWATCH_<VENDOR>_BASE_URL (trimmed), else the vendor's default; no URL
// at all names both ways to give one, and a URL that is not absolute http(s) is refused.
func TestBase(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "JOBWATCH_HUAWEI_BASE_URL" {
				return v
			}
			return ""
		}
	}
	cases := []struct {
		name    string
		s       Settings
		def     string
		want    string
		wantErr string
	}{
		{"option", Settings{BaseURL: "https://o.example/v1", Getenv: env("https://e.example")}, "https://d.example", "https://o.example/v1", ""},
		{"environment, trimmed", Settings{Getenv: env("  http://127.0.0.1:8080 \n")}, "https://d.example", "http://127.0.0.1:8080", ""},
		{"default", Settings{Getenv: noEnv}, "https://d.example", "https://d.example", ""},
		{"no Getenv", Settings{}, "https://d.example", "https://d.example", ""},
		{"none", Settings{Getenv: noEnv}, "", "", "sdk.ClientOptions.BaseURL or JOBWATCH_HUAWEI_BASE_URL"},
		{"not http", Settings{BaseURL: "ftp://h"}, "", "", "not an absolute http(s) URL"},
		{"relative", Settings{BaseURL: "/v1"}, "", "", "not an absolute http(s) URL"},
		{"unparsable", Settings{BaseURL: "http://h:port/"}, "", "", "not an absolute http(s) URL"},
	}
	for _, c := range cases {
		got, err := c.s.Base("huawei", c.def)
		if got != c.want || (err == nil) != (c.wantErr == "") || (err != nil && !strings.Contains(err.Error(), c.wantErr)) {
			t.Errorf("%s: Base = %q, %v; want %q, an error containing %q", c.name, got, err, c.want, c.wantErr)
		}
	}
}

// TestNoErrorQuotesUserinfo: the base-URL check never quotes a URL's userinfo, parsable or not.
func TestNoErrorQuotesUserinfo(t *testing.T) {
	for _, raw := range []string{"ftp://user:s3cret@host", "http://user:s3cret@host:bad port/x", "user:s3cret@host", "//user:s3cret@host", "http://user:s3cret@/p", "http://us%zzer:s3cret@h"} {
		s := Settings{BaseURL: raw, Getenv: noEnv}
		_, err := s.Base("v", "")
		if err == nil {
			t.Errorf("%s accepted", redact.URL(raw))
			continue
		}
		if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "user") {
			t.Errorf("error quotes the userinfo: %s", redact.URL(err.Error()))
		}
	}
}

func TestFromEnvFillsOnlyEmptyFields(t *testing.T) {
	s := Settings{Getenv: func(k string) string { return map[string]string{"K": "from-env"}[k] }}
	a, b := "", "explicit"
	FromEnv(s, &a, "K")
	FromEnv(s, &b, "K")
	if a != "from-env" || b != "explicit" {
		t.Errorf("FromEnv: %q %q", a, b)
	}
	if got := BaseURLEnv("tencent"); got != "JOBWATCH_TENCENT_BASE_URL" {
		t.Errorf("BaseURLEnv = %q", got)
	}
}

// TestSameOrigin: scheme, host and port all count; default ports are explicit; case does not count.
func TestSameOrigin(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{"https://h/x", "https://h:443/y", true},
		{"http://h/x", "http://h:80/y", true},
		{"https://H/x", "https://h/y", true},
		{"HTTPS://h/x", "https://h/y", true},
		{"https://h/x", "http://h/x", false},
		{"https://h/x", "http://h:443/x", false},
		{"http://h:8080/", "http://h:8081/", false},
		{"https://h/", "https://g/", false},
		{"ftp://h/", "ftp://h:21/", false}, // no default port known: "" and "21" differ
	}
	for _, c := range cases {
		a, _ := url.Parse(c.a)
		b, _ := url.Parse(c.b)
		if SameOrigin(a, b) != c.want {
			t.Errorf("SameOrigin(%s, %s) != %v (origins %s, %s)", c.a, c.b, c.want, Origin(a), Origin(b))
		}
	}
}

func TestIsJSONAndContentType(t *testing.T) {
	cases := []struct {
		ct   string
		json bool
	}{
		{"application/json", true},
		{"application/json; charset=utf-8", true},
		{"Application/JSON", true},
		{"application/problem+json", true},
		{"text/json", false},
		{"text/html", false},
		{"application/json;;", false},
		{"", false},
	}
	for _, c := range cases {
		h := http.Header{}
		if c.ct != "" {
			h.Set("Content-Type", c.ct)
		}
		if IsJSON(h) != c.json {
			t.Errorf("IsJSON(%q) = %v", c.ct, !c.json)
		}
		want := c.ct
		if want == "" {
			want = "none"
		}
		if got := ContentType(h); got != want {
			t.Errorf("ContentType(%q) = %q", c.ct, got)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 24, 6, 0, 0, 0, time.UTC)
	cases := []struct {
		v    string
		want time.Duration
	}{
		{"", 0},
		{"  ", 0},
		{"3", 3 * time.Second},
		{" 3 ", 3 * time.Second},
		{"0", 0},
		{"-1", 0},
		{"+3", 0}, // not delta-seconds as RFC 9110 writes them
		{"03", 0},
		{"1.5", 0},
		{"999999999", 24 * time.Hour},
		{"99999999999999999999", 0}, // beyond int64: not a number Sscanf reads
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(72 * time.Hour).Format(http.TimeFormat), 24 * time.Hour},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"tomorrow", 0},
	}
	for _, c := range cases {
		if got := ParseRetryAfter(c.v, now); got != c.want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", c.v, got, c.want)
		}
	}
}

// TestCapRetryAfter: zero takes the default cap, negative ignores Retry-After, a cap bounds it.
func TestCapRetryAfter(t *testing.T) {
	const def = time.Minute
	cases := []struct {
		ra, limit, want time.Duration
	}{
		{time.Hour, 0, def},
		{time.Second, 0, time.Second},
		{time.Hour, 10 * time.Second, 10 * time.Second},
		{time.Hour, -1, 0},
		{0, 10 * time.Second, 0},
		{-time.Second, 0, 0},
	}
	for _, c := range cases {
		if got := CapRetryAfter(c.ra, c.limit, def); got != c.want {
			t.Errorf("CapRetryAfter(%v, %v, %v) = %v, want %v", c.ra, c.limit, def, got, c.want)
		}
	}
}

// TestPerSecond: n requests a second, a hair under n, so that n+1 never fit in one second.
func TestPerSecond(t *testing.T) {
	l := rate.NewLimiter(PerSecond(20), 1)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	n := 0
	for at := start; at.Before(start.Add(time.Second)); at = at.Add(time.Millisecond) {
		if l.AllowN(at, 1) {
			n++
		}
	}
	if n != 20 || PerSecond(20) >= 20 || PerSecond(20) < 19.99 {
		t.Errorf("%d requests in one second at PerSecond(20) = %v, want 20", n, PerSecond(20))
	}
}

// TestSleep: Sleep waits out its delay on the bubble's clock, and ends at once with the context's
// error when the context ends first.
func TestSleep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		if err := Sleep(t.Context(), 3*time.Second); err != nil || time.Since(start) != 3*time.Second {
			t.Errorf("Sleep(3s) = %v after %v", err, time.Since(start))
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		start = time.Now()
		if err := Sleep(ctx, time.Hour); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != time.Second {
			t.Errorf("Sleep(1h) under a 1 s deadline = %v after %v", err, time.Since(start))
		}
	})
}
