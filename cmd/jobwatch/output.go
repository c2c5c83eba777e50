package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mattn/go-runewidth"

	"github.com/jobwatch/jobwatch/sdk"
)

// outcome is one job's end as a command reports it.
type outcome struct {
	vendor, id string
	job        *sdk.Job
	err        error
}

// jobLine is the JSON object written per job: the sdk.Job's keys, plus "error" when the job's wait
// ended in one (timeout, API error, interrupt).
type jobLine struct {
	*sdk.Job
	// Failures shadows the sdk's, whose empty strings would claim a value the vendor did not report.
	Failures []failureLine `json:"failures"`
	Error    string        `json:"error,omitempty"`
}

// failureLine is one failed user in JSON: null where the vendor reports no value (Tencent has no
// codes, Oracle no actions per user).
type failureLine struct {
	User    *string `json:"user"`
	Action  *string `json:"action"`
	Code    *string `json:"code"`
	Message *string `json:"message"`
}

// endedInError reports whether the job's wait ended in an error (a timeout, an API error, an interrupt)
// rather than with the job: a failed or canceled job's error is its state, not such an error.
func (o outcome) endedInError() bool {
	return o.err != nil && !jobEnded(o.err)
}

// jobEnded reports whether err is the sdk's word that the job ended failed or canceled (also when
// who failed could not be read, an *sdk.FailuresError: that one is an error too).
func jobEnded(err error) bool {
	var fe *sdk.FailuresError
	return (errors.Is(err, sdk.ErrJobFailed) || errors.Is(err, sdk.ErrJobCanceled)) && !errors.As(err, &fe)
}

