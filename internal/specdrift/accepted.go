package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"
)

// acceptedDiff is one line of accepted.txt: a difference (with `*` wildcards) and why we accept it.
type acceptedDiff struct {
	pattern, reason string
	line            int
	used            bool
}

type accepted []*acceptedDiff

// readAccepted reads the accepted differences; a missing file accepts nothing.
func readAccepted(path string) (accepted, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out accepted
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		pat, reason, ok := strings.Cut(line, " | ")
		if !ok || strings.TrimSpace(reason) == "" {
			return nil, fmt.Errorf("%s:%d: no reason: write `<difference> | <why we accept it>`", path, n)
		}
		out = append(out, &acceptedDiff{pattern: strings.TrimSpace(pat), reason: strings.TrimSpace(reason), line: n})
	}
	return out, sc.Err()
}

// match returns the first accepted line whose pattern matches d, marking it used.
func (a accepted) match(d string) *acceptedDiff {
	for _, x := range a {
		if wildcard(x.pattern, d) {
			x.used = true
			return x
		}
	}
	return nil
}

// unused returns the lines that matched no difference.
func (a accepted) unused() []*acceptedDiff {
	var out []*acceptedDiff
	for _, x := range a {
		if !x.used {
			out = append(out, x)
		}
	}
	return out
}

// wildcard reports whether s matches pattern, where `*` matches any text (including none).
func wildcard(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}
