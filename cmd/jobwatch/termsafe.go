package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode/utf8"
)

// Text from vendors (job ids, user names, codes, messages, error texts) and from the command line reaches
// people's terminals, where a control character is an instruction: ESC and CSI sequences move the cursor,
// clear the screen, set the window title or ask the terminal to answer on stdin. So everything jobwatch
// writes passes through escapeControls: run wraps stdout and stderr in a safeWriter, and the live bars,
// which mpb draws with its own control sequences on the bare stderr, escape their text with it.

// dangerous reports whether r, printed as is, could control a terminal or disguise what is shown: the C0
// controls and DEL, the C1 controls (U+0080–U+009F; U+009B is CSI), and the bidirectional marks,
// embeddings, overrides and isolates, which reorder the text around them ("Trojan Source"), and the
// Unicode line and paragraph separators. Newlines and tabs are the layout of jobwatch's own text; a
// caller that needs one line escapes them too (see appendEscaped's keepLayout).
func dangerous(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7f && r <= 0x9f:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r == 0x2028, r == 0x2029:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// appendEscaped appends p to dst with each dangerous rune written as visible text: a C0 control as \xNN
// (as Go quotes it: ESC is \x1b), any other as \uXXXX, and each byte that is not UTF-8 as \xNN. \n and \t
// are kept when keepLayout. Backslashes are not escaped, so escaping twice changes nothing; a terminal
// then shows an ESC and the four characters \x1b alike, and --output json tells them apart.
//
// The \uXXXX form keeps JSON exact: encoding/json writes no C0 control, and no invalid UTF-8, but
// writes C1 controls, DEL and the bidirectional marks as they are, always inside a string, where \uXXXX
// is the same character.
func appendEscaped(dst, p []byte, keepLayout bool) []byte {
	for len(p) > 0 {
		r, n := utf8.DecodeRune(p)
		switch {
		case r == utf8.RuneError && n <= 1:
			dst = fmt.Appendf(dst, `\x%02x`, p[0])
		case keepLayout && (r == '\n' || r == '\t'):
			dst = append(dst, byte(r))
		case r < 0x20:
			dst = fmt.Appendf(dst, `\x%02x`, r)
		case dangerous(r):
			dst = fmt.Appendf(dst, `\u%04x`, r)
		default:
			dst = append(dst, p[:n]...)
		}
		p = p[n:]
	}
	return dst
}

// escapeControls is s with its dangerous runes, newlines and tabs written as visible text, for text that
// must stay on one line, such as a bar's.
func escapeControls(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r == utf8.RuneError || dangerous(r) }) {
		return s
	}
	return string(appendEscaped(nil, []byte(s), false))
}

// clean reports whether p needs no escaping but of its newlines and tabs, checking ASCII, the common
// case, without decoding.
func clean(p []byte) bool {
	for i := 0; i < len(p); {
		c := p[i]
		if c < 0x80 {
			if c < 0x20 && c != '\n' && c != '\t' || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(p[i:])
		if r == utf8.RuneError && n <= 1 || dangerous(r) {
			return false
		}
		i += n
	}
	return true
}

// safeWriter escapes what is written through it (see appendEscaped; newlines and tabs are kept). It is
// safe for concurrent use. A rune cut between two writes is held until the next one, or flush.
type safeWriter struct {
	mu   sync.Mutex
	w    io.Writer
	head []byte // the start of a rune the last write cut
	buf  []byte
}

// newSafeWriter wraps w, unless it is a safeWriter already (help runs a command's --help within run).
func newSafeWriter(w io.Writer) *safeWriter {
	if s, ok := w.(*safeWriter); ok {
		return s
	}
	return &safeWriter{w: w}
}

func (s *safeWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := p
	if len(s.head) > 0 {
		in = append(s.head, p...)
		s.head = nil
	}
	// Hold back the end of in when it is the start of a rune the next write completes.
	cut := len(in)
	for i := len(in) - 1; i >= 0 && i > len(in)-utf8.UTFMax; i-- {
		if utf8.RuneStart(in[i]) {
			if !utf8.FullRune(in[i:]) {
				cut = i
			}
			break
		}
	}
	out := in[:cut]
	if !clean(out) {
		s.buf = appendEscaped(s.buf[:0], out, true)
		out = s.buf
	}
	s.head = append([]byte(nil), in[cut:]...)
	if _, err := s.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// flush writes a rune the last write left cut, escaped: nothing completes it any more.
func (s *safeWriter) flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.head) > 0 {
		s.w.Write(appendEscaped(nil, s.head, true))
		s.head = nil
	}
}

// bare is the writer beneath w, for the live bars, whose drawing is control sequences (their text is
// escaped with escapeControls).
func bare(w io.Writer) io.Writer {
	if s, ok := w.(*safeWriter); ok {
		return s.w
	}
	return w
}
