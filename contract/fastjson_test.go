package contract

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// standardDecode is what kin-openapi's JSON body decoder makes of data.
func standardDecode(data []byte) (any, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	err := dec.Decode(&v)
	return v, err
}

// checkSameAsStandard fails when decodeJSONFast accepts data and decodes it otherwise than
// encoding/json, or accepts what encoding/json refuses.
func checkSameAsStandard(t *testing.T, data []byte) (accepted bool) {
	t.Helper()
	fast, ok := decodeJSONFast(data)
	if !ok {
		return false
	}
	std, err := standardDecode(data)
	if err != nil {
		t.Fatalf("%q: fast decoder accepted what encoding/json refuses (%v)", data, err)
	}
	if !reflect.DeepEqual(fast, std) {
		t.Fatalf("%q: fast decoder made %#v, encoding/json %#v", data, fast, std)
	}
	return true
}

func TestDecodeJSONFastMatchesEncodingJSON(t *testing.T) {
	for _, tc := range []struct {
		in     string
		accept bool
	}{
		{`{}`, true},
		{` { } `, true},
		{`[]`, true},
		{"\t\r\n[ ]", true},
		{`{"a":1,"b":[true,false,null,"x"],"c":{"d":-0.5e+10}}`, true},
		{`{"a":1,"a":2}`, false}, // a repeated name: left to the full path (JSON v2 refuses it)
		{`{"a":1} trailing garbage`, true},
		{`[1] ]`, true},
		{`{"s":"caf\u00e9 \"q\" \\ \/ \n","k\u0041":"é — ✓"}`, true},
		{`{"bad surrogate":"\ud800"}`, true},
		{`["a\u0026b\u003c\u003E", "\ud83d\ude00", "\ud83d\u0041", "\ud83dx", "\uDE00", "\ud83d\ud83d\ude00", "\b\f\n\r\t\u0000"]`, true},
		{`["\u12"]`, false},
		{`["\uZZZZ"]`, false},
		{`["\'"]`, false},
		{`["\a"]`, false},
		{`["\"]`, false},
		{"[\"\\\x01\"]", false},
		{`{"n":[0,-0,1.25,1E3,12345678901234567890123]}`, true},
		{`{"big":` + strings.Repeat(`[`, 10) + strings.Repeat(`]`, 10) + `}`, true},
		{`"scalar"`, false},
		{`1`, false},
		{`null`, false},
		{``, false},
		{`   `, false},
		{"\ufeff{}", false},
		{`{`, false},
		{`{"a"}`, false},
		{`{"a":}`, false},
		{`{"a":1,}`, false},
		{`[1,]`, false},
		{`[01]`, false},
		{`[1.]`, false},
		{`[.5]`, false},
		{`[1e]`, false},
		{`[-]`, false},
		{`[+1]`, false},
		{`[tru]`, false},
		{`[truex]`, false},
		{`[nul]`, false},
		{`{a:1}`, false},
		{`{"a":1 "b":2}`, false},
		{"[\"tab\there\"]", false},
		{"[\"\xff\"]", false},
		{`["\x"]`, false},
		{`["unterminated]`, false},
		{`[` + strings.Repeat(`[`, 300) + strings.Repeat(`]`, 301), false},
	} {
		if got := checkSameAsStandard(t, []byte(tc.in)); got != tc.accept {
			t.Errorf("%q: accepted %v, want %v", tc.in, got, tc.accept)
		}
	}
}

// FuzzDecodeJSONFast: whatever the fast decoder accepts, it decodes as encoding/json does.
func FuzzDecodeJSONFast(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":[1,"x",null,{"b":-2.5e-3}]}`, `["\u00e9\n",true]`, `{"a":1} x`, `[01]`, `["\ud83d\ude00\u0026\/"]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkSameAsStandard(t, data)
	})
}
