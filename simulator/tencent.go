package simulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	gen "github.com/jobwatch/jobwatch/generated/tencent"
	"github.com/jobwatch/jobwatch/generated/tencent/importjob"
)

// Tencent serves CIAM's ListJobs and CreateApiImportUserJob on POST /, verifying each TC3-HMAC-SHA256
// signature (and the timestamp's skew) with this package's own implementation of the documented
// algorithm, pacing each SecretId at TencentRate requests per second, and capping JobIds per call.
// Every error is HTTP 200 with Response.Error, as Tencent answers.
func (s *Simulator) Tencent() http.Handler {
	return s.serve(Tencent, func(x *exchange) {
		reqID := fmt.Sprintf("%s-%s-%s", s.newID(4), s.newID(2), s.newID(6))
		fail := func(code, msg string) {
			x.json(http.StatusOK, gen.ListJobsEnvelope{Response: gen.ListJobsResult{Error: &gen.Error{Code: code, Message: msg}, RequestId: reqID}})
		}
		if code, msg := s.verifyTC3(x.r, x.body); code != "" {
			fail(code, msg)
			return
		}
		if !s.allow(Tencent, "tencent:"+s.creds.TencentSecretID, s.opts.TencentRate) {
			fail("RequestLimitExceeded", "The number of requests exceeds the frequency limit.")
			return
		}
		switch x.r.Header.Get("X-TC-Action") {
		case "CreateApiImportUserJob":
			s.tencentImport(x, reqID)
		default:
			s.tencentList(x, reqID, fail)
		}
	})
}

func (s *Simulator) tencentList(x *exchange, reqID string, fail func(code, msg string)) {
	var in gen.ListJobsRequest
	_ = json.Unmarshal(x.body, &in) // validated
	var ids []string
	if in.JobIds != nil {
		ids = *in.JobIds
	}
	if len(ids) > s.opts.TencentMaxJobIDs {
		fail("InvalidParameterValue", fmt.Sprintf("JobIds holds %d ids; at most %d are allowed.", len(ids), s.opts.TencentMaxJobIDs))
		return
	}
	if len(ids) == 0 {
		ids = s.Jobs(Tencent)
	}
	set := []gen.Job{}
	for _, id := range ids {
		if j := s.job(Tencent, id); j != nil && (j.store == "" || j.store == in.UserStoreId) {
			set = append(set, s.tencentJob(j))
		}
	}
	x.json(http.StatusOK, gen.ListJobsEnvelope{Response: gen.ListJobsResult{JobSet: &set, RequestId: reqID}})
}

func (s *Simulator) tencentJob(j *job) gen.Job {
	ph, p := s.phase(j)
	typ, format := gen.JobTypeIMPORTUSER, gen.JobFormatNDJSON
	out := gen.Job{Id: j.id, Type: &typ, Format: &format, CreatedDate: ptr(j.created.UnixMilli())}
	done, failed := j.processed(p)
	switch {
	case ph == queued:
		out.Status = gen.JobStatusPENDING
	case ph == running:
		out.Status = gen.JobStatusPROCESSING
	case failed == len(j.users):
		out.Status = gen.JobStatusFAILED
	default:
		out.Status = gen.JobStatusCOMPLETED
	}
	if ph == finished && failed > 0 {
		fails := []gen.FailedUsers{}
		for _, u := range j.users[:done] {
			if u.fail != nil {
				fails = append(fails, gen.FailedUsers{FailedUserIdentification: ptr(u.ID), FailedReason: ptr(u.fail.Message)})
			}
		}
		out.FailedUsers = &fails
	}
	return out
}

func (s *Simulator) tencentImport(x *exchange, reqID string) {
	s.creating.Lock()
	defer s.creating.Unlock()
	if s.tooManyJobs(Tencent) {
		x.json(http.StatusOK, importjob.CreateApiImportUserJobEnvelope{Response: importjob.CreateApiImportUserJobResult{
			Error: &importjob.Error{Code: "FailedOperation.DataFlowTooManyRequests", Message: "There are already two valid tasks, please wait for the task to complete."}, RequestId: reqID}})
		return
	}
	var in importjob.CreateApiImportUserJobRequest
	_ = json.Unmarshal(x.body, &in) // validated
	users := make([]JobUser, 0, len(in.DataFlowUserCreateList))
	for i, u := range in.DataFlowUserCreateList {
		id := firstOf(u.UserName, u.Email, u.PhoneNumber, u.Nickname)
		if id == "" {
			id = fmt.Sprint("user-", i+1)
		}
		users = append(users, JobUser{ID: id, Action: "IMPORT_USER"})
	}
	id := s.addJob(Tencent, users, 0)
	j := s.job(Tencent, id)
	s.mu.Lock()
	j.store = in.UserStoreId
	s.mu.Unlock()
	job := s.tencentJob(j)
	out := importjob.Job{Id: job.Id, Status: importjob.JobStatus(job.Status), CreatedDate: job.CreatedDate,
		Type: ptr(importjob.JobTypeIMPORTUSER), Format: ptr(importjob.JobFormatNDJSON)}
	x.json(http.StatusOK, importjob.CreateApiImportUserJobEnvelope{Response: importjob.CreateApiImportUserJobResult{Job: &out, RequestId: reqID}})
}

