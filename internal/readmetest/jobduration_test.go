package readmetest

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jobwatch/jobwatch/simulator"
)

// TestOneJobDuration: every program that takes a --job-duration for the simulator defaults it to
// simulator.DefaultJobDuration, and the README says how long that is (issue 29: 3 s, 8 s or 30 s by
// entry point; the Temporal example's starter said 10 s). bench/ sets its own workloads' durations.
func TestOneJobDuration(t *testing.T) {
	root := filepath.Join("..", "..")
	var found []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if rel == "bench" || rel == "generated" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") && rel != "." {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			// flag.Duration("job-duration", default, usage) or o.durationVar(&v, "job-duration", default, usage)
			for i, a := range call.Args[:max(len(call.Args)-1, 0)] {
				if lit, ok := a.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if name, _ := strconv.Unquote(lit.Value); name == "job-duration" {
						found = append(found, rel)
						if sel, ok := call.Args[i+1].(*ast.SelectorExpr); !ok || sel.Sel.Name != "DefaultJobDuration" {
							var b bytes.Buffer
							format.Node(&b, token.NewFileSet(), call.Args[i+1])
							t.Errorf("%s: --job-duration defaults to %s, want simulator.DefaultJobDuration", rel, b.String())
						}
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// jobwatch simulate and demo, and the Temporal example's starter.
	for _, want := range []string{"cmd/jobwatch/simulate.go", "cmd/jobwatch/demo.go", "temporal/example/starter/main.go"} {
		if !strings.Contains(strings.Join(found, " "), filepath.FromSlash(want)) {
			t.Errorf("no --job-duration flag found in %s (found in %q)", want, found)
		}
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("run about %d s", simulator.DefaultJobDuration/time.Second); !strings.Contains(strings.Join(strings.Fields(string(readme)), " "), want) {
		t.Errorf("README.md does not say the simulator's jobs %q", want)
	}
}
