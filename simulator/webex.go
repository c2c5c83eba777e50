package simulator

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	gen "github.com/jobwatch/jobwatch/generated/webex"
)

const webexJobs = "/v1/telephony/config/jobs/person/moveLocation"

// Webex serves the move-users job calls: start (validate=false), list, status with counts and
// executions, the errors list (paged), pause, resume and abandon, behind a Bearer token and a request
// rate answered with 429 and Retry-After. A request that breaks the spec, or starts a job Webex refuses
// (more than 100 users, a user twice), is answered 400 with Webex's request validation errors:
// errors[{code, message}].
func (s *Simulator) Webex() http.Handler {
	return s.serve(Webex, func(x *exchange) {
		tok, ok := strings.CutPrefix(x.r.Header.Get("Authorization"), "Bearer ")
		if !ok || !equal(tok, s.creds.WebexToken) {
			webexError(x, http.StatusUnauthorized, "The request requires a valid access token set in the Authorization request header.")
			return
		}
		if !s.allow(Webex, "webex:"+tok, s.opts.WebexRate) {
			x.header.Set("Retry-After", "1")
			webexError(x, http.StatusTooManyRequests, "Too many requests; retry after the time Retry-After gives.")
			return
		}
		rest := strings.TrimPrefix(strings.TrimPrefix(x.r.URL.Path, webexJobs), "/")
		parts := strings.Split(rest, "/")
		switch {
		case rest == "" && x.r.Method == http.MethodPost:
			s.webexCreate(x)
		case rest == "":
			s.webexList(x)
		case len(parts) == 1:
			s.webexStatus(x, parts[0])
		case len(parts) == 2 && parts[1] == "errors":
			s.webexErrors(x, parts[0])
		case len(parts) == 4 && parts[2] == "pause":
			s.webexPause(x, parts[0])
		case len(parts) == 4 && parts[2] == "resume":
			s.webexResume(x, parts[0])
		default: // actions/abandon/invoke
			s.webexAbandon(x, parts[0])
		}
	})
}

func webexError(x *exchange, status int, msg string) {
	x.json(status, map[string]any{"message": msg, "errors": []map[string]string{{"description": msg}},
		"trackingId": "ROUTER_SIM_" + strings.ToUpper(x.s.newID(6))})
}

// webexInvalid answers 400 as validateOrInitiateMoveUsersJob documents its request validation errors: an
// errors array of code (BATCH-400, or a number such as 1026019) and message, with no top-level message.
func webexInvalid(x *exchange, code any, msg string) {
	x.json(http.StatusBadRequest, map[string]any{"errors": []map[string]any{{"code": code, "message": msg}},
		"trackingId": "ROUTER_SIM_" + strings.ToUpper(x.s.newID(6))})
}

func (s *Simulator) webexCreate(x *exchange) {
	var in gen.MoveUsersRequest
	_ = json.Unmarshal(x.body, &in) // validated
	var users []JobUser
	validate := false
	seen := map[string]bool{}
	for _, l := range in.UsersList {
		validate = validate || l.Validate
		for _, u := range l.Users {
			if seen[u.UserId] {
				webexInvalid(x, 1026019, "Duplicate entry for user is not allowed.")
				return
			}
			seen[u.UserId] = true
			users = append(users, JobUser{ID: u.UserId, Action: "MOVE"})
		}
	}
	if len(users) > 100 {
		webexInvalid(x, 1026018, "Selected Users list exceeds the maximum limit.")
		return
	}
	if validate {
		results := []gen.UserMoveResult{}
		for _, u := range users {
			results = append(results, gen.UserMoveResult{UserId: ptr(u.ID)})
		}
		var resp gen.MoveUsersResponse
		_ = resp.Response.FromMoveUsersResponseResponse1(results)
		x.json(http.StatusOK, resp)
		return
	}
	id := s.addJob(Webex, users, 0)
	x.header.Set("TrackingID", "ROUTER_SIM")
	if s.webexPublishedShape() {
		// Webex's published OpenAPI document: 201, and `response` is the job itself.
		x.json(http.StatusCreated, gen.MoveUsersJobStarted{Response: s.webexJob(s.job(Webex, id))})
		return
	}
	st := gen.ExecutionStatusSTARTING
	var resp gen.MoveUsersResponse
	_ = resp.Response.FromStartJobResponse(gen.StartJobResponse{JobDetails: &gen.JobDetails{Id: id, Name: ptr("moveusers"),
		TrackingId: ptr("ROUTER_SIM"), LatestExecutionStatus: &st}})
	x.json(http.StatusOK, resp)
}

