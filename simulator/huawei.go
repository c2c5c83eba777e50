package simulator

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	gen "github.com/jobwatch/jobwatch/generated/huawei"
)

// Huawei serves tokenByAkSk (tokens that expire), createTask and queryTask. Task calls need the
// X-APP-Key header and a live Bearer token; errors of the business calls come back as a non-"0"
// resultCode, the gateway's as error_code/error_msg with 401.
func (s *Simulator) Huawei() http.Handler {
	return s.serve(Huawei, func(x *exchange) {
		switch {
		case strings.HasSuffix(x.r.URL.Path, "/tokenByAkSk"):
			s.huaweiToken(x)
		case !s.huaweiAuthorized(x.r):
			x.json(http.StatusUnauthorized, gen.ErrorResponse{ErrorCode: ptr("APIGW.0301"), ErrorMsg: ptr("Incorrect app key, or the access token is invalid or expired.")})
		case strings.HasSuffix(x.r.URL.Path, "/createTask"):
			s.huaweiCreate(x)
		default:
			s.huaweiQuery(x)
		}
	})
}

func ptr[T any](v T) *T { return &v }

func (s *Simulator) huaweiToken(x *exchange) {
	var in gen.TokenRequest
	if json.Unmarshal(x.body, &in) != nil || !equal(in.AppKey, s.creds.HuaweiAppKey) || !equal(in.AppSecret, s.creds.HuaweiAppSecret) {
		x.json(http.StatusUnauthorized, gen.ErrorResponse{ErrorCode: ptr("APIGW.0101"), ErrorMsg: ptr("Incorrect app key or app secret.")})
		return
	}
	life := 600 * time.Second
	if h := x.r.Header.Get("X-Token-Expire"); h != "" {
		n, err := strconv.Atoi(h)
		if err != nil || n < 1 {
			x.json(http.StatusBadRequest, gen.ErrorResponse{ErrorCode: ptr("APIGW.0201"), ErrorMsg: ptr("X-Token-Expire must be a positive number of seconds.")})
			return
		}
		life = min(time.Duration(n)*time.Second, s.opts.HuaweiMaxTokenLife)
	}
	now := s.opts.Now()
	tok := s.newID(24)
	s.mu.Lock()
	s.tokens[tok] = now.Add(life)
	s.mu.Unlock()
	x.json(http.StatusOK, gen.TokenResponse{AccessToken: tok, ApplyType: ptr("Bearer"), CreateTime: ptr(strconv.FormatInt(now.Unix(), 10)),
		Expires: strconv.Itoa(int(life / time.Second)), Scope: ptr("default"), AppKey: ptr(s.creds.HuaweiAppKey), UserID: ptr(s.creds.HuaweiAppKey)})
}

func (s *Simulator) huaweiAuthorized(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || !equal(r.Header.Get("X-APP-Key"), s.creds.HuaweiAppKey) {
		return false
	}
	s.mu.Lock()
	exp, found := s.tokens[tok]
	s.mu.Unlock()
	return found && s.opts.Now().Before(exp)
}

func (s *Simulator) huaweiCreate(x *exchange) {
	var in gen.CreateTaskRequest
	if json.Unmarshal(x.body, &in) != nil || len(in.FederationUserList) == 0 {
		x.json(http.StatusOK, gen.CreateTaskResult{ResultCode: ptr("60101040050"), ResultMessage: ptr("The input parameter federationUserList is invalid.")})
		return
	}
	users := make([]JobUser, len(in.FederationUserList))
	for i, u := range in.FederationUserList {
		users[i] = JobUser{ID: u.UserAccount, Action: string(u.Action)}
	}
	id := s.addJob(Huawei, users, 0)
	x.json(http.StatusOK, gen.CreateTaskResult{ResultCode: ptr("0"), ResultMessage: ptr("The task is created."), TaskId: &id})
}

func (s *Simulator) huaweiQuery(x *exchange) {
	var in gen.QueryTaskRequest
	_ = json.Unmarshal(x.body, &in) // the request was validated
	j := s.job(Huawei, in.TaskId)
	if j == nil {
		x.json(http.StatusOK, gen.QueryTaskResult{ResultCode: "60101040050", ResultMessage: ptr("The input parameter taskId is invalid.")})
		return
	}
	ph, _ := s.phase(j)
	status := map[phase]gen.TaskStatus{queued: gen.TaskStatusTODO, running: gen.TaskStatusDOING, finished: gen.TaskStatusDONE}[ph]
	fails := []gen.FailData{}
	if ph == finished {
		for _, u := range j.users {
			if u.fail == nil {
				continue
			}
			code := gen.FailCode(u.fail.Code)
			fails = append(fails, gen.FailData{FailCode: &code, FailMessage: ptr(u.fail.Message),
				FederationUser: &gen.FederationUser{Action: ptr(gen.Action(u.Action)), UserAccount: ptr(u.ID), UserName: ptr(u.ID)}})
		}
	}
	x.json(http.StatusOK, gen.QueryTaskResult{ResultCode: "0", ResultMessage: ptr("The query is successful."),
		TaskInfo: &gen.TaskInfo{Status: &status, Remark: ptr("")}, FailDataList: &fails})
}
