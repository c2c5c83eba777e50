package main

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"
	"unicode/utf8"

	"github.com/mattn/go-runewidth"

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

// TestTablesFitTheTerminal: on a terminal of 80 or 120 columns every line of watch's tables, the jobs'
// and the failed users', fits: ids are shortened in the middle, then messages and notes are cut with
// an ellipsis, counted in display columns (a CJK character takes two). --wide keeps every value whole.
func TestTablesFitTheTerminal(t *testing.T) {
	t.Parallel()
	const cjk = "用户已存在：用户名与用户存储中已有的用户重复，请更换用户名后重新导入"
	cases := []struct {
		vendor  string
		message string // the failure's, "" for the simulator's own
		width   int
		wide    bool
	}{
		{"webex", "", 80, false},
		{"webex", "", 120, false},
		{"webex", "", 80, true},
		{"tencent", cjk, 80, false},
		{"tencent", cjk, 120, false},
		{"tencent", cjk, 80, true},
		{"huawei", "", 80, false},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s %d wide=%t", tc.vendor, tc.width, tc.wide), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				opts := simulator.Options{}
				if tc.message != "" {
					opts.FailUser = func(vendor, user string) (simulator.Failure, bool) {
						f, ok := simulator.DefaultFailUser(vendor, user)
						f.Message = tc.message
						return f, ok
					}
				}
				sim, e := simEnv(t, opts)
				action := "" // the simulator's own
				switch tc.vendor {
				case "webex":
					action = "move"
				case "huawei":
					action = "CREATE"
				}
				var ids []string
				for i, users := range [][]simulator.JobUser{
					{{ID: "user-1-1"}, {ID: "user-1-2"}},
					{{ID: "user-2-1-fail", Action: action}, {ID: "user-2-2"}},
					{{ID: "user-3-1-fail", Action: action}, {ID: "user-3-2-fail", Action: action}, {ID: "user-3-3"}},
				} {
					id, err := sim.CreateJob(tc.vendor, users, time.Duration(i+1)*time.Second)
					if err != nil {
						t.Fatal(err)
					}
					ids = append(ids, id)
				}
				if tc.vendor == "webex" {
					ids = append(ids, "Y2lzY29zcGFyazovL3VzL0pPQl9JRC9ub3QtYS1qb2ItdGhlLXNpbXVsYXRvci1rbm93cw") // 404: a NOTE
				}
				e.stdin = strings.NewReader(strings.Join(ids, "\n"))
				e.stdoutTerminal, e.width = true, tc.width
				args := []string{"watch", "--vendor", tc.vendor, "--color", "never"}
				if tc.wide {
					args = append(args, "--wide")
				}
				code, out, stderr := runCLI(t.Context(), e, args...)
				if code == exitUsage || !strings.Contains(out, "FAILED USERS") {
					t.Fatalf("exit %d\nstdout %s\nstderr %s", code, out, stderr)
				}
				message := tc.message
				if message == "" {
					f, _ := simulator.DefaultFailUser(tc.vendor, "fail")
					message = f.Message
				}
				widest := 0
				for _, l := range strings.Split(out, "\n") {
					widest = max(widest, runewidth.StringWidth(l))
				}
				if tc.wide {
					for _, whole := range append(ids, message) {
						if !strings.Contains(out, whole) {
							t.Errorf("--wide: %q is not whole:\n%s", whole, out)
						}
					}
					if widest <= tc.width {
						t.Errorf("--wide: the widest line has %d columns, want the whole values wider than %d:\n%s", widest, tc.width, out)
					}
					return
				}
				if widest > tc.width {
					t.Errorf("a line of %d columns on a terminal of %d:\n%s", widest, tc.width, out)
				}
				if strings.Contains(out, message) || !strings.Contains(out, "…\n") {
					t.Errorf("the message %q is not cut with an ellipsis:\n%s", message, out)
				}
			})
		})
	}
}