// webexPublishedShape says whether this start is answered in the published shape (201, response.id)
// rather than the older live one (200, response.jobDetails.id): as Options.WebexSubmitShape says, or by
// turns, the published shape first, so that every run exercises both.
func (s *Simulator) webexPublishedShape() bool {
	switch s.opts.WebexSubmitShape {
	case WebexSubmitPublished:
		return true
	case WebexSubmitLegacy:
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webexStarts++
	return s.webexStarts%2 == 1
}

// webexList lists the jobs as the published list example does: each job without name or download URL.
func (s *Simulator) webexList(x *exchange) {
	out := gen.MoveUsersJobList{Items: []gen.MoveUsersJobListItem{}}
	for _, id := range s.Jobs(Webex) {
		j := s.webexJob(s.job(Webex, id))
		tracking := "ROUTER_SIM"
		if j.TrackingId != nil {
			tracking = *j.TrackingId
		}
		out.Items = append(out.Items, gen.MoveUsersJobListItem{Id: j.Id, TrackingId: tracking, SourceUserId: j.SourceUserId,
			SourceCustomerId: j.SourceCustomerId, TargetCustomerId: j.TargetCustomerId, InstanceId: j.InstanceId,
			JobExecutionStatus: j.JobExecutionStatus, LatestExecutionStatus: j.LatestExecutionStatus,
			LatestExecutionExitCode: j.LatestExecutionExitCode, Counts: j.Counts})
	}
	x.json(http.StatusOK, out)
}

func (s *Simulator) webexStatus(x *exchange, id string) {
	j := s.job(Webex, id)
	if j == nil {
		webexError(x, http.StatusNotFound, "Job not found.")
		return
	}
	x.json(http.StatusOK, s.webexJob(j))
}

// webexJob renders a job as Webex does: one execution whose single step moves the users, counts that
// advance with the clock, and timeElapsed as an ISO-8601 duration. A paused job is Spring Batch's
// stopped execution (STOPPED, exit code STOPPED); each resume starts a new execution, listed first, with
// the stopped ones after it. Users listed with an error but moved ("warn") complete the job
// COMPLETED_WITH_ERRORS while counts.failed stays as it is.
func (s *Simulator) webexJob(j *job) gen.MoveUsersJob {
	now := s.opts.Now()
	ph, p := s.phase(j)
	done, failed := j.processed(p)
	warned := 0
	for _, u := range j.users[:done] {
		if u.warn != nil {
			warned++
		}
	}
	status, exit := gen.ExecutionStatusSTARTED, gen.ExitCodeUNKNOWN
	switch {
	case ph == queued:
		status = gen.ExecutionStatusSTARTING
	case ph == paused:
		status, exit = gen.ExecutionStatusSTOPPED, gen.ExitCodeSTOPPED
	case ph == finished && j.isAbandoned(s):
		status, exit = gen.ExecutionStatusABANDONED, gen.ExitCodeSTOPPED
	case ph == finished && failed == len(j.users):
		status, exit = gen.ExecutionStatusFAILED, gen.ExitCodeFAILED
	case ph == finished && failed+warned > 0:
		status, exit = gen.ExecutionStatusCOMPLETED, gen.ExitCodeCOMPLETEDWITHERRORS
	case ph == finished:
		status, exit = gen.ExecutionStatusCOMPLETED, gen.ExitCodeCOMPLETED
	}
	created := j.created.UTC()
	start := created.Add(j.duration / 10)
	last := now.UTC()
	s.mu.Lock()
	resumes, pausedAt, pausedFor := j.resumes, j.paused, j.pausedFor
	s.mu.Unlock()
	exec := gen.JobExecutionStatus{Id: ptr(j.instance + 3727 + int64(resumes)), CreatedTime: &created, LastUpdated: &last, StatusMessage: &status, ExitCode: &exit}
	if ph != queued {
		exec.StartTime = &start
		end := last
		switch ph {
		case finished:
			end = created.Add(time.Duration(p*float64(j.duration)) + pausedFor).UTC()
			exec.EndTime, exec.LastUpdated = &end, &end
		case paused:
			end = pausedAt.UTC()
			exec.EndTime, exec.LastUpdated = &end, &end
		}
		exec.TimeElapsed = ptr(isoDuration(end.Sub(created)))
		exec.StepExecutionStatuses = &[]gen.StepExecutionStatus{{Id: ptr(j.instance + 1220455), Name: ptr("moveusersvalidateAndMove"),
			StartTime: &start, LastUpdated: exec.LastUpdated, EndTime: exec.EndTime, StatusMessage: &status, ExitCode: &exit, TimeElapsed: exec.TimeElapsed}}
	}
	execs := []gen.JobExecutionStatus{exec}
	for r := resumes - 1; r >= 0; r-- { // the executions a pause stopped, most recent first
		st, ex := gen.ExecutionStatusSTOPPED, gen.ExitCodeSTOPPED
		execs = append(execs, gen.JobExecutionStatus{Id: ptr(j.instance + 3727 + int64(r)), CreatedTime: &created, LastUpdated: &created,
			StatusMessage: &st, ExitCode: &ex})
	}
	pending := len(j.users) - done
	return gen.MoveUsersJob{Name: "moveusers", Id: j.id, TrackingId: ptr("ROUTER_SIM"), SourceUserId: "Y2lzY29zcGFyazovL3VzL1BFT1BMRS9zaW0",
		SourceCustomerId: "Y2lzY29zcGFyazovL3VzL09SR0FOSVpBVElPTi9zaW0", TargetCustomerId: "Y2lzY29zcGFyazovL3VzL09SR0FOSVpBVElPTi9zaW0",
		InstanceId: j.instance, JobExecutionStatus: &execs, LatestExecutionStatus: status, LatestExecutionExitCode: &exit,
		Counts: gen.Counts{TotalMoves: len(j.users), Moved: done - failed, Failed: failed, Pending: &pending, Skipped: ptr(0)}}
}

// isoDuration writes d as Webex does, e.g. "PT2.752S" or "PT1M5.5S".
func isoDuration(d time.Duration) string {
	ms := d.Milliseconds()
	h, ms := ms/3600000, ms%3600000
	m, ms := ms/60000, ms%60000
	out := "PT"
	if h > 0 {
		out += fmt.Sprintf("%dH", h)
	}
	if m > 0 {
		out += fmt.Sprintf("%dM", m)
	}
	sec := fmt.Sprintf("%d.%03d", ms/1000, ms%1000)
	sec = strings.TrimRight(strings.TrimRight(sec, "0"), ".")
	return out + sec + "S"
}

func (s *Simulator) webexErrors(x *exchange, id string) {
	j := s.job(Webex, id)
	if j == nil {
		webexError(x, http.StatusNotFound, "Job not found.")
		return
	}
	_, p := s.phase(j)
	done, _ := j.processed(p)
	var listed []int // indexes in j.users of the users processed so far that failed or were moved with an error
	for i, u := range j.users[:done] {
		if u.fail != nil || u.warn != nil {
			listed = append(listed, i)
		}
	}
	// Pages of at most max errors (webexErrorsPage without max, as the published example answer's
	// paging.limit), from start, with the published example's paging object and a Link: rel="next" as
	// Webex's list calls send; only the page asked for is built.
	q := x.r.URL.Query()
	start, size := 0, webexErrorsPage
	if n, err := strconv.Atoi(q.Get("start")); err == nil && n >= 0 {
		start = min(n, len(listed))
	}
	if n, err := strconv.Atoi(q.Get("max")); err == nil && n > 0 {
		size = min(n, webexErrorsMax)
	}
	end := min(start+size, len(listed))
	if end < len(listed) {
		q.Set("start", strconv.Itoa(end))
		q.Set("max", strconv.Itoa(size))
		x.header.Set("Link", fmt.Sprintf(`<%s?%s>; rel="next"`, x.r.URL.Path, q.Encode()))
	}
	items := make([]map[string]any, 0, end-start)
	for _, i := range listed[start:end] {
		u := j.users[i]
		f := u.fail
		if f == nil {
			f = u.warn
		}
		items = append(items, map[string]any{"itemNumber": i + 1, "item": webexErrorsUser(u.ID), "trackingId": "ROUTER_SIM", "errorType": "ERROR",
			"error": map[string]any{"key": "400", "message": []map[string]string{{"code": f.Code, "description": f.Message}}}})
	}
	x.json(http.StatusOK, map[string]any{"items": items, "paging": map[string]int{"limit": size, "offset": start}})
}

// webexErrorsUser is how the errors list names a user, as Webex's published example does: by the bare
// UUID inside a person id (base64 of "ciscospark://<cluster>/PEOPLE/<uuid>"); any other user id as sent.
func webexErrorsUser(userID string) string {
	raw, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(userID, "="))
	if err != nil {
		return userID
	}
	rest, ok := strings.CutPrefix(string(raw), "ciscospark://")
	if !ok {
		return userID
	}
	if i := strings.LastIndex(rest, "/PEOPLE/"); i >= 0 && rest[i+len("/PEOPLE/"):] != "" {
		return rest[i+len("/PEOPLE/"):]
	}
	return userID
}

