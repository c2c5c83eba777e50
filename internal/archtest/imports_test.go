package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/jobwatch/jobwatch"

// repoRoot is the root of the jobwatch module, two levels above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// goCmd runs the go command in dir and returns its standard output; stderr goes into the error.
func goCmd(t *testing.T, dir string, env []string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s (in %s): %v\n%s", strings.Join(args, " "), dir, err, stderr.Bytes())
	}
	return out
}

// pkg is the part of `go list -json` the rules need.
type pkg struct {
	ImportPath string
	Deps       []string
}

// listDeps lists every package of the module with its transitive dependencies (tests excluded: a
// test may import anything).
func listDeps(t *testing.T) []pkg {
	t.Helper()
	out := goCmd(t, repoRoot(t), nil, "list", "-json=ImportPath,Deps", "./...")
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

// vendors are the vendor names; each has sdk/<vendor> and generated/<vendor>.
var vendors = []string{"oracle", "huawei", "webex", "tencent"}

// vendorkit is the one package under sdk/internal that imports sdk: it builds sdk's error and job
// types for the vendor packages (the types stay in sdk so that go doc shows their fields), and sdk
// never imports it.
const vendorkit = "sdk/internal/vendorkit"

// observe is the sdk's hooks for observers (package sdk/observe): standard library only, so that
// every sdk package may call them and importers stay light.
const observe = "sdk/observe"

// shared reports whether room to is sdk, its hooks, or plumbing beneath it, which every sdk package
// may import.
func shared(to string) bool {
	return to == "sdk" || to == "sdk/internal" || to == vendorkit || to == observe
}

// room names the room of a package of ours (relative path, "" for the module root): "sdk",
// "sdk/internal", "sdk/internal/vendorkit", "sdk/<vendor>", "generated/<vendor>", "contract", "simulator", "specs", or the
// first path element for the others. ok is false for a package that is not ours.
func room(path string) (string, bool) {
	if path != module && !strings.HasPrefix(path, module+"/") {
		return "", false
	}
	rel := strings.TrimPrefix(strings.TrimPrefix(path, module), "/")
	parts := strings.Split(rel, "/")
	switch {
	case rel == "sdk":
		return "sdk", true
	case len(parts) > 2 && parts[0] == "sdk" && parts[1] == "internal" && parts[2] == "vendorkit":
		return vendorkit, true
	case len(parts) > 1 && parts[0] == "sdk" && parts[1] == "observe":
		return observe, true
	case parts[0] == "sdk" && parts[1] == "internal":
		return "sdk/internal", true
	case parts[0] == "sdk", parts[0] == "generated":
		return parts[0] + "/" + parts[1], true
	}
	return parts[0], true
}

// forbidden reports why room from may not depend on room to ("" when it may). It is the "must not
// import" column of ARCHITECTURE.md's table.
func forbidden(from, to string) string {
	if from == to {
		return ""
	}
	fromTop, fromVendor, _ := strings.Cut(from, "/")
	toTop, toVendor, _ := strings.Cut(to, "/")
	switch {
	case to == "contracttests" || to == "cmd" || to == "bench" || to == "temporal" || to == "otel":
		return "nothing imports " + to
	case from == observe:
		return observe + " uses the standard library only: it must not import " + to
	case from == "specs":
		return "specs imports nothing of ours"
	case fromTop == "generated":
		return "generated code imports nothing of ours"
	case from == "sdk" && to == vendorkit:
		return "sdk must not import " + vendorkit + ": it imports sdk"
	case (from == "sdk" || from == "sdk/internal" || from == vendorkit) && (toTop == "generated" || (toTop == "sdk" && !shared(to))):
		return from + " knows no vendor: it must not import " + to
	case from == "sdk/internal" && (to == "sdk" || to == vendorkit):
		return "sdk/internal is beneath sdk: it must not import " + to + " (only " + vendorkit + " builds sdk types)"
	case fromTop == "sdk" && !shared(from):
		switch {
		case to == "simulator" || to == "contract":
			return "a vendor package must not import " + to
		case toTop == "sdk" && !shared(to):
			return "a vendor package must not import another vendor's package " + to
		case toTop == "generated" && toVendor != fromVendor:
			return "a vendor package must not import another vendor's generated code " + to
		}
	case from == "contract" && toTop == "sdk":
		return "contract must not import the sdk"
	case from == "simulator" && toTop == "sdk":
		return "the simulator must not import the sdk: a fake sharing the client's code agrees with its bugs"
	}
	return ""
}

// violations applies forbidden to every dependency of every package, sorted.
func violations(pkgs []pkg) []string {
	var bad []string
	for _, p := range pkgs {
		from, ok := room(p.ImportPath)
		if !ok {
			continue
		}
		for _, d := range p.Deps {
			to, ok := room(d)
			if !ok {
				continue
			}
			if why := forbidden(from, to); why != "" {
				bad = append(bad, fmt.Sprintf("%s -> %s: %s", strings.TrimPrefix(p.ImportPath, module+"/"), strings.TrimPrefix(d, module+"/"), why))
			}
		}
	}
	sort.Strings(bad)
	return bad
}

// TestImportRules holds every package of the module to the import table of ARCHITECTURE.md, with
// transitive dependencies from `go list -deps`.
func TestImportRules(t *testing.T) {
	if bad := violations(listDeps(t)); len(bad) > 0 {
		t.Errorf("import rules broken (see ARCHITECTURE.md):\n%s", strings.Join(bad, "\n"))
	}
}

// TestImportRulesCatchDrift shows that the rules catch each kind of drift the table forbids.
func TestImportRulesCatchDrift(t *testing.T) {
	m := func(s string) string { return module + "/" + s }
	cases := []struct{ from, to string }{
		{"sdk", "generated/webex"},
		{"sdk", "sdk/tencent"},
		{"sdk/internal/doer", "sdk/oracle"},
		{"sdk/internal/httpx", "sdk"},
		{"sdk/internal/httpx", "sdk/internal/vendorkit"},
		{"sdk", "sdk/internal/vendorkit"},
		{"sdk/internal/vendorkit", "sdk/webex"},
		{"sdk/internal/vendorkit", "generated/webex"},
		{"sdk/tencent", "sdk/webex"},
		{"sdk/tencent", "generated/webex"},
		{"sdk/oracle", "simulator"},
		{"sdk/huawei", "contract"},
		{"contract", "sdk"},
		{"simulator", "sdk/webex"},
		{"simulator", "sdk"},
		{"generated/oracle", "sdk"},
		{"generated/tencent", "specs"},
		{"specs", "sdk"},
		{"cmd/jobwatch", "contracttests"},
		{"cmd/jobwatch", "otel"},
		{"sdk/observe", "sdk"},
		{"sdk/observe", "sdk/internal/httpx"},
	}
	for _, c := range cases {
		if bad := violations([]pkg{{ImportPath: m(c.from), Deps: []string{"net/http", m(c.to)}}}); len(bad) != 1 {
			t.Errorf("%s -> %s: want one violation, got %q", c.from, c.to, bad)
		}
	}
	allowed := []struct{ from, to string }{
		{"sdk/tencent", "generated/tencent/importjob"},
		{"sdk/tencent", "sdk"},
		{"sdk/webex", "sdk/internal/doer"},
		{"sdk/webex", "sdk/internal/vendorkit"},
		{"sdk/internal/vendorkit", "sdk"},
		{"sdk/internal/vendorkit", "sdk/internal/httpx"},
		{"sdk", "sdk/internal/httpx"},
		{"simulator", "contract"},
		{"simulator", "generated/huawei"},
		{"bench", "generated/webex"},
		{"cmd/jobwatch", "simulator"},
		{"contract", "specs"},
	}
	for _, c := range allowed {
		if bad := violations([]pkg{{ImportPath: m(c.from), Deps: []string{m(c.to)}}}); len(bad) != 0 {
			t.Errorf("%s -> %s is allowed, got %q", c.from, c.to, bad)
		}
	}
}
