package bulk

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
)

// checker is a Checker whose key is the "id" field and which refuses ids starting with "bad".
type checker struct{}

func (checker) Vendor() string                        { return "test" }
func (checker) UsersPerJob() int                      { return 3 }
func (checker) JobsInFlight() int                     { return 2 }
func (checker) Classify(f sdk.Failure) (string, bool) { return f.Code, f.Code == "retry" }
func (checker) CheckUser(u []byte) ([]string, error) {
	s := string(u)
	i := strings.Index(s, `"id":"`)
	if i < 0 {
		return nil, errors.New("id is required")
	}
	id := s[i+6:]
	id = id[:strings.IndexByte(id, '"')]
	if strings.HasPrefix(id, "bad") {
		return nil, errors.New("bad id")
	}
	return []string{id}, nil
}

func TestPreflightNDJSONAndCSV(t *testing.T) {
	cases := []struct {
		name, format, text string
		want               map[int]string // line → invalid reason (substring); absent lines are valid
		keys               map[int]string
	}{
		{"ndjson", FormatNDJSON, "{\"id\":\"a\"}\n\n[1]\n{\"id\":\"bad1\"}\n{\"id\":\"a\"}\n{\"x\":1}\n{\"id\":\"b\"}\n",
			map[int]string{3: "not a JSON object", 4: "bad id", 5: "duplicate of line 1", 6: "id is required"}, map[int]string{1: "a", 7: "b"}},
		{"csv", FormatCSV, "\ufeffid,roles,disabled\na,\"[\"\"r1\"\"]\",true\nb,x\nbad2,,\nc,\"r\nr\",false\n",
			map[int]string{3: "has 2 fields; the header has 3", 4: "bad id"}, map[int]string{2: "a", 5: "c"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in, err := ReadInput(strings.NewReader(c.text), c.format)
			if err != nil {
				t.Fatal(err)
			}
			valid := Preflight(in, checker{}, nil)
			if valid != len(c.keys) {
				t.Errorf("valid = %d, want %d", valid, len(c.keys))
			}
			for _, l := range in.Lines {
				want, bad := c.want[l.N]
				switch {
				case bad && !strings.Contains(l.Invalid, want):
					t.Errorf("line %d: invalid %q, want %q", l.N, l.Invalid, want)
				case !bad && l.Invalid != "":
					t.Errorf("line %d: invalid %q", l.N, l.Invalid)
				case !bad && l.Keys[0] != c.keys[l.N]:
					t.Errorf("line %d: key %q, want %q", l.N, l.Keys[0], c.keys[l.N])
				}
			}
		})
	}
	in, _ := ReadInput(strings.NewReader("id,roles,disabled\na,\"[\"\"r1\"\"]\",true\n"), FormatCSV)
	if got := string(in.Lines[0].User); got != `{"id":"a","roles":["r1"],"disabled":true}` {
		t.Errorf("CSV user = %s", got)
	}
}

func TestChunksArePureAndEven(t *testing.T) {
	lines := []int{1, 2, 3, 4, 5, 6, 7}
	a, b := Chunks(2, lines, 3), Chunks(2, lines, 3)
	var sizes []int
	for i, c := range a {
		sizes = append(sizes, len(c.Lines))
		if c.Round != 2 || c.Index != i || !slices.Equal(c.Lines, b[i].Lines) {
			t.Fatalf("chunk %d: %+v vs %+v", i, c, b[i])
		}
	}
	if !slices.Equal(sizes, []int{3, 2, 2}) {
		t.Errorf("sizes %v, want [3 2 2]", sizes)
	}
	if Chunks(1, nil, 3) != nil {
		t.Error("no lines, no chunks")
	}
}

