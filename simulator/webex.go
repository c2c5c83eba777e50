package simulator

import (
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
// executions, the errors list and abandon, behind a Bearer token and a request rate answered with 429
// and Retry-After.
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
		default: // actions/abandon/invoke
			s.webexAbandon(x, parts[0])
		}
	})
}

func webexError(x *exchange, status int, msg string) {
	x.json(status, map[string]any{"message": msg, "errors": []map[string]string{{"description": msg}},
		"trackingId": "ROUTER_SIM_" + strings.ToUpper(x.s.newID(6))})
}

func (s *Simulator) webexCreate(x *exchange) {
	var in gen.MoveUsersRequest
	_ = json.Unmarshal(x.body, &in) // validated
	var users []JobUser
	validate := false
	for _, l := range in.UsersList {
		validate = validate || l.Validate
		for _, u := range l.Users {
			users = append(users, JobUser{ID: u.UserId, Action: "MOVE"})
		}
	}
	if len(users) > 100 {
		webexError(x, http.StatusBadRequest, fmt.Sprintf("A job moves at most 100 users; %d were sent.", len(users)))
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

func (s *Simulator) webexList(x *exchange) {
	out := gen.MoveUsersJobList{Items: []gen.MoveUsersJob{}}
	for _, id := range s.Jobs(Webex) {
		out.Items = append(out.Items, s.webexJob(s.job(Webex, id)))
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
// advance with the clock, and timeElapsed as an ISO-8601 duration.
func (s *Simulator) webexJob(j *job) gen.MoveUsersJob {
	now := s.opts.Now()
	ph, p := s.phase(j)
	done, failed := j.processed(p)
	status, exit := gen.ExecutionStatusSTARTED, gen.ExitCodeUNKNOWN
	switch {
	case ph == queued:
		status = gen.ExecutionStatusSTARTING
	case ph == finished && j.isAbandoned(s):
		status, exit = gen.ExecutionStatusABANDONED, gen.ExitCodeSTOPPED
	case ph == finished && failed == len(j.users):
		status, exit = gen.ExecutionStatusFAILED, gen.ExitCodeFAILED
	case ph == finished && failed > 0:
		status, exit = gen.ExecutionStatusCOMPLETED, gen.ExitCodeCOMPLETEDWITHERRORS
	case ph == finished:
		status, exit = gen.ExecutionStatusCOMPLETED, gen.ExitCodeCOMPLETED
	}
	created := j.created.UTC()
	start := created.Add(j.duration / 10)
	last := now.UTC()
	exec := gen.JobExecutionStatus{Id: ptr(j.instance + 3727), CreatedTime: &created, LastUpdated: &last, StatusMessage: &status, ExitCode: &exit}
	if ph != queued {
		exec.StartTime = &start
		end := last
		if ph == finished {
			end = created.Add(time.Duration(p * float64(j.duration))).UTC()
			exec.EndTime, exec.LastUpdated = &end, &end
		}
		exec.TimeElapsed = ptr(isoDuration(end.Sub(created)))
		exec.StepExecutionStatuses = &[]gen.StepExecutionStatus{{Id: ptr(j.instance + 1220455), Name: ptr("moveusersvalidateAndMove"),
			StartTime: &start, LastUpdated: exec.LastUpdated, EndTime: exec.EndTime, StatusMessage: &status, ExitCode: &exit, TimeElapsed: exec.TimeElapsed}}
	}
	pending := len(j.users) - done
	return gen.MoveUsersJob{Name: "moveusers", Id: j.id, TrackingId: ptr("ROUTER_SIM"), SourceUserId: "Y2lzY29zcGFyazovL3VzL1BFT1BMRS9zaW0",
		SourceCustomerId: "Y2lzY29zcGFyazovL3VzL09SR0FOSVpBVElPTi9zaW0", TargetCustomerId: "Y2lzY29zcGFyazovL3VzL09SR0FOSVpBVElPTi9zaW0",
		InstanceId: j.instance, JobExecutionStatus: &[]gen.JobExecutionStatus{exec}, LatestExecutionStatus: status, LatestExecutionExitCode: &exit,
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
	var failed []int // indexes in j.users of the failed users processed so far
	for i, u := range j.users[:done] {
		if u.fail != nil {
			failed = append(failed, i)
		}
	}
	// Pages of webexErrorsPage items, linked by Link: rel="next" as Webex's list calls are; only the
	// page asked for is built.
	q := x.r.URL.Query()
	start := 0
	if v := q.Get("start"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 && n <= len(failed) {
			start = n
		}
	}
	end := min(start+webexErrorsPage, len(failed))
	if end < len(failed) {
		q.Set("start", strconv.Itoa(end))
		q.Set("max", strconv.Itoa(webexErrorsPage))
		x.header.Set("Link", fmt.Sprintf(`<%s?%s>; rel="next"`, x.r.URL.Path, q.Encode()))
	}
	items := make([]map[string]any, 0, end-start)
	for _, i := range failed[start:end] {
		u := j.users[i]
		items = append(items, map[string]any{"itemNumber": i + 1, "item": u.ID, "trackingId": "ROUTER_SIM", "errorType": "ERROR",
			"error": map[string]any{"key": "400", "message": []map[string]string{{"code": u.fail.Code, "description": u.fail.Message}}}})
	}
	x.json(http.StatusOK, map[string]any{"items": items})
}

// webexErrorsPage is how many errors one page of the simulated errors list holds.
const webexErrorsPage = 10

func (s *Simulator) webexAbandon(x *exchange, id string) {
	j := s.job(Webex, id)
	if j == nil {
		webexError(x, http.StatusNotFound, "Job not found.")
		return
	}
	now := s.opts.Now()
	s.mu.Lock()
	if ph, _ := j.at(now); ph != finished {
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
