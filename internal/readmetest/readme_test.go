package readmetest

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// How README.md's ```go blocks are built (each in a package of its own in a scratch module that
// requires jobwatch through a replace directive to this checkout):
//
//   - A block whose first line starts with "package" is a whole file, built as is.
//   - Any other block is a function body. It is wrapped in
//     func snippet(ctx context.Context, jobID string, ids []string) error { <body>; return nil },
//     so it may use ctx, jobID and ids and return an error. Anything else it uses without declaring
//     is declared by an HTML comment on the line just before the fence, which GitHub does not show:
//     <!-- snippet: var client *webex.Client; var db Store -->
//     The imports are found from the package names the code uses (fmt.X, sdk.X, webex.X, ...).
const wrapper = "func snippet(ctx context.Context, jobID string, ids []string) error {\n%s\n%s\nreturn nil\n}\n"

// knownImports maps the package names a snippet may use to their import paths.
var knownImports = map[string]string{
	"context": "context", "errors": "errors", "json": "encoding/json", "fmt": "fmt", "log": "log", "os": "os", "time": "time",
	"http": "net/http", "slog": "log/slog", "sync": "sync",
	"sdk":       "github.com/jobwatch/jobwatch/sdk",
	"oracle":    "github.com/jobwatch/jobwatch/sdk/oracle",
	"huawei":    "github.com/jobwatch/jobwatch/sdk/huawei",
	"webex":     "github.com/jobwatch/jobwatch/sdk/webex",
	"tencent":   "github.com/jobwatch/jobwatch/sdk/tencent",
	"simulator": "github.com/jobwatch/jobwatch/simulator",
	"contract":  "github.com/jobwatch/jobwatch/contract",
	// the temporal module (temporal/), which the scratch module also replaces with this checkout's
	"waitflow": "github.com/jobwatch/jobwatch/temporal/waitflow",
	"client":   "go.temporal.io/sdk/client",
	"worker":   "go.temporal.io/sdk/worker",
}

// snippet is one ```go block of the README or of a page under docs/.
type snippet struct {
	file    string // the document, relative to the repository's root ("" means README.md)
	line    int    // line of the opening fence
	prelude string // declarations from a <!-- snippet: ... --> comment
	code    string
}

var preludeRE = regexp.MustCompile(`^<!--\s*snippet:\s*(.*?)\s*-->$`)

// extract returns every ```go block of a Markdown document.
func extract(md string) ([]snippet, error) {
	lines := strings.Split(md, "\n")
	var out []snippet
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "```go" {
			continue
		}
		s := snippet{line: i + 1}
		if i > 0 {
			if m := preludeRE.FindStringSubmatch(strings.TrimSpace(lines[i-1])); m != nil {
				s.prelude = strings.ReplaceAll(m[1], ";", "\n")
			}
		}
		j := i + 1
		for ; j < len(lines) && strings.TrimSpace(lines[j]) != "```"; j++ {
		}
		if j == len(lines) {
			return nil, fmt.Errorf("line %d: ```go block never closed", s.line)
		}
		s.code = strings.Join(lines[i+1:j], "\n")
		out = append(out, s)
		i = j
	}
	return out, nil
}

// source turns a snippet into a Go file of package main.
func source(s snippet) ([]byte, error) {
	if strings.HasPrefix(strings.TrimSpace(s.code), "package") {
		return []byte(s.code), nil
	}
	body := fmt.Sprintf("package main\n\nfunc main() {}\n\n// %s line %d\n"+wrapper, s.where(), s.line, s.prelude, s.code)
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "snippet.go", body, 0) // with object resolution: see the import search below
	if err != nil {
		return nil, fmt.Errorf("%s:%d: %v", s.where(), s.line, err)
	}
	if bad := printedCounts(f); bad != "" {
		return nil, fmt.Errorf("%s:%d: %s is a *int: print *%s after a nil check, not its address", s.where(), s.line, bad, bad)
	}
	used := map[string]bool{"context": true} // the wrapper's ctx
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok {
				// id.Obj is set where the file declares the name (a prelude's var client, say): a
				// variable, not the package of that name.
				if _, known := knownImports[id.Name]; known && id.Obj == nil {
					used[id.Name] = true
				}
			}
		}
		return true
	})
	var paths []string
	for name := range used {
		paths = append(paths, knownImports[name])
	}
	slices.Sort(paths)
	var imports strings.Builder
	imports.WriteString("import (\n")
	for _, p := range paths {
		fmt.Fprintf(&imports, "\t%q\n", p)
	}
	imports.WriteString(")\n\n")
	src := strings.Replace(body, "func main() {}", imports.String()+"func main() {}", 1)
	if out, err := format.Source([]byte(src)); err == nil {
		return out, nil
	}
	return []byte(src), nil
}

// where names the snippet's document.
func (s snippet) where() string {
	if s.file == "" {
		return "README.md"
	}
	return s.file
}

