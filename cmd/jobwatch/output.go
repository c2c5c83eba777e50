package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/jobwatch/jobwatch/sdk"
)

// outcome is one job's end as a command reports it.
type outcome struct {
	vendor, id string
	job        *sdk.Job
	err        error
}

// jobLine is the JSON object written per job: the sdk.Job's keys, plus "error" when the job's wait
// ended in one (timeout, API error).
type jobLine struct {
	*sdk.Job
	Error string `json:"error,omitempty"`
}

func (o outcome) line() jobLine {
	j := o.job
	if j == nil {
		j = (&sdk.Job{Vendor: o.vendor, ID: o.id, State: sdk.StateUnknown}).Finish()
	}
	l := jobLine{Job: j}
	var je *sdk.JobError
	if o.err != nil && !errors.As(o.err, &je) {
		l.Error = o.err.Error()
	}
	return l
}

func writeJSON(w io.Writer, o outcome) error {
	b, err := json.Marshal(o.line())
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// writeTable writes the jobs, then every failed user, as aligned columns.
func writeTable(w io.Writer, outs []outcome) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VENDOR\tJOB\tSTATE\tTOTAL\tSUCCEEDED\tFAILED\tPENDING\tPROGRESS\tNOTE")
	var fails []string
	for _, o := range outs {
		l := o.line()
		j := l.Job
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", j.Vendor, j.ID, j.State, num(j.Counts.Total), num(j.Counts.Succeeded),
			num(j.Counts.Failed), num(j.Counts.Pending), pct(j.Progress), oneLine(l.Error))
		for _, f := range j.Failures {
			fails = append(fails, fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s", j.Vendor, j.ID, dash(f.User), dash(f.Action), dash(f.Code), oneLine(f.Message)))
		}
	}
	if err := tw.Flush(); err != nil || len(fails) == 0 {
		return err
	}
	fmt.Fprintln(w, "\nFAILED USERS")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VENDOR\tJOB\tUSER\tACTION\tCODE\tMESSAGE")
	for _, f := range fails {
		fmt.Fprintln(tw, f)
	}
	return tw.Flush()
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

// exitFor is the exit code one job's end calls for.
func exitFor(o outcome) int {
	var je *sdk.JobError
	switch {
	case errors.Is(o.err, sdk.ErrWaitTimeout) || errors.Is(o.err, context.DeadlineExceeded):
		return exitTimeout
	case errors.As(o.err, &je):
		return exitFailed
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

// severity orders exit codes for many jobs: an error (state unknown) is worst, then a timeout, a failed
// job, a partial one.
var severity = map[int]int{exitOK: 0, exitPartial: 1, exitFailed: 2, exitTimeout: 3, exitAPI: 4}

func worst(codes ...int) int {
	w := exitOK
	for _, c := range codes {
		if severity[c] > severity[w] {
			w = c
		}
	}
	return w
}
