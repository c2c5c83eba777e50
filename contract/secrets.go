package contract

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// credentialHeaders hold a credential whatever their value: Authorization carries Basic and Bearer
// credentials and Tencent's TC3 signature, X-TC-Token Tencent's temporary token, X-Auth-Token and
// X-Subject-Token Huawei's tokens, Cookie and Set-Cookie the sessions.
var credentialHeaders = []string{"Authorization", "Proxy-Authorization", "X-TC-Token", "X-Auth-Token", "X-Subject-Token", "Cookie", "Set-Cookie"}

// credentialWords mark the header, JSON field and query parameter names whose values are credentials
// (Tencent's X-TC-Token, Huawei's app secret and access token, passwords, signatures); notCredential
// matches the names that contain one without being one (a page token, a token's type or lifetime).
var (
	credentialNameWords = []string{"secret", "passw", "token", "credential", "signature", "api_key", "apikey", "app_key", "appkey"}
	notCredential       = regexp.MustCompile(`(?i)(page_?token|next_?token|token_?type|expires)`)
)

// credentialName reports whether a header, field or parameter called name holds a credential. It
// runs for every header of every exchange, so it looks without a regular expression or an allocation.
func credentialName(name string) bool {
	for _, w := range credentialNameWords {
		if containsFold(name, w) {
			return !notCredential.MatchString(name)
		}
	}
	return false
}

// mayBeCredentialName reports whether a member name, as its literal is in a body, contains a credential
// word: credentialName decides then, on the name as a string.
func mayBeCredentialName(lit []byte) bool {
	for _, w := range credentialNameWords {
		for i := 0; i+len(w) <= len(lit); i++ {
			if bytes.EqualFold(lit[i:i+len(w)], []byte(w)) {
				return true
			}
		}
	}
	return false
}

// credentialWords are the byte strings one of which a body must contain before it is decoded to look
// for credential fields: most bodies contain none, and looking costs a few byte scans.
var credentialWords = [][]byte{[]byte("ecret"), []byte("ECRET"), []byte("oken"), []byte("OKEN"), []byte("assw"), []byte("ASSW"),
	[]byte("redential"), []byte("REDENTIAL"), []byte("ignature"), []byte("IGNATURE"),
	[]byte("pi_key"), []byte("piKey"), []byte("pikey"), []byte("PI_KEY"), []byte("PIKEY"),
	[]byte("pp_key"), []byte("ppKey"), []byte("ppkey"), []byte("PP_KEY"), []byte("PPKEY")}

// mayHoldCredential reports whether body contains a credential word, before it is decoded to look
// for credential fields. A \u escape may spell one (app_s\u0065cret) without its bytes: such a body is
// looked at too.
func mayHoldCredential(body []byte) bool {
	return slices.ContainsFunc(credentialWords, func(w []byte) bool { return bytes.Contains(body, w) }) || bytes.Contains(body, []byte(`\u`))
}

// looksRedacted reports whether a recorded value is a placeholder a sanitizing tool left in place of
// the credential.
func looksRedacted(v string) bool {
	v = strings.TrimSpace(v)
	if _, cred, ok := strings.Cut(v, " "); ok && !strings.Contains(v, "=") {
		v = strings.TrimSpace(cred) // "Bearer [redacted]"
	}
	if v == "" {
		return true
	}
	l := strings.ToLower(v)
	for _, p := range []string{"redacted", "sanitized", "filtered", "hidden", "removed", "***", "xxxx", "<", "..."} {
		if strings.Contains(l, p) {
			return true
		}
	}
	return false
}

