package main

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/jobwatch/jobwatch/contract"
)

// JUnit XML, as GitLab, Jenkins and the GitHub test-report actions read it.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// writeJUnit writes one testcase per operation and verdict (ok, violation, accepted), one per skip
// reason, one for the credentials found and one for an empty run. A failure lists every violating
// exchange with the pointer and the message.
func (r *contractRun) writeJUnit(w io.Writer, code int) error {
	class := "jobwatch.contract." + r.set.vendor
	var cases []junitCase
	byOp := map[string][]checked{}
	for _, c := range r.violations {
		byOp[c.Operation] = append(byOp[c.Operation], c)
	}
	accByOp := map[string][]checked{}
	for _, c := range r.accepted {
		accByOp[c.Operation] = append(accByOp[c.Operation], c)
	}
	for _, op := range sortedKeys(r.byOp) {
		counts := r.byOp[op]
		if n := counts[contract.ResultOK]; n > 0 {
			cases = append(cases, junitCase{Name: op + ": ok", Classname: class, SystemOut: fmt.Sprintf("%d exchanges conform", n)})
		}
		if n := counts[contract.ResultViolation]; n > 0 {
			var b strings.Builder
			for _, c := range byOp[op] {
				for _, is := range c.Errors {
					fmt.Fprintf(&b, "%s %s\n", label(c), issueText(is))
				}
			}
			cases = append(cases, junitCase{Name: op + ": violation", Classname: class,
				Failure: &junitMessage{Message: fmt.Sprintf("%d exchanges violate the spec; first: %s", n, firstIssue(byOp[op])), Type: contract.ResultViolation, Text: b.String()}})
		}
		if n := counts[verdictAccepted]; n > 0 {
			var b strings.Builder
			for _, c := range accByOp[op] {
				for _, is := range c.Errors {
					fmt.Fprintf(&b, "%s %s (accepted: %s)\n", label(c), issueText(is), logText(strings.Join(c.Accepted, "; ")))
				}
			}
			cases = append(cases, junitCase{Name: op + ": accepted", Classname: class, SystemOut: fmt.Sprintf("%d violations accepted by --accept\n%s", n, b.String())})
		}
	}
	for _, reason := range sortedKeys(r.skipped) {
		n := r.skipped[reason]
		cases = append(cases, junitCase{Name: "skipped: " + logText(reason), Classname: class, Skipped: &junitMessage{Message: fmt.Sprintf("%d exchanges skipped: %s", n, logText(reason))}})
	}
	if r.secretCount > 0 {
		var b strings.Builder
		for _, c := range r.secrets {
			for _, f := range c.Findings {
				fmt.Fprintf(&b, "%s: %s\n", label(c), logText(f.Where))
			}
		}
		tc := junitCase{Name: contract.FindingSecret, Classname: class}
		msg := fmt.Sprintf("%d exchanges of the recording hold credentials (values not shown)", r.secretCount)
		if r.set.allowSecrets {
			tc.SystemOut = msg + " (allowed by --allow-secrets)\n" + b.String()
		} else {
			tc.Failure = &junitMessage{Message: msg, Type: contract.FindingSecret, Text: b.String()}
		}
		cases = append(cases, tc)
	}
	for _, wv := range r.set.waivers {
		if wv.hits == 0 {
			cases = append(cases, junitCase{Name: "stale waiver: " + wv.Operation + " " + orDash(wv.Pointer), Classname: class,
				Skipped: &junitMessage{Message: "accepted violation no longer occurs: " + logText(wv.Reason)}})
		}
	}
	if r.checkedCount() == 0 {
		tc := junitCase{Name: "exchanges checked", Classname: class}
		if code == exitNothingChecked {
			tc.Failure = &junitMessage{Message: "no exchange was checked against the spec", Type: "nothing_checked"}
		} else {
			tc.SystemOut = "no exchange was checked (allowed by --allow-empty)"
		}
		cases = append(cases, tc)
	}
	suite := junitSuite{Name: "jobwatch contract " + r.set.vendor, Tests: len(cases), Cases: cases}
	for _, c := range cases {
		if c.Failure != nil {
			suite.Failures++
		}
		if c.Skipped != nil {
			suite.Skipped++
		}
	}
	doc := junitSuites{Name: "jobwatch contract", Tests: suite.Tests, Failures: suite.Failures, Skipped: suite.Skipped, Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func firstIssue(cs []checked) string {
	for _, c := range cs {
		for _, is := range c.Errors {
			return issueText(is)
		}
	}
	return ""
}

// writeGitHub prints GitHub Actions workflow commands: an error annotation per violation line (the
// first logViolations), one for the credentials found, and a notice with the summary.
func (r *contractRun) writeGitHub(w io.Writer, code int) {
	file := ""
	if len(r.inputs) == 1 && r.inputs[0] != "-" {
		file = r.inputs[0]
	}
	props := func(title string) string {
		p := "title=" + ghProp(title)
		if file != "" {
			p = "file=" + ghProp(file) + "," + p
		}
		return p
	}
	lines := 0
	for _, c := range r.violations {
		for _, is := range c.Errors {
			if lines < logViolations {
				fmt.Fprintf(w, "::error %s::%s\n", props("contract violation: "+orDash(c.Operation)), ghData(label(c)+" "+issueText(is)))
			}
			lines++
		}
	}
	if r.secretCount > 0 {
		level := "error"
		if r.set.allowSecrets {
			level = "warning"
		}
		fmt.Fprintf(w, "::%s %s::%s\n", level, props(contract.FindingSecret), ghData(strconv.Itoa(r.secretCount)+" exchanges of the recording hold credentials (values not shown); remove them before committing it"))
	}
	if code == exitNothingChecked {
		fmt.Fprintf(w, "::error %s::%s\n", props("nothing checked"), ghData("no exchange matched an operation of the "+r.set.vendor+" spec"))
	}
	for _, wv := range r.set.waivers {
		if wv.hits == 0 {
			fmt.Fprintf(w, "::warning %s::%s\n", props("stale waiver"), ghData(wv.Operation+" "+orDash(wv.Pointer)+" no longer occurs: "+wv.Reason))
		}
	}
	fmt.Fprintf(w, "::notice %s::%s\n", props("jobwatch contract"), ghData(fmt.Sprintf("%d exchanges: %d ok, %d violating, %d accepted, %d skipped",
		r.seen, r.counts[contract.ResultOK], r.counts[contract.ResultViolation], r.counts[verdictAccepted], r.counts[contract.ResultSkipped])))
}

// ghData escapes a workflow command's message; ghProp a property value (GitHub's toolkit rules).
func ghData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func ghProp(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
