package vendorkit

import (
	"context"
	"errors"
	"strings"
	"testing"
)

type creds struct{ Key, Secret string }

func missingSecret(c *creds) string {
	if c.Secret == "" {
		return "Secret"
	}
	return ""
}

// TestCredentials: without a provider the static credentials; with one its answer, its error wrapped
// and naming the vendor, and an answer lacking a credential refused by name, without quoting any.
func TestCredentials(t *testing.T) {
	boom := errors.New("vault sealed")
	static := &creds{Key: "k", Secret: "static-secret"}
	for _, c := range []struct {
		name     string
		provider func(context.Context) (creds, error)
		want     creds
		err      string
	}{
		{"static", nil, *static, ""},
		{"provider", func(context.Context) (creds, error) { return creds{"k2", "fresh"}, nil }, creds{"k2", "fresh"}, ""},
		{"provider error", func(context.Context) (creds, error) { return creds{}, boom }, creds{}, "acme: credentials provider: vault sealed"},
		{"lacking", func(context.Context) (creds, error) { return creds{Key: "k3"}, nil }, creds{}, "acme: credentials provider returned no Secret"},
	} {
		got, err := Credentials(t.Context(), "acme", static, c.provider, missingSecret)
		if got != c.want || (err == nil) != (c.err == "") || err != nil && err.Error() != c.err {
			t.Errorf("%s: %+v, %v; want %+v, %q", c.name, got, err, c.want, c.err)
		}
		if c.name == "provider error" && !errors.Is(err, boom) {
			t.Errorf("%s: %v does not wrap the provider's error", c.name, err)
		}
	}
}

// TestDecodeUsers: every user decodes, or the error names the vendor and the first user that does not.
func TestDecodeUsers(t *testing.T) {
	got, err := DecodeUsers[creds]("acme", [][]byte{[]byte(`{"Key":"a"}`), []byte(`{"Key":"b"}`)})
	if err != nil || len(got) != 2 || got[1].Key != "b" {
		t.Errorf("DecodeUsers: %+v, %v", got, err)
	}
	if _, err := DecodeUsers[creds]("acme", [][]byte{[]byte(`{}`), []byte(`[1]`)}); err == nil || !strings.HasPrefix(err.Error(), "acme: user 2:") {
		t.Errorf("a bad second user: %v, want an error naming acme's user 2", err)
	}
	if _, err := DecodeUser[creds]([]byte(`"x"`), "a Creds"); err == nil || !strings.HasPrefix(err.Error(), "not a Creds") {
		t.Errorf("DecodeUser: %v, want an error naming the type", err)
	}
	l := BulkLimits{PerJob: 100, InFlight: 4}
	if l.UsersPerJob() != 100 || l.JobsInFlight() != 4 {
		t.Errorf("BulkLimits %+v answers %d, %d", l, l.UsersPerJob(), l.JobsInFlight())
	}
}
