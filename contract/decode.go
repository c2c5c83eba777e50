package contract

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/andybalholm/brotli"
)

// maxDecoded bounds what one body decodes to, so that a small compressed body cannot fill memory.
const maxDecoded = 64 << 20

// decodeBody returns body as the spec describes it: decoded per the Content-Encoding of h where the
// recorder kept it encoded, and in UTF-8 per the charset of the Content-Type. Recorders differ: a
// browser and mitmproxy store the decoded body under a Content-Encoding header that still says gzip,
// Charles and Go recorders store the bytes as sent. So a body is decoded only when it is encoded. A
// non-empty reason says why the body cannot be read (an encoding or charset this cannot decode);
// the exchange is then skipped, not judged.
func decodeBody(h http.Header, body []byte) ([]byte, string) {
	if len(body) == 0 {
		return body, ""
	}
	ce, ct := h.Get("Content-Encoding"), h.Get("Content-Type")
	if ce == "" && !containsFold(ct, "charset") && !bytes.HasPrefix(body, []byte("\ufeff")) {
		return body, "" // the common case, checked without parsing
	}
	codings := strings.Split(ce, ",")
	for i := len(codings) - 1; i >= 0; i-- {
		c := strings.ToLower(strings.TrimSpace(codings[i]))
		var (
			r   io.Reader
			err error
		)
		switch c {
		case "", "identity":
			continue
		case "gzip", "x-gzip":
			if !bytes.HasPrefix(body, []byte{0x1f, 0x8b}) {
				continue // recorded decoded
			}
			r, err = gzip.NewReader(bytes.NewReader(body))
		case "deflate":
			if looksDecoded(body) {
				continue
			}
			if len(body) >= 2 && body[0]&0x0f == 8 && (uint16(body[0])<<8|uint16(body[1]))%31 == 0 {
				r, err = zlib.NewReader(bytes.NewReader(body))
			} else {
				r = flate.NewReader(bytes.NewReader(body)) // the raw deflate some servers send
			}
		case "br":
			if looksDecoded(body) {
				continue
			}
			r = brotli.NewReader(bytes.NewReader(body)) // as Charles and Go recorders keep it: the bytes sent
		default:
			if looksDecoded(body) {
				continue
			}
			return nil, fmt.Sprintf("body in Content-Encoding %q, which jobwatch does not decode", c)
		}
		if err == nil {
			var out []byte
			out, err = io.ReadAll(io.LimitReader(r, maxDecoded+1))
			if err == nil && len(out) > maxDecoded {
				return nil, fmt.Sprintf("body decodes to more than %d MiB", maxDecoded>>20)
			}
			body = out
		}
		if err != nil {
			return nil, fmt.Sprintf("body does not decode as %s: %v", c, err)
		}
	}
	return toUTF8(ct, body)
}

// containsFold reports whether s contains sub, ignoring ASCII case, without allocating.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// looksDecoded reports whether body starts as JSON or text does, not as compressed bytes do.
func looksDecoded(body []byte) bool {
	b := bytes.TrimLeft(body, " \t\r\n\ufeff")
	return len(b) > 0 && (b[0] == '{' || b[0] == '[' || b[0] == '"' || b[0] == '<') && utf8.Valid(b)
}

// toUTF8 converts body from the charset of contentType to UTF-8, dropping a byte-order mark.
func toUTF8(contentType string, body []byte) ([]byte, string) {
	charset := ""
	if _, params, err := mime.ParseMediaType(contentType); err == nil {
		charset = strings.ToLower(params["charset"])
	}
	switch charset {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		return bytes.TrimPrefix(body, []byte("\ufeff")), ""
	case "iso-8859-1", "latin1", "iso8859-1", "l1", "windows-1252", "cp1252":
		cp1252 := charset == "windows-1252" || charset == "cp1252"
		out := make([]byte, 0, len(body)+len(body)/8)
		for _, c := range body {
			r := rune(c)
			if cp1252 && c >= 0x80 && c < 0xa0 {
				r = cp1252High[c-0x80]
			}
			out = utf8.AppendRune(out, r)
		}
		return out, ""
	case "utf-16", "utf-16le", "utf-16be":
		be := charset == "utf-16be"
		switch {
		case bytes.HasPrefix(body, []byte{0xfe, 0xff}):
			be, body = true, body[2:]
		case bytes.HasPrefix(body, []byte{0xff, 0xfe}):
			be, body = false, body[2:]
		case charset == "utf-16":
			be = true // RFC 2781: no byte-order mark means big-endian
		}
		if len(body)%2 != 0 {
			return nil, "body is not valid " + charset
		}
		units := make([]uint16, len(body)/2)
		for i := range units {
			if be {
				units[i] = uint16(body[2*i])<<8 | uint16(body[2*i+1])
			} else {
				units[i] = uint16(body[2*i+1])<<8 | uint16(body[2*i])
			}
		}
		return []byte(string(utf16.Decode(units))), ""
	}
	return nil, fmt.Sprintf("body in charset %q, which jobwatch does not decode", charset)
}

// cp1252High maps windows-1252's bytes 0x80 to 0x9f, where it differs from ISO-8859-1.
var cp1252High = [32]rune{
	'€', 0x81, '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', 0x8d, 'Ž', 0x8f,
	0x90, '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', 0x9d, 'ž', 'Ÿ',
}