// printedCounts finds a job's Counts field (a *int) passed as is to fmt.Print* or log.Print*, which
// compiles and prints an address; it returns the expression, or "".
func printedCounts(f *ast.File) string {
	bad := ""
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		fn, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || !strings.HasPrefix(fn.Sel.Name, "Print") {
			return true
		}
		if pkg, ok := fn.X.(*ast.Ident); !ok || (pkg.Name != "fmt" && pkg.Name != "log") {
			return true
		}
		for _, a := range call.Args {
			if field, ok := a.(*ast.SelectorExpr); ok {
				if counts, ok := field.X.(*ast.SelectorExpr); ok && counts.Sel.Name == "Counts" {
					var b bytes.Buffer
					format.Node(&b, token.NewFileSet(), a)
					bad = b.String()
				}
			}
		}
		return true
	})
	return bad
}

// TestConvention checks the wrapping on a small document: a whole file, and a body with a prelude.
func TestConvention(t *testing.T) {
	md := "text\n```go\npackage main\n\nfunc main() {}\n```\n<!-- snippet: var c *webex.Client -->\n```go\njob, err := c.Status(ctx, jobID)\nif err != nil {\n\treturn err\n}\nfmt.Println(job.State)\n```\n```sh\nnot go\n```\n"
	ss, err := extract(md)
	if err != nil || len(ss) != 2 {
		t.Fatalf("extract: %d snippets, %v", len(ss), err)
	}
	if ss[0].line != 2 || ss[1].line != 8 || ss[1].prelude != "var c *webex.Client" {
		t.Errorf("snippets: %+v", ss)
	}
	src, err := source(ss[1])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"context"`, `"fmt"`, `"github.com/jobwatch/jobwatch/sdk/webex"`, "var c *webex.Client", "func snippet(ctx context.Context, jobID string, ids []string) error {"} {
		if !strings.Contains(string(src), want) {
			t.Errorf("wrapped snippet lacks %s:\n%s", want, src)
		}
	}
	if strings.Contains(string(src), `jobwatch/sdk"`) {
		t.Errorf("wrapped snippet imports sdk, which it does not use:\n%s", src)
	}
	// The README's first snippet printed job.Counts.Failed, an address.
	if _, err := source(snippet{line: 3, code: "fmt.Println(job.State, job.Counts.Failed, job.Failures)"}); err == nil || !strings.Contains(err.Error(), "job.Counts.Failed is a *int") {
		t.Errorf("printing a *int count: %v", err)
	}
	if _, err := source(snippet{line: 3, code: "fmt.Println(*job.Counts.Failed)"}); err != nil {
		t.Errorf("printing a dereferenced count: %v", err)
	}
}

// TestReadmeSnippetsBuild builds every ```go block of README.md and of the pages under docs/ in a
// scratch module with a replace directive to this checkout. It failed on the README's Go snippets
// before they were made whole (elided fields, unused variables, fmt.Println of the *int Counts.Failed).
func TestReadmeSnippetsBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a scratch module")
	}
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	var ss []snippet
	for _, path := range append([]string{filepath.Join(root, "README.md")}, docs...) {
		md, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, path)
		found, err := extract(string(md))
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		for _, s := range found {
			s.file = filepath.ToSlash(rel)
			ss = append(ss, s)
		}
	}
	if len(ss) == 0 {
		t.Fatal("README.md and docs/ have no ```go blocks")
	}
	dir := t.TempDir()
	const module, temporal = "github.com/jobwatch/jobwatch", "github.com/jobwatch/jobwatch/temporal"
	gomod := fmt.Sprintf("module example.com/readme\n\ngo 1.26.0\n\nrequire (\n\t%s v0.0.0\n\t%s v0.0.0\n)\n\nreplace %s => %s\n\nreplace %s => %s\n",
		module, temporal, module, root, temporal, filepath.Join(root, "temporal"))
	var sum []byte
	for _, f := range []string{"go.sum", filepath.Join("temporal", "go.sum")} {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		sum = append(sum, b...)
	}
	write := func(name string, b []byte) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", []byte(gomod))
	write("go.sum", sum)
	for _, s := range ss {
		src, err := source(s)
		if err != nil {
			t.Error(err)
			continue
		}
		pkg := strings.NewReplacer("/", "_", ".", "_", "-", "_").Replace(strings.TrimSuffix(s.where(), ".md"))
		write(fmt.Sprintf("%s_line%04d/main.go", pkg, s.line), src)
	}
	goCmd := func(args ...string) {
		t.Helper()
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Fatalf("go %s: %v (packages are named after the document and line of their block; the wrapping is described in readme_test.go)\n%s", strings.Join(args, " "), err, out.String())
		}
	}
	goCmd("mod", "tidy")
	goCmd("build", "./...")
	t.Logf("%d Go snippets of README.md and docs/ build", len(ss))
}

// TestReadmeLinesFit: README.md's lines are at most 120 characters (issue 29), so that it reads in a
// terminal and in a review without wrapping. A line of 129 came back once with a longer snippet name.
func TestReadmeLinesFit(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(string(b), "\n") {
		if n := len([]rune(line)); n > 120 {
			t.Errorf("README.md:%d is %d characters, want at most 120: %.60q…", i+1, n, line)
		}
	}
}
