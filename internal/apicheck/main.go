// Command apicheck guards jobwatch's public API. It lists the exported API of every public package of
// the module (all but internal/, generated/, cmd/, contracttests/ and main packages), one text file
// per package under api/ (api/sdk.txt, api/sdk_oracle.txt, ...), and compares the listing with the
// committed one:
//
//	go run ./internal/apicheck           fail, printing the difference, if the API differs from api/
//	go run ./internal/apicheck -update   rewrite api/ from the code
//
// A listing holds each exported constant, variable, function, type (exported fields only) and method
// as declared, without doc comments or bodies, in go/doc's order; so a change to the API shows up as
// a change to a committed file, reviewed with the code that made it. It reads the source with
// go/parser and go/doc, honouring build constraints, and needs nothing beyond the standard library.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/build"
	"go/doc"
	"go/parser"
	"go/printer"
	"go/token"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

func main() {
	root := flag.String("root", ".", "the module's root directory")
	update := flag.Bool("update", false, "rewrite the listings under api/ instead of checking them")
	count := flag.Bool("count", false, "print how many identifiers each package exports, and per file, instead of checking")
	flag.Parse()
	if *count {
		if err := countAll(*root, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "apicheck:", err)
			os.Exit(2)
		}
		return
	}
	code, err := run(*root, *update, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "apicheck:", err)
		os.Exit(2)
	}
	os.Exit(code)
}

// listingDir is where the committed listings live, relative to the module root.
const listingDir = "api"

// run checks (or, with update, rewrites) the listings of the module at root and reports to w; the
// code is 1 when a check finds a difference.
func run(root string, update bool, w io.Writer) (int, error) {
	module, err := modulePath(root)
	if err != nil {
		return 0, err
	}
	got, err := listAll(root, module)
	if err != nil {
		return 0, err
	}
	problems := got[problemsKey]
	delete(got, problemsKey)
	dir := filepath.Join(root, listingDir)
	if update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return 0, err
		}
		old, _ := filepath.Glob(filepath.Join(dir, "*.txt"))
		for _, f := range old {
			if _, ok := got[filepath.Base(f)]; !ok {
				if err := os.Remove(f); err != nil {
					return 0, err
				}
			}
		}
		for name, body := range got {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
				return 0, err
			}
		}
		fmt.Fprintf(w, "apicheck: wrote %d listings to %s\n", len(got), listingDir)
		return 0, nil
	}
	want := map[string]string{}
	files, _ := filepath.Glob(filepath.Join(dir, "*.txt"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return 0, err
		}
		want[filepath.Base(f)] = string(b)
	}
	names := make([]string, 0, len(got)+len(want))
	for n := range got {
		names = append(names, n)
	}
	for n := range want {
		if _, ok := got[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	differs := false
	for _, n := range names {
		if got[n] == want[n] {
			continue
		}
		differs = true
		fmt.Fprintf(w, "--- %s/%s (committed)\n+++ %s (code)\n", listingDir, n, n)
		fmt.Fprint(w, diff(want[n], got[n]))
	}
	if problems != "" {
		fmt.Fprint(w, problems)
		fmt.Fprintln(w, "apicheck: every exported identifier needs a doc comment, and a vendor package's functions take its own types")
	}
	if differs {
		fmt.Fprintf(w, "apicheck: the exported API differs from %s/: if the change is meant, run `make api-update` and commit the listing with it\n", listingDir)
		return 1, nil
	}
	if problems != "" {
		return 1, nil
	}
	fmt.Fprintf(w, "apicheck: the exported API of %d packages matches %s/\n", len(got), listingDir)
	return 0, nil
}

// modulePath reads the module path from root/go.mod.
func modulePath(root string) (string, error) {
	b, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if p, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.Trim(strings.TrimSpace(p), `"`), nil
		}
	}
	return "", errors.New("go.mod names no module")
}

// skipDir reports whether a directory (relative to the root, slash-separated) holds no public API.
func skipDir(rel string) bool {
	for _, part := range strings.Split(rel, "/") {
		switch part {
		case "internal", "testdata", "vendor":
			return true
		}
		if strings.HasPrefix(part, ".") || strings.HasPrefix(part, "_") {
			return true
		}
	}
	top, _, _ := strings.Cut(rel, "/")
	switch top {
	case "generated", "cmd", "contracttests", listingDir:
		return true
	}
	return false
}

// listAll lists every public package under root, keyed by listing file name.
func listAll(root, module string) (map[string]string, error) {
	out := map[string]string{}
	err := walkPackages(root, module, func(name, dir string, files []string) error {
		importPath := module
		if rel := strings.TrimSuffix(name, ".txt"); rel != "root" {
			r, _ := filepath.Rel(root, dir)
			importPath = module + "/" + filepath.ToSlash(r)
		}
		p, err := parseDoc(dir, importPath, files)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		// Lint first: listing the package strips the doc comments lintPackage reads.
		if problems := lintPackage(p, module); len(problems) > 0 {
			out[problemsKey] += strings.Join(problems, "\n") + "\n"
		}
		out[name] = listPackage(p)
		return nil
	})
	return out, err
}

