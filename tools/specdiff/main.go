// Command specdiff reports breaking changes of the OpenAPI specs with oasdiff (pinned in tools/go.mod,
// run with go run) and checks that each one is recorded in specs/CHANGELOG.md. It lives in the tools
// module, so it runs from there and -repo names the checkout (the Makefile passes it):
//
//	-base REF   breaking changes between each spec at REF and the working copy
//	-check      every breaking change in the history of specs/ (and in the working copy) must have a
//	            line in specs/CHANGELOG.md naming the spec file and the change id
//
//	GOWORK=off go -C tools run ./specdiff -repo .. -check
//
// It exits 1 when it finds a breaking change (-base) or an unrecorded one (-check).
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

const changelog = "specs/CHANGELOG.md"

type change struct {
	ID        string `json:"id"`
	Text      string `json:"text"`
	Level     int    `json:"level"`
	Operation string `json:"operation"`
	Path      string `json:"path"`
}

// differ runs git in repo and oasdiff from modRoot, the module that pins it.
type differ struct {
	repo, modRoot string
}

func main() {
	base := flag.String("base", "", "git ref to compare the working copy's specs with")
	check := flag.Bool("check", false, "check that every breaking change in the history is in "+changelog)
	repo := flag.String("repo", "..", "the jobwatch checkout whose specs/ are checked (default: the parent of the tools module)")
	flag.Parse()
	var err error
	code := 0
	d := differ{repo: *repo, modRoot: "."}
	switch {
	case *check:
		code, err = d.checkHistory(os.Stdout)
	case *base != "":
		code, err = d.diffBase(os.Stdout, *base)
	default:
		err = fmt.Errorf("give -base REF or -check")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "specdiff:", err)
		os.Exit(2)
	}
	os.Exit(code)
}

func (d differ) git(args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = d.repo
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(ee.Stderr))
		}
		return "", fmt.Errorf("git %s: %v", strings.Join(args, " "), err)
	}
	return string(out), nil
}

// specsAt lists the spec files (specs/*.yaml) at a ref; "" is the working copy.
func (d differ) specsAt(ref string) ([]string, error) {
	if ref == "" {
		names, err := filepath.Glob(filepath.Join(d.repo, "specs", "*.yaml"))
		for i, n := range names {
			names[i] = filepath.Join("specs", filepath.Base(n))
		}
		return names, err
	}
	out, err := d.git("ls-tree", "--name-only", ref, "specs/")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, l := range strings.Fields(out) {
		if strings.HasSuffix(l, ".yaml") {
			names = append(names, l)
		}
	}
	return names, nil
}

// materialize writes the spec at ref to a temp file ("" returns the working copy's path).
func (d differ) materialize(dir, ref, path string) (string, error) {
	if ref == "" {
		return filepath.Abs(filepath.Join(d.repo, path))
	}
	body, err := d.git("show", ref+":"+path)
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, strings.NewReplacer("/", "_", ":", "_", "~", "_", "^", "_").Replace(ref)+"_"+filepath.Base(path))
	return out, os.WriteFile(out, []byte(body), 0o600)
}

// breaking runs oasdiff on two versions of one spec.
func (d differ) breaking(basePath, revPath string) ([]change, error) {
	cmd := exec.Command("go", "run", "github.com/oasdiff/oasdiff", "breaking", basePath, revPath, "--format", "json")
	cmd.Dir = d.modRoot
	// The tools module is not part of a go.work at the repository root, if there is one.
	cmd.Env = append(os.Environ(), "GOWORK=off")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("oasdiff %s %s: %v: %s", basePath, revPath, err, bytes.TrimSpace(stderr.Bytes()))
	}
	var cs []change
	if len(bytes.TrimSpace(out)) == 0 {
		return nil, nil
	}
	if err := json.Unmarshal(out, &cs); err != nil {
		return nil, fmt.Errorf("oasdiff output: %v", err)
	}
	var errs []change
	for _, c := range cs {
		if c.Level >= 3 { // ERR: breaking
			errs = append(errs, c)
		}
	}
	return errs, nil
}

