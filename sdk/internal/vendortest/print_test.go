package vendortest

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jobwatch/jobwatch/sdk"
)

// TestPrintingAClientShowsNoSecret: %v, %+v and %#v of every vendor's *Client, and of structs holding
// one (as a pointer, as an sdk.Poller, in an unexported field), print no password, token, secret key,
// session token, cached Huawei access token, nor the userinfo of the base URL.
func TestPrintingAClientShowsNoSecret(t *testing.T) {
	const urlPassword = "sentinel-url-password"
	srv := httptest.NewServer(answer(t))
	defer srv.Close()
	base := strings.Replace(srv.URL, "http://", "http://user:"+urlPassword+"@", 1)
	for _, v := range vendors() {
		t.Run(v.name, func(t *testing.T) {
			c, err := v.newClient(&sdk.ClientOptions{BaseURL: base + v.pathPrefix})
			if err != nil {
				t.Fatal(err)
			}
			// One call, so that Huawei holds a cached access token.
			if _, err := status(t.Context(), c, v.jobID); err != nil {
				t.Fatal(err)
			}
			type holder struct {
				C any
				P sdk.Poller
				p sdk.Poller
			}
			h := holder{C: c, P: c, p: c}
			var printed []string
			for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
				printed = append(printed, fmt.Sprintf(verb, c), fmt.Sprintf(verb, h), fmt.Sprintf(verb, &h), fmt.Sprintf(verb, []any{c}))
			}
			for i, s := range printed {
				if l := leaks(s); l != nil || strings.Contains(s, urlPassword) {
					t.Errorf("printing #%d shows secrets %v (or the URL's password)", i, l)
				}
			}
		})
	}
}
