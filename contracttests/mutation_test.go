package contracttests

import (
	"strings"
	"testing"

	"github.com/jobwatch/jobwatch/specs"
)

// TestSpecMutationsAreCaught shows that renaming or retyping a field in a spec, or altering a
// documented example, makes the contract checks fail: each mutation is applied to the spec's text and
// the same checks that TestSpecs runs must report at least one problem.
func TestSpecMutationsAreCaught(t *testing.T) {
	cases := []struct {
		name, spec, old, new string
	}{
		{"rename a required field", specs.Oracle,
			"        loginId:\n          type: string\n", "        loginID:\n          type: string\n"},
		{"rename an optional field present in the example", specs.Oracle,
			"        pwdWarned:\n", "        pwdWarn:\n"},
		{"retype a field present in the example", specs.Oracle,
			"        pwdWarned:\n          type: boolean\n", "        pwdWarned:\n          type: string\n"},
		{"retype a field absent from every example", specs.Oracle,
			"        deprovisionedDate:\n          type: string\n", "        deprovisionedDate:\n          type: integer\n"},
		{"rename a field absent from every example", specs.Huawei,
			"        userAccount:\n          type: string\n          description: Federated user account;", "        account:\n          type: string\n          description: Federated user account;"},
		{"retype a count", specs.Webex,
			"        instanceId:\n          type: integer\n", "        instanceId:\n          type: string\n"},
		{"make a field nullable", specs.Webex,
			"        trackingId:\n          type: string\n          description: Identifier to track the flow of HTTP requests.\n        sourceUserId:",
			"        trackingId:\n          type: string\n          nullable: true\n          description: Identifier to track the flow of HTTP requests.\n        sourceUserId:"},
		{"drop an enum value", specs.Tencent,
			"enum: [PENDING, PROCESSING, COMPLETED, FAILED]", "enum: [PENDING, PROCESSING, COMPLETED]"},
		{"alter a documented example value", specs.Huawei,
			"resultMessage: The query is successful.", "resultMessage: The query is successfull."},
		{"alter a documented example number", specs.Tencent,
			"CreatedDate: 1715156770024", "CreatedDate: 1715156770025"},
		{"alter an inline documented example", specs.Webex,
			`"moved": 1,`, `"moved": 2,`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw, err := specs.Read(c.spec)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Count(string(raw), c.old) != 1 {
				t.Fatalf("mutation target occurs %d times in %s, want once", strings.Count(string(raw), c.old), c.spec)
			}
			mutated := strings.Replace(string(raw), c.old, c.new, 1)
			errs := checkSpec(c.spec, []byte(mutated))
			if len(errs) == 0 {
				t.Fatalf("mutation %q of %s went unnoticed", c.name, c.spec)
			}
			t.Logf("caught: %v", errs[0])
		})
	}
}