func firstOf(ps ...*string) string {
	for _, p := range ps {
		if p != nil && *p != "" {
			return *p
		}
	}
	return ""
}

// verifyTC3 checks a request's TC3-HMAC-SHA256 Authorization the way Tencent documents it, and returns
// the error code and message Tencent would answer, or "" when the signature holds. Messages never hold
// the signature or a secret.
func (s *Simulator) verifyTC3(r *http.Request, body []byte) (code, msg string) {
	const algo = "TC3-HMAC-SHA256"
	auth := r.Header.Get("Authorization")
	rest, ok := strings.CutPrefix(auth, algo+" ")
	if !ok {
		return "AuthFailure.InvalidAuthorization", "Authorization must use " + algo + "."
	}
	fields := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		fields[k] = v
	}
	cred := strings.Split(fields["Credential"], "/")
	if len(cred) != 4 || cred[3] != "tc3_request" || fields["SignedHeaders"] == "" || fields["Signature"] == "" {
		return "AuthFailure.InvalidAuthorization", "Authorization lacks Credential, SignedHeaders or Signature."
	}
	if !equal(cred[0], s.creds.TencentSecretID) {
		return "AuthFailure.SecretIdNotFound", "The SecretId is not found."
	}
	ts, err := strconv.ParseInt(r.Header.Get("X-TC-Timestamp"), 10, 64)
	if err != nil {
		return "AuthFailure.InvalidAuthorization", "X-TC-Timestamp is not a UNIX time."
	}
	at := time.Unix(ts, 0)
	if skew := s.opts.Now().Sub(at); skew > s.opts.TencentMaxSkew || skew < -s.opts.TencentMaxSkew {
		return "AuthFailure.SignatureExpire", fmt.Sprintf("The signature expired: the timestamp is %s off the server's clock.", skew.Round(time.Second))
	}
	date := at.UTC().Format("2006-01-02")
	if cred[1] != date || cred[2] != "ciam" {
		return "AuthFailure.SignatureFailure", "The credential scope does not match the timestamp's date or the service ciam."
	}
	signed := strings.Split(fields["SignedHeaders"], ";")
	if !sort.StringsAreSorted(signed) || !contains(signed, "content-type") || !contains(signed, "host") {
		return "AuthFailure.SignatureFailure", "SignedHeaders must list content-type and host, sorted."
	}
	headers := make([]string, len(signed))
	for i, h := range signed {
		v := r.Header.Get(h)
		if h == "host" {
			v = r.Host
		}
		headers[i] = h + ":" + v
	}
	got := []byte(fields["Signature"])
	// The documentation lower-cases header values; the official SDKs sign them as sent. Accept both.
	for _, lower := range []bool{false, true} {
		if hmac.Equal([]byte(tc3Signature(s.creds.TencentSecretKey, "ciam", r.Method, r.URL.Path, r.URL.RawQuery, headers, body, ts, lower)), got) {
			return "", ""
		}
	}
	return "AuthFailure.SignatureFailure", "The signature does not match the request."
}

// tc3Signature computes a TC3-HMAC-SHA256 signature from the documented algorithm. headers are
// "name:value" pairs in the order they are signed; lowerValues lower-cases every value, as the
// documentation describes (hosts are always lower-cased).
func tc3Signature(secretKey, service, method, path, query string, headers []string, body []byte, ts int64, lowerValues bool) string {
	const algo = "TC3-HMAC-SHA256"
	var canon strings.Builder
	names := make([]string, len(headers))
	for i, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		names[i] = strings.ToLower(k)
		v = strings.TrimSpace(v)
		if lowerValues || names[i] == "host" {
			v = strings.ToLower(v)
		}
		canon.WriteString(names[i] + ":" + v + "\n")
	}
	if path == "" {
		path = "/"
	}
	payload := sha256.Sum256(body)
	canonical := strings.Join([]string{method, path, query, canon.String(), strings.Join(names, ";"), hex.EncodeToString(payload[:])}, "\n")
	hashed := sha256.Sum256([]byte(canonical))
	date := time.Unix(ts, 0).UTC().Format("2006-01-02")
	toSign := algo + "\n" + strconv.FormatInt(ts, 10) + "\n" + date + "/" + service + "/tc3_request\n" + hex.EncodeToString(hashed[:])
	mac := func(key []byte, data string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(data))
		return h.Sum(nil)
	}
	key := mac(mac(mac([]byte("TC3"+secretKey), date), service), "tc3_request")
	return hex.EncodeToString(mac(key, toSign))
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
