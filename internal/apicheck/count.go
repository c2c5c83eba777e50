package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"path/filepath"
	"slices"
	"strings"
)

// countAll prints, for every public package, how many identifiers it exports, counted over constants,
// variables, functions, types, methods (of types and of interfaces) and fields (of exported struct
// types), and how many of them each file declares: the measure of an API's size that issue 25 sets
// targets in.
func countAll(root string, w io.Writer) error {
	module, err := modulePath(root)
	if err != nil {
		return err
	}
	return walkPackages(root, module, func(name, dir string, files []string) error {
		byFile, total, err := countPackage(dir, files)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s\t%d\n", strings.TrimSuffix(name, ".txt"), total)
		names := make([]string, 0, len(byFile))
		for f := range byFile {
			names = append(names, f)
		}
		slices.Sort(names)
		for _, f := range names {
			fmt.Fprintf(w, "\t%s\t%d\n", f, byFile[f])
		}
		return nil
	})
}

// countPackage counts the exported identifiers of the files of one package, per file.
func countPackage(dir string, files []string) (byFile map[string]int, total int, err error) {
	byFile = map[string]int{}
	fset := token.NewFileSet()
	for _, f := range files {
		af, err := parser.ParseFile(fset, filepath.Join(dir, f), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, 0, err
		}
		n := countFile(af)
		if n > 0 {
			byFile[f] = n
		}
		total += n
	}
	return byFile, total, nil
}

// countFile counts one file's exported identifiers: names of constants, variables, functions and
// types, methods on exported types, and the exported fields and methods of exported struct and
// interface types.
func countFile(f *ast.File) int {
	n := 0
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if !d.Name.IsExported() {
				continue
			}
			if d.Recv != nil && !exportedRecv(d.Recv) {
				continue
			}
			n++
		case *ast.GenDecl:
			for _, sp := range d.Specs {
				switch sp := sp.(type) {
				case *ast.ValueSpec:
					for _, id := range sp.Names {
						if id.IsExported() {
							n++
						}
					}
				case *ast.TypeSpec:
					if !sp.Name.IsExported() {
						continue
					}
					n++
					var fl *ast.FieldList
					switch t := sp.Type.(type) {
					case *ast.StructType:
						fl = t.Fields
					case *ast.InterfaceType:
						fl = t.Methods
					}
					if fl == nil {
						continue
					}
					for _, fd := range fl.List {
						for _, id := range fd.Names {
							if id.IsExported() {
								n++
							}
						}
					}
				}
			}
		}
	}
	return n
}

// exportedRecv reports whether a method's receiver type is exported.
func exportedRecv(fl *ast.FieldList) bool {
	if len(fl.List) == 0 {
		return false
	}
	t := fl.List[0].Type
	for {
		switch x := t.(type) {
		case *ast.StarExpr:
			t = x.X
		case *ast.IndexExpr:
			t = x.X
		case *ast.IndexListExpr:
			t = x.X
		case *ast.Ident:
			return x.IsExported()
		default:
			return false
		}
	}
}