// secretFindings lists where ex still holds a credential, naming the place and never the value.
func secretFindings(ex Exchange) []Finding {
	var out []Finding
	add := func(where string) {
		if !slices.ContainsFunc(out, func(f Finding) bool { return f.Where == where }) {
			out = append(out, Finding{Kind: FindingSecret, Where: where})
		}
	}
	for _, ph := range [2]struct {
		part string
		h    http.Header
	}{{"request", ex.Request.Header}, {"response", ex.Header}} {
		part := ph.part
		for name, vs := range ph.h {
			known := slices.IndexFunc(credentialHeaders, func(c string) bool { return strings.EqualFold(c, name) })
			if known < 0 && !credentialName(name) {
				continue
			}
			if known >= 0 {
				name = credentialHeaders[known] // as the vendor spells it: X-TC-Token, not X-Tc-Token
			}
			if slices.ContainsFunc(vs, func(v string) bool { return !looksRedacted(v) }) {
				add(part + " header " + name)
			}
		}
	}
	for _, name := range ex.RecordedCookies {
		add("cookie " + name)
	}
	if ex.Request.URL.RawQuery != "" {
		for name, vs := range ex.Request.URL.Query() {
			if credentialName(name) && slices.ContainsFunc(vs, func(v string) bool { return !looksRedacted(v) }) {
				add("request query parameter " + name)
			}
		}
	}
	for _, b := range []struct {
		part string
		h    http.Header
		body []byte
	}{{"request", ex.Request.Header, ex.RequestBody}, {"response", ex.Header, ex.Body}} {
		body, reason := decodeBody(b.h, b.body)
		if reason != "" || !mayHoldCredential(body) {
			continue
		}
		walkCredentialFields(body, func(ptr, value string, _, _ int) {
			if !looksRedacted(value) {
				add(b.part + " body " + ptr)
			}
		})
	}
	slices.SortFunc(out, func(a, b Finding) int { return strings.Compare(a.Where, b.Where) })
	return out
}

// walkCredentialFields calls found with the JSON pointer and the value of each string field of the
// JSON document body whose name is a credential's, and where in body its literal starts and ends. It
// scans the bytes keeping only the path to where it is, so a large body (a small gzip body can decode
// to a huge array) costs no tree of values and no allocation per element; a body that is not JSON
// yields nothing.
func walkCredentialFields(body []byte, found func(ptr, value string, start, end int)) {
	if !json.Valid(body) {
		return
	}
	type frame struct {
		obj bool
		// key is the member being read, in an object, as its literal is in body (escaped says
		// whether it has escapes to resolve): most names are compared without becoming strings.
		key     []byte
		escaped bool
		idx     int // the element being read, in an array
	}
	name := func(f frame) string {
		s, _ := literalString(f.key, f.escaped) // the body is valid JSON: the literal is too
		return s
	}
	var stack []frame
	ptr := func() string {
		var b strings.Builder
		for _, f := range stack {
			b.WriteByte('/')
			if f.obj {
				b.WriteString(pointerEscaper.Replace(name(f)))
			} else {
				b.WriteString(strconv.Itoa(f.idx))
			}
		}
		return b.String()
	}
	expectKey := false
	for i := 0; i < len(body); {
		switch c := body[i]; c {
		case '{', '[':
			stack = append(stack, frame{obj: c == '{'})
			expectKey = c == '{'
			i++
		case '}', ']':
			stack = stack[:len(stack)-1]
			expectKey = false
			i++
		case ',':
			if top := &stack[len(stack)-1]; top.obj {
				expectKey = true
			} else {
				top.idx++
			}
			i++
		case '"':
			start := i
			d := fastDecoder{data: body, i: i}
			lit, escaped, _ := d.rawString() // the body is valid JSON: the literal is too
			i = d.i
			if len(stack) == 0 {
				break
			}
			top := &stack[len(stack)-1]
			switch {
			case expectKey:
				top.key, top.escaped, expectKey = lit, escaped, false
			case top.obj && (top.escaped || mayBeCredentialName(top.key)) && credentialName(name(*top)):
				str, _ := literalString(lit, escaped)
				found(ptr(), str, start, i)
			}
		default: // white space, ':', a number or a literal: nothing to keep
			i++
		}
	}
}

// pointerEscaper escapes a member name as a JSON pointer's reference token (RFC 6901).
var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")
