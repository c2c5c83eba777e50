package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/jobwatch/jobwatch/contract"
)

// exitNothingChecked is the exit code of a contract run that checked no exchange (every one skipped,
// or none recorded): a CI must not take it for green. --allow-empty makes it 0.
const exitNothingChecked = 7

// verdictAccepted counts the violations a waiver (--accept) covers.
const verdictAccepted = "accepted"

// Bounds of the log: a clean run of any size, or one with many alike violations, stays readable in a
// CI log (GitLab cuts at 4 MiB). Reports (--report) and --verbose hold everything.
const (
	logViolations = 40
	logSecrets    = 10
	logGroups     = 20
)

// contractSettings are the flags that decide a contract run's verdict and its reports.
type contractSettings struct {
	vendor       string
	output       string
	verbose      bool
	allowEmpty   bool
	allowSecrets bool
	reports      []reportSpec
	waivers      []waiver
}

// reportSpec is one --report: junit=FILE, json=FILE or github.
type reportSpec struct{ kind, file string }

func parseReport(s string) (reportSpec, error) {
	kind, file, hasFile := strings.Cut(s, "=")
	switch {
	case kind == "github" && !hasFile:
		return reportSpec{kind: kind}, nil
	case (kind == "junit" || kind == "json") && file != "":
		return reportSpec{kind: kind, file: file}, nil
	}
	return reportSpec{}, usagef("--report %q: want junit=FILE, json=FILE or github", s)
}

// waiver is one line of an --accept file: a known violation that does not fail the run.
type waiver struct {
	Operation string `json:"operation"`
	Pointer   string `json:"pointer"`
	Reason    string `json:"reason"`
	hits      int
}

// readWaivers reads an --accept file: one waiver a line, "OPERATION POINTER REASON", where POINTER is
// the JSON pointer of the violation ("-" for one about no field, e.g. a status or a header); blank
// lines and lines starting with # are comments.
func readWaivers(path string) ([]waiver, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--accept: %w", err)
	}
	defer f.Close()
	var out []waiver
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 3 {
			return nil, usagef("--accept %s line %d: want OPERATION POINTER REASON (POINTER - for none)", path, n)
		}
		ptr := fields[1]
		if ptr == "-" {
			ptr = ""
		} else if !strings.HasPrefix(ptr, "/") {
			return nil, usagef("--accept %s line %d: pointer %q must start with / (or be -)", path, n, ptr)
		}
		out = append(out, waiver{Operation: fields[0], Pointer: ptr, Reason: strings.Join(fields[2:], " ")})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("--accept %s: %w", path, err)
	}
	return out, nil
}

// checked is one exchange's verdict with where it was read from.
type checked struct {
	Input string `json:"input,omitempty"`
	contract.Result
	// Accepted holds the reasons of the waivers that cover the violation.
	Accepted []string `json:"accepted,omitempty"`
}

// contractRun gathers the verdicts of a run: counts for every exchange, and the exchanges the log and
// the reports name (violations, accepted ones, recordings holding secrets). It holds no body.
type contractRun struct {
	set  contractSettings
	out  io.Writer
	mu   sync.Mutex
	seen int
	// counts by verdict (with verdictAccepted); byOp by operation then verdict; skipped by reason.
	counts      map[string]int
	byOp        map[string]map[string]int
	skipped     map[string]int
	notChecked  int
	violations  []checked
	accepted    []checked
	secrets     []checked
	secretCount int
	inputs      []string
}

func newContractRun(set contractSettings, out io.Writer) *contractRun {
	return &contractRun{set: set, out: out, counts: map[string]int{}, byOp: map[string]map[string]int{}, skipped: map[string]int{}}
}

// add records one verdict; with --verbose or --output json it prints it at once.
func (r *contractRun) add(input string, res contract.Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen++
	c := checked{Input: input, Result: res}
	verdict := res.Result
	if verdict == contract.ResultViolation && r.waive(&c) {
		verdict = verdictAccepted
	}
	r.counts[verdict]++
	op := res.Operation
	if op == "" {
		op = "(no operation)"
	}
	if r.byOp[op] == nil {
		r.byOp[op] = map[string]int{}
	}
	r.byOp[op][verdict]++
	switch verdict {
	case contract.ResultSkipped:
		r.skipped[res.Reason]++
	case contract.ResultViolation:
		r.violations = append(r.violations, c)
	case verdictAccepted:
		r.accepted = append(r.accepted, c)
	}
	if res.Security == contract.SecurityNotChecked {
		r.notChecked++
	}
	if len(res.Findings) > 0 {
		r.secretCount++
		r.secrets = append(r.secrets, c)
	}
	switch {
	case r.set.output == "json":
		b, _ := json.Marshal(c)
		fmt.Fprintf(r.out, "%s\n", b)
	case r.set.verbose:
		r.printVerdict(c, verdict)
	}
}

