package vendorkit

import (
	"fmt"
	"testing"

	"github.com/jobwatch/jobwatch/sdk"
)

func TestFailuresOnePerUserAndAction(t *testing.T) {
	var fs Failures
	for _, f := range []sdk.Failure{
		{User: "u1", Action: "add", Message: "User created, but Application Access failed"},
		{User: "", Action: "add", Code: "X", Message: "no user"},
		{User: "u1", Action: "add", Code: "4003", Message: "Application Access failed"}, // not a repeat: a message of its own
		{User: "u1", Action: "add", Message: "User created, but Application Access failed"},
		{User: "u1", Action: "delete", Message: "in use"},
		{User: "", Action: "add", Code: "X", Message: "no user"},
		{User: "u2", Action: "add"},
	} {
		fs.Add(f)
	}
	want := []sdk.Failure{
		{User: "u1", Action: "add", Code: "4003", Message: "User created, but Application Access failed; Application Access failed"},
		{User: "", Action: "add", Code: "X", Message: "no user"},
		{User: "u1", Action: "delete", Message: "in use"},
		{User: "", Action: "add", Code: "X", Message: "no user"},
		{User: "u2", Action: "add"},
	}
	if got := fs.List(); fmt.Sprint(got) != fmt.Sprint(want) || fs.Len() != len(want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestFailuresListIsNeverNil(t *testing.T) {
	var fs Failures
	if fs.List() == nil || fs.Len() != 0 {
		t.Errorf("empty list %#v", fs.List())
	}
}

// TestFailuresFoldsEachActionApart: a user's failures for two actions fold separately, each keeping its
// first code and its distinct messages in the order reported; Grow changes nothing but capacity.
func TestFailuresFoldsEachActionApart(t *testing.T) {
	var fs Failures
	fs.Grow(8)
	for _, f := range []sdk.Failure{
		{User: "u", Action: "add", Message: ""},
		{User: "u", Action: "delete", Code: "D1", Message: "in use"},
		{User: "u", Action: "add", Code: "A1", Message: "taken"},
		{User: "u", Action: "delete", Code: "D2", Message: "locked"},
		{User: "u", Action: "add", Code: "A2", Message: "taken"},
		{User: "u", Action: "delete", Message: "in use"},
		{User: "u", Action: "delete", Message: "gone"},
	} {
		fs.Add(f)
	}
	fs.Grow(-1)
	want := []sdk.Failure{
		{User: "u", Action: "add", Code: "A1", Message: "taken"},
		{User: "u", Action: "delete", Code: "D1", Message: "in use; locked; gone"},
	}
	if got := fs.List(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}
