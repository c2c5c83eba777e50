package bulk

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
)

// Schema checks one user against the spec's schema for the vendor's item; nil means no schema check.
// The CLI wires one from package contract, so that importers of this package stay light.
type Schema func(user []byte) error

// Preflight checks every line offline: the CSV or JSON shape found by ReadInput, the schema (when
// given), the vendor's request rules, and duplicates within the file (by the vendor's first key). It
// sets each line's Keys and Invalid and returns the number of valid lines. It does no I/O; the lines
// are checked on every CPU (schema and v.CheckUser must be safe for concurrent use), then the
// duplicates in file order.
func Preflight(in *Input, v Checker, schema Schema) int {
	workers := min(runtime.GOMAXPROCS(0), max(len(in.Lines)/1000, 1))
	var wg sync.WaitGroup
	per := (len(in.Lines) + workers - 1) / workers
	for w := range workers {
		part := in.Lines[min(w*per, len(in.Lines)):min((w+1)*per, len(in.Lines))]
		wg.Go(func() {
			for i := range part {
				checkLine(&part[i], v, schema)
			}
		})
	}
	wg.Wait()
	seen := make(map[string]int, len(in.Lines))
	valid := 0
	for i := range in.Lines {
		l := &in.Lines[i]
		if l.Invalid != "" {
			continue
		}
		if first, dup := seen[l.Keys[0]]; dup {
			l.Invalid = fmt.Sprintf("duplicate of line %d (same user %q)", first, l.Keys[0])
			continue
		}
		seen[l.Keys[0]] = l.N
		valid++
	}
	return valid
}

// checkLine checks one line against the schema and the vendor's rules, setting Keys or Invalid.
func checkLine(l *Line, v Checker, schema Schema) {
	if l.Invalid != "" {
		return
	}
	if schema != nil {
		if err := schema(l.User); err != nil {
			l.Invalid = "schema: " + err.Error()
			return
		}
	}
	keys, err := v.CheckUser(l.User)
	switch {
	case err != nil:
		l.Invalid = err.Error()
	case len(keys) == 0 || keys[0] == "":
		l.Invalid = "no user key"
	default:
		l.Keys = keys
	}
}

// Chunk is one job's worth of users: the line numbers of its users.
type Chunk struct {
	// Round is the round the chunk belongs to, from 1.
	Round int `json:"round"`
	// Index is the chunk's place in its round, from 0.
	Index int `json:"index"`
	// Lines are the input line numbers of its users, in input order.
	Lines []int `json:"lines"`
}

// Chunks cuts a round's lines into chunks of at most per users, as evenly as possible so that the
// last job is not a straggler of a few users. It is pure: the same lines give the same chunks.
func Chunks(round int, lines []int, per int) []Chunk {
	if len(lines) == 0 {
		return nil
	}
	if per < 1 {
		per = 1
	}
	n := (len(lines) + per - 1) / per
	out := make([]Chunk, 0, n)
	start := 0
	for i := range n {
		size := len(lines) / n
		if i < len(lines)%n {
			size++
		}
		out = append(out, Chunk{Round: round, Index: i, Lines: slices.Clone(lines[start : start+size])})
		start += size
	}
	return out
}

// Plan is what a run would do, for --dry-run.
type Plan struct {
	// Vendor names the vendor.
	Vendor string `json:"vendor"`
	// Lines counts the input's users; Valid and Invalid split them.
	Lines   int `json:"lines"`
	Valid   int `json:"valid"`
	Invalid int `json:"invalid"`
	// InvalidLines lists each invalid line with its reason.
	InvalidLines []Invalid `json:"invalid_lines"`
	// Jobs is the number of jobs of the first round and JobSizes their sizes.
	Jobs     int   `json:"jobs"`
	JobSizes []int `json:"job_sizes"`
	// UsersPerJob and JobsInFlight are the limits applied.
	UsersPerJob  int `json:"users_per_job"`
	JobsInFlight int `json:"jobs_in_flight"`
	// MaxRounds is the most rounds of retries.
	MaxRounds int `json:"max_rounds"`
	// Requests is the fewest requests the first round needs: one submit and one status call per job.
	Requests int `json:"requests"`
}

// Invalid is an input line that is not sent, with why.
type Invalid struct {
	// Line is the line's number; Reason what is wrong with it.
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// MakePlan describes the run of a preflighted input. It is pure.
func MakePlan(in *Input, v Checker, maxRounds int) Plan {
	p := Plan{Vendor: v.Vendor(), Lines: len(in.Lines), UsersPerJob: v.UsersPerJob(), JobsInFlight: v.JobsInFlight(),
		MaxRounds: maxRounds, InvalidLines: []Invalid{}, JobSizes: []int{}}
	var valid []int
	for _, l := range in.Lines {
		if l.Invalid != "" {
			p.InvalidLines = append(p.InvalidLines, Invalid{Line: l.N, Reason: l.Invalid})
			continue
		}
		valid = append(valid, l.N)
	}
	p.Valid, p.Invalid = len(valid), len(p.InvalidLines)
	for _, c := range Chunks(1, valid, v.UsersPerJob()) {
		p.JobSizes = append(p.JobSizes, len(c.Lines))
	}
	p.Jobs = len(p.JobSizes)
	p.Requests = 2 * p.Jobs
	return p
}