// TestLayoutGivesWayInRounds: a table wider than the terminal gives way in order: ids shortened in the
// middle, then free text cut at its end, then the other columns, and no header is cut; display widths
// count a CJK character as two columns, whether in an id, a message or a user.
func TestLayoutGivesWayInRounds(t *testing.T) {
	t.Parallel()
	long := "Y2lzY29zcGFyazovL3VzL0pPQl9JRC85ZjQ0ZDM1Ny0wYzE0LTQ2YjMtYjQ0NS0yNzI0YzU1NTEyNzI"
	header := []string{"VENDOR", "JOB", "USER", "ACTION", "CODE", "MESSAGE"}
	rows := func(user, id, message string) [][]span {
		return [][]span{row(header...), row("webex", id, user, "move", "1026", message)}
	}
	msg := "The user cannot be moved: the target location has no free extension."
	cases := []struct {
		name                      string
		width                     int
		user, id, msg             string
		wantID, wantUser, wantMsg string // the cells shown
	}{
		{"fits", 0, "ann", long, msg, long, "ann", msg},
		{"id first", 160, "ann", long, msg, "Y2lzY29zcGFyazovL3VzL0pPQl9JRC…LTQ2YjMtYjQ0NS0yNzI0YzU1NTEyNzI", "ann", msg},
		{"id first, 120", 120, "ann", long, msg, "Y2lzY29zcG…YzU1NTEyNzI", "ann", msg},
		{"then the message", 80, "ann", long, msg, "Y2lzY29…NTEyNzI", "ann", "The user cannot be moved: the targ…"},
		{"then the others", 60, "ann.very.long.name@example.com", long, msg, "Y2lzY29…NTEyNzI", "ann.very.…", "The user…"},
		{"wide characters", 60, "ann", "作业编号二〇二六一二〇五零零零一二三四五六七八九", "用户已存在，请更换用户名后重新导入", "作业编…六七八九", "ann", "用户已存在，请…"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			if err := writeSpans(&b, layout(rows(tc.user, tc.id, tc.msg), []column{1: {give: giveID}, 5: {give: giveText}}, tc.width)); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
			if got := strings.Fields(lines[0]); strings.Join(got, " ") != strings.Join(header, " ") {
				t.Errorf("header %q, want %q", got, header)
			}
			for _, l := range lines {
				if n := runewidth.StringWidth(l); tc.width > 0 && n > tc.width {
					t.Errorf("a line of %d columns, wider than %d: %q", n, tc.width, l)
				}
			}
			cells := strings.Split(lines[1], "  ")
			var shown []string
			for _, c := range cells {
				if c = strings.TrimSpace(c); c != "" {
					shown = append(shown, c)
				}
			}
			if len(shown) != 6 {
				t.Fatalf("row %q", shown)
			}
			if got, want := []string{shown[1], shown[2], shown[5]}, []string{tc.wantID, tc.wantUser, tc.wantMsg}; !slices.Equal(got, want) {
				t.Errorf("id, user and message %q, want %q\n%s", got, want, b.String())
			}
		})
	}
}

// TestShortHeadersMakeRoomForIds: when the job table's ids are at their narrowest and it is still too
// wide, the count headers take their short forms, and the columns that frees go back to the ids.
func TestShortHeadersMakeRoomForIds(t *testing.T) {
	t.Parallel()
	id := "Y2lzY29zcGFyazovL3VzL0pPQl9JRC85ZjQ0ZDM1Ny0wYzE0LTQ2YjMtYjQ0NS0yNzI0YzU1NTEyNzI"
	total, ok, failed, pending, progress := 3, 2, 1, 0, 1.0
	j := &sdk.Job{Vendor: "webex", ID: id, State: sdk.StatePartiallySucceeded, Done: true, Progress: &progress,
		Counts: sdk.Counts{Total: &total, Succeeded: &ok, Failed: &failed, Pending: &pending}}
	var b bytes.Buffer
	if err := writeTable(&b, []outcome{{vendor: "webex", id: id, job: j}}, tableStyle{width: 80}); err != nil {
		t.Fatal(err)
	}
	want := "VENDOR  JOB                   STATE                TOTAL  SUCC  FAIL  PEND  PROG\n" +
		"webex   Y2lzY29zc…zU1NTEyNzI  partially_succeeded  3      2     1     0     100%\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
