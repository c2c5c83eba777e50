package main

import (
	"sync/atomic"
	"testing"

	"github.com/jobwatch/jobwatch/sdk/bulk"
)

// frameCounter counts the writes of frames.
type frameCounter struct{ n atomic.Int64 }

func (w *frameCounter) Write(p []byte) (int, error) { w.n.Add(1); return len(p), nil }

// TestRunProgressUpdateWhileDrawing: the run's goroutine updates the numbers while the bar's
// decorator reads them on mpb's goroutine; under -race this failed when the numbers were a plain field.
func TestRunProgressUpdateWhileDrawing(t *testing.T) {
	t.Parallel()
	w := &frameCounter{}
	rp := newRunProgress(env{stderr: w, terminal: true})
	for i := 0; w.n.Load() < 3 && i < 5_000_000; i++ { // until frames are drawn meanwhile: no clock to wait on
		rp.update(bulk.Progress{Round: 1, MaxRounds: 3, Total: 1 << 30, Done: i, InFlight: i % 4, Limit: 4, Retries: i})
	}
	rp.close()
}
