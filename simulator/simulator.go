// Package simulator is an in-process fake of the four vendors jobwatch talks to, held to the same
// OpenAPI specs as the clients: every request it receives and every answer it gives is validated with
// kin-openapi, and a violation is reported (and fails the test that caused it, under NewTest).
//
// Jobs are created through each vendor's create operation (or directly with CreateJob, or with
// CreateSampleJob for a job whose clock starts when it is first asked about), move through
// the vendor's states over a configurable duration, and fail for the users Options.FailUser picks,
// with the vendor's documented failure codes. Authentication is enforced the way each vendor does it:
// Basic or Bearer for Oracle, tokens from tokenByAkSk that expire for Huawei, a Bearer token for Webex,
// and TC3-HMAC-SHA256 signatures with a clock-skew check for Tencent, verified by this package's own
// code (never the client's). Rate limits answer as the vendors do, and Inject queues faults.
//
// Use it three ways: Handler (one http.Handler serving all four vendors, whose paths do not collide)
// or a vendor's own handler (Oracle, Huawei, Webex, Tencent) under your own server; NewServer or
// NewTest for a loopback listener; Transport for an in-memory http.RoundTripper that works inside
// testing/synctest bubbles.
package simulator

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jobwatch/jobwatch/contract"
	oraclegen "github.com/jobwatch/jobwatch/generated/oracle"
)

// The vendors, as jobwatch names them.
const (
	Oracle  = "oracle"
	Huawei  = "huawei"
	Webex   = "webex"
	Tencent = "tencent"
)

// Vendors lists the vendor names in a fixed order.
func Vendors() []string { return []string{Oracle, Huawei, Webex, Tencent} }

// Credentials are what the simulator accepts. Zero fields take the values of DefaultCredentials.
type Credentials struct {
	OracleUsername, OraclePassword, OracleToken string
	HuaweiAppKey, HuaweiAppSecret               string
	WebexToken                                  string
	TencentSecretID, TencentSecretKey           string
}

// DefaultCredentials are the simulator's built-in credentials; they open nothing but the simulator.
func DefaultCredentials() Credentials {
	return Credentials{
		OracleUsername: "sim-admin", OraclePassword: "sim-oracle-password", OracleToken: "sim-oracle-token",
		HuaweiAppKey: "sim-app-key", HuaweiAppSecret: "sim-app-secret",
		WebexToken:      "sim-webex-token",
		TencentSecretID: "AKIDsimulator0000000000000000000", TencentSecretKey: "sim-tencent-secret-key",
	}
}

// Failure is why a user of a job fails: the vendor's code (where it has codes) and message.
type Failure struct {
	Code    string
	Message string
}

// Values of Options.WebexSubmitShape.
const (
	// WebexSubmitPublished answers a started job 201 with `response` the job (Webex's published OpenAPI).
	WebexSubmitPublished = "published"
	// WebexSubmitLegacy answers a started job 200 with `response.jobDetails` (older live traffic).
	WebexSubmitLegacy = "legacy"
)

// DefaultJobDuration is how long a simulated job runs unless Options.JobDuration (or the CLI's
// --job-duration) says otherwise: one default for the simulator, `jobwatch simulate`, `jobwatch demo`
// and the Temporal example's starter, long enough to show a job running and short enough that a first
// try ends in seconds.
const DefaultJobDuration = 3 * time.Second

