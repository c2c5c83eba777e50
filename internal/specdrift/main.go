// Command specdrift compares each handwritten spec under specs/ with the vendor's machine-readable
// definition kept under specs/upstream/ and lists every difference, field by field: operations,
// parameters, request and answer bodies, types, formats, required, nullable and enums.
//
//	go run ./internal/specdrift            list the differences; exit 1 on any not in accepted.txt
//	go run ./internal/specdrift -all       also list the accepted ones, with their reasons
//
// Differences we accept are listed in specs/upstream/accepted.txt, one a line:
//
//	<vendor> <spec file>: <difference> | <why we accept it>
//
// where `*` in the difference matches any text. A line without a reason is an error. This is how a
// vendor's next release reaches us: drop in the new upstream file, run `make spec-drift`, read the drift,
// edit the spec, `make generate`.
//
// Adding a vendor is one entry of table(): the spec, the upstream file, and the readers of each side
// (OpenAPI through kin-openapi, or a reader of another format such as Tencent's api.json or the reference
// excerpts transcribed from a vendor's REST reference pages).
//
// Exit status: 0 no new difference, 1 new differences, 2 the inputs could not be read.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
)

// source is one comparison: a handwritten spec and the upstream definition it is held to.
type source struct {
	// Vendor names the vendor in the report.
	Vendor string
	// Spec is the handwritten spec, relative to the specs directory.
	Spec string
	// Upstream is the vendor's definition (an excerpt), relative to the specs directory.
	Upstream string
	// Ours reads the handwritten spec into operations.
	Ours reader
	// Theirs reads the upstream definition into operations.
	Theirs reader
}

// reader turns a file into operations keyed as the two sides of a source share them.
type reader func(path string) (map[string]*operation, error)

// table is every comparison `make spec-drift` makes. One entry per spec: add a vendor here.
func table() []source {
	return []source{
		{Vendor: "webex", Spec: "webex.yaml", Upstream: "upstream/webex-moveusers.openapi.yaml", Ours: readOpenAPI, Theirs: readOpenAPI},
		{Vendor: "tencent", Spec: "tencent.yaml", Upstream: "upstream/tencent-ciam-20220331.api.json", Ours: readTencentSpec, Theirs: readTencentAPI("ListJobs")},
		{Vendor: "tencent", Spec: "tencent-createapiimportuserjob.yaml", Upstream: "upstream/tencent-ciam-20220331.api.json", Ours: readTencentSpec, Theirs: readTencentAPI("CreateApiImportUserJob")},
		// Oracle's OpenAPI document cannot be read here and Huawei publishes none: both are compared with
		// excerpts transcribed from their reference pages (see specs/SOURCES.md).
		{Vendor: "oracle", Spec: "oracle.yaml", Upstream: "upstream/oracle-reference.json", Ours: readOpenAPIFull, Theirs: readReference},
		{Vendor: "huawei", Spec: "huawei.yaml", Upstream: "upstream/huawei-reference.json", Ours: readOpenAPIFull, Theirs: readReference},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, table()))
}

func run(args []string, stdout, stderr io.Writer, sources []source) int {
	fs := flag.NewFlagSet("specdrift", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("specs", "specs", "directory of the handwritten specs (upstream files are relative to it)")
	acceptedPath := fs.String("accepted", "", "file of accepted differences (default <specs>/upstream/accepted.txt)")
	all := fs.Bool("all", false, "list the accepted differences too")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *acceptedPath == "" {
		*acceptedPath = filepath.Join(*dir, "upstream", "accepted.txt")
	}
	acc, err := readAccepted(*acceptedPath)
	if err != nil {
		fmt.Fprintln(stderr, "specdrift:", err)
		return 2
	}
	total, newOnes := 0, 0
	for _, s := range sources {
		diffs, err := compareSource(*dir, s)
		if err != nil {
			fmt.Fprintln(stderr, "specdrift:", err)
			return 2
		}
		sort.Strings(diffs)
		n := 0
		for _, d := range diffs {
			a := acc.match(d)
			switch {
			case a == nil:
				n++
				fmt.Fprintln(stdout, "NEW      "+d)
			case *all:
				fmt.Fprintf(stdout, "accepted %s\n         because %s\n", d, a.reason)
			}
		}
		fmt.Fprintf(stdout, "compared %s %s with %s: %d differences, %d accepted, %d new\n", s.Vendor, s.Spec, s.Upstream, len(diffs), len(diffs)-n, n)
		total += len(diffs)
		newOnes += n
	}
	for _, a := range acc.unused() {
		fmt.Fprintf(stdout, "unused   %s:%d: %s (no such difference any more: remove the line)\n", *acceptedPath, a.line, a.pattern)
	}
	fmt.Fprintf(stdout, "%d differences between the specs and the upstream definitions, %d accepted, %d new\n", total, total-newOnes, newOnes)
	if newOnes > 0 {
		fmt.Fprintf(stdout, "each new difference is either a spec to correct (then `make generate`) or a line to add to %s with a reason\n", *acceptedPath)
		return 1
	}
	return 0
}

// compareSource reads both sides of s and lists their differences, each prefixed with the vendor and spec.
func compareSource(dir string, s source) ([]string, error) {
	ours, err := s.Ours(filepath.Join(dir, s.Spec))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Spec, err)
	}
	theirs, err := s.Theirs(filepath.Join(dir, s.Upstream))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Upstream, err)
	}
	var out []string
	for _, d := range compareOps(theirs, ours) {
		out = append(out, s.Vendor+" "+s.Spec+": "+d)
	}
	return out, nil
}
