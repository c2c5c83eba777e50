package bulk

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"strconv"
	"time"
)

// JournalFile is the journal's name in the report directory.
const JournalFile = "journal.log"

// Record types of the journal.
const (
	recStart    = "start"    // the run began: the input's digest and the vendor
	recRound    = "round"    // a round began, with its lines
	recIntent   = "intent"   // a chunk is about to be submitted (written and synced first)
	recStarted  = "started"  // the chunk's job id
	recRefused  = "refused"  // the chunk was not started (refused, or not found after a lost answer)
	recRejected = "rejected" // the vendor refused the chunk for good: its users failed with the error
	recUnknown  = "unknown"  // the answer was lost and the job cannot be found
	recDone     = "done"     // the chunk's job ended, with each user's result
	recNotified = "notified" // --notify was delivered
)

// Record is one journal entry.
type Record struct {
	// Type is what happened: start, round, intent, started, refused, rejected, unknown, done, notified.
	Type string `json:"t"`
	// At is when it was journaled.
	At time.Time `json:"at"`
	// Round and Chunk name the chunk (Chunks' Round and Index); Lines are its lines (intent) or the
	// round's (round).
	Round int   `json:"round,omitempty"`
	Chunk int   `json:"chunk,omitempty"`
	Lines []int `json:"lines,omitempty"`
	// Job is the chunk's job id.
	Job string `json:"job,omitempty"`
	// Digest and Vendor identify the run (start).
	Digest string `json:"digest,omitempty"`
	Vendor string `json:"vendor,omitempty"`
	// Code, Message and Retryable are a rejected chunk's error, or why a chunk is unknown or refused.
	Code      string `json:"code,omitempty"`
	Message   string `json:"message,omitempty"`
	Retryable bool   `json:"retryable,omitempty"`
	// Results are the users' results of a done job; Unmatched the failures naming no user of it.
	Results   []Result       `json:"results,omitempty"`
	Unmatched []UnmatchedErr `json:"unmatched,omitempty"`
}

// Result is one user's result in one job.
type Result struct {
	// Line is the user's input line.
	Line int `json:"line"`
	// OK says the user succeeded; Unknown that the job's answer leaves it unknown (Message says why);
	// otherwise Code, Message and Retryable say why it failed.
	OK        bool   `json:"ok,omitempty"`
	Unknown   bool   `json:"unknown,omitempty"`
	Code      string `json:"code,omitempty"`
	Message   string `json:"message,omitempty"`
	Retryable bool   `json:"retryable,omitempty"`
}

// UnmatchedErr is a failure that names no user of its job.
type UnmatchedErr struct {
	// Job is the job that reported it; User the user it named ("" for none).
	Job  string `json:"job"`
	User string `json:"user"`
	// Code and Message are the vendor's.
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Journal is the append-only, fsynced log of a run. Each record is one line: its length and CRC-32
// (IEEE) in hex, then the JSON, so that a torn last record (the process died while writing it) is
// recognised and cut off on open.
type Journal struct {
	f *os.File
}

// OpenJournal opens (or creates) the journal at path and returns it with the records it holds. A torn
// or corrupt tail is truncated; a corrupt record followed by good ones is an error.
func OpenJournal(path string) (*Journal, []Record, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("journal: %w", err)
	}
	recs, good, err := readJournal(f)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if err := f.Truncate(good); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("journal: %w", err)
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("journal: %w", err)
	}
	return &Journal{f: f}, recs, nil
}

// readJournal decodes the records and returns the offset after the last good one.
func readJournal(r io.Reader) ([]Record, int64, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	var (
		recs []Record
		good int64
		bad  error
	)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) == 0 && err == io.EOF {
			return recs, good, nil
		}
		if err != nil && err != io.EOF {
			return nil, 0, fmt.Errorf("journal: %w", err)
		}
		rec, perr := decodeRecord(line)
		if perr != nil || err == io.EOF {
			// A bad record is a torn tail only if nothing good follows it.
			if bad == nil {
				bad = fmt.Errorf("journal: record at byte %d: %v", good, perr)
			}
			if err == io.EOF {
				return recs, good, nil
			}
			continue
		}
		if bad != nil {
			return nil, 0, bad
		}
		recs = append(recs, rec)
		good += int64(len(line))
	}
}

func decodeRecord(line []byte) (Record, error) {
	var rec Record
	if len(line) < 19 || line[len(line)-1] != '\n' {
		return rec, errors.New("incomplete")
	}
	n, err1 := strconv.ParseUint(string(line[0:8]), 16, 32)
	sum, err2 := strconv.ParseUint(string(line[9:17]), 16, 32)
	body := line[18 : len(line)-1]
	if err1 != nil || err2 != nil || line[8] != ' ' || line[17] != ' ' || int(n) != len(body) {
		return rec, errors.New("bad framing")
	}
	if crc32.ChecksumIEEE(body) != uint32(sum) {
		return rec, errors.New("checksum mismatch")
	}
	if err := json.Unmarshal(body, &rec); err != nil {
		return rec, err
	}
	return rec, nil
}

// Append writes rec and syncs it to disk before returning.
func (j *Journal) Append(rec Record) error {
	body, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%08x %08x ", len(body), crc32.ChecksumIEEE(body))
	b.Write(body)
	b.WriteByte('\n')
	if _, err := j.f.Write(b.Bytes()); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}

// Close closes the journal file.
func (j *Journal) Close() error { return j.f.Close() }
