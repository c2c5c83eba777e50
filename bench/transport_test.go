package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// transportCalls returns the raw call and the same call through contract.Transport (validatingClient,
// as runTransport measures them) against one loopback server, each warmed once.
func transportCalls(tb testing.TB) (raw, checked func() error) {
	srv := pollServer()
	tb.Cleanup(srv.Close)
	vc, err := validatingClient(srv)
	if err != nil {
		tb.Fatal(err)
	}
	raw, checked = rawPoll(srv, srv.Client()), rawPoll(srv, vc)
	for _, p := range []func() error{raw, checked} {
		if err := p(); err != nil {
			tb.Fatal(err)
		}
	}
	return raw, checked
}

func benchCall(b *testing.B, call func() error) {
	b.ReportAllocs()
	for b.Loop() {
		if err := call(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRaw is one Webex job status call with net/http and encoding/json over loopback: the
// baseline of BenchmarkTransport. Wall time is noisy on a shared machine; compare instruction counts
// under callgrind instead, taking the difference of two iteration counts so that start-up (loading the
// specs) cancels out. Under valgrind 3.19, Go's runtime needs asynchronous preemption and RDTSCP off
// (x/sys/cpu warns that it does not know "rdtscp"; the runtime does):
//
//	go test -c -o /tmp/bench.test ./bench
//	export GOMAXPROCS=1 GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off
//	valgrind --tool=callgrind --callgrind-out-file=/dev/null /tmp/bench.test -test.run '^$' -test.bench '^BenchmarkRaw$' -test.benchtime 200x
//	(the same with 1000x; instructions per call = (Ir(1000) − Ir(200)) ÷ 800)
func BenchmarkRaw(b *testing.B) {
	raw, _ := transportCalls(b)
	benchCall(b, raw)
}

// BenchmarkTransport is BenchmarkRaw's call through contract.Transport, validating the request and
// the response with OnResult set, as under users' staging traffic.
func BenchmarkTransport(b *testing.B) {
	_, checked := transportCalls(b)
	benchCall(b, checked)
}

// BenchmarkTransportChanged is BenchmarkTransport against a server whose answer changes at every
// poll (the job's instanceId alternates), as polls of a running job do: the Transport validates every
// answer in full. Its raw baseline is BenchmarkRaw (the raw call does not depend on the body).
func BenchmarkTransportChanged(b *testing.B) {
	other := bytes.Replace(webexJob, []byte(`"instanceId": 328660`), []byte(`"instanceId": 328661`), 1)
	if bytes.Equal(other, webexJob) {
		b.Fatal("the documented job has no instanceId 328660")
	}
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if n.Add(1)%2 == 0 {
			w.Write(other)
		} else {
			w.Write(webexJob)
		}
	}))
	defer srv.Close()
	vc, err := validatingClient(srv)
	if err != nil {
		b.Fatal(err)
	}
	benchCall(b, rawPoll(srv, vc))
}
