package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// copyTree copies the module's go.mod, api/ and the Go files of sdk/ (and below) into a temporary
// directory, the smallest tree apicheck reads.
func copyTree(t *testing.T) string {
	t.Helper()
	src, _ := filepath.Abs(filepath.Join("..", ".."))
	dst := t.TempDir()
	cp := func(rel string) {
		b, err := os.ReadFile(filepath.Join(src, rel))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, rel)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, rel), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cp("go.mod")
	for _, dir := range []string{"sdk", "api"} {
		err := filepath.WalkDir(filepath.Join(src, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !(strings.HasSuffix(path, ".go") || strings.HasSuffix(path, ".txt")) {
				return err
			}
			rel, _ := filepath.Rel(src, path)
			cp(rel)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// Only sdk/ was copied: keep only its listings.
	files, _ := filepath.Glob(filepath.Join(dst, "api", "*.txt"))
	for _, f := range files {
		if b := filepath.Base(f); b != "sdk.txt" && !strings.HasPrefix(b, "sdk_") {
			os.Remove(f)
		}
	}
	return dst
}

// TestNewExportedFunctionFails: in a copy of the tree, the committed listings pass; an exported
// function added to sdk fails the check, naming it; -update makes it pass again.
func TestNewExportedFunctionFails(t *testing.T) {
	root := copyTree(t)
	var out bytes.Buffer
	if code, err := run(root, false, &out); err != nil || code != 0 {
		t.Fatalf("the committed listings do not match the code (run `make api-update`): code %d, %v\n%s", code, err, out.String())
	}
	extra := "package sdk\n\n// Surprise is new API nobody reviewed.\nfunc Surprise(n int) string { return \"\" }\n\nfunc unexported() {}\n"
	if err := os.WriteFile(filepath.Join(root, "sdk", "surprise.go"), []byte(extra), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	code, err := run(root, false, &out)
	if err != nil || code != 1 {
		t.Fatalf("a new exported function passed the check: code %d, %v\n%s", code, err, out.String())
	}
	if !strings.Contains(out.String(), "+func Surprise(n int) string\n") || strings.Contains(out.String(), "unexported") {
		t.Errorf("the difference does not show exactly the new function:\n%s", out.String())
	}
	out.Reset()
	if code, err := run(root, true, &out); err != nil || code != 0 {
		t.Fatalf("-update: code %d, %v", code, err)
	}
	out.Reset()
	if code, err := run(root, false, &out); err != nil || code != 0 {
		t.Fatalf("after -update: code %d, %v\n%s", code, err, out.String())
	}
}

// TestListingIgnoresDocsAndBodies: a changed comment or function body is not an API change; a
// changed signature and a new exported field are.
func TestListingIgnoresDocsAndBodies(t *testing.T) {
	dir := t.TempDir()
	write := func(src string) string {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, "p.go"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		p, err := parseDoc(dir, "example.com/p", []string{"p.go"})
		if err != nil {
			t.Fatal(err)
		}
		return listPackage(p)
	}
	base := write("package p\n\n// F does a thing.\nfunc F() int { return 1 }\n\n// T is a type.\ntype T struct {\n\tA int // a\n\tb int\n}\n")
	cases := []struct {
		name, src string
		same      bool
	}{
		{"comment and body", "package p\n\n// F does another thing.\nfunc F() int { return 2 }\n\n// T is still a type.\ntype T struct {\n\tA int\n\tb int\n}\n", true},
		{"unexported field", "package p\n\nfunc F() int { return 1 }\n\ntype T struct {\n\tA int\n\tb, c int\n}\n", true},
		{"signature", "package p\n\nfunc F() int64 { return 1 }\n\ntype T struct {\n\tA int\n\tb int\n}\n", false},
		{"exported field", "package p\n\nfunc F() int { return 1 }\n\ntype T struct {\n\tA, B int\n\tb int\n}\n", false},
	}
	for _, c := range cases {
		if got := write(c.src); (got == base) != c.same {
			t.Errorf("%s: same listing = %v, want %v:\n%s\nvs\n%s", c.name, got == base, c.same, base, got)
		}
	}
}

// TestLintFindsUndocumentedAndGeneratedTypes: an exported identifier without a doc comment, and a
// vendor package function whose signature names gen.X, are each reported; a group's comment covers
// its members, and an alias declaration may name gen.X.
func TestLintFindsUndocumentedAndGeneratedTypes(t *testing.T) {
	dir := t.TempDir()
	src := `package webex

import gen "example.com/generated/webex"

// Documented is fine.
func Documented() {}

func Bare() {}

// UserItem is an alias with a doc comment: it may name gen.
type UserItem = gen.UserItem

// Submit names the generated type instead of the alias.
func Submit(users []gen.UserItem) {}

// Grouped constants share the group's comment.
const (
	A = 1
	B = 2
)

var Loose = 3

type T struct{}

// M is documented.
func (T) M() {}

func (T) N() {}
`
	if err := os.WriteFile(filepath.Join(dir, "p.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := parseDoc(dir, "example.com/m/sdk/webex", []string{"p.go"})
	if err != nil {
		t.Fatal(err)
	}
	got := lintPackage(p, "example.com/m")
	want := []string{
		"sdk/webex: var Loose has no doc comment",
		"sdk/webex: func Bare has no doc comment",
		"sdk/webex: func Submit names gen.UserItem: use this package's alias",
		"sdk/webex: type T has no doc comment",
		"sdk/webex: func T.N has no doc comment",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestRepositoryHasNoLintProblems: the real tree passes lintPackage (the check `make api-check` runs).
func TestRepositoryHasNoLintProblems(t *testing.T) {
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	got, err := listAll(root, "github.com/jobwatch/jobwatch")
	if err != nil {
		t.Fatal(err)
	}
	if p := got[problemsKey]; p != "" {
		t.Errorf("public API problems:\n%s", p)
	}
}

// TestPlumbingIsNotPublic: the committed listings (which TestRepositoryHasNoLintProblems and
// `make api-check` hold to the code) name none of the helpers that exist only for the vendor
// packages to share code, and no exported mutable map.
func TestPlumbingIsNotPublic(t *testing.T) {
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	got, err := listAll(root, "github.com/jobwatch/jobwatch")
	if err != nil {
		t.Fatal(err)
	}
	gone := map[string][]string{
		"sdk.txt": {"func BaseURLEnv(", "func ClassifyCallError(", "func Int(", "func IsJSON(", "func KindForStatus(",
			"func ParseRetryAfter(", "func PerSecond(", "func Redact(", "func RedactURL(", "func SameOrigin(",
			"func ResponseError(", "func Unexpected(", "type Doer ", "type Settings ", "func NewSettings(",
			"type UnknownStatusLogger ", ") Finish() ", "RetryPolicy) Backoff(", "RetryPolicy) Delay(", "RetryPolicy) Do(",
			"func ResumeWaiter(", "func ResumePlanner("},
		"sdk_oracle.txt":  {"func MapStatus(", "func ParseError(", "func RecordFailed("},
		"sdk_huawei.txt":  {"func MapTask(", "func ParseError(", "var States ", "var FailCodeMeanings "},
		"sdk_webex.txt":   {"func MapJob(", "func Failures(", "func ParseError(", "func ParseISODuration("},
		"sdk_tencent.txt": {"func MapJob(", "func ParseError(", "var States ", "var CodeMeanings ", "func KindForCode(", "func Signature(", "func CanonicalRequest(", "func Authorization(", "type SignInput "},
	}
	for file, names := range gone {
		listing, ok := got[file]
		if !ok {
			t.Fatalf("no listing %s", file)
		}
		for _, n := range names {
			if strings.Contains(listing, n) {
				t.Errorf("%s still exports %q", file, n)
			}
		}
		for _, line := range strings.Split(listing, "\n") {
			if strings.HasPrefix(line, "var ") && strings.Contains(line, "= map[") {
				t.Errorf("%s exports a mutable map: %s", file, line)
			}
		}
	}
}
