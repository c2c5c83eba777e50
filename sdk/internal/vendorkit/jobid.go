package vendorkit

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/jobwatch/jobwatch/sdk"
)

// maxUnescapes bounds how many layers of percent-encoding CheckJobID peels off an id: each layer is
// one more decoding a proxy or server might apply. No real job id is encoded that deeply, so an id
// that still decodes further is refused rather than decoded in quadratic time.
const maxUnescapes = 4

// CheckJobID refuses, before anything is sent, a job id that is not one path segment: empty, blank,
// a dot segment ("." or "..", which a URL resolver or a server folds into the parent path, so that
// the request and its credentials reach another endpoint), or one of those percent-encoded, once or
// more (%2e, %2E%2e, %252e%252e). forbidden lists characters the vendor also refuses once the id is
// decoded (Oracle's "/" and "\", which its path would read as separators), "" for none. at is the id's
// position in a list (StatusMany), -1 for a single id. The error matches sdk.ErrInvalidInput and
// quotes the id with Go escapes, so no control character reaches a terminal.
func CheckJobID(vendor, id string, at int, forbidden string) error {
	why := jobIDProblem(id, forbidden)
	if why == "" {
		return nil
	}
	where := ""
	if at >= 0 {
		where = fmt.Sprintf(" at position %d", at)
	}
	return fmt.Errorf("%s: job id%s %q %s: %w", vendor, where, id, why, sdk.ErrInvalidInput)
}

// jobIDProblem says what is wrong with id, "" when nothing is.
func jobIDProblem(id, forbidden string) string {
	if id == "" {
		return "is empty"
	}
	decoded, layers := id, 0
	for strings.Contains(decoded, "%") {
		d, err := url.PathUnescape(decoded)
		if err != nil || d == decoded {
			break // not (or no longer) valid percent-encoding: a server reads it as it is
		}
		if layers == maxUnescapes {
			return fmt.Sprintf("is percent-encoded more than %d times", maxUnescapes)
		}
		decoded, layers = d, layers+1
	}
	encoded := ""
	if layers > 0 {
		encoded = fmt.Sprintf(" (percent-decoded: %q)", decoded)
	}
	switch {
	case strings.TrimSpace(decoded) == "":
		return "is blank" + encoded
	case decoded == "." || decoded == "..":
		return "is a dot segment" + encoded + ", a path to another endpoint, not a job"
	}
	if i := strings.IndexAny(decoded, forbidden); forbidden != "" && i >= 0 {
		return fmt.Sprintf("holds %q%s: a job id is one path segment", decoded[i:i+1], encoded)
	}
	return ""
}
