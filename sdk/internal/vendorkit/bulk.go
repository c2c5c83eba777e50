package vendorkit

import (
	"encoding/json"
	"fmt"
)

// BulkLimits is the part of a vendor's bulk adapter (package sdk/bulk's Checker) that states its
// limits; each adapter embeds it.
type BulkLimits struct {
	// PerJob is the most users one job takes, InFlight the most jobs that run at once.
	PerJob, InFlight int
}

// UsersPerJob is PerJob.
func (l BulkLimits) UsersPerJob() int { return l.PerJob }

// JobsInFlight is InFlight.
func (l BulkLimits) JobsInFlight() int { return l.InFlight }

// DecodeUsers decodes a bulk submit's users, JSON objects that CheckUser accepted, into the vendor's
// request type; the error names the vendor and the first user that does not decode.
func DecodeUsers[T any](vendor string, users [][]byte) ([]T, error) {
	out := make([]T, len(users))
	for i, u := range users {
		if err := json.Unmarshal(u, &out[i]); err != nil {
			return nil, fmt.Errorf("%s: user %d: %w", vendor, i+1, err)
		}
	}
	return out, nil
}

// DecodeUser decodes one user of a bulk run into the vendor's request type, which the error names
// with its article ("a UserRO").
func DecodeUser[T any](user []byte, typeName string) (T, error) {
	var u T
	if err := json.Unmarshal(user, &u); err != nil {
		return u, fmt.Errorf("not %s: %v", typeName, err)
	}
	return u, nil
}
