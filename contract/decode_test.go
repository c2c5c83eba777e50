package contract

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"github.com/andybalholm/brotli"
	"io"
	"net/http"
	"strings"
	"testing"
)

func compress(t *testing.T, mk func(io.Writer) io.WriteCloser, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := mk(&b)
	w.Write([]byte(s))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestDecodeBody: each recorder's form of a body decodes to the same JSON, or says why it cannot.
func TestDecodeBody(t *testing.T) {
	const doc = `{"note":"café ✓"}`
	gz := compress(t, func(w io.Writer) io.WriteCloser { return gzip.NewWriter(w) }, doc)
	zl := compress(t, func(w io.Writer) io.WriteCloser { return zlib.NewWriter(w) }, doc)
	raw := compress(t, func(w io.Writer) io.WriteCloser { fw, _ := flate.NewWriter(w, 5); return fw }, doc)
	brBody := compress(t, func(w io.Writer) io.WriteCloser { return brotli.NewWriter(w) }, doc)
	latin1 := []byte("{\"note\":\"caf\xe9 \"}")
	utf16le := []byte{0xff, 0xfe}
	for _, r := range `{"note":"café ✓"}` {
		utf16le = append(utf16le, byte(r), byte(r>>8))
	}
	for _, c := range []struct {
		name, encoding, ctype string
		body                  []byte
		want, reason          string
	}{
		{"plain", "", "application/json", []byte(doc), doc, ""},
		{"utf-8 BOM", "", "application/json; charset=utf-8", append([]byte("\ufeff"), doc...), doc, ""},
		{"gzip raw (Charles, Go)", "gzip", "application/json", gz, doc, ""},
		{"gzip decoded (browsers, mitmproxy)", "gzip", "application/json", []byte(doc), doc, ""},
		{"deflate zlib", "deflate", "application/json", zl, doc, ""},
		{"deflate raw", "deflate", "application/json", raw, doc, ""},
		{"gzip then identity", "gzip, identity", "application/json", gz, doc, ""},
		{"br decoded", "br", "application/json", []byte(doc), doc, ""},
		{"br raw (Charles, Go)", "br", "application/json", brBody, doc, ""},
		{"broken br", "br", "application/json", brBody[:len(brBody)/2], "", "does not decode as br"},
		{"latin1", "", "application/json; charset=ISO-8859-1", latin1, `{"note":"café "}`, ""},
		{"windows-1252", "", "application/json; charset=windows-1252", []byte("{\"note\":\"\x80\"}"), `{"note":"€"}`, ""},
		{"utf-16le BOM", "", "application/json; charset=utf-16", utf16le, doc, ""},
		{"unknown charset", "", "application/json; charset=koi8-r", []byte(doc), "", "koi8-r"},
		{"broken gzip", "gzip", "application/json", gz[:10], "", "does not decode as gzip"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := http.Header{"Content-Type": {c.ctype}}
			if c.encoding != "" {
				h.Set("Content-Encoding", c.encoding)
			}
			got, reason := decodeBody(h, c.body)
			if c.reason != "" {
				if !strings.Contains(reason, c.reason) {
					t.Errorf("reason %q, want %q", reason, c.reason)
				}
				return
			}
			if reason != "" || string(got) != c.want {
				t.Errorf("got %q (reason %q), want %q", got, reason, c.want)
			}
		})
	}
}

// TestSecretFindingsInEncodedBodies: a credential in a body recorded gzip-compressed is found too.
func TestSecretFindingsInEncodedBodies(t *testing.T) {
	gz := compress(t, func(w io.Writer) io.WriteCloser { return gzip.NewWriter(w) }, `{"AccessToken":"abcdef123456","Expires":"600"}`)
	req, _ := http.NewRequest("POST", "https://h.example/apigovernance/api/oauth/tokenByAkSk?signature=sig123456", nil)
	got := secretFindings(Exchange{Request: req, Status: 200, Header: http.Header{"Content-Type": {"application/json"}, "Content-Encoding": {"gzip"}}, Body: gz})
	want := []Finding{{FindingSecret, "request query parameter signature"}, {FindingSecret, "response body /AccessToken"}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("findings %v, want %v", got, want)
	}
}
