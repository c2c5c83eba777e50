package vendorkit

import (
	"fmt"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/internal/httpx"
)

// CheckJobID refuses, before anything is sent, a job id that is not one path segment (see
// httpx.JobIDProblem; forbidden lists the characters the vendor also refuses, "" for none). at is the
// id's position in a list (StatusMany), -1 for a single id. The error matches sdk.ErrInvalidInput and
// quotes the id with Go escapes, so no control character reaches a terminal.
func CheckJobID(vendor, id string, at int, forbidden string) error {
	why := httpx.JobIDProblem(id, forbidden)
	if why == "" {
		return nil
	}
	where := ""
	if at >= 0 {
		where = fmt.Sprintf(" at position %d", at)
	}
	return fmt.Errorf("%s: job id%s %q %s: %w", vendor, where, id, why, sdk.ErrInvalidInput)
}
