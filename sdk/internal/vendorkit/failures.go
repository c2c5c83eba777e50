package vendorkit

import (
	"strings"

	"github.com/jobwatch/jobwatch/sdk"
)

// Failures collects a job's failed users, one failure per user and action: a user that a vendor
// reports twice (Tencent's FailedUsers and ErrorDetails, two Webex items, a Huawei task's repeated
// entry, an Oracle record in two lists) is one failure, with the first code and every distinct
// message. Failures that name no user are kept one each. The zero value is ready to use.
type Failures struct {
	list []sdk.Failure
	at   map[[2]string]int
}

// Add records f, or folds it into the failure already recorded for its user and action.
func (fs *Failures) Add(f sdk.Failure) {
	if f.User == "" {
		fs.list = append(fs.list, f)
		return
	}
	key := [2]string{f.User, f.Action}
	if i, seen := fs.at[key]; seen {
		prev := &fs.list[i]
		if prev.Code == "" {
			prev.Code = f.Code
		}
		prev.Message = joinNew(prev.Message, f.Message)
		return
	}
	if fs.at == nil {
		fs.at = map[[2]string]int{}
	}
	fs.at[key] = len(fs.list)
	fs.list = append(fs.list, f)
}

// List returns the failures in the order their users were first reported; empty, not nil, when there
// are none (a Job's Failures is never nil).
func (fs *Failures) List() []sdk.Failure {
	if fs.list == nil {
		return []sdk.Failure{}
	}
	return fs.list
}

// Len is how many failures there are.
func (fs *Failures) Len() int { return len(fs.list) }

// joinNew appends msg to joined ("; " between) unless it is empty or already one of its messages.
func joinNew(joined, msg string) string {
	switch {
	case msg == "":
		return joined
	case joined == "":
		return msg
	}
	for _, m := range strings.Split(joined, "; ") {
		if m == msg {
			return joined
		}
	}
	return joined + "; " + msg
}
