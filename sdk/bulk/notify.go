package bulk

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/jobwatch/jobwatch/sdk/internal/httpx"
)

// EnvNotifySecret is the environment variable holding the key that signs --notify POSTs.
const EnvNotifySecret = "JOBWATCH_NOTIFY_SECRET"

// SignatureHeader carries "sha256=<hex HMAC-SHA256 of the body>".
const SignatureHeader = "X-Jobwatch-Signature"

// DeliveryHeader carries the run's id, the same on every attempt and restart, so that a receiver can
// drop a duplicate (a crash between its answer and the journal's record of it resends once).
const DeliveryHeader = "X-Jobwatch-Delivery"

// MaxNotifyFailures is the most failures a notification carries, its lines and the summary's
// unmatched failures together.
const MaxNotifyFailures = 20

// Notification is the body of a --notify POST: the summary and at most the first 20 failures. It
// holds no credential.
type Notification struct {
	// Run identifies the run (the input's digest), as DeliveryHeader does.
	Run string `json:"run"`
	// Summary is summary.json's content, with UnmatchedFailures cut to the room MaxNotifyFailures
	// leaves after Failures.
	Summary *Summary `json:"summary"`
	// Failures are the first lines (at most MaxNotifyFailures) that did not succeed.
	Failures []NotifiedLine `json:"failures"`
}

// NotifiedLine is one line that did not succeed.
type NotifiedLine struct {
	// Line, User, Outcome, Code and Message are as in report.jsonl.
	Line    int     `json:"line"`
	User    string  `json:"user"`
	Outcome string  `json:"outcome"`
	Code    *string `json:"code"`
	Message *string `json:"message"`
}

// Notifier POSTs a run's summary.
type Notifier struct {
	// URL receives the POST.
	URL string
	// Secret signs the body; it is never sent.
	Secret string
	// Client sends the POST (default http.DefaultClient).
	Client *http.Client
	// Retries is how many times a failed POST is tried again (default 3; negative means none).
	Retries int
	// Backoff is the first pause between tries, doubled each time (default 1 s).
	Backoff time.Duration
}

// NewNotification builds the body for a run: its id is the input's digest.
func NewNotification(in *Input, s *Summary) Notification {
	n := Notification{Run: in.Digest, Summary: s, Failures: []NotifiedLine{}}
	for _, rl := range s.Report {
		if rl.Outcome == OutcomeSucceeded {
			continue
		}
		if len(n.Failures) == MaxNotifyFailures {
			break
		}
		n.Failures = append(n.Failures, NotifiedLine{Line: rl.Line, User: rl.User, Outcome: rl.Outcome, Code: rl.Code, Message: rl.Message})
	}
	if room := MaxNotifyFailures - len(n.Failures); len(s.UnmatchedFailures) > room {
		cut := *s // the caller's summary (and summary.json) keeps them all
		cut.UnmatchedFailures = s.UnmatchedFailures[:room:room]
		n.Summary = &cut
	}
	return n
}

// Sign returns the X-Jobwatch-Signature value of body.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Send POSTs n, signed, trying again up to Retries times with backoff on a transport error or a
// non-2xx answer.
func (nt Notifier) Send(ctx context.Context, n Notification) error {
	if nt.Secret == "" {
		return fmt.Errorf("notify: %s is empty: the POST must be signed", EnvNotifySecret)
	}
	body, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	hc := nt.Client
	if hc == nil {
		hc = http.DefaultClient
	}
	retries, backoff := nt.Retries, nt.Backoff
	switch {
	case retries == 0:
		retries = 3
	case retries < 0:
		retries = 0 // none: one try
	}
	if backoff <= 0 {
		backoff = time.Second
	}
	sig := Sign(nt.Secret, body)
	var last error
	for try := 0; try <= retries; try++ {
		if try > 0 {
			if err := httpx.Sleep(ctx, backoff<<(try-1)); err != nil {
				return err
			}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, nt.URL, bytes.NewReader(body))
		if err != nil {
			return errors.New("notify: the URL is not valid")
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(SignatureHeader, sig)
		req.Header.Set(DeliveryHeader, n.Run)
		resp, err := hc.Do(req)
		if err != nil {
			// Without the URL, which may hold a secret of its own (a webhook's token in its path).
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err
			}
			last = err
			continue
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return nil
		}
		last = fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return fmt.Errorf("notify: %d tries failed: %w", retries+1, last)
}
