package vendorkit

import (
	"errors"
	"testing"

	"github.com/jobwatch/jobwatch/sdk"
)

// TestCheckJobIDSaysWhatIsWrong: the refusal names the position, quotes the id with Go escapes and says
// what it decodes to; an id encoded more deeply than any real one is refused as such.
func TestCheckJobIDSaysWhatIsWrong(t *testing.T) {
	cases := []struct {
		id, forbidden string
		at            int
		want          string // "" when the id is fine
	}{
		{"J1", "", -1, ""},
		{"a/b", "", -1, ""},
		{"", "", 3, `v: job id at position 3 "" is empty: invalid input`},
		{"\x1b]0;x\a", "", -1, ""},
		{" \t", "", -1, `v: job id " \t" is blank: invalid input`},
		{"%2E%2e", "", 0, `v: job id at position 0 "%2E%2e" is a dot segment (percent-decoded: ".."), a path to another endpoint, not a job: invalid input`},
		{"%25252e", "", -1, `v: job id "%25252e" is a dot segment (percent-decoded: "."), a path to another endpoint, not a job: invalid input`},
		{"%2525252525252e", "", -1, `v: job id "%2525252525252e" is percent-encoded more than 4 times: invalid input`},
		{"%20%09", "", -1, `v: job id "%20%09" is blank (percent-decoded: " \t"): invalid input`},
		{"a%5Cb", "/\\", -1, `v: job id "a%5Cb" holds "\\" (percent-decoded: "a\\b"): a job id is one path segment: invalid input`},
		{"a/b", "/\\", -1, `v: job id "a/b" holds "/": a job id is one path segment: invalid input`},
		{"100%", "/\\", -1, ""},
	}
	for _, c := range cases {
		err := CheckJobID("v", c.id, c.at, c.forbidden)
		got := ""
		if err != nil {
			got = err.Error()
			if !errors.Is(err, sdk.ErrInvalidInput) {
				t.Errorf("%q: %v does not match sdk.ErrInvalidInput", c.id, err)
			}
		}
		if got != c.want {
			t.Errorf("CheckJobID(%q) = %s\nwant %s", c.id, got, c.want)
		}
	}
}
