package tencent

import (
	"encoding/json"
	"fmt"
	"testing"

	gen "github.com/jobwatch/jobwatch/generated/tencent"
	"github.com/jobwatch/jobwatch/sdk"
)

// TestImportUserSendsOnlyWhatIsSet: an ImportUser with a salted SHA1 password and one custom attribute
// encodes those fields and nothing else (no false, "" or empty list the caller did not set).
func TestImportUserSendsOnlyWhatIsSet(t *testing.T) {
	s := func(v string) *string { return &v }
	u := ImportUser{
		UserName:                s("zhangsan"),
		Password:                s("5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8"),
		PasswordEncryptTypeEnum: s(PasswordSHA1),
		Salt:                    &Salt{SaltValue: s("pepper"), SaltLocation: &SaltLocation{SaltLocationTypeEnum: s(SaltHead)}},
		CustomizationAttributes: &[]MemberMap{{Name: "nickname", Value: "z"}},
		IndexedAttribute1:       s("v1"),
	}
	b, err := json.Marshal(u)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"CustomizationAttributes":[{"Name":"nickname","Value":"z"}],"IndexedAttribute1":"v1","Password":"5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8","PasswordEncryptTypeEnum":"SHA1","Salt":{"SaltLocation":{"SaltLocationTypeEnum":"HEAD"},"SaltValue":"pepper"},"UserName":"zhangsan"}`
	if string(b) != want {
		t.Errorf("encoded\n %s\nwant\n %s", b, want)
	}
	if b, _ := json.Marshal(ImportUser{}); string(b) != "{}" {
		t.Errorf("empty user encodes as %s", b)
	}
}

// TestMapJobOneFailurePerUser: a user named by both FailedUsers and ErrorDetails is one failure with
// both messages; users named once, and entries without a user, stay as they are.
func TestMapJobOneFailurePerUser(t *testing.T) {
	cases := []struct {
		name string
		job  string
		want []sdk.Failure
	}{
		{"both lists, same user", `{"Id":"J","Status":"COMPLETED","Type":"IMPORT_USER","FailedUsers":[{"FailedUserIdentification":"u1","FailedReason":"bad phone"}],"ErrorDetails":[{"UserId":"u1","Error":"invalid PhoneNumber"}]}`,
			[]sdk.Failure{{User: "u1", Action: "IMPORT_USER", Message: "bad phone; invalid PhoneNumber"}}},
		{"same message twice", `{"Id":"J","Status":"COMPLETED","FailedUsers":[{"FailedUserIdentification":"u1","FailedReason":"dup"}],"ErrorDetails":[{"UserId":"u1","Error":"dup"}]}`,
			[]sdk.Failure{{User: "u1", Message: "dup"}}},
		{"different users", `{"Id":"J","Status":"COMPLETED","FailedUsers":[{"FailedUserIdentification":"u1","FailedReason":"a"}],"ErrorDetails":[{"UserId":"u2","Error":"b"}]}`,
			[]sdk.Failure{{User: "u1", Message: "a"}, {User: "u2", Message: "b"}}},
		{"no user", `{"Id":"J","Status":"FAILED","FailedUsers":null,"ErrorDetails":[{"UserId":null,"Error":"file unreadable"},{"Error":"quota"}]}`,
			[]sdk.Failure{{Message: "file unreadable"}, {Message: "quota"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var j gen.Job
			if err := json.Unmarshal([]byte(tc.job), &j); err != nil {
				t.Fatal(err)
			}
			got := mapJob(&j)
			if fmt.Sprintf("%+v", got.Failures) != fmt.Sprintf("%+v", tc.want) {
				t.Errorf("failures\n got %+v\nwant %+v", got.Failures, tc.want)
			}
			if got.Counts.Failed == nil || *got.Counts.Failed != len(tc.want) {
				t.Errorf("failed count %v, want %d", got.Counts.Failed, len(tc.want))
			}
		})
	}
}
