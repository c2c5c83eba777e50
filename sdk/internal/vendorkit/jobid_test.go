package vendorkit

import (
	"errors"
	"testing"

	"github.com/jobwatch/jobwatch/sdk"
)

// TestCheckJobIDSaysWhatIsWrong: the refusal names the vendor and the position, quotes the id with Go
// escapes, says what is wrong (httpx.JobIDProblem) and matches sdk.ErrInvalidInput.
func TestCheckJobIDSaysWhatIsWrong(t *testing.T) {
	if err := CheckJobID("v", "J1", 0, "/"); err != nil {
		t.Errorf("J1 refused: %v", err)
	}
	cases := []struct {
		id   string
		at   int
		want string
	}{
		{"", 3, `v: job id at position 3 "" is empty: invalid input`},
		{"\t.", -1, `v: job id "\t." holds "\t": a job id is one path segment: invalid input`},
		{"%2E%2e", 0, `v: job id at position 0 "%2E%2e" is a dot segment (percent-decoded: ".."), a path to another endpoint, not a job: invalid input`},
	}
	for _, c := range cases {
		err := CheckJobID("v", c.id, c.at, "\t")
		if err == nil || err.Error() != c.want || !errors.Is(err, sdk.ErrInvalidInput) {
			t.Errorf("CheckJobID(%q) = %v\nwant %s, matching sdk.ErrInvalidInput", c.id, err, c.want)
		}
	}
}
