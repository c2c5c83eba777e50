package sdk

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
)

// tokenVersion is the current token format. A token is "jw<version>." followed by the base64url of a
// JSON document, so that its version can be read before its content is trusted.
const tokenVersion = 1

// maxClockSkew is how far in the future a token's start may lie, for clocks of two machines that
// disagree a little.
const maxClockSkew = time.Minute

// maxTokenLen bounds what a resume will decode.
const maxTokenLen = 8 << 10

type tokenBody struct {
	Vendor   string `json:"vendor"`
	Job      string `json:"job"`
	Began    int64  `json:"began"`    // unix nanoseconds
	MaxWait  int64  `json:"max_wait"` // nanoseconds
	Attempt  int    `json:"attempt"`
	Next     int64  `json:"next"` // unix nanoseconds
	Location string `json:"location,omitempty"`
	Size     int    `json:"size,omitempty"` // users in the job (WaitOptions.Size), 0 when unknown
}

// token is the schedule as a resume token: an opaque string holding the vendor, the job id, when the
// wait began, its budget and where its schedule stands.
func (s *schedule) token() string {
	b, _ := json.Marshal(tokenBody{Vendor: s.vendor, Job: s.jobID, Began: s.began.UnixNano(), MaxWait: int64(s.cfg.maxWait),
		Attempt: int(s.attempt), Next: s.next.UnixNano(), Location: s.location(), Size: s.cfg.size})
	return "jw" + strconv.Itoa(tokenVersion) + "." + base64.RawURLEncoding.EncodeToString(b)
}

func parseToken(token string) (*tokenBody, error) {
	if len(token) > maxTokenLen {
		return nil, fmt.Errorf("%w: %d bytes is longer than any token jobwatch writes", errResumeToken, len(token))
	}
	head, body, ok := strings.Cut(token, ".")
	if !ok || !strings.HasPrefix(head, "jw") {
		return nil, fmt.Errorf("%w: not a jobwatch resume token (no jw<version>. prefix)", errResumeToken)
	}
	v, err := strconv.Atoi(head[2:])
	if err != nil {
		return nil, fmt.Errorf("%w: version %q is not a number", errResumeToken, head[2:])
	}
	if v != tokenVersion {
		return nil, fmt.Errorf("%w: version %d is not supported (this jobwatch reads version %d)", errResumeToken, v, tokenVersion)
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return nil, fmt.Errorf("%w: corrupt: not base64url", errResumeToken)
	}
	var t tokenBody
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil || dec.More() {
		return nil, fmt.Errorf("%w: corrupt: content is not a token document", errResumeToken)
	}
	switch {
	case t.Vendor == "" || t.Job == "":
		return nil, fmt.Errorf("%w: corrupt: vendor or job id missing", errResumeToken)
	case t.Began <= 0 || t.MaxWait <= 0 || t.Attempt < 0 || t.Next < t.Began || t.Size < 0:
		return nil, fmt.Errorf("%w: corrupt: schedule fields out of range", errResumeToken)
	}
	return &t, nil
}

// beganBy refuses a resumed wait that began after now (beyond clock skew): its deadline would lie as far
// in the future, and the wait would never end. Only what waits on the wall clock asks it (Wait and
// the Watcher): a Planner reads no clock, so that a workflow engine replaying it gets the same plan on
// any worker.
func (s *schedule) beganBy(now time.Time) error {
	if s.began.After(now.Add(maxClockSkew)) {
		return fmt.Errorf("%w: the wait began at %s, in the future", errResumeToken, s.began.UTC().Format(time.RFC3339))
	}
	return nil
}

// startSchedule is the schedule of a wait for jobID of vendor: the one opts.ResumeToken describes, or
// else a new one beginning at start. seen is what the wait remembers of the last job (nil: jobMemo).
// It reads no clock.
func startSchedule(cfg *waitConfig, vendor, jobID string, opts *WaitOptions, start time.Time, seen lastSeen) (*schedule, error) {
	if opts != nil && opts.ResumeToken != "" {
		return resumeSchedule(vendor, jobID, opts.ResumeToken, *cfg, seen)
	}
	if err := checkJobID(vendor, jobID); err != nil {
		return nil, err
	}
	return newSchedule(cfg, vendor, jobID, start, seen), nil
}

// startWait is startSchedule now, by the wall clock, refusing a resumed wait that began after now
// (beganBy): the start of Wait's and the Watcher's waits.
func startWait(cfg *waitConfig, vendor, jobID string, opts *WaitOptions, seen lastSeen) (*schedule, error) {
	now := time.Now()
	s, err := startSchedule(cfg, vendor, jobID, opts, now, seen)
	if err != nil {
		return nil, err
	}
	if err := s.beganBy(now); err != nil {
		return nil, err
	}
	return s, nil
}

// resumeSchedule rebuilds the schedule a token describes for a client of vendor and job jobID ("" accepts
// any), remembering the jobs it sees in seen (nil: jobMemo). The next poll the token names is trimmed
// to the deadline, which a MaxWait in cfg may have moved nearer: a token taken during a long delay must
// not sleep past a shorter resumed budget.
func resumeSchedule(vendor, jobID, token string, cfg waitConfig, seen lastSeen) (*schedule, error) {
	t, err := parseToken(token)
	if err != nil {
		return nil, err
	}
	if vendor != "" && t.Vendor != vendor {
		return nil, fmt.Errorf("%w: it is for a %s job, the client is %s", errResumeToken, t.Vendor, vendor)
	}
	if jobID != "" && t.Job != jobID {
		return nil, fmt.Errorf("%w: it is for job %q, not %q", errResumeToken, t.Job, jobID)
	}
	if err := checkJobID(t.Vendor, t.Job); err != nil {
		return nil, fmt.Errorf("%w: %w", errResumeToken, err)
	}
	if !cfg.maxWaitSet {
		cfg.maxWait = time.Duration(t.MaxWait)
	}
	if cfg.size == 0 {
		cfg.size = t.Size
	}
	s := newSchedule(&cfg, t.Vendor, t.Job, time.Unix(0, t.Began), seen)
	s.attempt, s.next = int32(min(t.Attempt, math.MaxInt32)), time.Unix(0, t.Next)
	if t.Location != "" {
		// A Location names its job in its last path segment; one naming another would send the
		// credentials to another path and report that job's end as this one's.
		u, err := url.Parse(t.Location)
		if err != nil || path.Base(u.Path) != t.Job && path.Base(u.EscapedPath()) != url.PathEscape(t.Job) {
			return nil, fmt.Errorf("%w: its location does not name job %q", errResumeToken, t.Job)
		}
		s.more().location = t.Location
	}
	if d := s.lastDue(); s.next.After(d) {
		s.next = d
	}
	return s, nil
}
