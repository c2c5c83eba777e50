package bulk

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCSVParseErrorIsAnInvalidLine: a record csv cannot parse (a bare quote) is an invalid line with
// its line number, and the lines after it are read; it used to panic in FieldPos.
func TestCSVParseErrorIsAnInvalidLine(t *testing.T) {
	in, err := ReadInput(strings.NewReader("userId,extension\nu1,1\nu\"2,2\nu3,3\n"), FormatCSV)
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Lines) != 3 {
		t.Fatalf("lines %+v, want 3", in.Lines)
	}
	if l := in.Lines[1]; l.N != 3 || !strings.HasPrefix(l.Invalid, "CSV: ") {
		t.Errorf("bad record: line %d invalid %q, want line 3 invalid CSV", l.N, l.Invalid)
	}
	if l := in.Lines[2]; l.N != 4 || l.Invalid != "" || l.Fields[0] != "u3" {
		t.Errorf("next record: %+v, want line 4 u3 valid", l)
	}
}

// TestFailedCSVKeepsUnparseableRecords: failed.csv holds every line that did not succeed, so a record
// csv could not parse is written back as it was read.
func TestFailedCSVKeepsUnparseableRecords(t *testing.T) {
	in, err := ReadInput(strings.NewReader("userId,extension\nu1,1\nu\"2,2\nu3\n"), FormatCSV)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := WriteReport(dir, in, NewState(), &Summary{}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, FailedCSVFile))
	if err != nil {
		t.Fatal(err)
	}
	want := "userId,extension\nu1,1\nu\"2,2\nu3\n"
	if string(b) != want {
		t.Errorf("failed.csv:\n%s\nwant:\n%s", b, want)
	}
}

// TestNDJSONLongLineIsInvalid: a line over MaxLineBytes is an invalid line with its number, and the
// lines after it are still read; it used to stop the whole run.
func TestNDJSONLongLineIsInvalid(t *testing.T) {
	long := `{"userName":"` + strings.Repeat("x", MaxLineBytes) + `"}`
	for _, end := range []string{"\n", ""} {
		text := "{\"userName\":\"a\"}\n" + long + "\n\n{\"userName\":\"c\"}" + end
		in, err := ReadInput(strings.NewReader(text), FormatNDJSON)
		if err != nil {
			t.Fatal(err)
		}
		if len(in.Lines) != 3 {
			t.Fatalf("%d lines, want 3", len(in.Lines))
		}
		if l := in.Lines[1]; l.N != 2 || !strings.Contains(l.Invalid, "longer than") || l.Raw != nil {
			t.Errorf("long line: N %d invalid %q raw %d bytes, want line 2 invalid", l.N, l.Invalid, len(l.Raw))
		}
		if l := in.Lines[2]; l.N != 4 || l.Invalid != "" || string(l.Raw) != `{"userName":"c"}` {
			t.Errorf("last line: N %d invalid %q raw %q", l.N, l.Invalid, l.Raw)
		}
	}
	last := strings.Repeat(" ", MaxLineBytes-2) + "{}" // exactly MaxLineBytes, at the end without a newline
	in, err := ReadInput(strings.NewReader(last), FormatNDJSON)
	if err != nil || len(in.Lines) != 1 || in.Lines[0].Invalid != "" || len(in.Lines[0].Raw) != 2 {
		t.Errorf("a line of MaxLineBytes: err %v, want one valid line", err)
	}
}
