package contract

import (
	"encoding/json"
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
		m[k] = v // a repeated name keeps its last value, as encoding/json does
		d.skipSpace()
		if d.i >= len(d.data) {
			return d.fail()
		}
		switch d.data[d.i] {
		case ',':
			d.i++
		case '}':
			d.i++
			return m
		default:
			return d.fail()
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
		d.skipSpace()
		if d.i >= len(d.data) {
			return d.fail()
		}
		switch d.data[d.i] {
		case ',':
			d.i++
		case ']':
			d.i++
			return a
		default:
			return d.fail()
		}
	}
	return nil
}

// str decodes the string literal at d.i. A literal with escapes is unquoted by encoding/json itself;
// one with a control character or invalid UTF-8 is refused (encoding/json rejects the first and
// replaces the second).
func (d *fastDecoder) str() (string, bool) {
	start := d.i
	d.i++ // "
	escaped, ascii := false, true
	for ; d.i < len(d.data); d.i++ {
		c := d.data[d.i]
		switch {
		case c == '"':
			d.i++
			lit := d.data[start:d.i]
			if escaped {
				var s string
				if err := json.Unmarshal(lit, &s); err != nil {
					return "", false
				}
				return s, true
			}
			body := lit[1 : len(lit)-1]
			if !ascii && !utf8.Valid(body) {
				return "", false
			}
			return string(body), true
		case c == '\\':
			escaped = true
			d.i++ // the escaped byte, whatever it is; encoding/json checks the escape
		case c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", false
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
