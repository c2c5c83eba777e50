package bulk

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Input formats.
const (
	FormatNDJSON = "ndjson"
	FormatCSV    = "csv"
)

// MaxLineBytes is the longest NDJSON line accepted; a longer one is an invalid line, not kept.
const MaxLineBytes = 1 << 20

// Line is one user of the input.
type Line struct {
	// N is the line's number in the file, from 1 (for CSV, the line the record starts on).
	N int
	// Raw is the line as read (NDJSON), without its newline; for CSV, set only on a record csv could not
	// parse, so that the failed file can still give it back.
	Raw []byte
	// Fields are the CSV record's fields (CSV only).
	Fields []string
	// User is the user as a JSON object, in the shape the vendor's Submit takes.
	User []byte
	// Keys are the vendor's keys for the user (the first is the one reported), set by Preflight.
	Keys []string
	// Invalid says why the line is not sent, empty for a valid line.
	Invalid string
}

// Input is a whole users file.
type Input struct {
	// Format is FormatNDJSON or FormatCSV.
	Format string
	// Header is the CSV header row.
	Header []string
	// Lines are the users, in file order (blank lines skipped).
	Lines []Line
	// Digest identifies the input's content, so that a journal is never resumed with another file.
	Digest string
}

// FormatOf returns the format a file name implies: .ndjson and .jsonl are NDJSON, .csv is CSV.
func FormatOf(name string) (string, error) {
	switch {
	case strings.HasSuffix(name, ".ndjson"), strings.HasSuffix(name, ".jsonl"):
		return FormatNDJSON, nil
	case strings.HasSuffix(name, ".csv"):
		return FormatCSV, nil
	}
	return "", fmt.Errorf("users file %q: want a .ndjson, .jsonl or .csv file", name)
}

// ReadInput reads a users file of the given format. A line that is not a JSON object (or a CSV record
// of the wrong width) is kept, marked invalid with the reason; only an unreadable file is an error.
func ReadInput(r io.Reader, format string) (*Input, error) {
	h := sha256.New()
	r = io.TeeReader(r, h)
	in := &Input{Format: format}
	var err error
	switch format {
	case FormatNDJSON:
		err = readNDJSON(r, in)
	case FormatCSV:
		err = readCSV(r, in)
	default:
		return nil, fmt.Errorf("input format %q: want %s or %s", format, FormatNDJSON, FormatCSV)
	}
	if err != nil {
		return nil, err
	}
	in.Digest = hex.EncodeToString(h.Sum(nil))
	return in, nil
}

func readNDJSON(r io.Reader, in *Input) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for n := 1; ; n++ {
		b, long, err := readLine(br)
		if err != nil && err != io.EOF {
			return fmt.Errorf("users file: %w", err)
		}
		b = bytes.TrimSpace(b)
		if n == 1 {
			b = bytes.TrimPrefix(b, []byte("\ufeff"))
		}
		switch {
		case long:
			in.Lines = append(in.Lines, Line{N: n, Invalid: fmt.Sprintf("line is longer than %d bytes", MaxLineBytes)})
		case len(b) > 0:
			l := Line{N: n, Raw: b, User: b}
			if b[0] != '{' {
				l.Invalid = "not a JSON object" // a broken object is reported by the checks that decode it
			}
			in.Lines = append(in.Lines, l)
		}
		if err == io.EOF {
			return nil
		}
	}
}

// readLine reads one line without its newline. A line over MaxLineBytes is read to its end and
// dropped, with long set, so that one bad line does not stop the others. err is io.EOF at the end.
func readLine(br *bufio.Reader) (line []byte, long bool, err error) {
	for {
		chunk, err := br.ReadSlice('\n')
		if !long {
			if len(line)+len(chunk) > MaxLineBytes+1 { // +1: the newline is not part of the line
				long, line = true, nil
			} else {
				line = append(line, chunk...)
			}
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case long:
			return nil, true, err
		case err == nil:
			line = bytes.TrimSuffix(line, []byte("\n"))
		}
		return line, false, err
	}
}

func readCSV(r io.Reader, in *Input) error {
	// The whole text is kept so that a record csv cannot parse can be given back as it was written.
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("users file: %w", err)
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	head, err := cr.Read()
	if err != nil {
		if err == io.EOF {
			return errors.New("users file: the CSV has no header row")
		}
		return fmt.Errorf("users file: %w", err)
	}
	if len(head) > 0 {
		head[0] = strings.TrimPrefix(head[0], "\ufeff")
	}
	for i, h := range head {
		head[i] = strings.TrimSpace(h)
		if head[i] == "" {
			return fmt.Errorf("users file: CSV header column %d is empty", i+1)
		}
	}
	in.Header = head
	for {
		start := cr.InputOffset()
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				raw := bytes.TrimRight(data[start:cr.InputOffset()], "\r\n")
				in.Lines = append(in.Lines, Line{N: pe.StartLine, Raw: raw, Invalid: "CSV: " + pe.Err.Error()})
				continue
			}
			return fmt.Errorf("users file: %w", err)
		}
		// FieldPos panics after a failed Read, so it is asked only once the record parsed.
		line, _ := cr.FieldPos(0)
		l := Line{N: line, Fields: rec}
		if len(rec) != len(head) {
			l.Invalid = fmt.Sprintf("CSV record has %d fields; the header has %d", len(rec), len(head))
		} else {
			l.User = csvObject(head, rec)
		}
		in.Lines = append(in.Lines, l)
	}
}

// csvObject turns a CSV record into the JSON object the vendor takes: an empty cell is left out, a cell
// holding a JSON array, object or boolean is that value (e.g. roleIds ["r1"], disabled true), any other
// cell is a string.
func csvObject(head, rec []string) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	for i, v := range rec {
		if v == "" {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		k, _ := json.Marshal(head[i])
		b.Write(k)
		b.WriteByte(':')
		t := strings.TrimSpace(v)
		if (strings.HasPrefix(t, "[") || strings.HasPrefix(t, "{") || t == "true" || t == "false") && json.Valid([]byte(t)) {
			b.WriteString(t)
			continue
		}
		s, _ := json.Marshal(v)
		b.Write(s)
	}
	b.WriteByte('}')
	return b.Bytes()
}
