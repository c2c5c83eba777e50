package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
)

// TestBarStatus: a bar shows its state (coloured only when asked), the job's elapsed time, and when the
// next poll is: "polling" once that time has passed, nothing of it once the job ended, whose time stops.
func TestBarStatus(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		next   time.Duration // after start, 0 for none
		ended  time.Duration
		now    time.Duration
		colour bool
		want   string
	}{
		{"no poll planned", 0, 0, 5 * time.Second, false, " running · 5s"},
		{"next poll ahead", 70 * time.Second, 0, 65 * time.Second, false, " running · 1m05s · next poll in 5s"},
		{"rounded up", 3*time.Second + time.Millisecond, 0, 2 * time.Second, false, " running · 2s · next poll in 2s"},
		{"poll due", 10 * time.Second, 0, 11 * time.Second, false, " running · 11s · polling"},
		{"ended", 10 * time.Second, 2*time.Hour + 3*time.Minute + 4*time.Second, 3 * time.Hour, false, " running · 2h03m04s"},
		{"colour", 0, 0, time.Second, true, " \x1b[33mrunning\x1b[0m · 1s"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			jb := &jobBar{}
			jb.set("running")
			yellow := "33"
			jb.sgr.Store(&yellow)
			if tc.next > 0 {
				jb.next.Store(start.Add(tc.next).UnixNano())
			}
			jb.ended.Store(int64(tc.ended))
			if got := jb.status(start, start.Add(tc.now), tc.colour); got != tc.want {
				t.Errorf("status = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestBarsInInputOrder: the bars are drawn in the order of the ids given (the jobs file's), whatever
// order the jobs' first events come in, as the tables are.
func TestBarsInInputOrder(t *testing.T) {
	t.Parallel()
	arrival := []string{"274", "271", "272", "273", "275"}
	cases := map[string][]string{
		"file order": {"271", "272", "273", "274", "275"},
		"reversed":   {"275", "274", "273", "272", "271"},
		"arrival":    arrival,
	}
	for name, ids := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var out syncBuffer
			b := newBars(&out, ids, time.Hour) // drawn once, when closed: the last frame
			for _, id := range arrival {
				b.update(&sdk.Job{Vendor: "webex", ID: id, State: sdk.StateRunning})
			}
			for _, id := range arrival {
				b.finish(outcome{vendor: "webex", id: id, job: &sdk.Job{Vendor: "webex", ID: id, State: sdk.StateSucceeded, Done: true}})
			}
			b.close()
			var drawn []string
			for _, l := range strings.Split(out.String(), "\n") {
				if f := strings.Fields(l); len(f) > 1 && f[0] == "webex" {
					drawn = append(drawn, f[1])
				}
			}
			// Every frame drawn (closing may draw more than one) has the bars in the input's order.
			frames := slices.Collect(slices.Chunk(drawn, len(ids)))
			if len(frames) == 0 || slices.ContainsFunc(frames, func(f []string) bool { return !slices.Equal(f, ids) }) {
				t.Errorf("bars drawn in the order %q, want the input's %q:\n%s", drawn, ids, out.String())
			}
		})
	}
}
