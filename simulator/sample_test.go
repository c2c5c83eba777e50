package simulator

import (
	"testing"
	"testing/synctest"
	"time"
)

// TestFirstIDsAreTheDocumentedExamples: the ids documentation and the README show exist in a fresh
// simulator, and the next ones count up in the vendor's format.
func TestFirstIDsAreTheDocumentedExamples(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		Oracle: {"95733", "95734"},
		Huawei: {"1659446191820726274", "1659446191820726275"},
		Webex:  {"Y2lzY29zcGFyazovL3VzL0pPQl9JRC8xMzFkOTg1ZC1iZThhLTQ3MjgtYjM2MC02MzBjNTAxNTEyNzE", "Y2lzY29zcGFyazovL3VzL0pPQl9JRC8xMzFkOTg1ZC1iZThhLTQ3MjgtYjM2MC02MzBjNTAxNTEyNzI"},
	}
	for _, v := range []string{Oracle, Huawei, Webex, Oracle, Huawei, Webex} {
		id, err := s.CreateJob(v, []JobUser{{ID: "u"}}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if id != want[v][0] {
			t.Errorf("%s: id %s, want %s", v, id, want[v][0])
		}
		want[v] = want[v][1:]
	}
}

// TestSampleJobStartsWhenFirstAsked: a sample job created an hour before anyone asks is still queued
// when first asked, then runs its course from there; a plain job has long finished.
func TestSampleJobStartsWhenFirstAsked(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, err := New(Options{})
		if err != nil {
			t.Fatal(err)
		}
		users := []JobUser{{ID: "a"}, {ID: "b"}}
		sample, _ := s.CreateSampleJob(Webex, users, 10*time.Second)
		plain, _ := s.CreateJob(Webex, users, 10*time.Second)
		time.Sleep(time.Hour)
		if ph, _ := s.phase(s.job(Webex, plain)); ph != finished {
			t.Errorf("plain job: phase %d after an hour, want finished", ph)
		}
		j := s.job(Webex, sample)
		if ph, _ := s.phase(j); ph != queued {
			t.Errorf("sample job first asked after an hour: phase %d, want queued", ph)
		}
		time.Sleep(5 * time.Second)
		if ph, p := s.phase(s.job(Webex, sample)); ph != running || p < 0.49 || p > 0.51 {
			t.Errorf("sample job 5 s after first asked: phase %d at %.2f, want running at 0.5", ph, p)
		}
		time.Sleep(5 * time.Second)
		if ph, _ := s.phase(s.job(Webex, sample)); ph != finished {
			t.Errorf("sample job 10 s after first asked: phase %d, want finished", ph)
		}
		if _, err := s.CreateSampleJob("aws", users, 0); err == nil {
			t.Error("unknown vendor: no error")
		}
	})
}
