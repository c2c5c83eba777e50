// Package redact holds the redaction that the sdk's plumbing and contract, which must not import the
// sdk, both need: a URL quoted in an error without its credentials. It imports only the standard
// library.
package redact

import "strings"

// URL returns raw with any userinfo (user:password@) replaced by "xxxxx", whether or not raw parses as a
// URL, so that an error or a log line can quote a URL without its credentials.
func URL(raw string) string {
	rest, scheme := raw, ""
	if i := strings.Index(raw, "://"); i >= 0 {
		scheme, rest = raw[:i+3], raw[i+3:]
	} else if strings.HasPrefix(raw, "//") {
		scheme, rest = "//", raw[2:]
	}
	auth, tail := rest, ""
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		auth, tail = rest[:i], rest[i:]
	}
	if i := strings.LastIndex(auth, "@"); i >= 0 {
		auth = "xxxxx" + auth[i:]
	}
	return scheme + auth + tail
}
