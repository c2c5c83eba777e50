package archtest

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// initLine matches one line of GODEBUG=inittrace=1: package, clock and allocations of its init.
var initLine = regexp.MustCompile(`^init (\S+) @\S+ \S+, ([0-9.]+) ms clock, \d+ bytes, (\d+) allocs$`)

// maxOurInitAllocs bounds the allocations of each of our packages' init in the CLI: a spec parsed at
// init (instead of on first use) costs thousands.
const maxOurInitAllocs = 500

// maxCLIInitAllocs bounds the allocations of every package init linked into the CLI, ours and our
// dependencies', which every command pays before it parses a flag: 1.3k with kin-openapi v0.135.0,
// 22.9k with v0.153.0 (see TestCLIStartupParsesNoSpec).
const maxCLIInitAllocs = 3000

// TestCLIStartupParsesNoSpec runs `jobwatch status --help` with GODEBUG=inittrace=1 and holds each of
// our packages' init under maxOurInitAllocs allocations, so that the specs are loaded only by the
// commands that use them (contract, simulate, demo). It logs the biggest inits, and fails if
// santhosh-tekuri/jsonschema/v6 is linked: it compiles its meta-schemas in its init (21k allocations,
// paid by every command), and kin-openapi imports it from v0.136.0 on, hence the pin at v0.135.0.
func TestCLIStartupParsesNoSpec(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the CLI")
	}
	bin := filepath.Join(t.TempDir(), "jobwatch")
	goCmd(t, repoRoot(t), nil, "build", "-o", bin, "./cmd/jobwatch")
	cmd := exec.Command(bin, "status", "--help")
	cmd.Env = []string{"GODEBUG=inittrace=1"}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	_ = cmd.Run() // --help may exit non-zero; the trace is what counts
	var total, seen int
	for _, line := range strings.Split(stderr.String(), "\n") {
		m := initLine.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		seen++
		allocs, _ := strconv.Atoi(m[3])
		total += allocs
		if allocs >= 300 {
			t.Logf("init %s: %s ms, %d allocs", m[1], m[2], allocs)
		}
		if strings.HasPrefix(m[1], "github.com/santhosh-tekuri/jsonschema") {
			t.Errorf("init of %s (%d allocs) runs in every command: keep kin-openapi at a version whose openapi3 does not import it", m[1], allocs)
		}
		if strings.HasPrefix(m[1], module+"/") && allocs > maxOurInitAllocs {
			t.Errorf("init of %s makes %d allocations (limit %d): load specs on first use, not at init", m[1], allocs, maxOurInitAllocs)
		}
	}
	if seen == 0 {
		t.Fatalf("no inittrace lines in:\n%s", stderr.String())
	}
	t.Logf("jobwatch status --help: %d package inits, %d allocations in all (limit %d)", seen, total, maxCLIInitAllocs)
	if total > maxCLIInitAllocs {
		t.Errorf("package inits of the CLI make %d allocations (limit %d): a dependency now does work at init that every command pays", total, maxCLIInitAllocs)
	}
}
