package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jobwatch/jobwatch/simulator"
)

// TestSelfCommandFor: the commands simulate prints start with what runs this jobwatch from the user's
// shell. A second `go run` (Go 1.24 and later) starts the binary from the build cache, whose path
// simulate printed until the cache was recognised.
func TestSelfCommandFor(t *testing.T) {
	t.Parallel()
	const hash = "3a0cc5c7713aa05a9aeae81f3b361355d88ce0d43b8706abaf63e868293fabd3"
	for _, c := range []struct {
		name, exe, onPath string
		inModuleRoot      bool
		want              string
	}{
		{"on PATH", "/home/me/go/bin/jobwatch", "/home/me/go/bin/jobwatch", false, "jobwatch"},
		{"another one on PATH", "/opt/jobwatch/jobwatch", "/home/me/go/bin/jobwatch", true, "/opt/jobwatch/jobwatch"},
		{"built here", "/home/me/src/jobwatch/jobwatch", "", true, "/home/me/src/jobwatch/jobwatch"},
		{"path with a space", "/home/me/my tools/jobwatch", "", false, "'/home/me/my tools/jobwatch'"},
		{"go run, first build", "/tmp/go-build2094983820/b001/exe/jobwatch", "", true, "go run ./cmd/jobwatch"},
		{"go run, GOTMPDIR", "/scratch/go-build77/b001/exe/jobwatch", "", true, "go run ./cmd/jobwatch"},
		{"go run, cached", "/root/.cache/go-build/3a/" + hash + "-d/jobwatch", "", true, "go run ./cmd/jobwatch"},
		{"go run, cached, own GOCACHE", "/work/gocache/3a/" + hash + "-d/jobwatch", "", true, "go run ./cmd/jobwatch"},
		{"go run, cached, elsewhere", "/root/.cache/go-build/3a/" + hash + "-d/jobwatch", "", false, "go run github.com/jobwatch/jobwatch/cmd/jobwatch@latest"},
		{"go run, first build, elsewhere", "/tmp/go-build1/b001/exe/jobwatch", "", false, "go run github.com/jobwatch/jobwatch/cmd/jobwatch@latest"},
		{"cache shape, wrong prefix dir", "/root/.cache/go-build/4b/" + hash + "-d/jobwatch", "", true, "/root/.cache/go-build/4b/" + hash + "-d/jobwatch"},
		{"cache shape, short hash", "/srv/3a/3a0c-d/jobwatch", "", true, "/srv/3a/3a0c-d/jobwatch"},
		{"go-build in the path only", "/home/me/go-build/bin/jobwatch", "", true, "/home/me/go-build/bin/jobwatch"},
		{"an exe directory", "/opt/app/exe/jobwatch", "", true, "/opt/app/exe/jobwatch"},
	} {
		if got := selfCommandFor(c.exe, c.onPath, c.inModuleRoot); got != c.want {
			t.Errorf("%s: selfCommandFor(%q, %q, %v) = %q, want %q", c.name, c.exe, c.onPath, c.inModuleRoot, got, c.want)
		}
	}
}

// TestSimulateDir: simulate --dir creates a directory that does not exist yet and names it by its
// absolute path, so that the printed commands run from any directory; one it cannot use is a usage
// error before anything is printed (it printed every export line, then failed). Not parallel: it
// changes the working directory, to give a relative --dir.
func TestSimulateDir(t *testing.T) {
	wd := t.TempDir()
	t.Chdir(wd)
	if err := os.WriteFile("a-file", nil, 0o644); err != nil {
		t.Fatal(err)
	}

	code, out, stderr := runCLI(t.Context(), env{}, "simulate", "--jobs", "2", "--dir", "new/jobs", "--timeout", "1ms")
	dir := filepath.Join(wd, "new", "jobs")
	if code != exitOK || !strings.Contains(out, "\n# job id files in "+dir+"\n") {
		t.Fatalf("exit %d, want 0 naming %s:\n%s\n%s", code, dir, out, stderr)
	}
	for _, v := range simulator.Vendors() {
		file := filepath.Join(dir, v+"-jobs.txt")
		if _, err := os.Stat(file); err != nil {
			t.Errorf("%s: %v", v, err)
		}
		if want := "\njobwatch watch --vendor " + v + " --jobs-file " + file + "\n"; !strings.Contains(out, want) {
			t.Errorf("no line %q in:\n%s", want, out)
		}
	}

	code, out, stderr = runCLI(t.Context(), env{}, "simulate", "--jobs", "2", "--dir", "a-file", "--timeout", "1ms")
	if code != exitUsage || out != "" || !strings.Contains(stderr, "--dir") {
		t.Errorf("--dir a-file: exit %d, stdout %q, stderr %q; want 2, nothing printed, an error naming --dir", code, out, stderr)
	}
}

// TestSimulateUsageLines: simulate's usage line, in its help and in docs/cli.md, lists every flag it
// has; docs/cli.md's lacked --dir and --timeout.
func TestSimulateUsageLines(t *testing.T) {
	t.Parallel()
	code, help, _ := runCLI(t.Context(), env{}, "help", "simulate")
	flags := regexp.MustCompile(`(?m)^  (--\S+)`).FindAllStringSubmatch(help, -1)
	if code != exitOK || len(flags) < 5 {
		t.Fatalf("help simulate: exit %d, flags %q:\n%s", code, flags, help)
	}
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "cli.md"))
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]string{
		"help":        regexp.MustCompile(`(?m)^usage: jobwatch simulate .*$`).FindString(help),
		"docs/cli.md": regexp.MustCompile(`(?m)^jobwatch simulate .*$`).FindString(string(doc)),
	}
	for where, line := range lines {
		if line == "" {
			t.Errorf("%s has no usage line for simulate", where)
		}
		for _, f := range flags {
			if !strings.Contains(line, "["+f[1]+" ") {
				t.Errorf("%s: simulate's usage line lacks %s: %s", where, f[1], line)
			}
		}
	}
}
