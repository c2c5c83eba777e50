package oracle

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/internal/sdktest"
)

func TestWaitFollowsLocation(t *testing.T) {
	sdktest.InBubble(t, func(t *testing.T, mt *httpmock.MockTransport) {
		var paths []string
		polls := 0
		mt.RegisterNoResponder(func(req *http.Request) (*http.Response, error) {
			paths = append(paths, req.URL.RequestURI())
			if u, p, ok := req.BasicAuth(); !ok || u != "admin" || p != password {
				return sdktest.JSONResponse(401, `{"message":"bad credentials"}`), nil
			}
			polls++
			if polls < 3 {
				return sdktest.JSONResponse(202, `{}`, "Location", "/cloudapi/restapi/user/status/95733?poll="+string(rune('0'+polls))), nil
			}
			return sdktest.JSONResponse(200, sdktest.Seed(t, "oracle_status_200.json")), nil
		})
		c := newTestClient(t, mt, Config{Username: "admin", Password: password})
		job, err := sdk.Wait(t.Context(), c, "95733", &sdk.WaitOptions{MinDelay: time.Second})
		if err != nil || !job.Done {
			t.Fatalf("Wait = %v, %v", job, err)
		}
		want := []string{"/cloudapi/restapi/user/status/95733", "/cloudapi/restapi/user/status/95733?poll=1", "/cloudapi/restapi/user/status/95733?poll=2"}
		if strings.Join(paths, " ") != strings.Join(want, " ") {
			t.Errorf("polled %v, want %v", paths, want)
		}
	})
}

// TestStatusAtStaysOnTheHost: a Location is followed only on the base URL's scheme, host and port, so
// Basic credentials never go to another host or port, nor in clear text over http.
func TestStatusAtStaysOnTheHost(t *testing.T) {
	mt := httpmock.NewMockTransport()
	c := newTestClient(t, mt, Config{Username: "admin", Password: password})
	for _, loc := range []string{
		"https://evil.example/cloudapi/restapi/user/status/1", "://bad",
		"http://pc.example/cloudapi/restapi/user/status/1",       // downgrade to clear text
		"https://pc.example:8443/cloudapi/restapi/user/status/1", // another port
		"https://u:p@pc.example/cloudapi/restapi/user/status/1",  // userinfo
	} {
		if _, err := c.StatusAt(t.Context(), loc); err == nil || !strings.Contains(err.Error(), "is not a URL on https://pc.example") || strings.Contains(err.Error(), "u:p") {
			t.Errorf("StatusAt(%q) = %v", loc, err)
		}
	}
	if n := mt.GetTotalCallCount(); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}