// TestJournalTornTail: a record cut short by a crash is dropped (and cut off) on open; a corrupt
// record followed by good ones is an error, not silently skipped.
func TestJournalTornTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), JournalFile)
	j, recs, err := OpenJournal(path)
	if err != nil || len(recs) != 0 {
		t.Fatal(err, recs)
	}
	for i := 1; i <= 3; i++ {
		if err := j.Append(Record{Type: recIntent, Round: 1, Chunk: i, Lines: []int{i}}); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	whole, _ := os.ReadFile(path)
	for cut := len(whole) - 1; cut > len(whole)-40; cut -= 7 {
		if err := os.WriteFile(path, whole[:cut], 0o600); err != nil {
			t.Fatal(err)
		}
		j, recs, err := OpenJournal(path)
		if err != nil || len(recs) != 2 || recs[1].Chunk != 2 {
			t.Fatalf("cut at %d: %v, %d records", cut, err, len(recs))
		}
		if err := j.Append(Record{Type: recRefused, Round: 1, Chunk: 3}); err != nil {
			t.Fatal(err)
		}
		j.Close()
		if _, recs, err := OpenJournal(path); err != nil || len(recs) != 3 || recs[2].Type != recRefused {
			t.Fatalf("after the cut and an append: %v, %+v", err, recs)
		}
	}
	bad := slices.Clone(whole)
	bad[30] ^= 1 // inside the first record
	os.WriteFile(path, bad, 0o600)
	if _, _, err := OpenJournal(path); err == nil {
		t.Error("a corrupt record before good ones was accepted")
	}
}

// TestStateReplay: the same records give the same state, and a lost answer's intent stays open.
func TestStateReplay(t *testing.T) {
	recs := []Record{
		{Type: recStart, Digest: "d", Vendor: "test"},
		{Type: recRound, Round: 1, Lines: []int{1, 2, 3}},
		{Type: recIntent, Round: 1, Chunk: 0, Lines: []int{1, 2}},
		{Type: recStarted, Round: 1, Chunk: 0, Job: "j1"},
		{Type: recIntent, Round: 1, Chunk: 1, Lines: []int{3}},
		{Type: recDone, Round: 1, Chunk: 0, Job: "j1", Results: []Result{{Line: 1, OK: true}, {Line: 2, Code: "retry", Retryable: true}}},
	}
	s := NewState()
	for _, r := range recs {
		s.Apply(r)
	}
	if c := s.chunk(1, 1); !c.open || c.job != "" {
		t.Errorf("chunk 1: %+v, want an open intent", c)
	}
	if got := s.RetryLines(1); !slices.Equal(got, []int{2}) {
		t.Errorf("retry lines %v", got)
	}
	if l := s.Line(1); l.Outcome != OutcomeSucceeded || l.Attempts != 1 || !slices.Equal(l.Jobs, []string{"j1"}) {
		t.Errorf("line 1: %+v", l)
	}
}

// TestNotifierRetriesAndSigns: a failing receiver is tried 3 more times with backoff; each try carries
// the same signature and delivery id.
func TestNotifierRetriesAndSigns(t *testing.T) {
	var tries atomic.Int32
	var sigs []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		sigs = append(sigs, r.Header.Get(SignatureHeader))
		if r.Header.Get(SignatureHeader) != Sign("k", b) || r.Header.Get(DeliveryHeader) != "run-1" {
			t.Errorf("headers %v", r.Header)
		}
		if tries.Add(1) < 4 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	n := Notifier{URL: srv.URL, Secret: "k", Backoff: time.Millisecond}
	if err := n.Send(context.Background(), Notification{Run: "run-1", Summary: &Summary{}}); err != nil {
		t.Fatal(err)
	}
	if tries.Load() != 4 || sigs[0] != sigs[3] {
		t.Errorf("%d tries", tries.Load())
	}
	tries.Store(-100)
	if err := n.Send(context.Background(), Notification{Run: "run-1"}); err == nil || !strings.Contains(err.Error(), "4 tries failed") {
		t.Errorf("err = %v", err)
	}
	if err := (Notifier{URL: srv.URL}).Send(context.Background(), Notification{}); err == nil || !strings.Contains(err.Error(), EnvNotifySecret) {
		t.Errorf("unsigned: %v", err)
	}
}

// TestNotifierErrorsHoldNoURL: a webhook URL may carry a token; the error of a failed delivery does
// not show it.
func TestNotifierErrorsHoldNoURL(t *testing.T) {
	n := Notifier{URL: "http://127.0.0.1:1/hooks/T0KEN-SECRET", Secret: "k", Retries: 1, Backoff: time.Millisecond}
	err := n.Send(context.Background(), Notification{Run: "r"})
	if err == nil || strings.Contains(err.Error(), "T0KEN-SECRET") {
		t.Errorf("err = %v", err)
	}
}
