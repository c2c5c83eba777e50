package waitflow

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A program that uses sdk/tencent alone must not get Temporal in its module graph: the temporal module
// is its own module, and the root module does not require it.
func TestSdkConsumersGetNoTemporalModule(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":  "module example.com/consumer\n\ngo 1.26.0\n\nrequire github.com/jobwatch/jobwatch v0.0.0\n\nreplace github.com/jobwatch/jobwatch => " + root + "\n",
		"main.go": "package main\n\nimport (\n\t\"fmt\"\n\n\t\"github.com/jobwatch/jobwatch/sdk/tencent\"\n)\n\nfunc main() { fmt.Println(tencent.Vendor) }\n",
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	files["go.sum"] = string(sum)
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"mod", "tidy"}, {"list", "-m", "all"}} {
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		if args[0] == "list" {
			if !strings.Contains(string(out), "github.com/jobwatch/jobwatch") {
				t.Fatalf("go list -m all does not list jobwatch:\n%s", out)
			}
			for _, line := range strings.Split(string(out), "\n") {
				if strings.HasPrefix(line, "go.temporal.io/") {
					t.Errorf("a consumer of sdk/tencent gets %s", line)
				}
			}
		}
	}
}
