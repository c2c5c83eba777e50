package bulk

import (
	"slices"
	"time"
)

// Outcomes of a line in the report.
const (
	OutcomeSucceeded = "succeeded"
	OutcomeFailed    = "failed"
	OutcomeInvalid   = "invalid"
	OutcomeUnknown   = "unknown"
)

// State is a run's progress rebuilt from its journal. Apply is pure, so that replaying the same records
// always gives the same state.
type State struct {
	// Digest and Vendor identify the run: its input's content and the vendor.
	Digest, Vendor string
	// Began is when the run first started.
	Began time.Time
	// Rounds holds each round's lines, round 1 first.
	Rounds [][]int
	// Notified says the --notify POST was delivered.
	Notified bool
	// Unmatched are the failures that named no user of their job.
	Unmatched []UnmatchedErr

	chunks  map[chunkKey]*chunkState
	lines   map[int]*LineState
	claimed map[string]bool
	jobs    int
}

type chunkKey struct{ round, index int }

type chunkState struct {
	lines  []int
	open   bool // an intent without its outcome: the answer was lost
	at     time.Time
	job    string
	done   bool
	starts int
	// polls counts the polls of job this process made, and running is when the last one that saw it
	// running answered, for an Observer.
	polls   int
	running time.Time
}

// LineState is one line's progress.
type LineState struct {
	// Attempts counts the jobs the user was submitted in (and submits whose answer was lost).
	Attempts int
	// Jobs are those jobs' ids.
	Jobs []string
	// Outcome is the latest result: "" (none yet), succeeded, failed or unknown.
	Outcome string
	// Code, Message and Retryable are the latest failure's (or the reason for unknown).
	Code      string
	Message   string
	Retryable bool
}

// NewState returns the state of a run with no journal.
func NewState() *State {
	return &State{chunks: map[chunkKey]*chunkState{}, lines: map[int]*LineState{}, claimed: map[string]bool{}}
}

func (s *State) chunk(round, index int) *chunkState {
	k := chunkKey{round, index}
	c := s.chunks[k]
	if c == nil {
		c = &chunkState{}
		s.chunks[k] = c
	}
	return c
}

func (s *State) line(n int) *LineState {
	l := s.lines[n]
	if l == nil {
		l = &LineState{}
		s.lines[n] = l
	}
	return l
}

// Line returns line n's state (nil when it was never submitted).
func (s *State) Line(n int) *LineState { return s.lines[n] }

// Jobs is the number of jobs started.
func (s *State) Jobs() int { return s.jobs }

// Apply folds one journal record into the state.
func (s *State) Apply(r Record) {
	switch r.Type {
	case recStart:
		s.Digest, s.Vendor, s.Began = r.Digest, r.Vendor, r.At
	case recRound:
		for len(s.Rounds) < r.Round {
			s.Rounds = append(s.Rounds, nil)
		}
		s.Rounds[r.Round-1] = slices.Clone(r.Lines)
	case recIntent:
		c := s.chunk(r.Round, r.Chunk)
		c.lines, c.open, c.at = slices.Clone(r.Lines), true, r.At
	case recStarted:
		c := s.chunk(r.Round, r.Chunk)
		c.open, c.job = false, r.Job
		c.starts++
		s.claimed[r.Job] = true
		s.jobs++
		for _, n := range c.lines {
			l := s.line(n)
			l.Attempts++
			l.Jobs = append(l.Jobs, r.Job)
		}
	case recRefused:
		s.chunk(r.Round, r.Chunk).open = false
	case recRejected, recUnknown:
		c := s.chunk(r.Round, r.Chunk)
		c.open, c.done = false, true
		out := OutcomeFailed
		if r.Type == recUnknown {
			out = OutcomeUnknown
		}
		for _, n := range c.lines {
			l := s.line(n)
			l.Attempts++
			l.Outcome, l.Code, l.Message, l.Retryable = out, r.Code, r.Message, r.Retryable
		}
	case recDone:
		c := s.chunk(r.Round, r.Chunk)
		c.done = true
		for _, res := range r.Results {
			l := s.line(res.Line)
			switch {
			case res.OK:
				l.Outcome, l.Code, l.Message, l.Retryable = OutcomeSucceeded, "", "", false
				continue
			case res.Unknown:
				l.Outcome, l.Code, l.Message, l.Retryable = OutcomeUnknown, "", res.Message, false
				continue
			}
			l.Outcome, l.Code, l.Message, l.Retryable = OutcomeFailed, res.Code, res.Message, res.Retryable
		}
		s.Unmatched = append(s.Unmatched, r.Unmatched...)
	case recNotified:
		s.Notified = true
	}
}

// RetryLines are the lines of round whose latest result is a retryable failure: the next round's lines.
func (s *State) RetryLines(round int) []int {
	if round < 1 || round > len(s.Rounds) {
		return nil
	}
	var out []int
	for _, n := range s.Rounds[round-1] {
		if l := s.lines[n]; l != nil && l.Outcome == OutcomeFailed && l.Retryable {
			out = append(out, n)
		}
	}
	return out
}
