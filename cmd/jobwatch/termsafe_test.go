package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/simulator"
)

// hostile is text a terminal would obey: set the window title (OSC 0, ended by BEL), clear the screen,
// ask for the cursor position (the answer arrives on stdin, as if typed), a C1 CSI (U+009B) that sets a
// colour, a right-to-left override and a cursor move home.
const hostile = "\x1b]0;pwned\x07\x1b[2J\x1b[6n\u009b31m\u202eevil\x1b[H"

// hostileShown is how hostile must look on the terminal: as text.
const hostileShown = `\x1b]0;pwned\x07\x1b[2J\x1b[6n\u009b31m\u202eevil\x1b[H`

// mpbDrawing matches the only control sequences jobwatch writes itself: mpb's redraw of the bars (cursor
// up n lines, erase below) and the states' colours (green, red, yellow, reset).
var mpbDrawing = regexp.MustCompile(`\x1b\[\d*A\x1b\[J|\x1b\[J|\x1b\[(3[123]|0)m`)

// checkInert fails unless what reached the terminal holds no control sequence but mpbDrawing, no other
// control character but \r, \n and \t, no C1 control, no bidirectional override or isolate, and no
// invalid UTF-8.
func checkInert(t *testing.T, what, screen string) {
	t.Helper()
	rest := mpbDrawing.ReplaceAllString(screen, "")
	if !utf8.ValidString(rest) {
		t.Errorf("%s: invalid UTF-8 reached the terminal: %q", what, tail(rest, 2000))
	}
	for i, r := range rest {
		live := r < 0x20 && r != '\r' && r != '\n' && r != '\t' || r >= 0x7f && r <= 0x9f ||
			r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
		if live {
			t.Errorf("%s: %U reached the terminal: %q", what, r, rest[max(0, i-80):min(len(rest), i+80)])
			return
		}
	}
}

// hostileVendor is the simulator behind a proxy that answers Webex status calls for ids containing
// "api-error" with a 403 whose message and tracking id are hostile, and for ids containing "retry" with
// a hostile 503 first. The simulator fails users whose id contains "fail" with a hostile code and message.
func hostileVendor(t *testing.T) (*simulator.Simulator, map[string]string) {
	t.Helper()
	sim, err := simulator.New(simulator.Options{
		FailUser: func(vendor, user string) (simulator.Failure, bool) {
			return simulator.Failure{Code: "E" + hostile, Message: "not moved: " + hostile}, strings.Contains(user, "fail")
		},
		OnViolation: func(string, error) {}, // hostile answers break the spec on purpose
	})
	if err != nil {
		t.Fatal(err)
	}
	var retried atomic.Bool
	h := sim.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := map[string]any{"message": "denied: " + hostile, "trackingId": "ROUTER_" + hostile,
			"errors": []map[string]any{{"description": "no: " + hostile}}}
		status := http.StatusForbidden
		switch {
		case strings.Contains(r.URL.Path, "retry") && !retried.Swap(true):
			status = http.StatusServiceUnavailable
			w.Header().Set("Retry-After", "0")
		case strings.Contains(r.URL.Path, "api-error"), strings.Contains(r.URL.Path, "retry"):
		default:
			h.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(body)
	}))
	t.Cleanup(srv.Close)
	return sim, parseEnvLines(envLines(sim, srv.URL))
}

