// Package promtext counts jobwatch's observe events by vendor and outcome, state or reason, and writes
// them as Prometheus text with the standard library. It is what `jobwatch watch` and `jobwatch run`
// serve on --metrics-addr: OpenTelemetry lives only in the otel module (ARCHITECTURE.md), and the CLI is
// in the root module. Its metric names, labels, help, types and histogram buckets are those the otel
// module's instruments get from OpenTelemetry's Prometheus exporter, so that one dashboard reads both;
// a test of the otel module (TestPromtextMatchesExporter) feeds the same events to both and compares
// the scrapes.
//
// No label holds a job id or a user: the series stay a few per vendor however many jobs are watched.
package promtext

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/jobwatch/jobwatch/sdk/observe"
)

// ContentType is the Content-Type of what Write writes.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// The metrics, as OpenTelemetry's Prometheus exporter names the otel module's instruments.
const (
	metricPolls    = "jobwatch_polls_total"
	metricLag      = "jobwatch_observation_lag_seconds"
	metricLimiter  = "jobwatch_limiter_wait_seconds"
	metricInFlight = "jobwatch_jobs_in_flight"
	metricRetries  = "jobwatch_retries_total"
	metricChunks   = "jobwatch_bulk_chunks_total"
	metricRounds   = "jobwatch_bulk_rounds_total"
)

// metricHelp gives each metric its type and help line.
var metricHelp = map[string][2]string{
	metricPolls:    {"counter", "Status polls of jobs, by vendor and outcome."},
	metricLag:      {"histogram", "Time from a job's end, as its vendor reports it, to the poll that saw it done."},
	metricLimiter:  {"histogram", "Time a request waited for its rate limiter's slot."},
	metricInFlight: {"gauge", "Jobs a Watcher watches, by vendor and last state seen."},
	metricRetries:  {"counter", "Calls and polls tried again after a transient failure, by vendor and reason."},
	metricChunks:   {"counter", "Chunks (jobs) of bulk runs that ended, by vendor and end state."},
	metricRounds:   {"counter", "Rounds of bulk runs that ended, by vendor."},
}

// Histogram bounds, in seconds: the otel module's.
var (
	lagBounds     = []float64{1, 2, 5, 10, 30, 60, 300}
	limiterBounds = []float64{0.01, 0.1, 1, 10}
)

// series names one series: a metric and its labels, already in Prometheus syntax ({a="x",b="y"}).
type series struct{ name, labels string }

type histogram struct {
	bounds []float64
	counts []uint64 // per bound, not cumulative; the last is +Inf
	sum    float64
	n      uint64
}

// Metrics is an observe.Observer's store of counts, written as Prometheus text. Its methods may be
// called from any goroutine.
type Metrics struct {
	mu     sync.Mutex
	values map[series]float64
	hists  map[series]*histogram
}

// New returns an empty store.
func New() *Metrics {
	return &Metrics{values: map[series]float64{}, hists: map[series]*histogram{}}
}

// labelEscaper escapes a label value as Prometheus text wants.
var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// labels spells label pairs (name, value, ...) in Prometheus syntax, values escaped.
func labels(kv ...string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		v := labelEscaper.Replace(kv[i+1])
		b.WriteString(kv[i] + `="` + v + `"`)
	}
	b.WriteByte('}')
	return b.String()
}

func (m *Metrics) add(name, labels string, d float64) {
	m.mu.Lock()
	m.values[series{name, labels}] += d
	m.mu.Unlock()
}

func (m *Metrics) observe(name, labels string, bounds []float64, v float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.hists[series{name, labels}]
	if h == nil {
		h = &histogram{bounds: bounds, counts: make([]uint64, len(bounds)+1)}
		m.hists[series{name, labels}] = h
	}
	i, _ := slices.BinarySearch(bounds, v) // Prometheus buckets are upper-inclusive
	h.counts[i]++
	h.sum += v
	h.n++
}

// Observer returns the Observer that feeds m.
func (m *Metrics) Observer() *observe.Observer {
	return &observe.Observer{
		Poll: func(_ context.Context, e observe.Poll) {
			m.add(metricPolls, labels("jobwatch_outcome", e.Outcome, "jobwatch_vendor", e.Vendor), 1)
			if e.Outcome == observe.OutcomeDone {
				src := "last_poll"
				if e.LagExact {
					src = "vendor_end"
				}
				m.observe(metricLag, labels("jobwatch_lag_source", src, "jobwatch_vendor", e.Vendor), lagBounds, e.Lag.Seconds())
			}
		},
		Retry: func(_ context.Context, e observe.Retry) {
			m.add(metricRetries, labels("jobwatch_retry_reason", e.Reason, "jobwatch_vendor", e.Vendor), 1)
		},
		LimiterWait: func(_ context.Context, e observe.LimiterWait) {
			m.observe(metricLimiter, labels("jobwatch_vendor", e.Vendor), limiterBounds, e.Waited.Seconds())
		},
		JobState: func(e observe.JobState) {
			if e.From != "" {
				m.add(metricInFlight, labels("jobwatch_state", e.From, "jobwatch_vendor", e.Vendor), -1)
			}
			if e.To != "" {
				m.add(metricInFlight, labels("jobwatch_state", e.To, "jobwatch_vendor", e.Vendor), 1)
			}
		},
		Chunk: func(_ context.Context, e observe.Chunk) {
			state := e.State
			if state == "" {
				state = "none"
			}
			m.add(metricChunks, labels("jobwatch_state", state, "jobwatch_vendor", e.Vendor), 1)
		},
		Round: func(_ context.Context, e observe.Round) {
			m.add(metricRounds, labels("jobwatch_vendor", e.Vendor), 1)
		},
	}
}

// Write writes every series in Prometheus text format 0.0.4 (ContentType): metrics by name, series by
// labels, a histogram's buckets in increasing order, then its sum and count.
func (m *Metrics) Write(w io.Writer) error {
	m.mu.Lock()
	byName := map[string]map[string][]string{} // metric → labels → lines
	put := func(s series, lines ...string) {
		if byName[s.name] == nil {
			byName[s.name] = map[string][]string{}
		}
		byName[s.name][s.labels] = lines
	}
	for s, v := range m.values {
		put(s, s.name+s.labels+" "+strconv.FormatFloat(v, 'g', -1, 64))
	}
	for s, h := range m.hists {
		var lines []string
		var cum uint64
		for i, c := range h.counts {
			cum += c
			le := "+Inf"
			if i < len(h.bounds) {
				le = strconv.FormatFloat(h.bounds[i], 'g', -1, 64)
			}
			lines = append(lines, fmt.Sprintf("%s_bucket%s,le=%q} %d", s.name, strings.TrimSuffix(s.labels, "}"), le, cum))
		}
		put(s, append(lines, fmt.Sprintf("%s_sum%s %s", s.name, s.labels, strconv.FormatFloat(h.sum, 'g', -1, 64)),
			fmt.Sprintf("%s_count%s %d", s.name, s.labels, h.n))...)
	}
	m.mu.Unlock()
	var b strings.Builder
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		meta := metricHelp[name]
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", name, meta[1], name, meta[0])
		for _, l := range slices.Sorted(maps.Keys(byName[name])) {
			b.WriteString(strings.Join(byName[name][l], "\n") + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
