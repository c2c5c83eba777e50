package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestTerminalBarsShowTimesAndRedrawCleanly: each bar shows its job's elapsed time and when its next
// poll is, the bars in the jobs file's order; after Ctrl-C (which the terminal echoes as ^C, two columns) every frame still starts at the
// line's first column.
func TestTerminalBarsShowTimesAndRedrawCleanly(t *testing.T) {
	skipShort(t)
	srv, ahead, vars := loopbackSim(t)
	ids := runningJobs(t, srv, ahead, 3)
	file := filepath.Join(t.TempDir(), "ids")
	os.WriteFile(file, []byte(strings.Join(ids, "\n")), 0o600)
	out, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	tm := startTerm(t, vars, out, "watch", "--vendor", "webex", "--jobs-file", file, "--min-delay", "10s", "--max-delay", "10s")
	labels := idLabels(ids, labelWidth)
	for _, id := range ids {
		tm.waitFor(regexp.QuoteMeta(labels[id])+`.*running, 1 of 4 users processed · \d+s · next poll in (10|[1-9])s`, 15*time.Second)
	}
	tm.ctrlC()
	if code := tm.exit(5 * time.Second); code != exitInterrupted {
		t.Fatalf("exit %d, want 130:\n%s", code, tm.screen.String())
	}
	screen := tm.screen.String()
	for i := 1; i < len(ids); i++ { // the last frame has every bar
		if strings.LastIndex(screen, labels[ids[i-1]]) > strings.LastIndex(screen, labels[ids[i]]) {
			t.Errorf("the bar of %s is drawn after that of %s, not in the file's order:\n%q", ids[i-1], ids[i], screen)
		}
	}
	redraws := regexp.MustCompile(`(?s)(.)\x1b\[\d+A\x1b\[J`).FindAllStringSubmatch(screen, -1)
	if len(redraws) == 0 {
		t.Fatalf("no redraw on the terminal:\n%q", screen)
	}
	for _, m := range redraws {
		if m[1] != "\r" {
			t.Fatalf("a frame does not start at the first column (after %q):\n%q", m[1], screen)
		}
	}
}
