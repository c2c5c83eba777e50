package vendorkit

import (
	"slices"
	"strings"

	"github.com/jobwatch/jobwatch/sdk"
)

// Failures collects a job's failed users, one failure per user and action: a user that a vendor
// reports twice (Tencent's FailedUsers and ErrorDetails, two Webex items, a Huawei task's repeated
// entry, an Oracle record in two lists) is one failure, with the first code and every distinct
// message. Failures that name no user are kept one each. The zero value is ready to use.
//
// Its cost is linear in what it is given, whether an answer names a million users once each or one
// user thirty thousand times: an index by user (most users have one action, so one string key each),
// and the messages of a user named more than once kept apart as a set and joined once, by List.
type Failures struct {
	list []sdk.Failure
	// byUser indexes a user's first failure in list; byAction the user's failures for its other
	// actions, rare enough that their wider key costs nothing in the common case.
	byUser   map[string]int
	byAction map[[2]string]int
	// more holds the messages of the failures that were reported with more than one, by index in list.
	more map[int]*messages
}

// messages are one failure's distinct messages, in the order first reported.
type messages struct {
	list []string
	seen map[string]bool
}

// Grow makes room for n more failures, so that an answer of known length is collected without growing
// the list and its index step by step (each step a copy: a peak of twice their size for large jobs).
func (fs *Failures) Grow(n int) {
	if n <= 0 {
		return
	}
	fs.list = slices.Grow(fs.list, n)
	if fs.byUser == nil {
		fs.byUser = make(map[string]int, n)
	}
}

// Add records f, or folds it into the failure already recorded for its user and action.
func (fs *Failures) Add(f sdk.Failure) {
	if f.User == "" {
		fs.list = append(fs.list, f)
		return
	}
	if fs.byUser == nil {
		fs.byUser = map[string]int{}
	}
	i, seen := fs.byUser[f.User]
	if !seen {
		fs.byUser[f.User] = len(fs.list)
		fs.list = append(fs.list, f)
		return
	}
	if fs.list[i].Action != f.Action {
		key := [2]string{f.User, f.Action}
		if i, seen = fs.byAction[key]; !seen {
			if fs.byAction == nil {
				fs.byAction = map[[2]string]int{}
			}
			fs.byAction[key] = len(fs.list)
			fs.list = append(fs.list, f)
			return
		}
	}
	fs.fold(i, f)
}

// fold adds f's code (when the failure has none yet) and message (when new) to failure i.
func (fs *Failures) fold(i int, f sdk.Failure) {
	prev := &fs.list[i]
	if prev.Code == "" {
		prev.Code = f.Code
	}
	if f.Message == "" {
		return
	}
	m := fs.more[i]
	if m == nil {
		if prev.Message == "" || prev.Message == f.Message {
			prev.Message = f.Message
			return
		}
		m = &messages{list: []string{prev.Message}, seen: map[string]bool{prev.Message: true}}
		if fs.more == nil {
			fs.more = map[int]*messages{}
		}
		fs.more[i] = m
	}
	if !m.seen[f.Message] {
		m.seen[f.Message] = true
		m.list = append(m.list, f.Message)
	}
}

// List returns the failures in the order their users were first reported, the messages of each joined
// by "; "; empty, not nil, when there are none (a Job's Failures is never nil).
func (fs *Failures) List() []sdk.Failure {
	if fs.list == nil {
		return []sdk.Failure{}
	}
	for i, m := range fs.more {
		fs.list[i].Message = strings.Join(m.list, "; ")
	}
	return fs.list
}

// Len is how many failures there are.
func (fs *Failures) Len() int { return len(fs.list) }
