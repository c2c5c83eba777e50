package main

import (
	"bytes"
	"strings"
	"testing"
	"testing/synctest"
	"time"
	"unicode/utf8"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/simulator"
)

// TestWatchRowsInInputOrderErrorOnce: the table lists the jobs in the order of the ids given, not the
// order they finished in, and a job's error message is printed once (stderr), its row saying only
// what kind of error it was.
func TestWatchRowsInInputOrderErrorOnce(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		sim, e := simEnv(t, simulator.Options{})
		slow, _ := sim.CreateJob("webex", []simulator.JobUser{{ID: "u"}}, 10*time.Minute)
		fast, _ := sim.CreateJob("webex", []simulator.JobUser{{ID: "v"}}, time.Second)
		e.stdin = strings.NewReader(slow + "\nno-such-job\n" + fast + "\n")
		code, out, stderr := runCLI(t.Context(), e, "watch", "--vendor", "webex", "--wide")
		if code != exitAPI {
			t.Fatalf("exit %d, want %d\nstdout %s\nstderr %s", code, exitAPI, out, stderr)
		}
		var order []string
		for _, l := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
			order = append(order, strings.Fields(l)[1])
		}
		if want := []string{slow, "no-such-job", fast}; strings.Join(order, " ") != strings.Join(want, " ") {
			t.Errorf("rows %q, want the input order %q", order, want)
		}
		if n := strings.Count(out+stderr, "Job not found"); n != 1 {
			t.Errorf("the 404 message is printed %d times, want once:\nstdout %s\nstderr %s", n, out, stderr)
		}
		if !strings.Contains(out, "HTTP 404 (see error below)") {
			t.Errorf("the row names no error kind:\n%s", out)
		}
	})
}

// TestTableFitsWidthAndColours: a table fits the terminal's width (COLUMNS when stdout is no terminal)
// by shortening ids in the middle, --wide and JSON keep them whole, and states are coloured on a
// terminal unless NO_COLOR or --color=never says not, or anywhere with --color=always.
func TestTableFitsWidthAndColours(t *testing.T) {
	t.Parallel()
	const green = "\x1b[32msucceeded\x1b[0m"
	cases := []struct {
		name     string
		terminal bool
		width    int // the terminal's
		vars     map[string]string
		args     []string
		limit    int // the widest a line may be, 0 for no limit
		want     []string
		not      []string
	}{
		{"COLUMNS", false, 0, map[string]string{"COLUMNS": "80"}, nil, 80, []string{"short", "end"}, []string{"whole", "\x1b["}},
		{"terminal width", true, 80, map[string]string{"COLUMNS": "300"}, nil, 80, []string{"short", "end", green}, []string{"whole"}},
		{"wide", true, 80, nil, []string{"--wide"}, 0, []string{"whole", green}, []string{"short"}},
		{"json", true, 80, nil, []string{"--output", "json"}, 0, []string{"whole"}, []string{"short", "\x1b["}},
		{"NO_COLOR", true, 0, map[string]string{"NO_COLOR": "1"}, nil, 0, []string{"whole"}, []string{"\x1b["}},
		{"never", true, 0, nil, []string{"--color", "never"}, 0, []string{"whole"}, []string{"\x1b["}},
		{"always", false, 0, map[string]string{"NO_COLOR": "1"}, []string{"--color=always"}, 0, []string{green}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sim, e := simEnv(t, simulator.Options{})
				id, _ := sim.CreateJob("webex", []simulator.JobUser{{ID: "ann"}}, time.Second)
				if len(id) < 60 {
					t.Fatalf("the simulator's Webex id %q is too short to test shortening", id)
				}
				// Shortened in the middle: its start, …, and its end.
				named := map[string]string{"short": id[:7] + "…", "end": id[len(id)-7:], "whole": id}
				getenv := e.getenv
				e.getenv = func(k string) string {
					if v, ok := tc.vars[k]; ok {
						return v
					}
					return getenv(k)
				}
				e.stdoutTerminal, e.width = tc.terminal, tc.width
				code, out, stderr := runCLI(t.Context(), e, append([]string{"wait", "--vendor", "webex", "--job", id}, tc.args...)...)
				if code != exitOK {
					t.Fatalf("exit %d: %s", code, stderr)
				}
				for _, w := range tc.want {
					if v, ok := named[w]; ok {
						w = v
					}
					if !strings.Contains(out, w) {
						t.Errorf("stdout lacks %q:\n%s", w, out)
					}
				}
				for _, n := range tc.not {
					if v, ok := named[n]; ok {
						n = v
					}
					if strings.Contains(out, n) {
						t.Errorf("stdout has %q:\n%s", n, out)
					}
				}
				for _, l := range strings.Split(out, "\n") {
					if n := utf8.RuneCountInString(stripSGR(l)); tc.limit > 0 && n > tc.limit {
						t.Errorf("line of %d columns, wider than %d: %q", n, tc.limit, l)
					}
				}
			})
		})
	}
}

func stripSGR(s string) string {
	for _, c := range []string{"\x1b[32m", "\x1b[31m", "\x1b[33m", "\x1b[0m"} {
		s = strings.ReplaceAll(s, c, "")
	}
	return s
}

// A failure message with a control sequence is shown escaped in a coloured table: colour is added
// after escaping, so vendor text brings no sequence of its own.
func TestColourAfterEscaping(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	w := newSafeWriter(&b)
	fail := 1
	j := &sdk.Job{Vendor: "webex", ID: "j\x1b[2J", State: sdk.StateFailed, Counts: sdk.Counts{Failed: &fail},
		Failures: []sdk.Failure{{User: "u", Message: "bad \x1b]0;title\x07 \x1b[31mred"}}}
	if err := writeTable(w, []outcome{{vendor: "webex", id: j.ID, job: j}}, tableStyle{colour: true}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.Count(out, "\x1b") != 2 || !strings.Contains(out, "\x1b[31mfailed\x1b[0m") {
		t.Errorf("want the state's colour and its reset as the only sequences:\n%q", out)
	}
	if !strings.Contains(out, `j\x1b[2J`) || !strings.Contains(out, `bad \x1b]0;title\x07 \x1b[31mred`) {
		t.Errorf("vendor text not escaped:\n%q", out)
	}
}