// TestTerminalShowsHostileTextAsText drives the built binary on a pseudo-terminal against a vendor whose
// user names, codes and messages, and job ids from the command line and a jobs file, hold escape
// sequences, C1 controls, bidirectional overrides and invalid UTF-8: the bars, the tables and the errors
// on stderr show them as text, and the terminal receives no control sequence but the bars' own.
func TestTerminalShowsHostileTextAsText(t *testing.T) {
	skipShort(t)
	sim, vars := hostileVendor(t)
	job, err := sim.CreateJob("webex", []simulator.JobUser{{ID: "fail-" + hostile}, {ID: "ok-" + hostile}}, 600*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "ids")
	ids := []string{job, "api-error-" + hostile, "retry-" + hostile, "missing-" + hostile + "\xff\xfe"}
	if err := os.WriteFile(file, []byte(strings.Join(ids, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		want []string // shown on the terminal
	}{
		// The message, too long for the terminal's 200 columns, is cut after escaping: what is left of it is text.
		{"wait table", []string{"wait", "--vendor", "webex", "--job", job, "--min-delay", "100ms", "--max-delay", "200ms"},
			[]string{"fail-" + hostileShown, "E" + hostileShown, "not moved: " + hostileShown[:16]}},
		{"watch table", []string{"watch", "--vendor", "webex", "--jobs-file", file, "--min-delay", "100ms", "--max-delay", "200ms", "--wide"},
			[]string{"fail-" + hostileShown, "not moved: " + hostileShown, "denied: " + hostileShown, `\xff\xfe`}},
		{"status error", []string{"status", "--vendor", "webex", "--job", "api-error-" + hostile},
			[]string{"denied: " + hostileShown}},
		{"wait json", []string{"wait", "--vendor", "webex", "--job", "api-error-" + hostile, "--output", "json"},
			[]string{"denied: " + hostileShown}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tm := startTerm(t, vars, nil, tc.args...)
			if code := tm.exit(30 * time.Second); code == exitOK {
				t.Errorf("exit 0, want the failures reported")
			}
			screen := tm.screen.String()
			checkInert(t, tc.name, screen)
			for _, w := range tc.want {
				if !strings.Contains(screen, w) {
					t.Errorf("the terminal does not show %q:\n%s", w, screen)
				}
			}
		})
	}
}

// TestHostileTextOffTheTerminal: with stderr a pipe (progress as timestamped lines), the lines, the
// table and the error summary are escaped too, and the JSON lines decode to exactly what the vendor sent.
func TestHostileTextOffTheTerminal(t *testing.T) {
	t.Parallel()
	sim, vars := hostileVendor(t)
	job, err := sim.CreateJob("webex", []simulator.JobUser{{ID: "fail-" + hostile}}, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	for _, output := range []string{"table", "json"} {
		e := env{getenv: func(k string) string { return vars[k] }, stdin: strings.NewReader(job + "\napi-error-" + hostile + "\n")}
		code, out, stderr := runCLI(t.Context(), e, "watch", "--vendor", "webex", "--min-delay", "10ms", "--output", output)
		if code != exitAPI {
			t.Errorf("%s: exit %d, want 1:\n%s\n%s", output, code, out, stderr)
		}
		checkInert(t, output+" stderr", stderr)
		checkInert(t, output+" stdout", out)
		if !strings.Contains(stderr, "denied: "+hostileShown) {
			t.Errorf("%s: stderr does not show the vendor's message as text:\n%s", output, stderr)
		}
		if output == "table" {
			if !strings.Contains(out, "fail-"+hostileShown) {
				t.Errorf("the table does not show the user as text:\n%s", out)
			}
			continue
		}
		var users, errs []string
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			var m struct {
				Failures []struct{ User, Code, Message string }
				Error    string
			}
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatalf("not JSON: %q", l)
			}
			for _, f := range m.Failures {
				users = append(users, f.User, f.Code, f.Message)
			}
			errs = append(errs, m.Error)
		}
		if want := []string{"fail-" + hostile, "E" + hostile, "not moved: " + hostile}; fmt.Sprint(users) != fmt.Sprint(want) {
			t.Errorf("JSON failures %q, want exactly %q", users, want)
		}
		if !strings.Contains(strings.Join(errs, ""), "denied: "+hostile) {
			t.Errorf("JSON errors %q lack the vendor's exact message", errs)
		}
	}
}

// TestSafeWriter: whatever the cut between writes, a safeWriter writes what escaping the whole would;
// newlines and tabs are kept, text that needs no escaping is written as it is, and JSON stays JSON of
// the same value.
func TestSafeWriter(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"plain ascii\tcols\n", "plain ascii\tcols\n"},
		{"名前 Zoë ✓ 𝄞\n", "名前 Zoë ✓ 𝄞\n"},
		{"a\x1b[2Jb\r\x08\x00\x7f", `a\x1b[2Jb\x0d\x08\x00\u007f`},
		{"\u009b6n \u0085 \u202e \u2066 \u200f \u2028", `\u009b6n \u0085 \u202e \u2066 \u200f \u2028`},
		{"bad \xff\xc3 end \xe2\x82", `bad \xff\xc3 end \xe2\x82`},
		{`already \x1b escaped`, `already \x1b escaped`},
	}
	for _, tc := range cases {
		for _, step := range []int{1, 2, 3, len(tc.in)} {
			var b bytes.Buffer
			w := newSafeWriter(&b)
			for p := []byte(tc.in); len(p) > 0; {
				n := min(step, len(p))
				if k, err := w.Write(p[:n]); k != n || err != nil {
					t.Fatalf("Write: %d, %v", k, err)
				}
				p = p[n:]
			}
			w.flush()
			if b.String() != tc.want {
				t.Errorf("%q in writes of %d: %q, want %q", tc.in, step, b.String(), tc.want)
			}
		}
	}
	v := map[string]string{"user": "a\u009b\u202e\x7f\x1b\nb"}
	j, _ := json.Marshal(v)
	var b bytes.Buffer
	newSafeWriter(&b).Write(j)
	var got map[string]string
	if err := json.Unmarshal(b.Bytes(), &got); err != nil || got["user"] != v["user"] {
		t.Errorf("JSON through the writer: %s decodes to %q, %v", b.String(), got, err)
	}
	if s := escapeControls("id\n\tx\x1b"); s != `id\x0a\x09x\x1b` {
		t.Errorf("escapeControls: %q", s)
	}
}

// TestBarsEscapeTheirText: mpb writes the bars' text as it is, so a bar's name (the job id), its state
// and a retry note, on a job's bar or on the one bar of many jobs, arrive escaped.
func TestBarsEscapeTheirText(t *testing.T) {
	t.Parallel()
	for _, n := range []int{2, perJobBars + 1} {
		var out syncBuffer
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fmt.Sprint("job-", i, "-", hostile)
		}
		b := newBars(&out, ids, time.Millisecond)
		b.update(&sdk.Job{Vendor: "webex", ID: ids[0], State: sdk.State("running " + hostile)})
		b.retry("webex", ids[1], errors.New("refused: "+hostile), 1, 6)
		b.close()
		what := fmt.Sprint(n, " jobs")
		checkInert(t, what, out.String())
		want := []string{`retrying: refused: \x1b]0;pwned\x07`}
		if n <= perJobBars {
			want = append(want, `job-0-\x1b]0;pwned\x07\x1b[2J\x1b[6n\u009b31m\u202eevil\x1b[H`, `running \x1b]0;pwned\x07`)
		}
		for _, want := range want {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%s: the bars do not show %q:\n%s", what, want, out.String())
			}
		}
	}
}
