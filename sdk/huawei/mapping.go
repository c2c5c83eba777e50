package huawei

import (
	gen "github.com/jobwatch/jobwatch/generated/huawei"
	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/internal/vendorkit"
)

// failCodeMeanings gives the documented meaning of each failCode (Table 4).
var failCodeMeanings = map[gen.FailCode]string{
	gen.FailCodeInvalidParameter:    "The input parameter {param} is invalid. {desc}.",
	gen.FailCodeMappingFailed:       "The mapping fails.",
	gen.FailCodeAccountLength:       "The length of the account {loginId} does not meet the requirements.",
	gen.FailCodeAccountInvalidChars: "The account {loginId} contains invalid characters. Invalid characters: {invalidChars}.",
	gen.FailCodeUserNotExist:        "The federated user does not exist.",
	gen.FailCodeRoleNotExist:        "The transferred role ID {roleId} does not exist in the database.",
	gen.FailCodeInternalError:       "Internal system error. Reason: {detail}.",
	gen.FailCodeUserDetailsFailed:   "Failed to obtain user details.",
	gen.FailCodeMappingRuleFailed:   "Failed to obtain the federated user mapping rule.",
	gen.FailCodeThirdPartyIDFailed:  "Failed to obtain the third-party system ID.",
	gen.FailCodeUserDetailsEmpty:    "The obtained user details are empty.",
	gen.FailCodeRoleInfoFailed:      "Failed to invoke the sum interface to obtain user role information.",
	gen.FailCodeCreatedUserIDEmpty:  "The user ID obtained during user creation is empty.",
	gen.FailCodeUserExists:          "The user already exists.",
	gen.FailCodeMapInputFailed:      "Failed to map the input parameters to the federated user information.",
}

// states maps every documented task status to a jobwatch state (DONE is refined by failures).
var states = map[gen.TaskStatus]sdk.State{
	gen.TaskStatusTODO:  sdk.StatePending,
	gen.TaskStatusDOING: sdk.StateRunning,
	gen.TaskStatusDONE:  sdk.StateSucceeded,
}

// mapTask maps a successful queryTask answer to an sdk.Job: TODO pending, DOING running, DONE
// succeeded, or partially_succeeded when failDataList is non-empty; an undocumented status is unknown.
// mapFailures carry userAccount, action, failCode and failMessage (the code's documented meaning when
// the message is empty). A user listed more than once in failDataList for the same action is one
// failure: the first code is kept and the distinct messages are joined with "; ", so that Counts.Failed
// counts users, not list entries.
func mapTask(taskID string, r *gen.QueryTaskResult) *sdk.Job {
	j := &sdk.Job{Vendor: Vendor, ID: taskID, State: sdk.StateUnknown}
	if r.TaskInfo != nil && r.TaskInfo.Status != nil {
		j.VendorStatus = []string{string(*r.TaskInfo.Status)}
		if s, ok := states[*r.TaskInfo.Status]; ok {
			j.State = s
		}
	}
	if r.FailDataList != nil {
		var fs vendorkit.Failures
		fs.Grow(len(*r.FailDataList))
		for _, fd := range *r.FailDataList {
			f := sdk.Failure{}
			if u := fd.FederationUser; u != nil {
				if u.UserAccount != nil {
					f.User = *u.UserAccount
				}
				if u.Action != nil {
					f.Action = string(*u.Action)
				}
			}
			if fd.FailCode != nil {
				f.Code = string(*fd.FailCode)
			}
			if fd.FailMessage != nil && *fd.FailMessage != "" {
				f.Message = *fd.FailMessage
			} else if fd.FailCode != nil {
				f.Message = failCodeMeanings[*fd.FailCode]
			}
			fs.Add(f)
		}
		j.Failures = fs.List()
	}
	if j.State == sdk.StateSucceeded && len(j.Failures) > 0 {
		j.State = sdk.StatePartiallySucceeded
	}
	if j.State.Done() {
		j.Counts.Failed = vendorkit.Int(len(j.Failures))
	}
	return vendorkit.Finish(j)
}
