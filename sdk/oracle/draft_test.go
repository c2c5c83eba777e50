package oracle

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"

	"github.com/jobwatch/jobwatch/sdk"
)

// documentedCSV is the response example of Oracle's "Export a Job's failed users" page, verbatim.
const documentedCSV = "Last Name,First Name,Email,Username,Company,User Type,Locked,Active\nSMITH,JIM,jim.smith@company.com,JSMITH,sfo,Employee,NO,YES\n"

func TestParseFailedUsersCSV(t *testing.T) {
	cases := []struct {
		name  string
		in    string
		users []string
		err   bool
	}{
		{"documented", documentedCSV, []string{"JSMITH"}, false},
		{"CRLF, BOM, reordered columns and an extra one", "\ufeffUsername,Email,Reason\r\nA,a@x,\"Role, not found\"\r\nB,b@x,x\r\n", []string{"A", "B"}, false},
		{"header only", "Last Name,First Name,Email,Username\n", []string{}, false},
		{"empty", "", []string{}, false},
		{"blank line skipped", documentedCSV + "\n", []string{"JSMITH"}, false},
		{"no Username column", "Last Name,Email\nSMITH,x\n", nil, true},
		{"row without username", documentedCSV + "DOE,JANE,j@x,,sfo,Employee,NO,YES\n", nil, true},
		{"not CSV", "a,\"b\nc", nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseFailedUsersCSV(strings.NewReader(c.in))
			if c.err {
				if !errors.Is(err, ErrFailedUsersCSV) {
					t.Fatalf("err = %v, want ErrFailedUsersCSV", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, u := range got {
				names = append(names, u.Username)
			}
			if strings.Join(names, ",") != strings.Join(c.users, ",") || got == nil {
				t.Errorf("users = %v, want %v", names, c.users)
			}
		})
	}
	got, _ := ParseFailedUsersCSV(strings.NewReader(documentedCSV))
	want := FailedUser{LastName: "SMITH", FirstName: "JIM", Email: "jim.smith@company.com", Username: "JSMITH", Company: "sfo", UserType: "Employee", Locked: false, Active: true}
	u := got[0]
	if u.LastName != want.LastName || u.FirstName != want.FirstName || u.Email != want.Email || u.Company != want.Company || u.UserType != want.UserType ||
		u.Locked || !u.Active || u.Columns["User Type"] != "Employee" || len(u.Columns) != 8 {
		t.Errorf("row = %+v", u)
	}
}

func TestFailedUsersCSV(t *testing.T) {
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder("GET", "https://pc.example/cloudapi/restapi/user/status/40870/draft", func(req *http.Request) (*http.Response, error) {
		if u, p, ok := req.BasicAuth(); !ok || u != "admin" || p != password {
			t.Errorf("basic auth missing")
		}
		r := httpmock.NewStringResponse(200, documentedCSV)
		r.Header.Set("Content-Type", "text/plain")
		return r, nil
	})
	mt.RegisterResponder("GET", "https://pc.example/cloudapi/restapi/v3/user/status/40870/draft", func(req *http.Request) (*http.Response, error) {
		if req.Header.Get("Authorization") != "Bearer tok" {
			t.Errorf("bearer missing")
		}
		r := httpmock.NewStringResponse(200, documentedCSV)
		r.Header.Set("Content-Type", "application/octet-stream")
		return r, nil
	})
	mt.RegisterResponder("GET", "https://pc.example/cloudapi/restapi/user/status/1/draft",
		httpmock.NewStringResponder(400, `{"message":"Invalid input, Please check."}`).HeaderSet(http.Header{"Content-Type": {"application/json"}}))
	mt.RegisterResponder("GET", "https://pc.example/cloudapi/restapi/user/status/2/draft",
		httpmock.NewStringResponder(200, strings.Repeat("x", maxFailedUsersCSV+1)))
	for _, cfg := range []Config{{Username: "admin", Password: password}, {API: V3, Token: "tok"}} {
		c := newTestClient(t, mt, cfg)
		got, err := c.FailedUsersCSV(context.Background(), "40870")
		if err != nil || len(got) != 1 || got[0].Username != "JSMITH" {
			t.Errorf("%s: %+v, %v", cfg.API, got, err)
		}
	}
	c := newTestClient(t, mt, Config{Username: "admin", Password: password})
	var apiErr *sdk.APIError
	if _, err := c.FailedUsersCSV(context.Background(), "1"); !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || !strings.Contains(err.Error(), "Invalid input") {
		t.Errorf("400: %v", err)
	}
	if _, err := c.FailedUsersCSV(context.Background(), "2"); !errors.Is(err, ErrFailedUsersCSV) || !strings.Contains(err.Error(), "MiB") {
		t.Errorf("too large: %v", err)
	}
	if _, err := c.FailedUsersCSV(context.Background(), "a/b"); err == nil {
		t.Error("a job id with '/' was accepted")
	}
}

// The base URL may come from JOBWATCH_ORACLE_BASE_URL alone, as the lines `jobwatch simulate` prints
// set it: the failed-users export goes there too.
func TestFailedUsersCSVWithTheBaseURLFromTheEnvironment(t *testing.T) {
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder("GET", "https://env.example/cloudapi/restapi/user/status/40870/draft", func(*http.Request) (*http.Response, error) {
		r := httpmock.NewStringResponse(200, documentedCSV)
		r.Header.Set("Content-Type", "text/plain")
		return r, nil
	})
	env := map[string]string{"JOBWATCH_ORACLE_BASE_URL": "https://env.example"}
	c, err := New(Config{Username: "admin", Password: password}, &sdk.ClientOptions{HTTPClient: &http.Client{Transport: mt}, Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.FailedUsersCSV(context.Background(), "40870")
	if err != nil || len(got) != 1 || got[0].Username != "JSMITH" {
		t.Fatalf("got %+v, %v", got, err)
	}
}
