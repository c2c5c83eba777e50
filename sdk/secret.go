package sdk

import "fmt"

// Secret is a credential (a password, token, app secret or secret key) in a vendor's Config. It prints
// as "[REDACTED]", or as nothing when empty, whatever the verb (%v, %+v, %#v, %s, %q, %x...), and it
// marshals the same way as text, so JSON, slog and any encoder that asks for text show no secret either.
// The vendor packages read it with string(s), only where it is sent.
type Secret string

// redacted is what a non-empty Secret shows.
const redacted = "[REDACTED]"

func (s Secret) shown() string {
	if s == "" {
		return ""
	}
	return redacted
}

// Format prints "[REDACTED]" for a non-empty secret and nothing for an empty one, whatever the verb.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(s.shown())) }

// MarshalText is "[REDACTED]" for a non-empty secret and empty for an empty one: encoding/json,
// log/slog's handlers and other encoders use it instead of the value.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.shown()), nil }
