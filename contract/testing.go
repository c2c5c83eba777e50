package contract

import (
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
)

// TB is the part of *testing.T (and *testing.B, *testing.F) that ForTest reports to; contract does
// not import package testing, which would weigh on every program that checks traffic.
type TB interface {
	Fail()
	// Output is where the test's messages go, without a source location: ForTest names the caller's.
	Output() io.Writer
}

// ForTest returns a Transport for vendor's specs, over base (nil: http.DefaultTransport), that fails
// t on each violation with a message that starts with the file and line of the test's code that made
// the request, as t.Errorf would from the test itself, though the request went through an SDK and
// net/http. Undocumented endpoints are skipped, as in a HAR check; set UndocumentedIsViolation on the
// result to fail on them.
func ForTest(t TB, vendor string, base http.RoundTripper) (*Transport, error) {
	tr, err := NewTransport(vendor, base, nil)
	if err != nil {
		return nil, err
	}
	tr.OnViolation = func(v Violation) {
		// Called from RoundTrip, on the goroutine that made the request: its stack leads to the test.
		fmt.Fprintf(t.Output(), "%s: %v\n", callerLine(), v.Err)
		t.Fail()
	}
	return tr, nil
}

// callerLine is "file:line" of the frame that made the current request: the first in a _test.go
// file, else the first outside the standard library and this module's packages.
func callerLine() string {
	pcs := make([]uintptr, 64)
	n := runtime.Callers(3, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	fallback := ""
	for {
		f, more := frames.Next()
		if strings.HasSuffix(f.File, "_test.go") {
			return filepath.Base(f.File) + fmt.Sprint(":", f.Line)
		}
		if fallback == "" && f.File != "" && !ownOrStd(f.Function) {
			fallback = filepath.Base(f.File) + fmt.Sprint(":", f.Line)
		}
		if !more {
			break
		}
	}
	if fallback == "" {
		return "(unknown caller)"
	}
	return fallback
}

// ownOrStd reports whether fn is in the standard library or in jobwatch itself.
func ownOrStd(fn string) bool {
	if strings.HasPrefix(fn, "github.com/jobwatch/jobwatch/") {
		return true
	}
	dir, name := "", fn
	if i := strings.LastIndex(fn, "/"); i >= 0 {
		dir, name = fn[:i+1], fn[i+1:]
	}
	pkg, _, _ := strings.Cut(name, ".")
	pkg = dir + pkg
	first, _, _ := strings.Cut(pkg, "/")
	return pkg != "main" && !strings.Contains(first, ".")
}
