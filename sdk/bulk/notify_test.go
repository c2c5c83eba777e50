package bulk

import (
	"fmt"
	"testing"
)

// TestNotificationCapsUnmatched: a notification carries at most MaxNotifyFailures failures, the
// summary's unmatched failures counted with its lines; the caller's summary keeps them all.
func TestNotificationCapsUnmatched(t *testing.T) {
	for _, c := range []struct{ failed, unmatched, wantFailed, wantUnmatched int }{
		{0, 30, 0, 20},
		{5, 30, 5, 15},
		{5, 3, 5, 3},
		{25, 30, 20, 0},
	} {
		s := &Summary{}
		for i := range c.failed {
			s.Report = append(s.Report, ReportLine{Line: i + 1, Outcome: OutcomeFailed})
		}
		s.Report = append(s.Report, ReportLine{Line: c.failed + 1, Outcome: OutcomeSucceeded})
		for i := range c.unmatched {
			s.UnmatchedFailures = append(s.UnmatchedFailures, UnmatchedErr{Job: fmt.Sprint("j", i)})
		}
		n := NewNotification(&Input{Digest: "d"}, s)
		if len(n.Failures) != c.wantFailed || len(n.Summary.UnmatchedFailures) != c.wantUnmatched {
			t.Errorf("%d failed, %d unmatched: notified %d and %d, want %d and %d", c.failed, c.unmatched,
				len(n.Failures), len(n.Summary.UnmatchedFailures), c.wantFailed, c.wantUnmatched)
		}
		if len(s.UnmatchedFailures) != c.unmatched {
			t.Errorf("%d unmatched: the caller's summary now holds %d", c.unmatched, len(s.UnmatchedFailures))
		}
	}
}
