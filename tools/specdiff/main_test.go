package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestRemovedRequiredFieldIsBreaking edits a copy of the Webex spec in a scratch repository: a field
// that was required becomes optional in the answer, which oasdiff flags as breaking; -base reports it,
// and -check fails until the changelog records it.
func TestRemovedRequiredFieldIsBreaking(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	modRoot, _ := filepath.Abs("..") // the tools module, which pins oasdiff
	repoRoot := filepath.Join(modRoot, "..")
	repo := t.TempDir()
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@x", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@x")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v: %s", args, err, out)
		}
	}
	spec, err := os.ReadFile(filepath.Join(repoRoot, "specs", "webex.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(repo, "specs"), 0o755)
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(repo, "specs", name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("webex.yaml", string(spec))
	write("CHANGELOG.md", "# Spec changelog\n")
	run("init", "-q")
	run("add", ".")
	run("commit", "-qm", "specs")

	const required = "required: [name, id, sourceUserId, sourceCustomerId, targetCustomerId, instanceId, latestExecutionStatus, counts]"
	if !strings.Contains(string(spec), required) {
		t.Fatal("the Webex job's required list moved; update this test")
	}
	write("webex.yaml", strings.Replace(string(spec), required, strings.Replace(required, " latestExecutionStatus,", "", 1), 1))

	d := differ{repo: repo, modRoot: modRoot}
	var out bytes.Buffer
	code, err := d.diffBase(&out, "HEAD")
	if err != nil || code != 1 || !strings.Contains(out.String(), "[response-property-became-optional]") || !strings.Contains(out.String(), "latestExecutionStatus") {
		t.Fatalf("spec-diff: code %d, %v:\n%s", code, err, out.String())
	}
	out.Reset()
	if code, err := d.checkHistory(&out); err != nil || code != 1 || !strings.Contains(out.String(), "unrecorded breaking change in the working copy: webex.yaml [response-property-became-optional]") {
		t.Fatalf("spec-check before the changelog: code %d, %v:\n%s", code, err, out.String())
	}
	write("CHANGELOG.md", "# Spec changelog\n- webex.yaml response-property-became-optional: latestExecutionStatus is not always sent\n")
	out.Reset()
	if code, err := d.checkHistory(&out); err != nil || code != 0 {
		t.Fatalf("spec-check after the changelog: code %d, %v:\n%s", code, err, out.String())
	}
	run("commit", "-qam", "webex: latestExecutionStatus optional")
	out.Reset()
	if code, err := d.checkHistory(&out); err != nil || code != 0 {
		t.Fatalf("spec-check of the history: code %d, %v:\n%s", code, err, out.String())
	}
}
