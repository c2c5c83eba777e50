package archtest

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestShortSkipsRunInE2E: `make test` passes -short, and a test that skips under it (an end-to-end
// case: a real server, the built binary, a scratch module, a scale run) runs only in `make e2e`, which
// tests the Makefile's E2E_PKGS in full, and a few tests on lines of their own. Every package with
// such a test must be in one of them, or CI would run it nowhere.
func TestShortSkipsRunInE2E(t *testing.T) {
	root := repoRoot(t)
	makefile, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^E2E_PKGS\s*:=\s*(.*)$`).FindSubmatch(makefile)
	if m == nil {
		t.Fatal("Makefile: no E2E_PKGS := line")
	}
	listed := strings.Fields(string(m[1]))
	// A package may be tested by a line of its own in the e2e recipe instead (a run without -race).
	if recipe := regexp.MustCompile(`(?ms)^e2e:\n(.*?)\n\n`).FindSubmatch(makefile); recipe != nil {
		for _, f := range strings.Fields(string(recipe[1])) {
			if strings.HasPrefix(f, "./") {
				listed = append(listed, strings.TrimSuffix(f, "/"))
			}
		}
	}
	var missing []string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "tools") {
				return filepath.SkipDir // tools/ is a module of its own that make test runs without -short skips
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if !bytes.Contains(src, []byte("testing.Short()")) {
			return nil
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		pkg := "./" + filepath.ToSlash(rel)
		if !slices.Contains(listed, pkg) && !slices.Contains(missing, pkg) {
			missing = append(missing, pkg)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) > 0 {
		t.Errorf("packages whose tests skip under -short but are not in the Makefile's e2e target (so no target runs those tests): %v", missing)
	}
}
