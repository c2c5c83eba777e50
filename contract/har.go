package contract

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/jobwatch/jobwatch/internal/redact"
)

// harEntry is the part of a HAR 1.1 or 1.2 entry (as Chrome, Firefox, mitmproxy, Charles and Go
// recorders export it) that a check needs.
type harEntry struct {
	Request struct {
		Method   string      `json:"method"`
		URL      string      `json:"url"`
		Headers  []harHeader `json:"headers"`
		Cookies  []harHeader `json:"cookies"`
		PostData *struct {
			MimeType string `json:"mimeType"`
			Text     string `json:"text"`
			Encoding string `json:"encoding"`
		} `json:"postData"`
	} `json:"request"`
	Response struct {
		Status   int         `json:"status"`
		Headers  []harHeader `json:"headers"`
		Cookies  []harHeader `json:"cookies"`
		BodySize int64       `json:"bodySize"`
		Content  struct {
			MimeType string  `json:"mimeType"`
			Size     int64   `json:"size"`
			Text     *string `json:"text"`
			Encoding string  `json:"encoding"`
		} `json:"content"`
		// Error is why a browser (Chrome's net::ERR_ABORTED) or mitmproxy got no response.
		Error *string `json:"_error"`
	} `json:"response"`
}

// harHeader is a HAR name/value pair: a header, or a cookie.
type harHeader struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// ReadHAR reads every exchange of a HAR file into memory; see ScanHAR, which reads one at a time.
func ReadHAR(r io.Reader) ([]Exchange, error) {
	var out []Exchange
	err := ScanHAR(r, func(_ int, ex Exchange) error {
		out = append(out, ex)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ScanHAR reads a HAR file one entry at a time and calls fn with each exchange and its index, so
// that a file of any size is read in the memory of one entry. It reads HAR 1.1 and 1.2, plain or
// compressed with gzip or zlib (mitmproxy's .zhar), with or without a UTF-8 byte-order mark. An entry
// without a response (an aborted request, mitmproxy's _error) or whose body the recorder did not keep
// gets a SkipReason. An error of fn stops the scan and is returned.
func ScanHAR(r io.Reader, fn func(index int, ex Exchange) error) error {
	in, err := harInput(r)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(in)
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	sawLog := false
	for dec.More() {
		key, err := objectKey(dec)
		if err != nil {
			return err
		}
		if key != "log" {
			if err := skipValue(dec); err != nil {
				return err
			}
			continue
		}
		sawLog = true
		if err := scanLog(dec, fn); err != nil {
			return err
		}
	}
	if !sawLog {
		return errors.New("contract: not a HAR file: no log object")
	}
	return nil
}

// harInput undoes the compression of a HAR file and drops its byte-order mark.
func harInput(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(2)
	var in io.Reader = br
	switch {
	case len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("contract: read gzip-compressed HAR: %w", err)
		}
		in = bufio.NewReaderSize(zr, 64<<10)
	case len(head) == 2 && head[0]&0x0f == 8 && (uint16(head[0])<<8|uint16(head[1]))%31 == 0:
		zr, err := zlib.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("contract: read zlib-compressed HAR (.zhar): %w", err)
		}
		in = bufio.NewReaderSize(zr, 64<<10)
	}
	bin := in.(*bufio.Reader)
	if bom, _ := bin.Peek(3); bytes.Equal(bom, []byte("\ufeff")) {
		bin.Discard(3)
	}
	return bin, nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("contract: not a HAR file: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("contract: not a HAR file: want %q at offset %d", want, dec.InputOffset())
	}
	return nil
}

func objectKey(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", fmt.Errorf("contract: not a HAR file: %w", err)
	}
	key, _ := tok.(string)
	return key, nil
}

func skipValue(dec *json.Decoder) error {
	var skip json.RawMessage
	if err := dec.Decode(&skip); err != nil {
		return fmt.Errorf("contract: not a HAR file: %w", err)
	}
	return nil
}

// scanLog reads the log object, calling fn with each of its entries.
func scanLog(dec *json.Decoder, fn func(int, Exchange) error) error {
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	for dec.More() {
		key, err := objectKey(dec)
		if err != nil {
			return err
		}
		switch key {
		case "version":
			var v string
			if err := dec.Decode(&v); err != nil {
				return fmt.Errorf("contract: not a HAR file: version: %w", err)
			}
			if v != "" && !strings.HasPrefix(v, "1.") {
				return fmt.Errorf("contract: HAR version %q is not supported (want 1.1 or 1.2)", v)
			}
		case "entries":
			tok, err := dec.Token()
			if err != nil {
				return fmt.Errorf("contract: not a HAR file: entries: %w", err)
			}
			if tok == nil { // "entries": null, as some tools write an empty log
				continue
			}
			if d, ok := tok.(json.Delim); !ok || d != '[' {
				return errors.New("contract: not a HAR file: entries is not a list")
			}
			for i := 0; dec.More(); i++ {
				var e harEntry
				if err := dec.Decode(&e); err != nil {
					return fmt.Errorf("contract: HAR entry %d: %w", i, err)
				}
				ex, err := e.exchange()
				if err != nil {
					return fmt.Errorf("contract: HAR entry %d: %w", i, err)
				}
				if err := fn(i, ex); err != nil {
					return err
				}
			}
			if err := expectDelim(dec, ']'); err != nil {
				return err
			}
		default:
			if err := skipValue(dec); err != nil {
				return err
			}
		}
	}
	return expectDelim(dec, '}')
}

