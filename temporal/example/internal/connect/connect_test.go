package connect

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// TestLogLinesHaveNoEmptyFields: fields with nothing in them are left out of the example's log lines,
// the others kept.
func TestLogLinesHaveNoEmptyFields(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: dropEmpty}))
	log.Info("Started Worker", "Signal", nil, "Namespace", "default", "TaskQueue", "", "Attempt", 0, "Err", error(nil))
	got := buf.String()
	for _, gone := range []string{"Signal", "TaskQueue", "Err", "<nil>"} {
		if strings.Contains(got, gone) {
			t.Errorf("log line %q shows %s", got, gone)
		}
	}
	for _, kept := range []string{"Namespace=default", "Attempt=0", `msg="Started Worker"`} {
		if !strings.Contains(got, kept) {
			t.Errorf("log line %q lacks %s", got, kept)
		}
	}
	if id := identity(); strings.HasSuffix(id, "@") || !strings.Contains(id, "@") {
		t.Errorf("identity %q", id)
	}
}
