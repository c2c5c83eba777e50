package httpx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/time/rate"

	"github.com/jobwatch/jobwatch/sdk/observe"
)

// TestRetryReason: each kind of transient error is named by its cause, the sdk's sentinels first.
func TestRetryReason(t *testing.T) {
	limited, server, unexpected := errors.New("rate limited"), errors.New("server"), errors.New("unexpected")
	cases := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("x: %w", limited), observe.RetryRateLimited},
		{fmt.Errorf("x: %w", server), observe.RetryServer},
		{fmt.Errorf("x: %w", unexpected), observe.RetryResponse},
		{context.DeadlineExceeded, observe.RetryTimeout},
		{&net.DNSError{IsTimeout: true}, observe.RetryTimeout},
		{&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, observe.RetryTransport},
		{io.ErrUnexpectedEOF, observe.RetryTransport},
		{fmt.Errorf("read: %w", syscall.ECONNRESET), observe.RetryTransport},
		{errors.New("something else"), observe.RetryOther},
	}
	for _, c := range cases {
		if got := RetryReason(c.err, limited, server, unexpected); got != c.want {
			t.Errorf("RetryReason(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

// TestWaitLimiter: a wait for a slot is reported with how long it took, and its error; without an
// observer it is a plain wait.
func TestWaitLimiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := rate.NewLimiter(rate.Every(time.Second), 1)
		if err := WaitLimiter(t.Context(), nil, "v", l); err != nil {
			t.Fatal(err)
		}
		var got []observe.LimiterWait
		o := &observe.Observer{LimiterWait: func(_ context.Context, w observe.LimiterWait) { got = append(got, w) }}
		if err := WaitLimiter(t.Context(), o, "v", l); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := WaitLimiter(ctx, o, "v", l); err == nil {
			t.Error("a wait with an ended context got a slot")
		}
		if len(got) != 2 || got[0].Vendor != "v" || got[0].Waited != time.Second || got[0].Err != nil || got[1].Err == nil {
			t.Errorf("reported %+v, want a 1s wait and a failed one", got)
		}
	})
}
