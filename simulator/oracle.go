package simulator

import (
	"bytes"
	"crypto/subtle"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"strings"

	gen "github.com/jobwatch/jobwatch/generated/oracle"
)

const oracleStatusV1, oracleStatusV3 = "/cloudapi/restapi/user/status/", "/cloudapi/restapi/v3/user/status/"

// Oracle serves Primavera Cloud's user job calls: create (v1 and v3) and status, 202 with Location
// while the job runs and 200 with the UserDataStore once it is done.
func (s *Simulator) Oracle() http.Handler {
	return s.serve(Oracle, func(x *exchange) {
		p := x.r.URL.Path
		v3 := strings.HasPrefix(p, "/cloudapi/restapi/v3/")
		if !s.oracleAuthorized(x.r, v3) {
			x.status, x.out = http.StatusUnauthorized, []byte(`{"message":"Invalid credentials. Check the user name and password or the access token."}`)
			x.header.Set("Content-Type", "application/json")
			x.header.Set("WWW-Authenticate", map[bool]string{false: `Basic realm="Primavera"`, true: `Bearer realm="Primavera"`}[v3])
			return
		}
		switch {
		case x.r.Method == http.MethodPost:
			s.oracleCreate(x, v3)
		case strings.HasPrefix(p, oracleStatusV1) || strings.HasPrefix(p, oracleStatusV3):
			switch {
			case strings.HasSuffix(p, "/draft"):
				s.oracleDraft(x, path.Base(path.Dir(p)))
			case strings.HasSuffix(p, "/log"):
				s.oracleLog(x, path.Base(path.Dir(p)))
			default:
				s.oracleStatus(x, p[strings.LastIndex(p, "/")+1:], v3)
			}
		}
	})
}

