package httpx

import "testing"

// TestJobIDProblem: what keeps an id from being one path segment is said with what it decodes to; an
// id encoded more deeply than any real one is refused as such; ids that are one segment pass.
func TestJobIDProblem(t *testing.T) {
	cases := []struct {
		id, forbidden string
		want          string // "" when the id is fine
	}{
		{"J1", "", ""},
		{"a/b", "", ""},
		{"...", "", ""},
		{"100%", "/\\", ""},
		{"%zz", "", ""},
		{"\x1b]0;x\a", "", ""},
		{"", "", "is empty"},
		{" \t", "", "is blank"},
		{".", "", "is a dot segment, a path to another endpoint, not a job"},
		{"%2E%2e", "", `is a dot segment (percent-decoded: ".."), a path to another endpoint, not a job`},
		{"%25252e", "", `is a dot segment (percent-decoded: "."), a path to another endpoint, not a job`},
		{"%2525252525252e", "", "is percent-encoded more than 4 times"},
		{"%20%09", "", `is blank (percent-decoded: " \t")`},
		{"a%5Cb", "/\\", `holds "\\" (percent-decoded: "a\\b"): a job id is one path segment`},
		{"a/b", "/\\", `holds "/": a job id is one path segment`},
	}
	for _, c := range cases {
		if got := JobIDProblem(c.id, c.forbidden); got != c.want {
			t.Errorf("JobIDProblem(%q, %q) = %q, want %q", c.id, c.forbidden, got, c.want)
		}
	}
}