// exchange turns a HAR entry into an Exchange.
func (e *harEntry) exchange() (Exchange, error) {
	u, err := url.Parse(e.Request.URL)
	// A browser records data: and blob: resources too: such an entry is no vendor's exchange, and is
	// reported skipped rather than ending the scan.
	other := err == nil && u.Scheme != "" && !strings.EqualFold(u.Scheme, "http") && !strings.EqualFold(u.Scheme, "https")
	if !other && (err != nil || u.Host == "") {
		return Exchange{}, fmt.Errorf("request url %q is not absolute", redact.URL(e.Request.URL))
	}
	var skip string
	if other {
		skip = fmt.Sprintf("request url scheme %q is not http(s)", u.Scheme)
		u = &url.URL{Scheme: u.Scheme, Opaque: "-"} // the rest of a data: URL is its (maybe large) content
	}
	method := strings.ToUpper(e.Request.Method)
	if method == "" {
		return Exchange{}, errors.New("request has no method")
	}
	var reqBody []byte
	if pd := e.Request.PostData; pd != nil {
		if reqBody, err = decodeText(pd.Text, pd.Encoding); err != nil && skip == "" {
			skip = fmt.Sprintf("request body: %v", err)
		}
	}
	req, err := http.NewRequest(method, u.String(), http.NoBody)
	if err != nil {
		return Exchange{}, err
	}
	for _, hh := range e.Request.Headers {
		if strings.HasPrefix(hh.Name, ":") { // HTTP/2 pseudo-headers
			continue
		}
		req.Header.Add(hh.Name, hh.Value)
	}
	if pd := e.Request.PostData; pd != nil && req.Header.Get("Content-Type") == "" && pd.MimeType != "" {
		req.Header.Set("Content-Type", pd.MimeType)
	}
	ex := Exchange{Request: req, RequestBody: reqBody, Status: e.Response.Status, Header: http.Header{}, SkipReason: skip}
	for _, list := range [][]harHeader{e.Request.Cookies, e.Response.Cookies} {
		for _, c := range list {
			if !looksRedacted(c.Value) {
				ex.RecordedCookies = append(ex.RecordedCookies, c.Name)
			}
		}
	}
	for _, hh := range e.Response.Headers {
		if !strings.HasPrefix(hh.Name, ":") {
			ex.Header.Add(hh.Name, hh.Value)
		}
	}
	c := &e.Response.Content
	switch {
	case skip != "":
		return ex, nil
	case e.Response.Status == 0:
		ex.SkipReason = ReasonNoResponse
		if e.Response.Error != nil && *e.Response.Error != "" {
			ex.SkipReason += ": " + *e.Response.Error
		}
		return ex, nil
	case (c.Text == nil || *c.Text == "") && (c.Size > 0 || e.Response.BodySize > 0) && bodyAllowed(method, e.Response.Status):
		ex.SkipReason = ReasonBodyNotKept
		return ex, nil
	}
	if c.Text != nil {
		if ex.Body, err = decodeText(*c.Text, c.Encoding); err != nil {
			ex.SkipReason = fmt.Sprintf("response body: %v", err)
			return ex, nil
		}
	}
	if ex.Header.Get("Content-Type") == "" && c.MimeType != "" && len(ex.Body) > 0 {
		ex.Header.Set("Content-Type", c.MimeType)
	}
	return ex, nil
}

// bodyAllowed reports whether an answer with this status to this method may have a body (RFC 9110):
// a browser reports the cached body's size on a 304, which it does not record.
func bodyAllowed(method string, status int) bool {
	return method != http.MethodHead && status != http.StatusNoContent && status != http.StatusNotModified && status >= 200
}

func decodeText(text, encoding string) ([]byte, error) {
	switch strings.ToLower(encoding) {
	case "":
		return []byte(text), nil
	case "base64":
		return base64.StdEncoding.DecodeString(text)
	}
	return nil, fmt.Errorf("encoding %q is not supported (want base64 or none)", encoding)
}
