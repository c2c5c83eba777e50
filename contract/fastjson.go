package contract

import (
	"encoding/json"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// maxFastDepth bounds the nesting decodeJSONFast handles itself; deeper documents take the standard
// path.
const maxFastDepth = 200

// decodeJSONFast decodes the JSON value at the start of data into exactly what kin-openapi's body
// decoder (encoding/json's Decoder with UseNumber, reading one value) makes of it: map[string]any,
// []any, string, json.Number, bool or nil, with what follows the value ignored. It handles an object
// or an array of plain JSON and reports ok false for anything else (a syntax error, invalid UTF-8,
// a top-level scalar, deep nesting), which the caller then leaves to encoding/json, so no input is
// ever decoded differently.
func decodeJSONFast(data []byte) (v any, ok bool) {
	d := fastDecoder{data: data}
	d.skipSpace()
	if d.i >= len(data) || (data[d.i] != '{' && data[d.i] != '[') {
		return nil, false
	}
	v = d.value(0)
	if d.bad {
		return nil, false
	}
	return v, true
}

type fastDecoder struct {
	data []byte
	i    int
	bad  bool
}

func (d *fastDecoder) skipSpace() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *fastDecoder) fail() any {
	d.bad = true
	return nil
}

// value decodes the value at d.i, after any white space.
func (d *fastDecoder) value(depth int) any {
	d.skipSpace()
	if d.bad || d.i >= len(d.data) {
		return d.fail()
	}
	switch c := d.data[d.i]; {
	case c == '{':
		return d.object(depth + 1)
	case c == '[':
		return d.array(depth + 1)
	case c == '"':
		s, ok := d.str()
		if !ok {
			return d.fail()
		}
		return s
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	case c == 't':
		return d.literal("true", true)
	case c == 'f':
		return d.literal("false", false)
	case c == 'n':
		return d.literal("null", nil)
	}
	return d.fail()
}

func (d *fastDecoder) literal(lit string, v any) any {
	if len(d.data)-d.i < len(lit) || string(d.data[d.i:d.i+len(lit)]) != lit {
		return d.fail()
	}
	d.i += len(lit)
	return v
}

func (d *fastDecoder) object(depth int) any {
	if depth > maxFastDepth {
		return d.fail()
	}
	d.i++ // {
	m := make(map[string]any)
	d.skipSpace()
	if d.i < len(d.data) && d.data[d.i] == '}' {
		d.i++
		return m
	}
	for !d.bad {
		d.skipSpace()
		if d.i >= len(d.data) || d.data[d.i] != '"' {
			return d.fail()
		}
		k, ok := d.str()
		if !ok {
			return d.fail()
		}
		d.skipSpace()
		if d.i >= len(d.data) || d.data[d.i] != ':' {
			return d.fail()
		}
		d.i++
		v := d.value(depth)
		if d.bad {
			return nil
		}
		if _, repeated := m[k]; repeated {
			// encoding/json keeps the last value, a JSON v2 decoder refuses the object: leave the
			// verdict to the full validation path, whichever decoder kin-openapi was built with.
			return d.fail()
		}
		m[k] = v
		if d.next('}') {
			return m
		}
	}
	return nil
}

func (d *fastDecoder) array(depth int) any {
	if depth > maxFastDepth {
		return d.fail()
	}
	d.i++ // [
	a := make([]any, 0)
	d.skipSpace()
	if d.i < len(d.data) && d.data[d.i] == ']' {
		d.i++
		return a
	}
	for !d.bad {
		v := d.value(depth)
		if d.bad {
			return nil
		}
		a = append(a, v)
		if d.next(']') {
			return a
		}
	}
	return nil
}

// next reads what follows a member or an element, after any white space: a comma, or end, the byte
// that closes the object or array, which next reports. Anything else fails the decoding.
func (d *fastDecoder) next(end byte) bool {
	d.skipSpace()
	if d.i < len(d.data) {
		switch d.data[d.i] {
		case ',':
			d.i++
			return false
		case end:
			d.i++
			return true
		}
	}
	d.fail()
	return false
}

// str decodes the string literal at d.i, unquoting it as encoding/json does. A literal with a control
// character, a malformed escape or invalid UTF-8 is refused (encoding/json rejects the first two and
// replaces the third).
func (d *fastDecoder) str() (string, bool) {
	body, escaped, ok := d.rawString()
	if !ok {
		return "", false
	}
	return literalString(body, escaped)
}

// rawString reads the string literal at d.i and returns its body as it is in the data, escapes
// unresolved (escaped says whether it has any), without copying it.
func (d *fastDecoder) rawString() (body []byte, escaped, ok bool) {
	d.i++ // "
	start := d.i
	ascii := true
	for ; d.i < len(d.data); d.i++ {
		c := d.data[d.i]
		switch {
		case c == '"':
			body = d.data[start:d.i]
			d.i++
			if !ascii && !utf8.Valid(body) {
				return nil, false, false
			}
			return body, escaped, true
		case c == '\\':
			escaped = true
			d.i++ // the escaped byte, whatever it is; unquote checks the escape
		case c < 0x20:
			return nil, false, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, false, false
}

// literalString is the string a literal's body (from rawString) stands for.
func literalString(body []byte, escaped bool) (string, bool) {
	if escaped {
		return unquote(body)
	}
	return string(body), true
}

// unquote resolves the escapes of a string literal's body (valid UTF-8, no control characters) as
// encoding/json's scanner and unquote do, refusing what the scanner rejects.
func unquote(s []byte) (string, bool) {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			b = append(b, c)
			i++
			continue
		}
		if i+1 >= len(s) {
			return "", false
		}
		switch e := s[i+1]; e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r := hex4(s[i+2:])
			if r < 0 {
				return "", false
			}
			i += 6
			if utf16.IsSurrogate(r) {
				// A valid pair makes one rune; anything else is U+FFFD, and what follows is read
				// on its own.
				if r2 := u4(s[i:]); r2 >= 0 {
					if dec := utf16.DecodeRune(r, r2); dec != unicode.ReplacementChar {
						b = utf8.AppendRune(b, dec)
						i += 6
						continue
					}
				}
				r = unicode.ReplacementChar
			}
			b = utf8.AppendRune(b, r)
			continue
		default:
			return "", false
		}
		i += 2
	}
	return string(b), true
}

// u4 decodes a \uXXXX escape at the start of s, or returns -1.
func u4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	return hex4(s[2:])
}

// hex4 decodes four hexadecimal digits at the start of s, or returns -1.
func hex4(s []byte) rune {
	if len(s) < 4 {
		return -1
	}
	var r rune
	for _, c := range s[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// number decodes the number at d.i as a json.Number, checking JSON's number grammar.
func (d *fastDecoder) number() any {
	start := d.i
	if d.data[d.i] == '-' {
		d.i++
	}
	digits := func() int {
		n := 0
		for d.i < len(d.data) && d.data[d.i] >= '0' && d.data[d.i] <= '9' {
			d.i++
			n++
		}
		return n
	}
	if d.i < len(d.data) && d.data[d.i] == '0' {
		d.i++
	} else if digits() == 0 {
		return d.fail()
	}
	if d.i < len(d.data) && d.data[d.i] == '.' {
		d.i++
		if digits() == 0 {
			return d.fail()
		}
	}
	if d.i < len(d.data) && (d.data[d.i] == 'e' || d.data[d.i] == 'E') {
		d.i++
		if d.i < len(d.data) && (d.data[d.i] == '+' || d.data[d.i] == '-') {
			d.i++
		}
		if digits() == 0 {
			return d.fail()
		}
	}
	return json.Number(d.data[start:d.i])
}
