package otel_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/jobwatch/jobwatch/internal/promtext"
	"github.com/jobwatch/jobwatch/otel"
	"github.com/jobwatch/jobwatch/sdk/observe"
)

// feed sends o the events of a small day's work: polls of every outcome by two vendors, with their
// lags measured both ways, retries of every reason, limiter waits on both sides of every bucket
// bound, a Watcher's jobs moving between states, and a bulk run's chunks (one with no end state) and
// rounds.
func feed(o *observe.Observer) {
	ctx := context.Background()
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	for i, v := range []string{"huawei", "webex", "huawei", "tencent"} {
		for j, out := range []string{observe.OutcomeRunning, observe.OutcomeRetry, observe.OutcomeRunning, observe.OutcomeDone, observe.OutcomeError} {
			e := observe.Poll{Vendor: v, JobID: fmt.Sprint("job-", i), Outcome: out, Attempt: j + 1, Start: now, Duration: time.Second}
			if out == observe.OutcomeDone {
				e.Lag, e.LagExact = time.Duration(i*7+1)*time.Second+time.Duration(i)*time.Millisecond, v == "webex"
			}
			o.Poll(ctx, e)
		}
		for _, r := range []string{observe.RetryRateLimited, observe.RetryServer, observe.RetryTimeout, observe.RetryTransport, observe.RetryResponse, observe.RetryOther} {
			o.Retry(ctx, observe.Retry{Vendor: v, JobID: "job", Reason: r, Attempt: 1, Delay: time.Second, Err: errors.New("x")})
		}
		for _, w := range []time.Duration{0, 10 * time.Millisecond, 11 * time.Millisecond, 100 * time.Millisecond, time.Second, 10 * time.Second, time.Minute} {
			o.LimiterWait(ctx, observe.LimiterWait{Vendor: v, Waited: w})
		}
		o.JobState(observe.JobState{Vendor: v, To: "new"})
		o.JobState(observe.JobState{Vendor: v, From: "new", To: "pending"})
		o.JobState(observe.JobState{Vendor: v, From: "pending", To: "running"})
		o.JobState(observe.JobState{Vendor: v, To: "new"})
		o.JobState(observe.JobState{Vendor: v, From: "running"})
		o.Chunk(ctx, observe.Chunk{Vendor: v, Round: 1, Chunk: 1, JobID: "job", Users: 10, State: "succeeded", Start: now, Duration: time.Minute})
		o.Chunk(ctx, observe.Chunk{Vendor: v, Round: 1, Chunk: 2, Users: 3, Start: now, Duration: time.Second, Err: errors.New("refused")})
		o.Round(ctx, observe.Round{Vendor: v, Round: 1, Chunks: 2, Users: 13, Succeeded: 10, Retryable: 3, Start: now, Duration: time.Minute})
	}
}

// TestPromtextMatchesExporter: the Prometheus text the CLI serves (internal/promtext, standard
// library) and the one OpenTelemetry's Prometheus exporter makes of the otel module's instruments
// hold the same metric families (name, type, help), the same series (label sets) and the same values,
// bucket by bucket, after the same events. The exporter's own additions, target_info and the
// otel_scope_* labels, are left out of the comparison: they describe the OpenTelemetry SDK.
func TestPromtextMatchesExporter(t *testing.T) {
	prom, err := otel.NewPrometheus()
	if err != nil {
		t.Fatal(err)
	}
	defer prom.Shutdown(context.Background())
	obs, err := otel.NewObserver(otel.Config{TracerProvider: noop.NewTracerProvider(), MeterProvider: prom.MeterProvider})
	if err != nil {
		t.Fatal(err)
	}
	std := promtext.New()
	feed(obs)
	feed(std.Observer())

	srv := httptest.NewServer(prom.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	exported, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	var ours bytes.Buffer
	if err := std.Write(&ours); err != nil {
		t.Fatal(err)
	}
	want, got := families(t, "exporter", exported), families(t, "promtext", ours.Bytes())
	if len(want) != 7 {
		t.Errorf("the exporter shows %d of jobwatch's 7 metrics: %v", len(want), want)
	}
	if g, w := strings.Join(got, "\n"), strings.Join(want, "\n"); g != w {
		t.Errorf("promtext:\n%s\n\nthe exporter:\n%s", g, w)
	}
}

// families parses Prometheus text and spells each family as lines: its name, type and help, then one
// line per series with its labels (the exporter's otel_scope_* left out) and value, bucket by bucket
// for a histogram; target_info is left out.
func families(t *testing.T, what string, text []byte) []string {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		t.Fatalf("%s: %v\n%s", what, err, text)
	}
	var out []string
	for name, f := range fams {
		if name == "target_info" {
			continue
		}
		lines := []string{fmt.Sprintf("%s %s %q", name, f.GetType(), f.GetHelp())}
		for _, m := range f.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				if !strings.HasPrefix(l.GetName(), "otel_scope_") {
					ls = append(ls, l.GetName()+"="+l.GetValue())
				}
			}
			slices.Sort(ls)
			series := "  {" + strings.Join(ls, ",") + "} "
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				lines = append(lines, series+num(m.GetCounter().GetValue()))
			case dto.MetricType_GAUGE:
				lines = append(lines, series+num(m.GetGauge().GetValue()))
			case dto.MetricType_HISTOGRAM:
				h := m.GetHistogram()
				var bs []string
				for _, b := range h.GetBucket() {
					bs = append(bs, fmt.Sprintf("le %s: %d", num(b.GetUpperBound()), b.GetCumulativeCount()))
				}
				lines = append(lines, series+fmt.Sprintf("count %d sum %s [%s]", h.GetSampleCount(), num(h.GetSampleSum()), strings.Join(bs, ", ")))
			default:
				lines = append(lines, series+"of an unexpected type")
			}
		}
		slices.Sort(lines[1:])
		out = append(out, strings.Join(lines, "\n"))
	}
	slices.Sort(out)
	return out
}

// num spells a value to 9 significant digits, so that two sums of the same floats added in another
// order compare equal.
func num(v float64) string {
	if math.IsInf(v, 1) {
		return "+Inf"
	}
	return fmt.Sprintf("%.9g", v)
}