func (s *Simulator) oracleAuthorized(r *http.Request, v3 bool) bool {
	if v3 {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		return ok && equal(tok, s.creds.OracleToken)
	}
	u, p, ok := r.BasicAuth()
	return ok && equal(u, s.creds.OracleUsername) && equal(p, s.creds.OraclePassword)
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

func (s *Simulator) oracleCreate(x *exchange, v3 bool) {
	var in gen.UserDataStore
	if err := json.Unmarshal(x.body, &in); err != nil {
		x.json(http.StatusBadRequest, map[string]string{"message": "The request body is not a UserDataStore."})
		return
	}
	var users []JobUser
	records := map[string]gen.UserRO{}
	for _, list := range []struct {
		action string
		us     *[]gen.UserRO
	}{{"added", in.Added}, {"modified", in.Modified}} {
		if list.us == nil {
			continue
		}
		for _, u := range *list.us {
			users = append(users, JobUser{ID: u.LoginId, Action: list.action})
			records[u.LoginId] = u
		}
	}
	if in.Deleted != nil {
		for _, id := range *in.Deleted {
			users = append(users, JobUser{ID: id, Action: "deleted"})
		}
	}
	if len(users) == 0 {
		x.json(http.StatusBadRequest, map[string]string{"message": "Nothing to do: added, modified and deleted are empty."})
		return
	}
	s.creating.Lock()
	defer s.creating.Unlock()
	if (s.opts.OracleOneJobAtATime && s.oracleRunning()) || s.tooManyJobs(Oracle) {
		x.json(http.StatusBadRequest, map[string]string{"message": "Another user job is running; only one may run at a time."})
		return
	}
	id := s.addJob(Oracle, users, 0)
	j := s.job(Oracle, id)
	s.mu.Lock()
	j.records = records
	s.mu.Unlock()
	x.header.Set("Location", oracleLocation(id, v3))
	x.json(http.StatusAccepted, runningStore())
}

func (s *Simulator) oracleRunning() bool {
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, j := range s.jobs[Oracle] {
		if ph, _ := j.at(now); ph != finished {
			return true
		}
	}
	return false
}

func oracleLocation(id string, v3 bool) string {
	if v3 {
		return oracleStatusV3 + id
	}
	return oracleStatusV1 + id
}

func runningStore() gen.UserDataStore {
	empty, f := "", false
	return gen.UserDataStore{Added: &[]gen.UserRO{}, Modified: &[]gen.UserRO{}, Deleted: &[]string{}, Exception: &empty,
		Message: &empty, UpdatedIdMap: &map[string]string{}, LocalizedException: &f}
}

// oracleJob returns the Oracle job id, or answers 400 as Oracle does for an unknown id and returns nil.
func (s *Simulator) oracleJob(x *exchange, id string) *job {
	j := s.job(Oracle, id)
	if j == nil {
		x.json(http.StatusBadRequest, map[string]string{"message": fmt.Sprintf("No user job with id %s.", id)})
	}
	return j
}

func (s *Simulator) oracleStatus(x *exchange, id string, v3 bool) {
	j := s.oracleJob(x, id)
	if j == nil {
		return
	}
	ph, _ := s.phase(j)
	if ph != finished {
		x.header.Set("Location", oracleLocation(id, v3))
		x.json(http.StatusAccepted, runningStore())
		return
	}
	x.json(http.StatusOK, s.oracleResult(j))
}

// OracleAccessFailed is the statusInfo Oracle's failed-users guide shows for a user left in added
// whose application access failed; the simulator reports failed creations the same way.
const OracleAccessFailed = "User created, but Application Access failed"

// oracleResult is a finished job's UserDataStore in the shapes Oracle documents: a failed creation or
// modification stays in added or modified with its statusInfo, a failed deletion is in deleteFailed.
func (s *Simulator) oracleResult(j *job) gen.UserDataStore {
	out := runningStore()
	for _, u := range j.users {
		rec := j.record(u.ID)
		if u.fail != nil {
			info := u.fail.Message
			if u.Action != "deleted" && u.Action != "modified" && u.fail.Code == "" {
				info = OracleAccessFailed
			}
			rec.StatusInfo = &info
		}
		switch {
		case u.fail == nil && u.Action == "deleted":
			*out.Deleted = append(*out.Deleted, u.ID)
		case u.Action == "deleted":
			if out.DeleteFailed == nil {
				out.DeleteFailed = &[]gen.UserRO{}
			}
			*out.DeleteFailed = append(*out.DeleteFailed, rec)
		case u.Action == "modified":
			*out.Modified = append(*out.Modified, rec)
		default:
			*out.Added = append(*out.Added, rec)
		}
	}
	return out
}

// oracleDraft exports the failed users of a finished job as CSV, with the columns of Oracle's example.
func (s *Simulator) oracleDraft(x *exchange, id string) {
	j := s.oracleJob(x, id)
	if j == nil {
		return
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"Last Name", "First Name", "Email", "Username", "Company", "User Type", "Locked", "Active"})
	if ph, _ := s.phase(j); ph == finished {
		for _, u := range j.users {
			if u.fail == nil || u.Action == "deleted" {
				continue
			}
			r := j.record(u.ID)
			_ = w.Write([]string{r.LastName, r.FirstName, r.EmailAddress, r.LoginId, r.Organization.Name, "Employee", "NO", "YES"})
		}
	}
	w.Flush()
	x.status, x.out = http.StatusOK, b.Bytes()
	x.header.Set("Content-Type", "text/csv")
}

// oracleLog answers the job's log as text.
func (s *Simulator) oracleLog(x *exchange, id string) {
	j := s.oracleJob(x, id)
	if j == nil {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "[UserResource] - Creating/Assigning Application Access for Users: %d\n", len(j.users))
	for i, u := range j.users {
		fmt.Fprintf(&b, "[UserResource] - Processing User(%d/%d): %s\n", i+1, len(j.users), u.ID)
	}
	x.status, x.out = http.StatusOK, []byte(b.String())
	x.header.Set("Content-Type", "text/plain")
}

// record is the user as the job reports it: the submitted record, or a minimal one for a deletion.
func (j *job) record(login string) gen.UserRO {
	if r, ok := j.records[login]; ok {
		id, status, action, by := fmt.Sprint(3473+len(login)), "Active", "Created", "SIMULATOR"
		r.Id, r.Status, r.LastAction, r.CreatedBy = &id, &status, &action, &by
		return r
	}
	return gen.UserRO{LoginId: login, EmailAddress: strings.ToLower(login) + "@example.com", FirstName: login, LastName: login,
		Organization: gen.CompanyRO{Id: ptr("4"), Name: "sfo", DisplayName: ptr("sfo")}}
}
