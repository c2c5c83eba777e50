package sdk

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"
	"unsafe"
)

// TestScheduleMemory pins the memory layout a Watcher pays per job: the schedule and the entry stay in
// the 128- and 64-byte size classes and hold no job while the job runs (before: 240 bytes plus the last
// job with its raw answer, 1.0–1.6 KiB per job).
func TestScheduleMemory(t *testing.T) {
	if s, e := unsafe.Sizeof(schedule{}), unsafe.Sizeof(entry{}); s > 128 || e > 64 {
		t.Errorf("schedule is %d bytes and entry %d, want ≤ 128 and ≤ 64", s, e)
	}
	s := newSchedule(&waitConfig{minDelay: time.Second, maxDelay: time.Minute, maxWait: time.Hour, random: noJitter}, "fake", "j", time.Unix(1, 0), nil)
	e := &entry{s: s}
	s.seen = e // as a Watcher sets it
	job := (&Job{Vendor: "fake", ID: "j", State: StateRunning, VendorStatus: make([]string, 4096)}).finish()
	job.Counts.Total, job.Counts.Succeeded = intp(10), intp(4)
	s.observe(time.Unix(2, 0), job, nil, 0)
	if s.rare != nil {
		t.Errorf("a watched running job keeps rare %v", s.rare)
	}
	if got := s.lastJob(); got == job || got.State != StateRunning || *got.Counts.Total != 10 || *got.Counts.Succeeded != 4 || len(got.VendorStatus) != 0 {
		t.Errorf("last job %+v, want a summary without the vendor's status values", got)
	}
}

// TestWatcherTimeoutKeepsWhereTheJobStood: a Watcher's timeout reports the last state, counts and
// progress seen, rebuilt from what it kept.
func TestWatcherTimeoutKeepsWhereTheJobStood(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(map[string]time.Duration{"slow": time.Hour})
		f.progress = true
		w, err := NewWatcher(&WatcherOptions{Wait: WaitOptions{MaxWait: time.Minute}})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		_ = w.Add(f, "slow", nil)
		for _, r := range results(w, 1) {
			job, err := r.Job, r.Err
			if !errors.Is(err, ErrWaitTimeout) || job.State != StateRunning || job.Counts.Total == nil || *job.Counts.Total != 1000 ||
				job.Counts.Succeeded == nil || *job.Counts.Succeeded < 10 || job.Progress == nil || *job.Progress <= 0 {
				t.Errorf("job %+v, err %v", job, err)
			}
		}
	})
}
