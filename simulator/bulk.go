package simulator

import (
	"bytes"
	"hash/fnv"
	"net/http"
	"sort"
	"strings"
	"time"
)

// BulkOptions make the simulator behave as the vendors do under a bulk run (`jobwatch run`): limits on
// jobs in flight, refused as the vendor refuses them, and users failing at set rates with each vendor's
// real codes. The zero value changes nothing.
type BulkOptions struct {
	// JobsInFlight caps the jobs not yet finished per vendor, for the vendors that document a refusal:
	// Tencent answers a create beyond it with FailedOperation.DataFlowTooManyRequests ("There are
	// already two valid tasks"), Oracle with 400 (only one create job at a time). 0 means no cap.
	JobsInFlight map[string]int
	// TransientRate is the share of users (chosen by a hash of vendor and user, so the same users on
	// every run) that fail with the vendor's retryable code on their first TransientAttempts submissions
	// and succeed after.
	TransientRate float64
	// TransientAttempts is how many submissions of a transiently failing user fail (default 1).
	TransientAttempts int
	// PermanentRate is the share of users (chosen the same way, disjoint from the transient ones) that
	// fail on every submission with the vendor's permanent code (DefaultFailUser's).
	PermanentRate float64
}

// transientFailure is each vendor's documented retryable failure of a user.
func transientFailure(vendor string) Failure {
	switch vendor {
	case Huawei:
		return Failure{Code: "60101900002", Message: "Internal system error. Reason: the user service did not answer."}
	case Webex:
		return Failure{Code: "503", Message: "Service Unavailable: the move could not be processed; try again."}
	case Tencent:
		return Failure{Message: "InternalError: An internal error occurred."}
	default:
		return Failure{Code: "500", Message: "Internal Server Error. Underlying Identity Management System failed."}
	}
}

// share maps a vendor's user to [0, 1), the same on every run.
func share(vendor, user string) float64 {
	h := fnv.New64a()
	h.Write([]byte(vendor + "\x00" + user))
	// FNV's high bits barely move when only the last bytes differ (user1, user2, ...): mix them in
	// (splitmix64's finalizer) so that the shares spread evenly.
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11) / float64(1<<53)
}

// BulkClass says how the simulator's failure rates treat a user: "permanent", "transient" or "".
func (s *Simulator) BulkClass(vendor, user string) string {
	b := s.opts.Bulk
	switch x := share(vendor, user); {
	case x < b.PermanentRate:
		return "permanent"
	case x < b.PermanentRate+b.TransientRate:
		return "transient"
	}
	return ""
}

// submitted counts a submission of user and returns the failure the rates give it; s.mu must not be held.
func (s *Simulator) submitted(vendor, user string) (Failure, bool) {
	s.mu.Lock()
	if s.submits[vendor] == nil {
		s.submits[vendor] = map[string]int{}
	}
	s.submits[vendor][user]++
	n := s.submits[vendor][user]
	s.mu.Unlock()
	attempts := s.opts.Bulk.TransientAttempts
	if attempts <= 0 {
		attempts = 1
	}
	switch s.BulkClass(vendor, user) {
	case "permanent":
		f, _ := DefaultFailUser(vendor, "fail")
		return f, true
	case "transient":
		if n <= attempts {
			return transientFailure(vendor), true
		}
	}
	return Failure{}, false
}

// Submissions returns how many times each user was submitted to vendor (in a job created through the
// API or CreateJob).
func (s *Simulator) Submissions(vendor string) map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.submits[vendor]))
	for u, n := range s.submits[vendor] {
		out[u] = n
	}
	return out
}

// LoseAnswers makes the next n create calls of vendor start their job and then cut the connection
// instead of answering, as a timeout or a reset after sending looks to the client.
func (s *Simulator) LoseAnswers(vendor string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lose[vendor] += n
}

// inFlight counts vendor's jobs not finished; s.mu must not be held.
func (s *Simulator) inFlight(vendor string) int {
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, j := range s.jobs[vendor] {
		if ph, _ := j.at(now); ph != finished {
			n++
		}
	}
	return n
}

// tooManyJobs reports whether vendor's cap on jobs in flight refuses a new one.
func (s *Simulator) tooManyJobs(vendor string) bool {
	limit := s.opts.Bulk.JobsInFlight[vendor]
	if limit <= 0 || s.inFlight(vendor) < limit {
		return false
	}
	s.mu.Lock()
	s.refusals[vendor]++
	s.mu.Unlock()
	return true
}

// Refusals returns how many creates of vendor were refused for too many jobs in flight.
func (s *Simulator) Refusals(vendor string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refusals[vendor]
}

// isCreate reports whether r starts a job.
func isCreate(vendor string, r *http.Request) bool {
	switch vendor {
	case Tencent:
		return r.Header.Get("X-TC-Action") == "CreateApiImportUserJob"
	case Huawei:
		return strings.HasSuffix(r.URL.Path, "/createTask")
	}
	return r.Method == http.MethodPost && !strings.Contains(r.URL.Path, "/actions/")
}

// loseAnswer reports whether the answer x is about to give, a started job, is to be lost.
func (s *Simulator) loseAnswer(x *exchange) bool {
	if !isCreate(x.vendor, x.r) || x.status >= 300 {
		return false
	}
	switch x.vendor {
	case Tencent:
		if bytes.Contains(x.out, []byte(`"Error"`)) {
			return false
		}
	case Huawei:
		if !bytes.Contains(x.out, []byte(`"resultCode":"0"`)) {
			return false
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lose[x.vendor] <= 0 {
		return false
	}
	s.lose[x.vendor]--
	return true
}

// JobSpan is when one job ran: from its creation until it finished (by the simulator's clock).
type JobSpan struct {
	Created, Finished time.Time
}

// JobSpans returns when each of vendor's jobs ran, in creation order: for measuring how much of a
// vendor's allowed concurrency a client used.
func (s *Simulator) JobSpans(vendor string) []JobSpan {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]JobSpan, 0, len(s.jobs[vendor]))
	for _, j := range s.jobs[vendor] {
		end := j.created.Add(j.duration)
		if j.abandoned != nil {
			end = *j.abandoned
		}
		out = append(out, JobSpan{Created: j.created, Finished: end})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Created.Before(out[b].Created) })
	return out
}