const (
	// webexErrorsPage is the errors list's page without max: paging.limit of the published example.
	webexErrorsPage = 50
	// webexErrorsMax is the most errors one page holds whatever max asks: the published default of max.
	webexErrorsMax = 2000
)

// webexPause stops a queued or running job where it stands (pauseMoveUsersJob: 202, no body); a job that
// is done or already paused cannot be paused (409).
func (s *Simulator) webexPause(x *exchange, id string) {
	j := s.job(Webex, id)
	if j == nil {
		webexError(x, http.StatusNotFound, "Job not found.")
		return
	}
	now := s.opts.Now()
	s.mu.Lock()
	ph, _ := j.at(now)
	ok := ph == queued || ph == running
	if ok {
		j.paused = &now
	}
	s.mu.Unlock()
	if !ok {
		webexError(x, http.StatusConflict, "Only a running job can be paused.")
		return
	}
	x.status = http.StatusAccepted
}

// webexResume starts a paused job again where it stopped, as a new execution (resumeMoveUsersJob: 202, no
// body); a job that is not paused cannot be resumed (409).
func (s *Simulator) webexResume(x *exchange, id string) {
	j := s.job(Webex, id)
	if j == nil {
		webexError(x, http.StatusNotFound, "Job not found.")
		return
	}
	now := s.opts.Now()
	s.mu.Lock()
	ok := j.paused != nil && j.abandoned == nil
	if ok {
		j.pausedFor += now.Sub(*j.paused) // the time spent paused does not count
		j.paused = nil
		j.resumes++
	}
	s.mu.Unlock()
	if !ok {
		webexError(x, http.StatusConflict, "Only a paused job can be resumed.")
		return
	}
	x.status = http.StatusAccepted
}

func (s *Simulator) webexAbandon(x *exchange, id string) {
	j := s.job(Webex, id)
	if j == nil {
		webexError(x, http.StatusNotFound, "Job not found.")
		return
	}
	now := s.opts.Now()
	s.mu.Lock()
	switch ph, _ := j.at(now); ph {
	case paused:
		j.abandoned = j.paused // the work stopped when the job was paused
	case queued, running:
		j.abandoned = &now
	}
	s.mu.Unlock()
	x.json(http.StatusOK, map[string]any{})
}

func (j *job) isAbandoned(s *Simulator) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return j.abandoned != nil
}
