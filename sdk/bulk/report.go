package bulk

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Report file names in the report directory.
const (
	ReportFile       = "report.jsonl"
	FailedNDJSONFile = "failed.ndjson"
	FailedCSVFile    = "failed.csv"
	SummaryFile      = "summary.json"
)

// ReportLine is one line of report.jsonl: one per input line, in input order.
type ReportLine struct {
	// Line is the input line's number, from 1.
	Line int `json:"line"`
	// User is the vendor's key for the user ("" when the line could not be read).
	User string `json:"user"`
	// Outcome is succeeded, failed, invalid or unknown.
	Outcome string `json:"outcome"`
	// Code and Message say why the user did not succeed (null when it did, or when there is none).
	Code    *string `json:"code"`
	Message *string `json:"message"`
	// Retryable says the last failure was of a retryable class (it stays failed after the last round).
	Retryable bool `json:"retryable"`
	// Attempts counts the user's submissions; Jobs are the ids of the jobs they went in.
	Attempts int      `json:"attempts"`
	Jobs     []string `json:"jobs"`
}

// Summary is summary.json: counts by outcome, jobs, requests, rounds and wall time.
type Summary struct {
	// Vendor names the vendor.
	Vendor string `json:"vendor"`
	// Lines is the number of users in the input.
	Lines int `json:"lines"`
	// Counts are the lines by outcome: succeeded, failed, invalid, unknown.
	Counts map[string]int `json:"counts"`
	// Jobs is the number of jobs started, over every round and restart.
	Jobs int `json:"jobs"`
	// Requests is the number of vendor calls (submits, polls, lists) this invocation made.
	Requests int `json:"requests"`
	// Rounds is the number of rounds run.
	Rounds int `json:"rounds"`
	// WallTimeSeconds is this invocation's wall time.
	WallTimeSeconds float64 `json:"wall_time_seconds"`
	// UsersPerJob and JobsInFlight are the limits applied.
	UsersPerJob  int `json:"users_per_job"`
	JobsInFlight int `json:"jobs_in_flight"`
	// SlotUse is the share of the allowed job slots in use while chunks waited for one (null when none
	// waited).
	SlotUse *float64 `json:"slot_use"`
	// Complete is false when the run stopped early (interrupted, timed out or an error).
	Complete bool `json:"complete"`
	// UnmatchedFailures are failures that named no user of their job.
	UnmatchedFailures []UnmatchedErr `json:"unmatched_failures"`
	// Report holds every line's result, for Notify and callers; it is not part of summary.json.
	Report []ReportLine `json:"-"`
}

// pendingMessage is a line's message when the run stopped before its result was known.
const pendingMessage = "the run stopped before this user's result was known; run the same command again to resume"

func newSummary(in *Input, st *State, complete bool) *Summary {
	s := &Summary{Vendor: st.Vendor, Lines: len(in.Lines), Jobs: st.Jobs(), Rounds: len(st.Rounds), Complete: complete,
		Counts:            map[string]int{OutcomeSucceeded: 0, OutcomeFailed: 0, OutcomeInvalid: 0, OutcomeUnknown: 0},
		UnmatchedFailures: append([]UnmatchedErr{}, st.Unmatched...)}
	for _, l := range in.Lines {
		rl := ReportLine{Line: l.N, Jobs: []string{}}
		if len(l.Keys) > 0 {
			rl.User = l.Keys[0]
		}
		if l.Invalid != "" {
			rl.Outcome, rl.Message = OutcomeInvalid, str(l.Invalid)
		} else if ls := st.Line(l.N); ls != nil && ls.Outcome != "" {
			rl.Outcome, rl.Retryable, rl.Attempts = ls.Outcome, ls.Retryable, ls.Attempts
			rl.Jobs = append(rl.Jobs, ls.Jobs...)
			if ls.Code != "" {
				rl.Code = str(ls.Code)
			}
			if ls.Message != "" {
				rl.Message = str(ls.Message)
			}
		} else {
			rl.Outcome, rl.Message = OutcomeUnknown, str(pendingMessage)
			if ls != nil {
				rl.Attempts = ls.Attempts
				rl.Jobs = append(rl.Jobs, ls.Jobs...)
			}
		}
		s.Counts[rl.Outcome]++
		s.Report = append(s.Report, rl)
	}
	return s
}

func str(s string) *string { return &s }

// WriteReport writes report.jsonl, failed.ndjson or failed.csv (in the input's format) and
// summary.json into dir, each through a temporary file renamed into place, so that a reader never
// sees half a report.
func WriteReport(dir string, in *Input, st *State, s *Summary) error {
	if s.Report == nil && len(in.Lines) > 0 {
		*s = *newSummary(in, st, s.Complete)
	}
	err := writeFile(filepath.Join(dir, ReportFile), func(w *bufio.Writer) error {
		enc := json.NewEncoder(w)
		for _, rl := range s.Report {
			if err := enc.Encode(rl); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	name := FailedNDJSONFile
	if in.Format == FormatCSV {
		name = FailedCSVFile
	}
	err = writeFile(filepath.Join(dir, name), func(w *bufio.Writer) error {
		var cw *csv.Writer
		if in.Format == FormatCSV {
			cw = csv.NewWriter(w)
			if err := cw.Write(in.Header); err != nil {
				return err
			}
		}
		for i, rl := range s.Report {
			if rl.Outcome == OutcomeSucceeded {
				continue
			}
			l := in.Lines[i]
			if cw != nil {
				if l.Fields != nil {
					if err := cw.Write(l.Fields); err != nil {
						return err
					}
					continue
				}
				// A record csv could not parse goes back as written: re-quoting it would change it.
				cw.Flush()
				if err := cw.Error(); err != nil {
					return err
				}
				w.Write(l.Raw)
				w.WriteByte('\n')
				continue
			}
			if l.Raw != nil { // nil for a line too long to keep
				w.Write(l.Raw)
				w.WriteByte('\n')
			}
		}
		if cw != nil {
			cw.Flush()
			return cw.Error()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, SummaryFile), func(w *bufio.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	})
}

func writeFile(path string, fill func(*bufio.Writer) error) error {
	tmp := fmt.Sprintf("%s.tmp-%d", path, time.Now().UnixNano())
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<16)
	err = fill(w)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("report: %w", err)
	}
	return nil
}
