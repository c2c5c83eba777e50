package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// TestWatchInputThatNeverEnds drives the built binary with job ids from a FIFO and from a pipe whose
// writer stays open: it says that it waits for the input's end, and the first Ctrl-C ends it (exit 130),
// as --timeout does (exit 5), with a JSON line for each id read, none watched.
func TestWatchInputThatNeverEnds(t *testing.T) {
	skipShort(t)
	_, _, vars := loopbackSim(t)
	ids := []string{"job-one", "job-two"}
	cases := []struct {
		name    string
		fifo    bool
		ids     []string // written, the writer left open; nil: no writer at all (FIFO) or nothing written
		timeout bool     // end by --timeout, else by Ctrl-C
		code    int
		lines   string // the error of each JSON line
		screen  string // on the terminal at the end
	}{
		{"fifo without writer, ctrl-c", true, nil, false, exitInterrupted, "", "interrupted"},
		{"fifo without writer, timeout", true, nil, true, exitTimeout, "", "no job ids: .*fifo did not end within --timeout 2s"},
		{"fifo kept open, ctrl-c", true, ids, false, exitInterrupted, "interrupted", "interrupted"},
		{"pipe kept open, ctrl-c", false, ids, false, exitInterrupted, "interrupted", "interrupted"},
		{"pipe kept open, timeout", false, ids, true, exitTimeout, "not watched: stdin did not end within --timeout",
			`2 webex jobs: not watched: stdin did not end within --timeout \(e\.g\. job-one, job-two\)`},
		{"pipe without data, timeout", false, nil, true, exitTimeout, "", "no job ids: stdin did not end within --timeout 2s"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"watch", "--vendor", "webex", "--output", "json"}
			if tc.timeout {
				args = append(args, "--timeout", "2s")
			}
			var stdin, w *os.File // w: the writer held open
			if tc.fifo {
				fifo := filepath.Join(t.TempDir(), "fifo")
				if err := syscall.Mkfifo(fifo, 0o600); err != nil {
					t.Fatal(err)
				}
				args = append(args, "--jobs-file", fifo)
				if tc.ids != nil {
					// O_RDWR opens a FIFO at once, and holds it open as a writer.
					f, err := os.OpenFile(fifo, os.O_RDWR, 0)
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { f.Close() })
					w = f
				}
			} else {
				r, pw, err := os.Pipe()
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { r.Close(); pw.Close() })
				stdin, w = r, pw
			}
			if tc.ids != nil {
				if _, err := io.WriteString(w, strings.Join(tc.ids, "\n")+"\n"); err != nil {
					t.Fatal(err)
				}
			}
			var stdout syncBuffer
			tm := startTermIn(t, vars, stdin, &stdout, args...)
			// Reading has stalled, with every id written read.
			tm.waitFor(`jobwatch watch: `+strconv.Itoa(len(tc.ids))+` job ids read from .*, which has not ended`, 15*time.Second)
			if !tc.timeout {
				tm.ctrlC()
			}
			if code := tm.exit(10 * time.Second); code != tc.code {
				t.Fatalf("exit %d, want %d:\n%s", code, tc.code, tm.screen.String())
			}
			tm.waitFor(tc.screen, time.Second)
			var got []string
			for _, l := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
				if l == "" {
					continue
				}
				var m struct{ ID, State, Error string }
				if err := json.Unmarshal([]byte(l), &m); err != nil {
					t.Fatalf("not JSON: %q", l)
				}
				if m.State != "unknown" || !strings.Contains(m.Error, tc.lines) {
					t.Errorf("want the job not watched: %s", l)
				}
				got = append(got, m.ID)
			}
			if strings.Join(got, ",") != strings.Join(tc.ids, ",") {
				t.Errorf("JSON lines for %q, want one per id read, %q", got, tc.ids)
			}
		})
	}
}

// TestReadIDsCutShort: reading ids from a pipe that has not ended says so every second the count
// changed, and ends with ctx, with the ids read so far.
func TestReadIDsCutShort(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		r, w := io.Pipe()
		defer w.Close()
		ctx, cancel := context.WithCancelCause(t.Context())
		var note strings.Builder
		go func() {
			io.WriteString(w, "a\nb\n")
			time.Sleep(1500 * time.Millisecond) // the fake clock
			io.WriteString(w, "c\n")
			time.Sleep(3 * time.Second)
			cancel(errInterrupted)
		}()
		ids, _, err := readIDs(ctx, "", r, &note)
		var cut *inputCutError
		if !errors.As(err, &cut) || !errors.Is(err, errInterrupted) || strings.Join(ids, ",") != "a,b,c" {
			t.Fatalf("ids %q, error %v; want a, b, c and the interrupt", ids, err)
		}
		want := "jobwatch watch: 2 job ids read from stdin, which has not ended; waiting for its end (Ctrl-C stops)\n" +
			"jobwatch watch: 3 job ids read from stdin, which has not ended; waiting for its end (Ctrl-C stops)\n"
		if note.String() != want {
			t.Errorf("notes:\n%s\nwant:\n%s", note.String(), want)
		}
	})
}