// walkPackages calls f for every public package under root with its listing file name, its directory
// and its Go files (build constraints honoured).
func walkPackages(root, module string, f func(name, dir string, files []string) error) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel != "." {
			if skipDir(rel) {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir // another module (tools/, temporal/)
			}
		}
		bp, err := build.Default.ImportDir(path, 0)
		var noGo *build.NoGoError
		if errors.As(err, &noGo) || (err == nil && bp.Name == "main") {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		name := "root"
		if rel != "." {
			name = strings.ReplaceAll(rel, "/", "_")
		}
		return f(name+".txt", path, bp.GoFiles)
	})
}

// problemsKey is the entry of listAll's map that holds the lint problems found (never a listing file:
// it is not a .txt name).
const problemsKey = "problems"

// parseDoc parses files of dir, with their comments, into a go/doc package of exported declarations:
// the one parse both lintPackage and listPackage read.
func parseDoc(dir, importPath string, files []string) (*doc.Package, error) {
	fset := token.NewFileSet()
	var parsed []*ast.File
	for _, f := range files {
		af, err := parser.ParseFile(fset, filepath.Join(dir, f), nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		parsed = append(parsed, af)
	}
	return doc.NewFromFiles(fset, parsed, importPath)
}

// lintPackage reports what the public API rules forbid in one package: an exported constant,
// variable, function, type or method without a doc comment (a group's comment covers its members),
// and, in a vendor package (sdk/<vendor>), a function or method whose signature names a type of the
// generated code: users should read and import the vendor package's own names (aliases), not gen.X.
func lintPackage(p *doc.Package, module string) []string {
	rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
	var out []string
	undocumented := func(kind, name string) {
		out = append(out, fmt.Sprintf("%s: %s %s has no doc comment", rel, kind, name))
	}
	values := func(kind string, vs []*doc.Value) {
		for _, v := range vs {
			if v.Doc != "" {
				continue
			}
			for _, sp := range v.Decl.Specs {
				vs := sp.(*ast.ValueSpec)
				if vs.Doc != nil || vs.Comment != nil {
					continue
				}
				for _, n := range vs.Names {
					if n.IsExported() {
						undocumented(kind, n.Name)
					}
				}
			}
		}
	}
	// genImports are the local names of the generated packages a file may import; the vendor
	// packages import them as gen (and tencent's import job as importjob).
	vendorPkg := strings.HasPrefix(rel, "sdk/") && strings.Count(rel, "/") == 1
	funcs := func(owner string, fs []*doc.Func) {
		for _, f := range fs {
			name := f.Name
			if owner != "" {
				name = owner + "." + f.Name
			}
			if f.Doc == "" {
				undocumented("func", name)
			}
			if vendorPkg {
				ast.Inspect(f.Decl.Type, func(n ast.Node) bool {
					if se, ok := n.(*ast.SelectorExpr); ok {
						if x, ok := se.X.(*ast.Ident); ok && (x.Name == "gen" || x.Name == "importjob") {
							out = append(out, fmt.Sprintf("%s: func %s names %s.%s: use this package's alias", rel, name, x.Name, se.Sel.Name))
						}
					}
					return true
				})
			}
		}
	}
	values("const", p.Consts)
	values("var", p.Vars)
	funcs("", p.Funcs)
	for _, t := range p.Types {
		if t.Doc == "" && t.Decl.Doc == nil {
			undocumented("type", t.Name)
		}
		values("const", t.Consts)
		values("var", t.Vars)
		funcs("", t.Funcs)
		funcs(t.Name, t.Methods)
	}
	return out
}

// listPackage renders the exported API of p, without doc comments or function bodies (it strips
// them from p's declarations).
func listPackage(p *doc.Package) string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "package %s // import %q\n", p.Name, p.ImportPath)
	decl := func(n ast.Node) {
		b.WriteString("\n")
		printNode(&b, n)
		b.WriteString("\n")
	}
	values := func(vs []*doc.Value) {
		for _, v := range vs {
			decl(v.Decl)
		}
	}
	funcs := func(fs []*doc.Func) {
		for _, f := range fs {
			decl(f.Decl)
		}
	}
	values(p.Consts)
	values(p.Vars)
	funcs(p.Funcs)
	for _, t := range p.Types {
		decl(t.Decl)
		values(t.Consts)
		values(t.Vars)
		funcs(t.Funcs)
		funcs(t.Methods)
	}
	return b.String()
}

// printNode prints a declaration without its comments or function body.
func printNode(w io.Writer, n ast.Node) {
	ast.Inspect(n, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GenDecl:
			n.Doc = nil
		case *ast.FuncDecl:
			n.Doc, n.Body = nil, nil
		case *ast.Field:
			n.Doc, n.Comment = nil, nil
		case *ast.ValueSpec:
			n.Doc, n.Comment = nil, nil
		case *ast.TypeSpec:
			n.Doc, n.Comment = nil, nil
		}
		return true
	})
	cfg := printer.Config{Mode: printer.UseSpaces | printer.TabIndent, Tabwidth: 8}
	// A fresh file set: the printer must not find the original comments by position.
	cfg.Fprint(w, token.NewFileSet(), n)
}

// diff is a line diff of a and b: lines only in a with "-", only in b with "+", in order (a longest
// common subsequence; the listings are small).
func diff(a, b string) string {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out strings.Builder
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			i, j = i+1, j+1
		case j < len(y) && (i == len(x) || lcs[i][j+1] >= lcs[i+1][j]):
			fmt.Fprintf(&out, "+%s\n", y[j])
			j++
		default:
			fmt.Fprintf(&out, "-%s\n", x[i])
			i++
		}
	}
	return out.String()
}
