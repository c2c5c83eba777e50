package otel

import (
	"context"
	"io"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// Prometheus is a meter provider whose metrics are read through OpenTelemetry's Prometheus exporter,
// with the HTTP handler that serves them.
type Prometheus struct {
	// MeterProvider is the provider to give Config.MeterProvider.
	MeterProvider *sdkmetric.MeterProvider
	handler       http.Handler
}

// NewPrometheus makes a meter provider exported in Prometheus text, on a registry of its own (so that
// nothing else a program registers, and no credential, can show up in it).
func NewPrometheus() (*Prometheus, error) {
	reg := prometheus.NewRegistry()
	exp, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	return &Prometheus{MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp)), handler: mux}, nil
}

// Handler serves GET /metrics (Prometheus text) and GET /healthz ("ok").
func (p *Prometheus) Handler() http.Handler { return p.handler }

// Shutdown stops the meter provider.
func (p *Prometheus) Shutdown(ctx context.Context) error { return p.MeterProvider.Shutdown(ctx) }
