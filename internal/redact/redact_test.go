package redact

import "testing"

func TestURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:pw@host/p?q#f": "https://xxxxx@host/p?q#f",
		"//u:p@host":                 "//xxxxx@host",
		"u:p@host/a@b":               "xxxxx@host/a@b",
		"https://host/x@y":           "https://host/x@y",
		"not a url":                  "not a url",
		"http://a@b@host":            "http://xxxxx@host",
	} {
		if got := URL(in); got != want {
			t.Errorf("URL(%q) = %q, want %q", in, got, want)
		}
	}
}