// Options configure a Simulator. The zero value is usable.
type Options struct {
	// Credentials accepted; zero fields take DefaultCredentials.
	Credentials Credentials
	// JobDuration is how long a job created through the API runs (default DefaultJobDuration).
	JobDuration time.Duration
	// FailUser decides whether a user of a job fails and why. The default fails users whose identifier
	// contains "fail" (any case), with the vendor's documented code for an existing user where it has one.
	// Webex also lists, in the errors list of a job it then completes with errors (COMPLETED_WITH_ERRORS,
	// counts.failed unchanged), the users whose identifier contains "warn" that did not fail: moved, but
	// with an error.
	FailUser func(vendor, user string) (Failure, bool)
	// Now is the simulator's clock (default time.Now, which testing/synctest fakes).
	Now func() time.Time
	// TencentRate is the most ListJobs/CreateApiImportUserJob requests per second per SecretId
	// (default 20, the documented limit); beyond it the answer is RequestLimitExceeded.
	TencentRate int
	// TencentMaxJobIDs is the most JobIds one ListJobs call may carry (default 100; Tencent does not
	// publish its cap, this is ours).
	TencentMaxJobIDs int
	// TencentMaxSkew is how far X-TC-Timestamp may be from the clock (default 5 min).
	TencentMaxSkew time.Duration
	// WebexRate is the most Webex requests per second (default 50); beyond it the answer is 429 with
	// Retry-After: 1.
	WebexRate int
	// WebexSubmitShape chooses how a started move-users job is answered: WebexSubmitPublished (201 with
	// `response` the job, as Webex's published OpenAPI document has it), WebexSubmitLegacy (200 with
	// `response.jobDetails`, as older live traffic does), or "" to alternate, the published shape first.
	WebexSubmitShape string
	// HuaweiMaxTokenLife caps X-Token-Expire (default 3600 s, as documented).
	HuaweiMaxTokenLife time.Duration
	// OracleOneJobAtATime refuses a create while another Oracle job runs, as documented (default
	// false, so demos can run several).
	OracleOneJobAtATime bool
	// Bulk sets the limits and failure rates a bulk run (`jobwatch run`) meets; the zero value sets none.
	Bulk BulkOptions
	// OnViolation receives every spec violation of a request or an answer (default: logged).
	OnViolation func(vendor string, err error)
	// Logger receives a debug record per request (default: discarded).
	Logger *slog.Logger
	// Specs returns the specs a vendor's traffic is checked against (default contract.LoadVendor); it is
	// called on the vendor's first request. Parsing the specs is most of what a short-lived simulator
	// costs: a program that makes many, as a test suite does, can share one SharedSpecs between them.
	Specs func(vendor string) ([]*contract.Spec, error)
}

// Simulator holds the fake vendors' state. It is safe for concurrent use.
type Simulator struct {
	opts  Options
	creds Credentials
	// specs loads a vendor's specs on its first request: a simulator serves one vendor in most tests,
	// and parsing and validating a spec costs tens of milliseconds (ten times that under -race).
	specs map[string]func() ([]*contract.Spec, error)

	mu sync.Mutex
	// creating is held by a capped create from its check of the cap to its job's insert, so that two
	// concurrent creates cannot both pass the cap (addJob takes mu itself, after slow work).
	creating    sync.Mutex
	jobs        map[string]map[string]*job // vendor → id → job
	tokens      map[string]time.Time       // Huawei access token → expiry
	windows     map[string][]time.Time     // rate windows: key → accepted request times
	faults      []Fault
	stats       map[string]*VendorStats
	seq         int
	vendorSeq   map[string]int            // jobs created per vendor, for ids that start at the documented examples
	executing   map[string]int            // Oracle jobs running (for OracleOneJobAtATime)
	webexStarts int                       // Webex jobs started, to alternate the answer's shape
	submits     map[string]map[string]int // vendor → user → submissions (bulk.go)
	lose        map[string]int            // vendor → create answers still to lose (bulk.go)
	refusals    map[string]int            // vendor → creates refused for too many jobs (bulk.go)
}

// VendorStats counts what one vendor's fake saw.
type VendorStats struct {
	// Requests is every request received, faults and refusals included.
	Requests int
	// RateLimited counts answers refused for rate (Tencent RequestLimitExceeded, Webex 429).
	RateLimited int
	// Violations counts spec violations of requests and answers.
	Violations int
	// MaxPerSecond is the most requests received in any one-second window [t, t+1s).
	MaxPerSecond int
	// Times are the arrival times of the requests, in order.
	Times []time.Time
}

