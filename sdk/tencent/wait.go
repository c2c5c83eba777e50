package tencent

import (
	"context"

	"github.com/jobwatch/jobwatch/sdk"
)

// Vendor returns "tencent"; with Status it makes the client an sdk.Poller for sdk.Wait and sdk.Watcher.
func (c *Client) Vendor() string { return Vendor }

// Wait polls the job until it is done and returns the final job; a failed or canceled job comes with
// an *sdk.JobError. See sdk.Wait for the schedule and the options. It is the short way to wait for this
// client's job and the same as sdk.Wait(ctx, c, jobID, opts...), which takes any sdk.Poller (a fake, a
// wrapper of this client, a vendor of your own).
func (c *Client) Wait(ctx context.Context, jobID string, opts ...sdk.WaitOption) (*sdk.Job, error) {
	return sdk.Wait(ctx, c, jobID, opts...)
}

// ResumeWait continues a wait from a token of sdk.Waiter.ResumeToken (or sdk.WithCheckpoint), keeping
// its max-wait budget. A token of another vendor is an error matching sdk.ErrResumeToken. It is
// the short way for this client and the same as sdk.ResumeWait(ctx, c, token, opts...), which takes
// any sdk.Poller.
func (c *Client) ResumeWait(ctx context.Context, token string, opts ...sdk.WaitOption) (*sdk.Job, error) {
	return sdk.ResumeWait(ctx, c, token, opts...)
}