// compare returns the breaking changes of every spec between two refs ("" is the working copy).
func (d differ) compare(from, to string) (map[string][]change, error) {
	dir, err := os.MkdirTemp("", "specdiff")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	olds, err := d.specsAt(from)
	if err != nil {
		return nil, err
	}
	news, err := d.specsAt(to)
	if err != nil {
		return nil, err
	}
	out := map[string][]change{}
	for _, p := range olds {
		if !contains(news, p) {
			out[p] = []change{{ID: "spec-removed", Text: "the spec file was removed", Level: 3}}
			continue
		}
		a, err := d.materialize(dir, from, p)
		if err != nil {
			return nil, err
		}
		b, err := d.materialize(dir, to, p)
		if err != nil {
			return nil, err
		}
		cs, err := d.breaking(a, b)
		if err != nil {
			return nil, err
		}
		if len(cs) > 0 {
			out[p] = cs
		}
	}
	return out, nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func report(w io.Writer, label string, found map[string][]change) int {
	n := 0
	for _, p := range sortedKeys(found) {
		for _, c := range found[p] {
			n++
			fmt.Fprintf(w, "%s: %s %s [%s] %s %s\n", label, filepath.Base(p), c.Text, c.ID, c.Operation, c.Path)
		}
	}
	return n
}

func sortedKeys(m map[string][]change) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func (d differ) diffBase(w io.Writer, base string) (int, error) {
	found, err := d.compare(base, "")
	if err != nil {
		return 0, err
	}
	if n := report(w, "breaking (since "+base+")", found); n > 0 {
		fmt.Fprintf(w, "%d breaking changes; record each in %s as a line `<spec file> <change id>: why` before regenerating\n", n, changelog)
		return 1, nil
	}
	fmt.Fprintf(w, "no breaking changes since %s\n", base)
	return 0, nil
}

// checkHistory walks every commit that changed the specs, then the working copy, and reports the
// breaking changes that the changelog does not record.
func (d differ) checkHistory(w io.Writer) (int, error) {
	if _, err := d.git("rev-parse", "--git-dir"); err != nil {
		fmt.Fprintln(w, "specdiff: not a git checkout; nothing to check")
		return 0, nil
	}
	log, err := d.git("log", "--reverse", "--format=%H %P", "--", "specs/")
	if err != nil {
		return 0, err
	}
	recorded, err := os.ReadFile(filepath.Join(d.repo, changelog))
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", changelog, err)
	}
	lines := strings.Split(string(recorded), "\n")
	missing := 0
	checkPair := func(from, to, label string) error {
		found, err := d.compare(from, to)
		if err != nil {
			return err
		}
		for _, p := range sortedKeys(found) {
			for _, c := range found[p] {
				if !recordedIn(lines, filepath.Base(p), c.ID) {
					missing++
					fmt.Fprintf(w, "unrecorded breaking change in %s: %s [%s] %s\n", label, filepath.Base(p), c.ID, c.Text)
				}
			}
		}
		return nil
	}
	for _, l := range strings.Split(strings.TrimSpace(log), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 { // the root commit adds the specs
			continue
		}
		if err := checkPair(f[1], f[0], "commit "+f[0][:12]); err != nil {
			return 0, err
		}
	}
	if err := checkPair("HEAD", "", "the working copy"); err != nil {
		return 0, err
	}
	if missing > 0 {
		fmt.Fprintf(w, "%d breaking changes are not in %s: add a line `<spec file> <change id>: why` for each\n", missing, changelog)
		return 1, nil
	}
	fmt.Fprintln(w, "every breaking spec change is recorded in "+changelog)
	return 0, nil
}

func recordedIn(lines []string, spec, id string) bool {
	for _, l := range lines {
		if strings.Contains(l, spec) && strings.Contains(l, id) {
			return true
		}
	}
	return false
}