// New returns a Simulator.
func New(opts Options) (*Simulator, error) {
	c, d := opts.Credentials, DefaultCredentials()
	fill := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	fill(&c.OracleUsername, d.OracleUsername)
	fill(&c.OraclePassword, d.OraclePassword)
	fill(&c.OracleToken, d.OracleToken)
	fill(&c.HuaweiAppKey, d.HuaweiAppKey)
	fill(&c.HuaweiAppSecret, d.HuaweiAppSecret)
	fill(&c.WebexToken, d.WebexToken)
	fill(&c.TencentSecretID, d.TencentSecretID)
	fill(&c.TencentSecretKey, d.TencentSecretKey)
	if opts.JobDuration <= 0 {
		opts.JobDuration = DefaultJobDuration
	}
	if opts.FailUser == nil {
		opts.FailUser = DefaultFailUser
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.TencentRate <= 0 {
		opts.TencentRate = 20
	}
	if opts.TencentMaxJobIDs <= 0 {
		opts.TencentMaxJobIDs = 100
	}
	if opts.TencentMaxSkew <= 0 {
		opts.TencentMaxSkew = 5 * time.Minute
	}
	if opts.WebexRate <= 0 {
		opts.WebexRate = 50
	}
	if opts.HuaweiMaxTokenLife <= 0 {
		opts.HuaweiMaxTokenLife = time.Hour
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Specs == nil {
		opts.Specs = contract.LoadVendor
	}
	if opts.OnViolation == nil {
		log := opts.Logger
		opts.OnViolation = func(vendor string, err error) { log.Warn("simulator: spec violation", "vendor", vendor, "error", err) }
	}
	s := &Simulator{opts: opts, creds: c, specs: loadOnce(opts.Specs), jobs: map[string]map[string]*job{},
		tokens: map[string]time.Time{}, windows: map[string][]time.Time{}, stats: map[string]*VendorStats{}, executing: map[string]int{}, vendorSeq: map[string]int{},
		submits: map[string]map[string]int{}, lose: map[string]int{}, refusals: map[string]int{}}
	for _, v := range Vendors() {
		s.jobs[v] = map[string]*job{}
		s.stats[v] = &VendorStats{}
	}
	return s, nil
}

// loadOnce returns, per vendor, a function that calls load the first time and returns its answer then.
func loadOnce(load func(vendor string) ([]*contract.Spec, error)) map[string]func() ([]*contract.Spec, error) {
	m := map[string]func() ([]*contract.Spec, error){}
	for _, v := range Vendors() {
		m[v] = sync.OnceValues(func() ([]*contract.Spec, error) { return load(v) })
	}
	return m
}

// SharedSpecs returns a function for Options.Specs that loads a vendor's specs on its first call and
// returns the same ones after, to every simulator given it (a *contract.Spec is safe for concurrent use).
func SharedSpecs() func(vendor string) ([]*contract.Spec, error) {
	m := loadOnce(contract.LoadVendor)
	return func(vendor string) ([]*contract.Spec, error) {
		if load, ok := m[vendor]; ok {
			return load()
		}
		return contract.LoadVendor(vendor) // its error names the vendor
	}
}

// DefaultFailUser fails users whose identifier contains "fail", with the vendor's documented code for
// an existing user (Huawei 60101000108) or a plain reason where the vendor has no codes.
func DefaultFailUser(vendor, user string) (Failure, bool) {
	if !strings.Contains(strings.ToLower(user), "fail") {
		return Failure{}, false
	}
	switch vendor {
	case Huawei:
		return Failure{Code: "60101000108", Message: "The user already exists."}, true
	case Webex:
		return Failure{Code: "1026", Message: "The user cannot be moved: the target location has no free extension."}, true
	case Tencent:
		return Failure{Message: "user already exists"}, true
	default:
		return Failure{Message: "The user could not be processed: it still owns projects."}, true
	}
}

// Credentials returns the credentials the simulator accepts.
func (s *Simulator) Credentials() Credentials { return s.creds }

// Stats returns a copy of what vendor's fake has seen.
func (s *Simulator) Stats(vendor string) VendorStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.stats[vendor]
	if !ok {
		return VendorStats{}
	}
	out := *st
	out.Times = append([]time.Time(nil), st.Times...)
	out.MaxPerSecond = maxInWindow(out.Times, time.Second)
	return out
}

func maxInWindow(ts []time.Time, w time.Duration) int {
	best, lo := 0, 0
	for hi := range ts {
		for ts[hi].Sub(ts[lo]) >= w {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

// Handler serves all four vendors on one listener: their paths do not collide (Tencent answers POST /
// with an X-TC-Action header; Webex lives under /v1).
func (s *Simulator) Handler() http.Handler {
	h := map[string]http.Handler{Oracle: s.Oracle(), Huawei: s.Huawei(), Webex: s.Webex(), Tencent: s.Tencent()}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := vendorOf(r)
		if v == "" {
			http.Error(w, "simulator: no vendor serves "+r.Method+" "+r.URL.Path, http.StatusNotFound)
			return
		}
		h[v].ServeHTTP(w, r)
	})
}

func vendorOf(r *http.Request) string {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/cloudapi/"):
		return Oracle
	case strings.HasPrefix(p, "/apiaccess/") || strings.HasPrefix(p, "/apigovernance/"):
		return Huawei
	case strings.HasPrefix(p, "/v1/telephony/"):
		return Webex
	case p == "/" && r.Header.Get("X-TC-Action") != "":
		return Tencent
	}
	return ""
}

// BaseURL returns the base URL a client of vendor uses against a simulator served at root (e.g.
// "http://127.0.0.1:8080"): root itself, or root + "/v1" for Webex.
func BaseURL(vendor, root string) string {
	root = strings.TrimRight(root, "/")
	if vendor == Webex {
		return root + "/v1"
	}
	return root
}

// exchange is one request being served: its vendor, body and the answer being built, so that both can
// be validated before the answer leaves.
type exchange struct {
	s      *Simulator
	vendor string
	r      *http.Request
	body   []byte
	status int
	header http.Header
	out    []byte
}

func (x *exchange) json(status int, v any) {
	b, err := jsonMarshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"message":"simulator: cannot encode the answer"}`)
	}
	x.status, x.out = status, b
	x.header.Set("Content-Type", "application/json")
}

// serve wraps a vendor's handler: it counts and logs the request, applies a queued fault, validates the
// request against the vendor's specs and, unless a fault replaced it, validates the answer too.
func (s *Simulator) serve(vendor string, handle func(*exchange)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := s.opts.Now()
		s.mu.Lock()
		st := s.stats[vendor]
		st.Requests++
		st.Times = append(st.Times, now)
		f, faulted := s.takeFault(vendor)
		s.mu.Unlock()
		body, err := io.ReadAll(io.LimitReader(r.Body, 32<<20))
		if err != nil {
			return
		}
		s.opts.Logger.Debug("simulator: request", "vendor", vendor, "method", r.Method, "path", r.URL.Path)
		if faulted && f.apply(w, r, vendor) {
			return
		}
		x := &exchange{s: s, vendor: vendor, r: r, body: body, header: http.Header{}}
		specs, err := s.specs[vendor]()
		if err != nil { // the embedded specs are checked by contract's tests: not the client's fault
			s.violation(vendor, err)
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		op, err := contract.Find(specs, r)
		if err == nil {
			err = op.ValidateRequest(r.Context(), r, body)
		}
		if err != nil && !onlyCredentials(err) {
			s.violation(vendor, err)
			x.badRequest(err)
		} else {
			// A request without credentials gets the vendor's own refusal, which the spec documents.
			handle(x)
		}
		if x.status == 0 {
			x.status = http.StatusOK
		}
		if op != nil { // an unroutable request was reported already
			if err := op.ValidateResponse(context.WithoutCancel(r.Context()), r, x.status, x.header, x.out); err != nil {
				s.violation(vendor, err)
			}
		}
		if s.loseAnswer(x) {
			panic(http.ErrAbortHandler) // the job started; its answer never arrives
		}
		for k, v := range x.header {
			w.Header()[k] = v
		}
		w.WriteHeader(x.status)
		w.Write(x.out)
	})
}

// onlyCredentials reports whether every issue of a request's violation is a missing credential.
func onlyCredentials(err error) bool {
	var ve *contract.ValidationError
	if !errors.As(err, &ve) || len(ve.Issues) == 0 {
		return false
	}
	for _, is := range ve.Issues {
		if !strings.Contains(is.Message, "security requirements failed") {
			return false
		}
	}
	return true
}

func (s *Simulator) violation(vendor string, err error) {
	s.mu.Lock()
	s.stats[vendor].Violations++
	s.mu.Unlock()
	s.opts.OnViolation(vendor, err)
}

// allow admits a request under a per-second limit over a sliding window, keyed by key.
func (s *Simulator) allow(vendor, key string, perSecond int) bool {
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	win := s.windows[key]
	cut := 0
	for cut < len(win) && !win[cut].After(now.Add(-time.Second)) {
		cut++
	}
	win = win[cut:]
	if len(win) >= perSecond {
		s.windows[key] = win
		s.stats[vendor].RateLimited++
		return false
	}
	s.windows[key] = append(win, now)
	return true
}

func (s *Simulator) newID(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// JobUser is one user of a job created with CreateJob.
type JobUser struct {
	// ID identifies the user as the vendor reports it in failures.
	ID string
	// Action is the vendor's action for the user (e.g. CREATE; Oracle: added, modified or deleted).
	Action string
}

// CreateJob creates a job directly, without the vendor's create call: for tests and benchmarks that
// need many jobs of chosen durations. It returns the job id the vendor would have returned.
func (s *Simulator) CreateJob(vendor string, users []JobUser, duration time.Duration) (string, error) {
	if _, ok := s.jobs[vendor]; !ok {
		return "", fmt.Errorf("simulator: unknown vendor %q", vendor)
	}
	if len(users) == 0 {
		return "", fmt.Errorf("simulator: a %s job needs at least one user", vendor)
	}
	return s.addJob(vendor, users, duration), nil
}

// CreateSampleJob is CreateJob for a job that starts when it is first asked about (a status call, a
// list naming it), not when it is created: `jobwatch simulate` creates sample jobs at start-up, and a
// person who pastes their ids a minute later should still see them queued, running and done.
func (s *Simulator) CreateSampleJob(vendor string, users []JobUser, duration time.Duration) (string, error) {
	id, err := s.CreateJob(vendor, users, duration)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	s.jobs[vendor][id].lazy = true
	s.mu.Unlock()
	return id, nil
}

// Example job ids from the vendors' documentation. Each vendor's first job in a Simulator gets its
// example id, and the next ones count up from it, so that the ids in documentation and READMEs exist
// in a fresh simulator.
const (
	oracleFirstID = 95733
	huaweiFirstID = 1659446191820726274
	// webexFirstJob is the UUID inside Webex's documented example job id,
	// base64("ciscospark://us/JOB_ID/131d985d-be8a-4728-b360-630c50151271"); later jobs count up its last group.
	webexFirstJob = 0x630c50151271
)

// vendorID is the id of vendor's n-th job (from 0), in the vendor's format.
func (s *Simulator) vendorID(vendor string, n int) string {
	switch vendor {
	case Oracle:
		return fmt.Sprint(oracleFirstID + n)
	case Huawei:
		return fmt.Sprint(huaweiFirstID + int64(n))
	case Webex:
		uuid := fmt.Sprintf("131d985d-be8a-4728-b360-%012x", webexFirstJob+int64(n))
		return base64.RawStdEncoding.EncodeToString([]byte("ciscospark://us/JOB_ID/" + uuid))
	}
	return s.newID(16)
}

func (s *Simulator) addJob(vendor string, users []JobUser, duration time.Duration) string {
	if duration <= 0 {
		duration = s.opts.JobDuration
	}
	j := &job{vendor: vendor, created: s.opts.Now(), duration: duration}
	for _, u := range users {
		su := simUser{JobUser: u}
		if f, bad := s.submitted(vendor, u.ID); bad {
			su.fail = &f
		} else if f, bad := s.opts.FailUser(vendor, u.ID); bad {
			su.fail = &f
		} else if vendor == Webex && strings.Contains(strings.ToLower(u.ID), "warn") {
			su.warn = &Failure{Code: "25391", Message: "[Error 25391] Error Occurred while moving Call recording Settings to new location"}
		}
		j.users = append(j.users, su)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	j.id = s.vendorID(vendor, s.vendorSeq[vendor])
	s.vendorSeq[vendor]++
	j.instance = int64(328660 + s.seq)
	s.jobs[vendor][j.id] = j
	return j.id
}

// job returns vendor's job id, nil if there is none, and starts a sample job's clock.
func (s *Simulator) job(vendor, id string) *job {
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.jobs[vendor][id]
	if j != nil && j.lazy {
		j.created, j.lazy = now, false
	}
	return j
}

// Jobs returns the ids of vendor's jobs, sorted.
func (s *Simulator) Jobs(vendor string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.jobs[vendor]))
	for id := range s.jobs[vendor] {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// job is one simulated job; its state is a function of the clock.
type job struct {
	vendor    string
	id        string
	instance  int64
	created   time.Time
	duration  time.Duration
	users     []simUser
	abandoned *time.Time
	paused    *time.Time                  // Webex: when a pause stopped the job, nil while it runs
	pausedFor time.Duration               // Webex: how long the job stood paused before its last resume
	resumes   int                         // Webex: how many times the job was resumed (each resume is a new execution)
	records   map[string]oraclegen.UserRO // Oracle: the submitted user records
	store     string                      // Tencent: the user store
	lazy      bool                        // a sample job whose clock starts when it is first asked about
}

type simUser struct {
	JobUser
	fail *Failure
	// warn is an error Webex lists for a user it moved nonetheless: the job completes with errors while
	// the user counts as moved.
	warn *Failure
}

// phase is where a job stands at now: queued for its first tenth, running, then done.
type phase int

const (
	queued phase = iota
	running
	finished
	// paused is a Webex job stopped by a pause, its progress held until a resume.
	paused
)

func (j *job) at(now time.Time) (phase, float64) {
	el := now.Sub(j.created) - j.pausedFor
	if j.abandoned != nil {
		return finished, min(float64(j.abandoned.Sub(j.created)-j.pausedFor)/float64(j.duration), 1)
	}
	if j.paused != nil {
		return paused, min(max(float64(j.paused.Sub(j.created)-j.pausedFor)/float64(j.duration), 0), 1)
	}
	switch {
	case el >= j.duration:
		return finished, 1
	case el < j.duration/10:
		return queued, 0
	}
	return running, float64(el) / float64(j.duration)
}

// processed is how many users are done at fraction p; failed of them failed.
func (j *job) processed(p float64) (done, failed int) {
	done = int(p * float64(len(j.users)))
	for _, u := range j.users[:done] {
		if u.fail != nil {
			failed++
		}
	}
	return done, failed
}

func jsonMarshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := newEncoder(&b)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}