func (o outcome) line() jobLine {
	j := o.job
	// A done job whose failed users could not be read (the sdk hands it over as the job): its
	// failures are unknown, not none.
	fe := (*sdk.FailuresError)(nil)
	unread := j != nil && errors.As(o.err, &fe) && fe.Job == j
	if j == nil {
		j = &sdk.Job{Vendor: o.vendor, ID: o.id, State: sdk.StateUnknown, Failures: []sdk.Failure{}}
	}
	l := jobLine{Job: j}
	if j.Failures != nil && !unread { // null, not []: who failed is not known
		l.Failures = make([]failureLine, len(j.Failures))
		for i, f := range j.Failures {
			l.Failures[i] = failureLine{User: nullable(f.User), Action: nullable(f.Action), Code: nullable(f.Code), Message: nullable(f.Message)}
		}
	}
	if o.endedInError() {
		l.Error = o.err.Error()
	}
	return l
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func writeJSON(w io.Writer, o outcome) error {
	b, err := json.Marshal(o.line())
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// tableStyle is how a table is laid out: width is the terminal's columns (0: unknown, nothing is
// shortened) and colour says whether states are coloured.
type tableStyle struct {
	width  int
	colour bool
}

// How narrow a column gets when a table is wider than the terminal (see layout).
const (
	// minIDWidth is the narrowest a shortened job id gets: 7 characters of each end, as in Y2lzY29…NTEyNzE.
	minIDWidth = 15
	// minTextWidth is the narrowest free text (a message, a note) gets before the other columns give way.
	minTextWidth = 16
	// minCutWidth is the narrowest any other column gets: states but one stay whole ("partially…").
	minCutWidth = 10
)

// give is how a table's column gives way when the table is wider than the terminal.
type give int

const (
	// giveLast: cut at its end, after ids and free text have given way (a state, a user).
	giveLast give = iota
	// giveID: a job id, shortened in the middle first.
	giveID
	// giveText: free text (a message, a note), cut at its end next.
	giveText
)

// column says how a table's column gives way when the table is wider than the terminal: how it is
// cut, and a shorter header for a column whose header is wider than its values (SUCCEEDED).
type column struct {
	give  give
	short string
}

// writeTable writes the jobs, then every failed user, as aligned columns, in outs' order. To fit
// st.width, job ids are shortened in the middle, then messages and notes cut (see layout); the JSON
// lines, and --wide, have them whole.
func writeTable(out io.Writer, outs []outcome, st tableStyle) error {
	jobs := [][]span{row("VENDOR", "JOB", "STATE", "TOTAL", "SUCCEEDED", "FAILED", "PENDING", "PROGRESS", "NOTE")}
	fails := [][]span{row("VENDOR", "JOB", "USER", "ACTION", "CODE", "MESSAGE")}
	for _, o := range outs {
		j := o.line().Job
		r := row(j.Vendor, j.ID, string(j.State), num(j.Counts.Total), num(j.Counts.Succeeded),
			num(j.Counts.Failed), num(j.Counts.Pending), pct(j.Progress), note(o))
		if st.colour {
			r[2].sgr = stateColour(j.State)
		}
		jobs = append(jobs, r)
		for _, f := range j.Failures {
			fails = append(fails, row(j.Vendor, j.ID, dash(f.User), dash(f.Action), dash(f.Code), oneLine(f.Message)))
		}
	}
	spans := layout(jobs, []column{1: {give: giveID}, 4: {short: "SUCC"}, 5: {short: "FAIL"}, 6: {short: "PEND"},
		7: {short: "PROG"}, 8: {give: giveText}}, st.width)
	if len(fails) > 1 {
		spans = append(spans, span{text: "\nFAILED USERS\n"})
		spans = append(spans, layout(fails, []column{1: {give: giveID}, 5: {give: giveText}}, st.width)...)
	}
	return writeSpans(out, spans)
}

func row(cells ...string) []span {
	r := make([]span, len(cells))
	for i, c := range cells {
		r[i] = span{text: escapeControls(c)} // escaped first, so that widths are those shown
	}
	return r
}

// layout aligns rows in columns two spaces apart, with no space at a line's end; rows[0] is the
// header, cols says how each column gives way (missing: giveLast, no short header). Widths are display
// widths (a CJK character takes two columns). When width > 0 and the lines are wider, the table gives
// way in rounds until its lines fit: ids are shortened in the middle to minIDWidth, headers take their
// short form, free text is cut to minTextWidth, the other columns to minCutWidth, then free text to its
// header's width. In each round the widest column gives a column at a time. No header is cut: a
// terminal too narrow for all that gets the lines as narrow as they get.
func layout(rows [][]span, cols []column, width int) []span {
	n := len(rows[0])
	if !slices.ContainsFunc(rows[1:], func(r []span) bool { return r[n-1].text != "" }) {
		n-- // a last column empty in every row (no job has a NOTE) is left out, header and all
		for i := range rows {
			rows[i] = rows[i][:n]
		}
	}
	col := make([]column, n)
	copy(col, cols)
	widest := func(i int) int {
		w := 0
		for _, r := range rows {
			w = max(w, runewidth.StringWidth(r[i].text))
		}
		return w
	}
	w := make([]int, n)
	for i := range w {
		w[i] = widest(i)
	}
	total := func() int {
		t := 2 * (n - 1)
		for _, x := range w {
			t += x
		}
		return t
	}
	if width > 0 && total() > width {
		whole := slices.Clone(w)
		// shrink takes a column at a time from the widest column of the kind above its floor.
		shrink := func(kind give, floor func(header int) int) {
			for over := total() - width; over > 0; over-- {
				k := -1
				for i := range n {
					if col[i].give == kind && w[i] > floor(runewidth.StringWidth(rows[0][i].text)) && (k < 0 || w[i] > w[k]) {
						k = i
					}
				}
				if k < 0 {
					return
				}
				w[k]--
			}
		}
		shrink(giveID, func(int) int { return minIDWidth })
		if total() > width {
			for i := range n {
				if col[i].short != "" {
					rows[0][i].text = col[i].short
					w[i] = widest(i)
					whole[i] = w[i]
				}
			}
		}
		shrink(giveText, func(h int) int { return max(h, minTextWidth) })
		shrink(giveLast, func(h int) int { return max(h, minCutWidth) })
		shrink(giveText, func(h int) int { return h })
		for i := range n { // the columns the short headers freed go back to the ids
			if col[i].give == giveID && total() < width {
				w[i] = min(whole[i], w[i]+width-total())
			}
		}
		for i := range n {
			for _, r := range rows[1:] {
				switch {
				case w[i] == whole[i]:
				case col[i].give == giveID:
					r[i].text = shortenMiddle(r[i].text, w[i])
				default:
					r[i].text = runewidth.Truncate(r[i].text, w[i], "…")
				}
			}
			w[i] = widest(i) // a wide character that did not fit leaves a cell a column narrower
		}
	}
	var out []span
	for _, r := range rows {
		last := n - 1
		for last > 0 && r[last].text == "" {
			last--
		}
		for i, c := range r[:last+1] {
			out = append(out, c)
			if i < last {
				out = append(out, span{text: strings.Repeat(" ", w[i]-runewidth.StringWidth(c.text)+2)})
			}
		}
		out = append(out, span{text: "\n"})
	}
	return out
}

// shortenMiddle shortens s to at most n columns by putting … in place of its middle: the ids of one
// vendor share their start (Webex's base64 of "ciscospark://us/JOB_ID/") and differ at the end, and a
// person compares both ends.
func shortenMiddle(s string, n int) string {
	room := n - runewidth.StringWidth("…")
	if runewidth.StringWidth(s) <= n || room < 2 {
		return s
	}
	head := runewidth.Truncate(s, room/2, "")
	return head + "…" + runewidth.TruncatePrefix(s, room-runewidth.StringWidth(head), "")
}

// stateColour is the SGR parameters a state is shown in on a terminal: green for success, red for
// failure, yellow for partial success; the states on the way are left as they are.
func stateColour(s sdk.State) string {
	switch s {
	case sdk.StateSucceeded:
		return "32"
	case sdk.StateFailed, sdk.StateCanceled:
		return "31"
	case sdk.StatePartiallySucceeded:
		return "33"
	}
	return ""
}

// note is a table row's NOTE: what kind of error ended the job's wait, in a few words. The error
// itself is printed once, on stderr with the others (see summarize), and whole in --output json.
func note(o outcome) string {
	if !o.endedInError() {
		return ""
	}
	var (
		api *sdk.APIError
		fe  *sdk.FailuresError
	)
	switch {
	case errors.Is(o.err, errInterrupted):
		return "interrupted"
	case errors.Is(o.err, sdk.ErrWaitTimeout):
		return "wait timed out (see error below)"
	case errors.As(o.err, &fe):
		return "failed users unread (see error below)"
	case errors.As(o.err, &api) && api.StatusCode != 0:
		return fmt.Sprintf("HTTP %d (see error below)", api.StatusCode)
	}
	return "error (see error below)"
}

func num(p *int) string {
	if p == nil {
		return "-"
	}
	return strconv.Itoa(*p)
}

func pct(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", *p*100)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// invalidInput reports whether err is the sdk refusing what it was given (a job id that is not one
// path segment, say) before sending anything: a usage error. A vendor's own 400 answer is an
// *sdk.APIError, and stays an API error.
func invalidInput(err error) bool {
	var ae *sdk.APIError
	return errors.Is(err, sdk.ErrInvalidInput) && !errors.As(err, &ae)
}

// exitFor is the exit code one job's end calls for.
func exitFor(o outcome) int {
	switch {
	case errors.Is(o.err, errInterrupted):
		return exitInterrupted
	case errors.Is(o.err, sdk.ErrWaitTimeout) || errors.Is(o.err, context.DeadlineExceeded):
		return exitTimeout
	case jobEnded(o.err):
		return exitFailed
	case invalidInput(o.err):
		return exitUsage
	case o.err != nil:
		return exitAPI
	case o.job == nil:
		return exitOK
	case o.job.State == sdk.StatePartiallySucceeded:
		return exitPartial
	case o.job.State == sdk.StateFailed || o.job.State == sdk.StateCanceled:
		return exitFailed
	}
	return exitOK
}

// severity orders exit codes for many jobs: an interrupt is worst, then a job id the sdk refused (the
// input needs mending), an error (state unknown), a timeout, a failed job, a partial one.
func severity(code int) int {
	switch code {
	case exitInterrupted:
		return 6
	case exitUsage:
		return 5
	case exitAPI:
		return 4
	case exitTimeout:
		return 3
	case exitFailed:
		return 2
	case exitPartial:
		return 1
	}
	return 0
}

func worst(codes ...int) int {
	w := exitOK
	for _, c := range codes {
		if severity(c) > severity(w) {
			w = c
		}
	}
	return w
}

// Limits of the error summary: stderr gets a few KB however many jobs failed; the JSON lines keep every
// job's whole error.
const (
	summaryGroups   = 5   // causes shown
	summaryExamples = 3   // job ids shown per cause
	summaryCause    = 400 // bytes of a cause's text
	summaryID       = 80  // bytes of an example id
)

// summarize groups the errors of jobs that ended in one (not the failed jobs, which the output lists)
// by cause: a job alone in its group is named with its whole error; "N jobs: cause (e.g. a, b, c)"
// stands for many that failed alike. Nil when no job ended in an error, or only in an interrupt, which
// run reports once.
func summarize(outs []outcome) error {
	type group struct {
		cause, first string // first: the whole error of the group's first job
		vendors      map[string]bool
		ids          []string
		n            int
	}
	var groups []*group
	byCause := map[string]*group{}
	total := 0
	for _, o := range outs {
		if !o.endedInError() || errors.Is(o.err, errInterrupted) {
			continue
		}
		cause := causeOf(o)
		if len(o.id) >= 4 && strings.Contains(cause, o.id) { // a shorter id would match inside other words
			cause = strings.ReplaceAll(cause, o.id, "{id}")
		}
		g := byCause[cause]
		if g == nil {
			msg := oneLine(o.err.Error()) // only the first job of a group is shown whole
			if o.id != "" && !strings.Contains(msg, o.id) {
				msg = fmt.Sprintf("%s job %s: %s", o.vendor, o.id, msg)
			}
			g = &group{cause: cause, first: msg, vendors: map[string]bool{}}
			byCause[cause] = g
			groups = append(groups, g)
		}
		g.n++
		g.vendors[o.vendor] = true
		total++
		if len(g.ids) < summaryExamples {
			g.ids = append(g.ids, o.id)
		}
	}
	if total == 0 {
		return nil
	}
	slices.SortStableFunc(groups, func(a, b *group) int { return b.n - a.n })
	var lines []string
	shown := 0
	for i, g := range groups {
		if i == summaryGroups {
			lines = append(lines, fmt.Sprintf("and %d more jobs with %d other errors (see each job's \"error\" in --output json)", total-shown, len(groups)-i))
			break
		}
		shown += g.n
		if g.n == 1 {
			lines = append(lines, clip(g.first, summaryCause+summaryID))
			continue
		}
		ids := make([]string, len(g.ids))
		for k, id := range g.ids {
			ids[k] = clip(id, summaryID)
		}
		vendor := ""
		if len(g.vendors) == 1 {
			for v := range g.vendors {
				vendor = v + " "
			}
		}
		lines = append(lines, fmt.Sprintf("%d %sjobs: %s (e.g. %s)", g.n, vendor, clip(g.cause, summaryCause), strings.Join(ids, ", ")))
	}
	return errors.New(strings.Join(lines, "\n"))
}

// causeOf is what jobs that failed alike share: for a wait that timed out, its last error's root cause
// ("connection refused"), not the durations and URLs that differ from job to job.
func causeOf(o outcome) string {
	var na *unansweredError
	switch {
	case errors.As(o.err, &na):
		if na.others == nil {
			return "wait timed out before the job's first answer"
		}
		// Grouped with the jobs whose own requests failed so: the same reason, as far as anyone can tell.
		return "wait timed out; last error: " + rootCause(na.others)
	case !errors.Is(o.err, sdk.ErrWaitTimeout):
		return rootCause(o.err)
	}
	if last := timeoutCause(o.err); last != nil {
		return "wait timed out; last error: " + rootCause(last)
	}
	if o.job != nil {
		return fmt.Sprintf("wait timed out (last state %s)", o.job.State)
	}
	return "wait timed out"
}

// timeoutCause is the last poll error a timed-out wait's error wraps, nil when none: the error below
// the innermost one that matches sdk.ErrWaitTimeout.
func timeoutCause(err error) error {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if next := errors.Unwrap(e); errors.Is(e, sdk.ErrWaitTimeout) && !errors.Is(next, sdk.ErrWaitTimeout) {
			return next
		}
	}
	return nil
}

// rootCause is the innermost error of a chain (a transport error's "connection refused"), or the
// vendor's answer where there is one, whose status and code say more than the error kind beneath.
func rootCause(err error) string {
	for {
		next := errors.Unwrap(err) // nil at an *sdk.APIError, whose Unwrap lists its kind and cause
		if ae, ok := err.(*sdk.APIError); ok && noAnswer(ae) {
			next = ae.Unwrap()[0] // why no answer came is its one cause
		}
		if next == nil {
			return oneLine(err.Error())
		}
		err = next
	}
}

// noAnswer reports whether e is a call that got no answer (refused, reset, timed out): the sdk then says
// "<vendor> <operation>: transport: <cause>", with the cause as its only unwrapped error.
func noAnswer(e *sdk.APIError) bool {
	return e.StatusCode == 0 && len(e.Unwrap()) == 1 && strings.HasPrefix(e.Error(), e.Vendor+" "+e.Operation+": transport: ")
}

// unansweredError is a job whose wait the command's deadline ended before it got any answer, as when a
// watch of many jobs against a dead host runs out of time before reaching them. It is a timeout (exit 5);
// others is the last error other jobs' requests met, the likely reason.
type unansweredError struct {
	*cutShortError
	others error
}

func (e *unansweredError) Error() string {
	s := e.cutShortError.Error() + " before the job's first answer"
	if e.others != nil {
		s += "; other jobs' requests failed with: " + rootCause(e.others)
	}
	return s
}

func (e *unansweredError) Unwrap() error { return e.cutShortError }

// cutShortError is the timeout of a job whose wait the command's deadline ended before the Watcher
// reported it, worded as the sdk words a timed-out wait.
type cutShortError struct {
	vendor, id string
	waited     time.Duration
	job        *sdk.Job // the last job seen, nil for none
}

func (e *cutShortError) Error() string {
	s := fmt.Sprintf("%s job %s: %v after %s", e.vendor, e.id, sdk.ErrWaitTimeout, e.waited.Round(time.Millisecond))
	if e.job != nil {
		s += fmt.Sprintf(" (last state %s)", e.job.State)
	}
	return s
}

// Is matches sdk.ErrWaitTimeout and context.DeadlineExceeded, as the sdk's timeout does.
func (e *cutShortError) Is(target error) bool {
	return target == sdk.ErrWaitTimeout || target == context.DeadlineExceeded
}

// clip shortens s to at most n bytes, on a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
