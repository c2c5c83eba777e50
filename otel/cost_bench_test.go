package otel_test

import (
	"context"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/jobwatch/jobwatch/otel"
	"github.com/jobwatch/jobwatch/sdk/observe"
)

// BenchmarkPollEvents is the observer's own work for one poll of a wait: its request's span, the
// poll's count, and the sleep's span.
func BenchmarkPollEvents(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
	defer tp.Shutdown(context.Background())
	obs, err := otel.NewObserver(otel.Config{TracerProvider: tp, MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))})
	if err != nil {
		b.Fatal(err)
	}
	ctx := obs.WaitStart(context.Background(), observe.WaitStart{Vendor: "webex", JobID: "j", Began: time.Now()})
	now := time.Now()
	b.ReportAllocs()
	b.Run("request", func(b *testing.B) {
		for b.Loop() {
			obs.Request(ctx, observe.Request{Vendor: "webex", Method: "GET", URL: "https://webexapis.com/v1/telephony/config/jobs/person/moveLocation/j", ServerAddress: "webexapis.com", ServerPort: 443, StatusCode: 200, Attempt: 1, Start: time.Now(), Duration: 0})
		}
	})
	b.Run("poll", func(b *testing.B) {
		for b.Loop() {
			obs.Poll(ctx, observe.Poll{Vendor: "webex", JobID: "j", Outcome: observe.OutcomeRunning, State: "running", Attempt: 1, Start: now, Duration: time.Millisecond})
		}
	})
	b.Run("sleep", func(b *testing.B) {
		for b.Loop() {
			obs.Sleep(ctx, observe.Sleep{Vendor: "webex", JobID: "j", Reason: observe.SleepBackoff, Planned: time.Second, Start: time.Now(), Slept: 0})
		}
	})
	obs.WaitEnd(ctx, observe.WaitEnd{Vendor: "webex", JobID: "j"})
}