// waive marks c accepted when waivers cover every issue of it.
func (r *contractRun) waive(c *checked) bool {
	var reasons []string
	var hit []*waiver
	for _, is := range c.Errors {
		i := slices.IndexFunc(r.set.waivers, func(w waiver) bool { return w.Operation == c.Operation && w.Pointer == is.Pointer })
		if i < 0 {
			return false
		}
		hit = append(hit, &r.set.waivers[i])
		reasons = append(reasons, r.set.waivers[i].Reason)
	}
	if len(hit) == 0 {
		return false
	}
	for _, w := range hit {
		w.hits++
	}
	c.Accepted = slices.Compact(reasons)
	return true
}

// label names an exchange on a log line: input and index, method, host and path, action, status.
func label(c checked) string {
	var b strings.Builder
	if c.Input != "" {
		b.WriteString(c.Input)
	}
	fmt.Fprintf(&b, "#%d %s %s%s", c.Index, c.Method, c.Host, c.Path)
	if c.Action != "" {
		fmt.Fprintf(&b, " action=%s", c.Action)
	} else if c.Operation != "" {
		fmt.Fprintf(&b, " (%s)", c.Operation)
	}
	if c.Status != 0 {
		fmt.Fprintf(&b, " %d", c.Status)
	}
	return logText(b.String())
}

// logText makes recorded text safe for one log line: control characters (a terminal escape a hostile
// recording could hold) become spaces, and runs of white space one.
func logText(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

func issueText(is contract.ResultIssue) string {
	ptr := is.Pointer
	if ptr == "" {
		ptr = "-"
	}
	return logText(is.Part + " " + ptr + ": " + is.Message)
}

func (r *contractRun) printVerdict(c checked, verdict string) {
	switch verdict {
	case contract.ResultSkipped:
		fmt.Fprintf(r.out, "skipped %s: %s\n", label(c), logText(c.Reason))
	case contract.ResultOK:
		fmt.Fprintf(r.out, "ok %s\n", label(c))
	default:
		for _, is := range c.Errors {
			fmt.Fprintf(r.out, "%s %s %s\n", verdict, label(c), issueText(is))
		}
	}
	if c.Security == contract.SecurityNotChecked {
		fmt.Fprintf(r.out, "not checked for security %s (the recording has no credentials; --check-security checks them)\n", label(c))
	}
	for _, f := range c.Findings {
		fmt.Fprintf(r.out, "%s %s: %s (value not shown)\n", contract.FindingSecret, label(c), logText(f.Where))
	}
}

// checkedCount is how many exchanges were checked (not skipped).
func (r *contractRun) checkedCount() int {
	return r.counts[contract.ResultOK] + r.counts[contract.ResultViolation] + r.counts[verdictAccepted]
}

// exitCode is the run's verdict: 6 on a violation no waiver covers or a recording holding secrets
// (unless --allow-secrets), 7 when nothing was checked (unless --allow-empty), else 0.
func (r *contractRun) exitCode() int {
	switch {
	case r.counts[contract.ResultViolation] > 0, r.secretCount > 0 && !r.set.allowSecrets:
		return exitViolation
	case r.checkedCount() == 0 && !r.set.allowEmpty:
		return exitNothingChecked
	}
	return exitOK
}

func verdictName(code int) string {
	switch code {
	case exitViolation:
		return contract.ResultViolation
	case exitNothingChecked:
		return "nothing_checked"
	}
	return contract.ResultOK
}

// finish prints the log's end (violations first unless already printed, then the grouped summary)
// and writes the reports. It returns the exit code.
func (r *contractRun) finish(stderr io.Writer) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	code := r.exitCode()
	if r.set.output == "json" {
		b, err := json.Marshal(map[string]any{"summary": r.summary(code)})
		if err != nil {
			return exitAPI, err
		}
		fmt.Fprintf(r.out, "%s\n", b)
	} else {
		r.printLog(code)
	}
	var errs []error
	for _, rep := range r.set.reports {
		var err error
		switch rep.kind {
		case "junit":
			err = writeFileWith(rep.file, func(w io.Writer) error { return r.writeJUnit(w, code) })
		case "json":
			err = writeFileWith(rep.file, func(w io.Writer) error {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(r.summary(code))
			})
		case "github":
			r.writeGitHub(r.out, code)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("--report %s=%s: %w", rep.kind, rep.file, err))
		}
	}
	for _, err := range errs {
		fmt.Fprintf(stderr, "jobwatch contract: %s\n", err)
	}
	if len(errs) > 0 && code == exitOK {
		return exitAPI, errs[0]
	}
	return code, nil
}

