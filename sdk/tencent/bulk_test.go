package tencent

import (
	"slices"
	"strings"
	"testing"

	"github.com/jobwatch/jobwatch/sdk"
)

func TestBulkRulesAndClasses(t *testing.T) {
	b := NewBulk(nil)
	for _, c := range []struct {
		user string
		keys []string
		err  string
	}{
		{`{"UserName":"u1","Email":"u1@example.com"}`, []string{"u1", "u1@example.com"}, ""},
		{`{"PhoneNumber":"+86-13800000000"}`, []string{"+86-13800000000"}, ""},
		{`{"Nickname":"n"}`, nil, "one of UserName"},
		{`{"UserName":"u2","Email":"nope"}`, nil, "not an email"},
		{`{"UserName":"u3","IdentityVerified":true}`, nil, "needs IdentityVerificationMethod"},
		{`{"UserName":"u4","IdentityVerified":true,"IdentityVerificationMethod":"nameAndIdCard","Name":"N"}`, nil, "ResidentIdentityCard"},
	} {
		keys, err := b.CheckUser([]byte(c.user))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: %v, want %q", c.user, err, c.err)
			}
			continue
		}
		if err != nil || !slices.Equal(keys, c.keys) {
			t.Errorf("%s: %v %v", c.user, keys, err)
		}
	}
	for _, c := range []struct {
		f     sdk.Failure
		code  string
		retry bool
	}{
		{sdk.Failure{Message: "InternalError: An internal error occurred."}, codeInternalError, true},
		{sdk.Failure{Message: "user already exists"}, "", false},
		{sdk.Failure{Code: codeFrequentRequest}, codeFrequentRequest, true},
		{sdk.Failure{Code: codeInvalidParameterValue}, codeInvalidParameterValue, false},
	} {
		if code, retry := b.Classify(c.f); code != c.code || retry != c.retry {
			t.Errorf("%+v: %q %v, want %q %v", c.f, code, retry, c.code, c.retry)
		}
	}
	if !b.Refused(&sdk.APIError{Code: codeDataFlowTooManyRequests}) || b.Refused(&sdk.APIError{Code: codeInternalError}) {
		t.Error("only DataFlowTooManyRequests is the two-tasks refusal")
	}
	if b.JobsInFlight() != 2 {
		t.Error("Tencent runs two import jobs at a time")
	}
}
