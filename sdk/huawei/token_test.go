package huawei_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/huawei"
)

// TestTokenLifetimeThatOverflows: an Expires too large for a time.Duration (or absurdly long) is
// capped, never read as negative: five Status calls share one token. Expires values that are not a
// positive number fall back to the lifetime asked for.
func TestTokenLifetimeThatOverflows(t *testing.T) {
	for _, expires := range []string{"9223372036854775807", "9223372036854775808", "99999999999", "600", "0", "-5", "x", ""} {
		t.Run(expires, func(t *testing.T) {
			var tokens atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				w.Header().Set("Content-Type", "application/json")
				switch {
				case strings.HasSuffix(r.URL.Path, "/tokenByAkSk"):
					fmt.Fprintf(w, `{"AccessToken":"tok-%d","ApplyType":"Bearer","CreateTime":"1545650171","Expires":%q,"Scope":"s","AppKey":"app","UserID":"u"}`, tokens.Add(1), expires)
				case strings.HasSuffix(r.URL.Path, "/queryTask"):
					io.WriteString(w, `{"resultCode":"0","taskInfo":{"status":"DOING"}}`)
				default:
					http.NotFound(w, r)
				}
			}))
			defer srv.Close()
			c, err := huawei.New(huawei.Config{AppKey: "app", AppSecret: "secret"}, &sdk.ClientOptions{BaseURL: srv.URL, Getenv: func(string) string { return "" }})
			if err != nil {
				t.Fatal(err)
			}
			for range 5 {
				if _, err := c.Status(t.Context(), "1659446191820726274"); err != nil {
					t.Fatal(err)
				}
			}
			if n := tokens.Load(); n != 1 {
				t.Errorf("five Status calls fetched %d tokens, want 1", n)
			}
		})
	}
}