func writeFileWith(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	if err := write(bw); err != nil {
		f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// printLog writes the bounded log: violations first (unless --verbose printed them), then secrets,
// accepted violations and stale waivers, then one line per group.
func (r *contractRun) printLog(code int) {
	w := r.out
	if !r.set.verbose {
		lines := 0
		for _, c := range r.violations {
			for _, is := range c.Errors {
				if lines < logViolations {
					fmt.Fprintf(w, "violation %s %s\n", label(c), issueText(is))
				}
				lines++
			}
		}
		if lines > logViolations {
			fmt.Fprintf(w, "... %d more violation lines (--verbose or --report json=FILE lists them all)\n", lines-logViolations)
		}
		for i, c := range r.secrets {
			if i == logSecrets {
				fmt.Fprintf(w, "... %d more exchanges holding credentials\n", len(r.secrets)-logSecrets)
				break
			}
			where := make([]string, len(c.Findings))
			for k, f := range c.Findings {
				where[k] = f.Where
			}
			fmt.Fprintf(w, "%s %s: %s (values not shown)\n", contract.FindingSecret, label(c), logText(strings.Join(where, ", ")))
		}
		if len(r.accepted) > 0 {
			fmt.Fprintf(w, "%d violations accepted by --accept (e.g. %s: %s)\n", len(r.accepted), label(r.accepted[0]), logText(strings.Join(r.accepted[0].Accepted, "; ")))
		}
	}
	for _, wv := range r.set.waivers {
		if wv.hits == 0 {
			fmt.Fprintf(w, "stale waiver: %s %s (%s) no longer occurs\n", wv.Operation, orDash(wv.Pointer), logText(wv.Reason))
		}
	}
	// The grouped summary.
	ops := sortedKeys(r.byOp)
	for i, op := range ops {
		if i == logGroups {
			fmt.Fprintf(w, "... %d more operations\n", len(ops)-logGroups)
			break
		}
		for _, v := range []string{contract.ResultOK, contract.ResultViolation, verdictAccepted} {
			if n := r.byOp[op][v]; n > 0 {
				fmt.Fprintf(w, "%d exchanges %s: %s\n", n, v, logText(op))
			}
		}
	}
	reasons := sortedKeys(r.skipped)
	slices.SortStableFunc(reasons, func(a, b string) int { return r.skipped[b] - r.skipped[a] })
	for i, reason := range reasons {
		if i == logGroups {
			fmt.Fprintf(w, "... %d more skip reasons\n", len(reasons)-logGroups)
			break
		}
		fmt.Fprintf(w, "%d skipped: %s\n", r.skipped[reason], logText(reason))
	}
	if r.notChecked > 0 {
		fmt.Fprintf(w, "%d exchanges not checked for security (the recording has no credentials; --check-security checks them)\n", r.notChecked)
	}
	if r.secretCount > 0 {
		what := "fail the run (--allow-secrets accepts them)"
		if r.set.allowSecrets {
			what = "allowed by --allow-secrets"
		}
		fmt.Fprintf(w, "%d exchanges hold credentials (%s): %s\n", r.secretCount, contract.FindingSecret, what)
	}
	fmt.Fprintf(w, "%d exchanges: %d ok, %d violating, %d skipped", r.seen, r.counts[contract.ResultOK], r.counts[contract.ResultViolation], r.counts[contract.ResultSkipped])
	if n := r.counts[verdictAccepted]; n > 0 {
		fmt.Fprintf(w, ", %d accepted", n)
	}
	fmt.Fprintln(w)
	if code == exitNothingChecked {
		fmt.Fprintf(w, "nothing was checked: no exchange matched an operation of the %s spec (exit %d; --allow-empty accepts this)\n", r.set.vendor, exitNothingChecked)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// summary is the --report json object and the last line of --output json.
func (r *contractRun) summary(code int) map[string]any {
	var stale []waiver
	for _, w := range r.set.waivers {
		if w.hits == 0 {
			stale = append(stale, w)
		}
	}
	secrets := make([]map[string]any, 0, len(r.secrets))
	for _, c := range r.secrets {
		secrets = append(secrets, map[string]any{"input": c.Input, "index": c.Index, "method": c.Method, "host": c.Host, "path": c.Path, "findings": c.Findings})
	}
	counts := map[string]int{contract.ResultOK: 0, contract.ResultViolation: 0, contract.ResultSkipped: 0, verdictAccepted: 0}
	for k, v := range r.counts {
		counts[k] = v
	}
	return map[string]any{
		"vendor":                   r.set.vendor,
		"inputs":                   nonNil(r.inputs),
		"exchanges":                r.seen,
		"checked":                  r.checkedCount(),
		"counts":                   counts,
		"operations":               r.byOp,
		"skipped":                  r.skipped,
		"not_checked_for_security": r.notChecked,
		"violations":               nonNil(r.violations),
		"accepted":                 nonNil(r.accepted),
		"stale_waivers":            nonNil(stale),
		"secrets":                  secrets,
		"secrets_allowed":          r.set.allowSecrets,
		"verdict":                  verdictName(code),
		"exit_code":                code,
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
